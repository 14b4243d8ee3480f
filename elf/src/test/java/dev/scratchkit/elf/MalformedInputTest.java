package dev.scratchkit.elf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scratchkit.testkit.Fixtures;
import dev.scratchkit.testkit.Tools;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Malformed input: over 100,000 mutations of real and hand-made binaries (bit flips,
 * truncations, huge counts and offsets, overlapping tables, dynamic entries pointing anywhere).
 * The only exception that may escape is {@link ElfFormatException} naming the file and the
 * defect; no buffer larger than the input is ever allocated, and no input takes long.
 */
class MalformedInputTest {

  private static final int MUTATIONS = 120_000;
  private static final long SEED = 0x5c7a7c4L;
  private static final Path NAME = Path.of("/fuzz/input.elf");

  @TempDir
  Path dir;

  /** The seed files: real binaries of several kinds and hand-made ELF32/ELF64 files of both byte orders. */
  private Map<String, byte[]> corpus() throws Exception {
    Map<String, byte[]> corpus = new LinkedHashMap<>();
    corpus.put("elf64-le-dynamic", TestElf.create().interpreter("/lib64/ld-linux-x86-64.so.2")
        .needed("libc.so.6", "libm.so.6").soname("libx.so.1").rpath("/a:/b").runpath("$ORIGIN").flags1(ElfFile.DF_1_PIE).build());
    corpus.put("elf32-be-library", TestElf.create().elf32().bigEndian().machine(8).needed("libc.so.6").soname("libbe.so").build());
    TestElf oldGo = TestElf.create().type(2).base(0x400000);
    oldGo.payload(ElfFileTest.oldGoBlob(oldGo.payloadAddress(), 8, ByteOrder.LITTLE_ENDIAN, "go1.16",
        "path\tx\nmod\tx\t(devel)\t\nbuild\tCGO_ENABLED=0\n"));
    corpus.put("old-go", oldGo.build());
    TestElf oldGo32 = TestElf.create().elf32().bigEndian().machine(8).type(2).base(0x10000).noSectionHeaders();
    oldGo32.payload(ElfFileTest.oldGoBlob(oldGo32.payloadAddress(), 4, ByteOrder.BIG_ENDIAN, "go1.12", "path\ty\n"));
    corpus.put("old-go32-be", oldGo32.build());
    corpus.put("arm-attributes", armWithAttributes());
    for (String system : List.of("/usr/bin/true", "/usr/lib/x86_64-linux-gnu/libz.so.1")) {
      Path p = Path.of(system);
      if (Files.isReadable(p)) {
        corpus.put(system, Files.readAllBytes(p.toRealPath()));
      }
    }
    if (Tools.find("gcc").isPresent()) {
      corpus.put("gcc-static", Files.readAllBytes(Fixtures.gcc(dir, "s", "#include <pwd.h>\nint main(){return getpwnam(\"x\")!=0;}\n", "-static")));
    }
    if (Tools.find("go").isPresent()) {
      corpus.put("go-https", Files.readAllBytes(Fixtures.go(dir, "https", Fixtures.GO_HTTPS_CLIENT,
          Map.of("CGO_ENABLED", "0"), "-ldflags=-s -w")));
    }
    return corpus;
  }

  private static byte[] armWithAttributes() {
    ByteBuffer attrs = ByteBuffer.allocate(1 + 4 + 6 + 5 + 4).order(ByteOrder.LITTLE_ENDIAN);
    attrs.put((byte) 'A').putInt(4 + 6 + 5 + 4).put("aeabi\0".getBytes(StandardCharsets.US_ASCII))
        .put((byte) 1).putInt(5 + 4).put(new byte[] {6, 10, 8, 1});
    return TestElf.create().elf32().machine(40).flags(0x05000400).needed("libc.so.6")
        .section(".ARM.attributes", SectionHeader.SHT_ARM_ATTRIBUTES, attrs.array()).build();
  }

