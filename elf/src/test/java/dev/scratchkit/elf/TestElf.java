package dev.scratchkit.elf;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes small ELF files for tests: any class, byte order and machine, with an interpreter, a
 * dynamic section, named sections and a payload at file offset 0x1000 (virtual address
 * {@code base + 0x1000}). One PT_LOAD (read + write) maps the whole file at {@code base}.
 */
final class TestElf {

  static final int PAYLOAD_OFFSET = 0x1000;

  private int elfClass = 64;
  private ByteOrder order = ByteOrder.LITTLE_ENDIAN;
  private int machine = 62;
  private int type = 3;
  private int osAbi = 0;
  private long flags = 0;
  private long base = 0;
  private String interpreter;
  private final List<String> needed = new ArrayList<>();
  private String soname;
  private String rpath;
  private String runpath;
  private long flags1;
  private boolean dynamic;
  private byte[] payload;
  private final Map<String, long[]> sectionTypes = new LinkedHashMap<>();
  private final Map<String, byte[]> sections = new LinkedHashMap<>();
  private boolean sectionHeaders = true;

  static TestElf create() {
    return new TestElf();
  }

  TestElf elf32() {
    elfClass = 32;
    return this;
  }

  TestElf bigEndian() {
    order = ByteOrder.BIG_ENDIAN;
    return this;
  }

  TestElf machine(int m) {
    machine = m;
    return this;
  }

  TestElf type(int t) {
    type = t;
    return this;
  }

  TestElf osAbi(int abi) {
    osAbi = abi;
    return this;
  }

  TestElf flags(long f) {
    flags = f;
    return this;
  }

  TestElf base(long b) {
    base = b;
    return this;
  }

  TestElf interpreter(String i) {
    interpreter = i;
    return this;
  }

  TestElf needed(String... names) {
    needed.addAll(List.of(names));
    dynamic = true;
    return this;
  }

  TestElf soname(String s) {
    soname = s;
    dynamic = true;
    return this;
  }

  TestElf rpath(String s) {
    rpath = s;
    dynamic = true;
    return this;
  }

  TestElf runpath(String s) {
    runpath = s;
    dynamic = true;
    return this;
  }

  TestElf flags1(long f) {
    flags1 = f;
    dynamic = true;
    return this;
  }

  TestElf dynamic() {
    dynamic = true;
    return this;
  }

  TestElf payload(byte[] bytes) {
    payload = bytes;
    return this;
  }

  TestElf section(String name, long sectionType, byte[] content) {
    sections.put(name, content);
    sectionTypes.put(name, new long[] {sectionType});
    return this;
  }

  TestElf noSectionHeaders() {
    sectionHeaders = false;
    return this;
  }

  long payloadAddress() {
    return base + PAYLOAD_OFFSET;
  }

