package dev.scratchkit.elf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ElfFile on hand-made files: every class, byte order and machine the platform table knows. */
class ElfFileTest {

  @TempDir
  Path dir;

  private ElfFile read(String name, byte[] bytes) throws Exception {
    Path file = dir.resolve(name);
    Files.write(file, bytes);
    return ElfFile.read(file);
  }

  @Test
  void readsABigEndianElf32SharedLibrary() throws Exception {
    ElfFile elf = read("libbe.so", TestElf.create().elf32().bigEndian().machine(20)
        .needed("libc.so.6", "libm.so.6").soname("libbe.so.1").runpath("$ORIGIN/../lib").build());

    assertThat(elf.elfClass()).isEqualTo(32);
    assertThat(elf.byteOrder()).isEqualTo(ByteOrder.BIG_ENDIAN);
    assertThat(elf.machine()).isEqualTo(Machine.PPC);
    assertThat(elf.type()).isEqualTo(ElfType.SHARED_OBJECT);
    assertThat(elf.neededLibraries()).containsExactly("libc.so.6", "libm.so.6");
    assertThat(elf.soname()).contains("libbe.so.1");
    assertThat(elf.runPath()).contains("$ORIGIN/../lib");
    assertThat(elf.rpath()).isEmpty();
    assertThat(elf.isSharedLibrary()).isTrue();
    assertThat(elf.isExecutable()).isFalse();
    assertThat(elf.linkage()).isEqualTo(Linkage.DYNAMIC);
    assertThat(elf.platform()).hasToString("linux/ppc");
    assertThat(elf.sectionHeaders()).extracting(SectionHeader::name).contains(".dynamic", ".dynstr", ".shstrtab");
    assertThat(elf.toString()).contains("ELF32 BE", "PowerPC", "shared library", "needs [libc.so.6, libm.so.6]");
  }

  @Test
  void tellsStaticStaticPieAndDynamicApart() throws Exception {
    ElfFile exec = read("static", TestElf.create().type(2).base(0x400000).build());
    ElfFile staticPie = read("static-pie", TestElf.create().type(3).flags1(ElfFile.DF_1_PIE).build());
    ElfFile oldStaticPie = read("old-static-pie", TestElf.create().type(3).dynamic().build()); // entry, no DF_1_PIE
    ElfFile library = read("lib.so", TestElf.create().type(3).soname("lib.so.1").build());
    ElfFile dynamic = read("dynamic", TestElf.create().type(3).flags1(ElfFile.DF_1_PIE)
        .interpreter("/lib64/ld-linux-x86-64.so.2").needed("libc.so.6").build());

    assertThat(exec.linkage()).isEqualTo(Linkage.STATIC);
    assertThat(exec.isExecutable()).isTrue();
    assertThat(exec.hasDynamicSection()).isFalse();
    assertThat(staticPie.linkage()).isEqualTo(Linkage.STATIC_PIE);
    assertThat(staticPie.isExecutable()).isTrue();
    assertThat(staticPie.isSharedLibrary()).isFalse();
    assertThat(oldStaticPie.linkage()).isEqualTo(Linkage.STATIC_PIE);
    assertThat(library.linkage()).isEqualTo(Linkage.DYNAMIC);
    assertThat(library.isSharedLibrary()).isTrue();
    assertThat(dynamic.linkage()).isEqualTo(Linkage.DYNAMIC);
    assertThat(dynamic.interpreter()).contains("/lib64/ld-linux-x86-64.so.2");
    assertThat(dynamic.isExecutable()).isTrue();
    assertThat(dynamic.flags1() & ElfFile.DF_1_PIE).isNotZero();
  }

  @Test
  void aPieWithoutTheFlagButWithAnInterpreterIsAnExecutable() throws Exception {
    ElfFile pie = read("oldpie", TestElf.create().interpreter("/lib/ld-linux.so.2").needed("libc.so.6").build());
    ElfFile libc = read("libc", TestElf.create().interpreter("/lib/ld-linux.so.2").soname("libc.so.6").build());

    assertThat(pie.isExecutable()).isTrue();
    assertThat(libc.isSharedLibrary()).isTrue();
  }