  @Test
  void onlyElfFormatExceptionEscapesAndNothingAllocatesMoreThanTheInput() throws Exception {
    Map<String, byte[]> corpus = corpus();
    List<String> names = new ArrayList<>(corpus.keySet());
    Random random = new Random(SEED);
    List<String> failures = new ArrayList<>();
    int parsed = 0;
    int rejected = 0;
    int withSymbols = 0;
    int symbolsRejected = 0;
    long slowest = 0;
    long start = System.nanoTime();
    for (int i = 0; i < MUTATIONS; i++) {
      long seed = random.nextLong();
      Random r = new Random(seed);
      // Large real binaries take longer; give them a smaller share of the mutations.
      String name = names.get(r.nextInt(names.size()));
      byte[] base = corpus.get(name);
      if (base.length > 200_000 && r.nextInt(4) != 0) {
        name = names.get(r.nextInt(5));
        base = corpus.get(name);
      }
      byte[] input = mutate(base, r);
      ByteSource source = ByteSource.of(input);
      long t0 = System.nanoTime();
      boolean headersRead = false;
      try {
        ElfFile elf = ElfFile.read(NAME, source);
        headersRead = true;
        TestElf.callEveryAccessor(elf);
        parsed++;
        if (!elf.importedSymbols().isEmpty()) {
          withSymbols++;
        }
      } catch (ElfFormatException e) {
        rejected++;
        if (headersRead) {
          symbolsRejected++;
        }
        if (!e.getMessage().startsWith(NAME + " is not a valid ELF file: ") || e.defect().isBlank()
            || !e.path().equals(NAME)) {
          failures.add(name + " seed " + seed + ": badly worded: " + e.getMessage());
        }
      } catch (Throwable t) {
        failures.add(name + " seed " + seed + ": " + t);
      }
      long took = System.nanoTime() - t0;
      slowest = Math.max(slowest, took);
      if (source.largestAllocation() > input.length) {
        failures.add(name + " seed " + seed + ": allocated " + source.largestAllocation() + " bytes for a "
            + input.length + "-byte input");
      }
      if (took > 2_000_000_000L) {
        failures.add(name + " seed " + seed + ": took " + took / 1_000_000 + " ms");
      }
      if (failures.size() > 20) {
        break;
      }
    }
    long ms = (System.nanoTime() - start) / 1_000_000;
    System.out.printf("fuzz: %d mutations of %d seed files in %d ms: %d read, %d rejected with ElfFormatException,"
        + " slowest %d ms, %d failures; %d read with imported symbols, %d rejected by the symbol accessors%n",
        parsed + rejected, corpus.size(), ms, parsed, rejected, slowest / 1_000_000, failures.size(), withSymbols,
        symbolsRejected);
    assertThat(failures).isEmpty();
    assertThat(parsed + rejected).isGreaterThanOrEqualTo(100_000);
    assertThat(parsed).as("mutations that still read").isGreaterThan(1000);
    assertThat(rejected).as("mutations rejected").isGreaterThan(1000);
    assertThat(withSymbols).as("mutations read with imported symbols").isGreaterThan(1000);
    assertThat(symbolsRejected).as("mutations whose symbol tables were rejected").isGreaterThan(1000);
  }

  private static final long[] EDGY = {0, 1, 2, 0x7f, 0x80, 0xff, 0xffff, 0xfffe, 0x7fffffffL, 0x80000000L,
      0xffffffffL, 0x7fffffffffffffffL, -1L, Long.MIN_VALUE};

  static byte[] mutate(byte[] base, Random r) {
    byte[] b = base.clone();
    int operations = 1 + r.nextInt(3);
    for (int op = 0; op < operations && b.length > 0; op++) {
      switch (r.nextInt(8)) {
        case 0: { // bit flips, mostly in the headers
          int flips = 1 + r.nextInt(8);
          for (int i = 0; i < flips; i++) {
            int at = r.nextBoolean() ? r.nextInt(Math.min(b.length, 4096)) : r.nextInt(b.length);
            b[at] ^= (byte) (1 << r.nextInt(8));
          }
          break;
        }
        case 1: // truncation
          b = Arrays.copyOf(b, r.nextInt(b.length + 1));
          break;
        case 2: // a huge or edgy value in a header field
          putValue(b, headerField(b, r), r);
          break;
        case 3: // a huge or edgy value in a program/section header or dynamic entry
          putValue(b, tableField(b, r), r);
          break;
        case 4: { // overlapping tables: point one table at another's offset
          if (b.length >= 64) {
            boolean is64 = b[4] == 2;
            int phoff = is64 ? 32 : 28;
            int shoff = is64 ? 40 : 32;
            int width = is64 ? 8 : 4;
            int from = r.nextBoolean() ? phoff : shoff;
            int to = from == phoff ? shoff : phoff;
            System.arraycopy(b, from, b, to, width);
          }
          break;
        }
        case 5: { // copy a block over another place
          int len = 1 + r.nextInt(Math.min(256, b.length));
          int from = r.nextInt(b.length - len + 1);
          int to = r.nextInt(b.length - len + 1);
          System.arraycopy(b, from, b, to, len);
          break;
        }
        case 6: // dynamic entries pointing anywhere
          retargetDynamic(b, r);
          break;
        default: // the dynamic symbol and version tables: their contents and their headers
          damageSymbolTables(b, r);
          break;
      }
    }
    return b;
  }