  byte[] build() {
    boolean is64 = elfClass == 64;
    int ehsize = is64 ? 64 : 52;
    int phentsize = is64 ? 56 : 32;
    int shentsize = is64 ? 64 : 40;
    int phnum = 1 + (interpreter != null ? 1 : 0) + (dynamic ? 1 : 0);

    ByteArrayOutputStream strings = new ByteArrayOutputStream();
    strings.write(0);
    Map<String, Integer> strIndex = new LinkedHashMap<>();
    List<String> all = new ArrayList<>(needed);
    for (String s : new String[] {soname, rpath, runpath}) {
      if (s != null) {
        all.add(s);
      }
    }
    for (String s : all) {
      strIndex.computeIfAbsent(s, k -> {
        int at = strings.size();
        strings.writeBytes(k.getBytes(StandardCharsets.UTF_8));
        strings.write(0);
        return at;
      });
    }
    byte[] dynstr = strings.toByteArray();

    // Layout: headers, interp, dynstr, dynamic, [payload at 0x1000], sections, shstrtab, shdrs.
    int at = ehsize + phnum * phentsize;
    int interpOffset = at;
    byte[] interp = interpreter == null ? new byte[0] : (interpreter + "\0").getBytes(StandardCharsets.UTF_8);
    at += interp.length;
    int dynstrOffset = align(at, 8);
    at = dynstrOffset + dynstr.length;
    int dynOffset = align(at, 8);
    List<long[]> dyn = new ArrayList<>();
    if (dynamic) {
      for (String n : needed) {
        dyn.add(new long[] {ElfReader.DT_NEEDED, strIndex.get(n)});
      }
      if (soname != null) {
        dyn.add(new long[] {ElfReader.DT_SONAME, strIndex.get(soname)});
      }
      if (rpath != null) {
        dyn.add(new long[] {ElfReader.DT_RPATH, strIndex.get(rpath)});
      }
      if (runpath != null) {
        dyn.add(new long[] {ElfReader.DT_RUNPATH, strIndex.get(runpath)});
      }
      dyn.add(new long[] {ElfReader.DT_STRTAB, base + dynstrOffset});
      dyn.add(new long[] {ElfReader.DT_STRSZ, dynstr.length});
      if (flags1 != 0) {
        dyn.add(new long[] {ElfReader.DT_FLAGS_1, flags1});
      }
      dyn.add(new long[] {0, 0});
    }
    int dynEntry = is64 ? 16 : 8;
    at = dynOffset + dyn.size() * dynEntry;
    if (payload != null) {
      if (at > PAYLOAD_OFFSET) {
        throw new IllegalStateException("headers too large for the payload offset");
      }
      at = PAYLOAD_OFFSET + payload.length;
    }
    Map<String, Integer> sectionOffsets = new LinkedHashMap<>();
    for (Map.Entry<String, byte[]> s : sections.entrySet()) {
      at = align(at, 8);
      sectionOffsets.put(s.getKey(), at);
      at += s.getValue().length;
    }
    ByteArrayOutputStream shstr = new ByteArrayOutputStream();
    shstr.write(0);
    Map<String, Integer> nameIndex = new LinkedHashMap<>();
    List<String> names = new ArrayList<>(sections.keySet());
    if (dynamic) {
      names.add(".dynstr");
      names.add(".dynamic");
    }
    names.add(".shstrtab");
    for (String n : names) {
      nameIndex.put(n, shstr.size());
      shstr.writeBytes(n.getBytes(StandardCharsets.UTF_8));
      shstr.write(0);
    }
    byte[] shstrtab = shstr.toByteArray();
    int shstrOffset = at;
    at += shstrtab.length;
    int shoff = align(at, 8);
    int shnum = sectionHeaders ? names.size() + 1 : 0;
    int size = shoff + shnum * shentsize;

    ByteBuffer b = ByteBuffer.allocate(size).order(order);
    b.put(new byte[] {0x7f, 'E', 'L', 'F', (byte) (is64 ? 2 : 1), (byte) (order == ByteOrder.LITTLE_ENDIAN ? 1 : 2), 1, (byte) osAbi});
    b.position(16);
    b.putShort((short) type).putShort((short) machine).putInt(1);
    word(b, base + 0x100); // entry
    word(b, ehsize); // phoff
    word(b, sectionHeaders ? shoff : 0);
    b.putInt((int) flags).putShort((short) ehsize).putShort((short) phentsize).putShort((short) phnum)
        .putShort((short) shentsize).putShort((short) shnum).putShort((short) (sectionHeaders ? names.size() : 0));
    b.position(ehsize);
    phdr(b, is64, ProgramHeader.PT_LOAD, ProgramHeader.PF_R | ProgramHeader.PF_W, 0, base, size, 0x1000);
    if (interpreter != null) {
      phdr(b, is64, ProgramHeader.PT_INTERP, ProgramHeader.PF_R, interpOffset, base + interpOffset, interp.length, 1);
    }
    if (dynamic) {
      phdr(b, is64, ProgramHeader.PT_DYNAMIC, ProgramHeader.PF_R | ProgramHeader.PF_W, dynOffset,
          base + dynOffset, (long) dyn.size() * dynEntry, 8);
    }
    b.position(interpOffset);
    b.put(interp);
    b.position(dynstrOffset);
    b.put(dynstr);
    b.position(dynOffset);
    for (long[] d : dyn) {
      word(b, d[0]);
      word(b, d[1]);
    }
    if (payload != null) {
      b.position(PAYLOAD_OFFSET);
      b.put(payload);
    }
    for (Map.Entry<String, byte[]> s : sections.entrySet()) {
      b.position(sectionOffsets.get(s.getKey()));
      b.put(s.getValue());
    }
    b.position(shstrOffset);
    b.put(shstrtab);
    if (sectionHeaders) {
      b.position(shoff);
      shdr(b, is64, 0, 0, 0, 0, 0, 0);
      for (Map.Entry<String, byte[]> s : sections.entrySet()) {
        int off = sectionOffsets.get(s.getKey());
        shdr(b, is64, nameIndex.get(s.getKey()), sectionTypes.get(s.getKey())[0], base + off, off, s.getValue().length, 0);
      }
      if (dynamic) {
        int dynstrIndex = sections.size() + 1;
        shdr(b, is64, nameIndex.get(".dynstr"), SectionHeader.SHT_STRTAB, base + dynstrOffset, dynstrOffset, dynstr.length, 0);
        shdr(b, is64, nameIndex.get(".dynamic"), SectionHeader.SHT_DYNAMIC, base + dynOffset, dynOffset,
            (long) dyn.size() * dynEntry, dynstrIndex);
      }
      shdr(b, is64, nameIndex.get(".shstrtab"), SectionHeader.SHT_STRTAB, 0, shstrOffset, shstrtab.length, 0);
    }
    return b.array();
  }