  @Test
  void mapsMachinesToOciPlatforms() throws Exception {
    assertThat(platform(TestElf.create().machine(62))).isEqualTo("linux/amd64");
    assertThat(platform(TestElf.create().machine(183))).isEqualTo("linux/arm64");
    assertThat(platform(TestElf.create().elf32().machine(3))).isEqualTo("linux/386");
    assertThat(platform(TestElf.create().machine(21))).isEqualTo("linux/ppc64le");
    assertThat(platform(TestElf.create().machine(21).bigEndian())).isEqualTo("linux/ppc64");
    assertThat(platform(TestElf.create().machine(22).bigEndian())).isEqualTo("linux/s390x");
    assertThat(platform(TestElf.create().machine(243))).isEqualTo("linux/riscv64");
    assertThat(platform(TestElf.create().machine(8))).isEqualTo("linux/mips64le");
    assertThat(platform(TestElf.create().elf32().machine(8).bigEndian())).isEqualTo("linux/mips");
    assertThat(platform(TestElf.create().machine(258))).isEqualTo("linux/loong64");
    assertThat(platform(TestElf.create().machine(62).osAbi(9))).isEqualTo("freebsd/amd64");
    assertThat(platform(TestElf.create().machine(0x1234))).isEqualTo("linux/em4660");
  }

  private String platform(TestElf elf) throws Exception {
    return read("p", elf.build()).platform().toString();
  }

  @Test
  void readsTheArmVariantFromTheAttributesSection() throws Exception {
    assertThat(armPlatform(10)).isEqualTo("linux/arm/v7");
    assertThat(armPlatform(6)).isEqualTo("linux/arm/v6");
    assertThat(armPlatform(9)).isEqualTo("linux/arm/v6"); // v6K, the Raspberry Pi 1
    assertThat(armPlatform(4)).isEqualTo("linux/arm/v5"); // v5TE, Debian armel
    assertThat(armPlatform(14)).isEqualTo("linux/arm/v8"); // AArch32 code for ARMv8
    ElfFile none = read("arm", TestElf.create().elf32().machine(40).build());
    assertThat(none.platform()).hasToString("linux/arm/v7"); // containerd's default for arm
  }

  private String armPlatform(int cpuArch) throws Exception {
    ByteArrayOutputStream attrs = new ByteArrayOutputStream();
    attrs.writeBytes(new byte[] {5});
    attrs.writeBytes("ARM v7\0".getBytes(StandardCharsets.US_ASCII));
    attrs.writeBytes(new byte[] {6, (byte) cpuArch, 8, 1, 9, 2});
    byte[] fileAttrs = attrs.toByteArray();
    ByteBuffer section = ByteBuffer.allocate(1 + 4 + 6 + 5 + fileAttrs.length).order(ByteOrder.LITTLE_ENDIAN);
    section.put((byte) 'A').putInt(4 + 6 + 5 + fileAttrs.length).put("aeabi\0".getBytes(StandardCharsets.US_ASCII))
        .put((byte) 1).putInt(5 + fileAttrs.length).put(fileAttrs);
    return read("arm", TestElf.create().elf32().machine(40).flags(0x05000400)
        .section(".ARM.attributes", SectionHeader.SHT_ARM_ATTRIBUTES, section.array()).build()).platform().toString();
  }

  @Test
  void readsGoBuildInfoInThePointerFormatOfGoBefore118() throws Exception {
    for (boolean is64 : new boolean[] {true, false}) {
      for (ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
        TestElf elf = TestElf.create().type(2).base(0x400000).machine(is64 ? 62 : 8);
        if (!is64) {
          elf.elf32();
        }
        if (order == ByteOrder.BIG_ENDIAN) {
          elf.bigEndian();
        }
        String mod = "path\texample.com/old\nmod\texample.com/old\t(devel)\t\ndep\tgolang.org/x/text\tv0.3.7\th1:abc=\n";
        elf.payload(oldGoBlob(elf.payloadAddress(), is64 ? 8 : 4, order, "go1.16.15", mod));
        ElfFile file = read("oldgo", elf.build());

        GoBuildInfo info = file.goBuildInfo().orElseThrow();
        assertThat(info.goVersion()).isEqualTo("go1.16.15");
        assertThat(info.path()).isEqualTo("example.com/old");
        assertThat(info.mainModule()).hasValueSatisfying(m -> assertThat(m.version()).isEqualTo("(devel)"));
        assertThat(info.dependencies()).extracting(GoBuildInfo.Module::toString).containsExactly("golang.org/x/text@v0.3.7");
        assertThat(info.settings()).isEmpty();
        assertThat(info.cgoEnabled()).isEmpty();
      }
    }
  }