  private static int headerField(byte[] b, Random r) {
    boolean is64 = b.length > 4 && b[4] == 2;
    int[] fields = is64 ? new int[] {4, 5, 16, 18, 24, 32, 40, 48, 52, 54, 56, 58, 60, 62}
        : new int[] {4, 5, 16, 18, 24, 28, 32, 36, 40, 42, 44, 46, 48, 50};
    return fields[r.nextInt(fields.length)];
  }

  private static int tableField(byte[] b, Random r) {
    if (b.length < 64) {
      return r.nextInt(Math.max(1, b.length));
    }
    boolean is64 = b[4] == 2;
    ByteBuffer h = ByteBuffer.wrap(b).order(b[5] == 2 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
    long table = r.nextBoolean() ? (is64 ? h.getLong(32) : h.getInt(28) & 0xffffffffL)
        : (is64 ? h.getLong(40) : h.getInt(32) & 0xffffffffL);
    int entry = r.nextBoolean() ? (is64 ? 56 : 32) : (is64 ? 64 : 40);
    long at = table + (long) r.nextInt(8) * entry + (long) r.nextInt(entry / 4) * 4;
    return at >= 0 && at < b.length ? (int) at : r.nextInt(b.length);
  }

  private static void putValue(byte[] b, int at, Random r) {
    int width = new int[] {1, 2, 4, 8}[r.nextInt(4)];
    long value = r.nextInt(4) == 0 ? r.nextLong() : r.nextInt(3) == 0 ? b.length + r.nextInt(64) - 32 : EDGY[r.nextInt(EDGY.length)];
    ByteOrder order = b.length > 5 && b[5] == 2 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
    for (int i = 0; i < width && at + i < b.length; i++) {
      int shift = order == ByteOrder.LITTLE_ENDIAN ? 8 * i : 8 * (width - 1 - i);
      b[at + i] = (byte) (value >>> shift);
    }
  }

  /** Rewrites a random entry of the PT_DYNAMIC table with a string tag and a wild value. */
  private static void retargetDynamic(byte[] b, Random r) {
    try {
      ElfReader.Data d = ElfReader.read(ByteSource.of(b));
      ProgramHeader dyn = d.firstSegment(ProgramHeader.PT_DYNAMIC);
      if (dyn == null || dyn.fileSize() < 16 || dyn.offset() + dyn.fileSize() > b.length) {
        return;
      }
      boolean is64 = d.elfClass() == 64;
      int entry = is64 ? 16 : 8;
      int index = r.nextInt((int) (dyn.fileSize() / entry));
      int at = (int) dyn.offset() + index * entry;
      long[] tags = {ElfReader.DT_NEEDED, ElfReader.DT_STRTAB, ElfReader.DT_STRSZ, ElfReader.DT_SONAME,
          ElfReader.DT_RPATH, ElfReader.DT_RUNPATH, ElfReader.DT_FLAGS_1, 0};
      ByteBuffer buf = ByteBuffer.wrap(b).order(d.order());
      long tag = tags[r.nextInt(tags.length)];
      long value = r.nextBoolean() ? EDGY[r.nextInt(EDGY.length)] : r.nextInt(Math.max(1, b.length * 2));
      if (is64) {
        buf.putLong(at, tag).putLong(at + 8, value);
      } else {
        buf.putInt(at, (int) tag).putInt(at + 4, (int) value);
      }
    } catch (Defect e) {
      // already broken: nothing to retarget
    }
  }

  private static final long[] SYMBOL_SECTIONS = {SectionHeader.SHT_DYNSYM, DynamicSymbolReader.SHT_GNU_VERSYM,
      DynamicSymbolReader.SHT_GNU_VERNEED, DynamicSymbolReader.SHT_GNU_VERDEF, SectionHeader.SHT_STRTAB};

  /**
   * Puts an edgy value into .dynsym, .gnu.version, .gnu.version_r, .gnu.version_d or a string
   * table (names, version indexes, vn_next/vna_next/vd_aux chains), or into such a section's
   * header (sh_offset, sh_size, sh_link, sh_info, sh_entsize).
   */
  private static void damageSymbolTables(byte[] b, Random r) {
    try {
      ElfReader.Data d = ElfReader.read(ByteSource.of(b));
      List<Integer> targets = new ArrayList<>();
      for (int i = 0; i < d.sectionHeaders().size(); i++) {
        long type = d.sectionHeaders().get(i).type();
        for (long t : SYMBOL_SECTIONS) {
          if (type == t) {
            targets.add(i);
          }
        }
      }
      if (targets.isEmpty()) {
        return;
      }
      int index = targets.get(r.nextInt(targets.size()));
      SectionHeader s = d.sectionHeaders().get(index);
      boolean is64 = d.elfClass() == 64;
      ByteBuffer h = ByteBuffer.wrap(b).order(d.order());
      long shoff = is64 ? h.getLong(40) : h.getInt(32) & 0xffffffffL;
      int shentsize = h.getShort(is64 ? 58 : 46) & 0xffff;
      if (r.nextInt(3) == 0) {
        int[] fields = is64 ? new int[] {24, 32, 40, 44, 56} : new int[] {16, 20, 24, 28, 36};
        long at = shoff + (long) index * shentsize + fields[r.nextInt(fields.length)];
        if (at >= 0 && at + 8 <= b.length) {
          putValue(b, (int) at, r);
        }
      } else if (s.size() > 0 && s.offset() >= 0 && s.offset() < b.length) {
        long at = s.offset() + (r.nextLong() & Long.MAX_VALUE) % Math.min(s.size(), b.length - s.offset());
        putValue(b, (int) at, r);
      }
    } catch (Defect e) {
      // already broken: nothing to aim at
    }
  }

  @Test
  void handMadeEdgeCasesAreRejectedWithTheirDefect() throws Exception {
    Map<String, byte[]> cases = new LinkedHashMap<>();
    cases.put("empty", new byte[0]);
    cases.put("text", "just some text\n".getBytes(StandardCharsets.UTF_8));
    cases.put("magic only", new byte[] {0x7f, 'E', 'L', 'F'});
    byte[] elf64 = TestElf.create().needed("libc.so.6").build();
    cases.put("header only", Arrays.copyOf(elf64, 64));
    byte[] shPastEnd = elf64.clone();
    ByteBuffer.wrap(shPastEnd).order(ByteOrder.LITTLE_ENDIAN).putLong(40, elf64.length - 10);
    cases.put("section table past end", shPastEnd);
    byte[] phHuge = elf64.clone();
    ByteBuffer.wrap(phHuge).order(ByteOrder.LITTLE_ENDIAN).putLong(32, Long.MAX_VALUE);
    cases.put("program headers at a huge offset", phHuge);
    byte[] badClass = elf64.clone();
    badClass[4] = 7;
    cases.put("class 7", badClass);
    byte[] badShstrndx = elf64.clone();
    ByteBuffer.wrap(badShstrndx).order(ByteOrder.LITTLE_ENDIAN).putShort(62, (short) 40);
    cases.put("shstrndx out of range", badShstrndx);

    Map<String, String> defects = new LinkedHashMap<>();
    for (Map.Entry<String, byte[]> c : cases.entrySet()) {
      Path file = dir.resolve(c.getKey().replace(' ', '-'));
      Files.write(file, c.getValue());
      assertThatThrownBy(() -> ElfFile.read(file)).isInstanceOfSatisfying(ElfFormatException.class,
          e -> defects.put(c.getKey(), e.defect())).hasMessageStartingWith(file.toAbsolutePath().toString());
    }
    assertThat(defects).containsExactly(
        Map.entry("empty", "the file is empty"),
        Map.entry("text", "it starts with bytes 6a757374 instead of the ELF magic 7f454c46"),
        Map.entry("magic only", "the file ends inside the ELF identification (4 bytes)"),
        Map.entry("header only", "program header table (2 entries of 56 bytes) is larger than the whole file (64 bytes)"),
        Map.entry("section table past end", "section header table (4 entries of 64 bytes) (offset 0x" + Integer.toHexString(elf64.length - 10)
            + ", 256 bytes) extends past the end of the file (" + elf64.length + " bytes)"),
        Map.entry("program headers at a huge offset", "program header table (2 entries of 56 bytes) (offset 0x7fffffffffffffff, 112 bytes) extends past the end of the file (" + elf64.length + " bytes)"),
        Map.entry("class 7", "unknown ELF class 7 in e_ident[EI_CLASS] (expected 1 for 32-bit or 2 for 64-bit)"),
        Map.entry("shstrndx out of range", "e_shstrndx 40 names no section (there are 4)"));
  }

  @Test
  void aBigEndianElf32IsReadNotRejected() throws Exception {
    Path file = dir.resolve("be32");
    Files.write(file, TestElf.create().elf32().bigEndian().machine(22).needed("libc.so.6").build());
    ElfFile elf = ElfFile.read(file);
    assertThat(elf.platform()).hasToString("linux/s390");
    assertThat(elf.neededLibraries()).containsExactly("libc.so.6");
  }
}