  private static int align(int n, int a) {
    return (n + a - 1) & -a;
  }

  private void word(ByteBuffer b, long v) {
    if (elfClass == 64) {
      b.putLong(v);
    } else {
      b.putInt((int) v);
    }
  }

  private void phdr(ByteBuffer b, boolean is64, long type, long flags, long offset, long vaddr, long size, long align) {
    if (is64) {
      b.putInt((int) type).putInt((int) flags).putLong(offset).putLong(vaddr).putLong(vaddr).putLong(size)
          .putLong(size).putLong(align);
    } else {
      b.putInt((int) type).putInt((int) offset).putInt((int) vaddr).putInt((int) vaddr).putInt((int) size)
          .putInt((int) size).putInt((int) flags).putInt((int) align);
    }
  }

  private void shdr(ByteBuffer b, boolean is64, int name, long type, long addr, long offset, long size, long link) {
    b.putInt(name).putInt((int) type);
    word(b, 0); // flags
    word(b, addr);
    word(b, offset);
    word(b, size);
    b.putInt((int) link).putInt(0);
    word(b, 1);
    word(b, 0);
  }

  /** Calls every accessor, as a user in JShell would. */
  static void callEveryAccessor(ElfFile elf) {
    elf.path();
    elf.elfClass();
    elf.byteOrder();
    elf.type();
    elf.machine().toString();
    elf.osAbi().toString();
    elf.entry();
    elf.flags();
    elf.programHeaders().forEach(ProgramHeader::toString);
    elf.sectionHeaders().forEach(SectionHeader::toString);
    elf.interpreter();
    elf.neededLibraries();
    elf.soname();
    elf.runPath();
    elf.rpath();
    elf.flags1();
    elf.linkage();
    elf.isSharedLibrary();
    elf.isExecutable();
    elf.platform().toString();
    elf.goBuildInfo().ifPresent(g -> {
      g.toString();
      g.cgoEnabled();
      g.goos();
      g.goarch();
    });
    elf.runtimeNeeds().forEach(RuntimeNeed::toString);
    elf.importedSymbols().forEach(DynamicSymbol::toString);
    elf.exportedSymbols().forEach(DynamicSymbol::toString);
    elf.toString();
  }
}