  /** The Go < 1.18 blob: header with two pointers to Go string headers {data, len}. */
  static byte[] oldGoBlob(long address, int ptrSize, ByteOrder order, String version, String mod) {
    byte[] sentinelStart = hex("3077af0c9274080241e1c107e6d618e6");
    byte[] sentinelEnd = hex("f932433186182072008242104116d8f2");
    byte[] v = version.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream m = new ByteArrayOutputStream();
    m.writeBytes(sentinelStart);
    m.writeBytes(mod.getBytes(StandardCharsets.UTF_8));
    m.writeBytes(sentinelEnd);
    byte[] modBytes = m.toByteArray();
    ByteBuffer b = ByteBuffer.allocate(64 + 32 + v.length + modBytes.length).order(order);
    b.put("\u00ff Go buildinf:".getBytes(StandardCharsets.ISO_8859_1));
    b.put((byte) ptrSize).put((byte) (order == ByteOrder.BIG_ENDIAN ? 1 : 0));
    long versionHeader = address + 32;
    long modHeader = address + 48;
    long versionData = address + 64;
    long modData = versionData + v.length;
    putPtr(b, 16, versionHeader, ptrSize);
    putPtr(b, 16 + ptrSize, modHeader, ptrSize);
    putPtr(b, 32, versionData, ptrSize);
    putPtr(b, 32 + ptrSize, v.length, ptrSize);
    putPtr(b, 48, modData, ptrSize);
    putPtr(b, 48 + ptrSize, modBytes.length, ptrSize);
    b.position(64);
    b.put(v).put(modBytes);
    return b.array();
  }

  private static void putPtr(ByteBuffer b, int at, long value, int ptrSize) {
    if (ptrSize == 8) {
      b.putLong(at, value);
    } else {
      b.putInt(at, (int) value);
    }
  }

  static byte[] hex(String s) {
    byte[] out = new byte[s.length() / 2];
    for (int i = 0; i < out.length; i++) {
      out[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
    }
    return out;
  }

  @Test
  void readsGoBuildInfoInTheInlineFormatWithQuotedSettings() throws Exception {
    String mod = "path\texample.com/app\nmod\texample.com/app\t(devel)\t\n"
        + "build\t-ldflags=\"-s -w\"\nbuild\tCGO_ENABLED=0\nbuild\tGOARCH=arm\nbuild\tGOOS=linux\nbuild\tGOARM=6\n";
    ByteArrayOutputStream blob = new ByteArrayOutputStream();
    blob.writeBytes("\u00ff Go buildinf:".getBytes(StandardCharsets.ISO_8859_1));
    blob.writeBytes(new byte[] {4, 2});
    blob.writeBytes(new byte[16]);
    byte[] v = "go1.21.0".getBytes(StandardCharsets.UTF_8);
    blob.write(v.length);
    blob.writeBytes(v);
    byte[] m = (new String(hex("3077af0c9274080241e1c107e6d618e6"), StandardCharsets.ISO_8859_1) + mod
        + new String(hex("f932433186182072008242104116d8f2"), StandardCharsets.ISO_8859_1)).getBytes(StandardCharsets.ISO_8859_1);
    blob.write(0x80 | (m.length & 0x7f));
    blob.write(m.length >> 7);
    blob.writeBytes(m);
    ElfFile elf = read("go", TestElf.create().elf32().machine(40).type(2)
        .section(".go.buildinfo", SectionHeader.SHT_PROGBITS, blob.toByteArray()).build());

    GoBuildInfo info = elf.goBuildInfo().orElseThrow();
    assertThat(info.goVersion()).isEqualTo("go1.21.0");
    assertThat(info.settings()).containsExactly(
        java.util.Map.entry("-ldflags", "-s -w"), java.util.Map.entry("CGO_ENABLED", "0"),
        java.util.Map.entry("GOARCH", "arm"), java.util.Map.entry("GOOS", "linux"), java.util.Map.entry("GOARM", "6"));
    assertThat(info.cgoEnabled()).contains(false);
    assertThat(info.goarch()).contains("arm");
    assertThat(elf.platform()).hasToString("linux/arm/v6"); // from GOARM: no attributes section
  }

  @Test
  void findsTheBuildInfoWithoutSectionHeadersInTheFirstWritableSegment() throws Exception {
    TestElf elf = TestElf.create().type(2).base(0x400000).noSectionHeaders();
    elf.payload(oldGoBlob(elf.payloadAddress(), 8, ByteOrder.LITTLE_ENDIAN, "go1.15", ""));
    ElfFile file = read("nosections", elf.build());

    assertThat(file.sectionHeaders()).isEmpty();
    assertThat(file.goBuildInfo()).hasValueSatisfying(g -> assertThat(g.goVersion()).isEqualTo("go1.15"));
  }

  @Test
  void namesTheFileAndTheDefectForInputThatIsNotElf() throws Exception {
    assertDefect("empty", new byte[0], "the file is empty");
    assertDefect("script", "#!/bin/sh\necho hi\n".getBytes(StandardCharsets.UTF_8), "it is a script (\"#!/bin/sh\")");
    assertDefect("text", "hello world, this is text".getBytes(StandardCharsets.UTF_8), "instead of the ELF magic 7f454c46");
    assertDefect("archive", "!<arch>\nfoo".getBytes(StandardCharsets.UTF_8), "ar archive");
    byte[] header = Arrays.copyOf(TestElf.create().build(), 40);
    assertDefect("header-only", header, "shorter than an ELF64 header (64 bytes)");
    byte[] ident = Arrays.copyOf(TestElf.create().build(), 10);
    assertDefect("ident", ident, "ends inside the ELF identification");
  }

  @Test
  void namesTheFileAndTheDefectForBrokenTables() throws Exception {
    byte[] ok = TestElf.create().needed("libc.so.6").build();
    byte[] truncated = Arrays.copyOf(ok, ok.length - 10);
    assertDefect("cut", truncated, "section header table (4 entries of 64 bytes) (offset 0x120, 256 bytes) extends past the end of the file (534 bytes)");

    byte[] dynamicAnywhere = ok.clone();
    ElfFile parsed = read("ok", ok);
    ProgramHeader dyn = parsed.programHeaders().stream().filter(p -> p.type() == ProgramHeader.PT_DYNAMIC).findFirst().orElseThrow();
    ByteBuffer b = ByteBuffer.wrap(dynamicAnywhere).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong((int) dyn.offset() + 8, 0x7fffffffL); // DT_NEEDED string index far outside DT_STRSZ
    assertDefect("needed", dynamicAnywhere, "string index 2147483647 is outside the dynamic string table");

    byte[] hugeCount = ok.clone();
    ByteBuffer.wrap(hugeCount).order(ByteOrder.LITTLE_ENDIAN).putShort(60, (short) 0x7fff);
    assertDefect("count", hugeCount, "section header table (32767 entries of 64 bytes) is larger than the whole file");
  }

  @Test
  void aFileThatCannotBeOpenedIsAnIoProblemNotAFormatProblem() {
    Path missing = dir.resolve("no-such-file");
    assertThatThrownBy(() -> ElfFile.read(missing)).isInstanceOf(ElfException.class)
        .isNotInstanceOf(ElfFormatException.class)
        .hasMessageStartingWith("Cannot read " + missing.toAbsolutePath() + ": it does not exist. Check the path")
        .hasCauseInstanceOf(java.nio.file.NoSuchFileException.class);
  }

  private void assertDefect(String name, byte[] bytes, String defect) throws Exception {
    Path file = dir.resolve(name);
    Files.write(file, bytes);
    assertThatThrownBy(() -> ElfFile.read(file))
        .isInstanceOf(ElfFormatException.class)
        .hasMessageStartingWith(file.toAbsolutePath() + " is not a valid ELF file: ")
        .hasMessageContaining(defect)
        .satisfies(e -> assertThat(((ElfFormatException) e).path()).isEqualTo(file.toAbsolutePath()));
  }
}
