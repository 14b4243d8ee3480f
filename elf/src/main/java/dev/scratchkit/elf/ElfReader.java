package dev.scratchkit.elf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the ELF header, program headers, section headers and dynamic section. Every count and
 * offset is checked against the file size before it is used; a violation is a {@link Defect}.
 */
final class ElfReader {

  static final long DT_NULL = 0;
  static final long DT_NEEDED = 1;
  static final long DT_STRTAB = 5;
  static final long DT_STRSZ = 10;
  static final long DT_SONAME = 14;
  static final long DT_RPATH = 15;
  static final long DT_RUNPATH = 29;
  static final long DT_FLAGS_1 = 0x6ffffffbL;

  private static final int PN_XNUM = 0xffff;
  private static final int SHN_XINDEX = 0xffff;

  /** Everything the header, tables and dynamic section say. */
  record Data(int elfClass, ByteOrder order, int osAbi, int abiVersion, int type, int machine,
      long flags, long entry, List<ProgramHeader> programHeaders, List<SectionHeader> sectionHeaders,
      String interpreter, boolean dynamic, List<String> needed, String soname, String rpath,
      String runpath, long flags1) {

    ProgramHeader firstSegment(long type) {
      for (ProgramHeader p : programHeaders) {
        if (p.type() == type) {
          return p;
        }
      }
      return null;
    }

    SectionHeader section(String name) {
      for (SectionHeader s : sectionHeaders) {
        if (s.name().equals(name)) {
          return s;
        }
      }
      return null;
    }

    /** The PT_LOAD segment whose file image holds {@code address}, or null. */
    ProgramHeader loadSegmentOf(long address) {
      for (ProgramHeader p : programHeaders) {
        if (p.type() == ProgramHeader.PT_LOAD && p.mapsFileAddress(address)) {
          return p;
        }
      }
      return null;
    }
  }

  /** Little- or big-endian field access on a byte array read from the file. */
  static final class Fields {
    final ByteBuffer buffer;
    final boolean is64;

    Fields(byte[] bytes, ByteOrder order, boolean is64) {
      this.buffer = ByteBuffer.wrap(bytes).order(order);
      this.is64 = is64;
    }

    int u8(int at) {
      return buffer.get(at) & 0xff;
    }

    int u16(int at) {
      return buffer.getShort(at) & 0xffff;
    }

    long u32(int at) {
      return buffer.getInt(at) & 0xffffffffL;
    }

    long u64(int at) {
      return buffer.getLong(at);
    }

    /** A class-sized word: 4 bytes in ELF32, 8 in ELF64. */
    long word(int at) {
      return is64 ? u64(at) : u32(at);
    }
  }

  private ElfReader() {}

  static Data read(ByteSource src) {
    long size = src.size();
    if (size == 0) {
      throw new Defect("the file is empty");
    }
    byte[] ident = src.bytes("identification", 0, Math.min(size, 16));
    if (ident.length < 4 || ident[0] != 0x7f || ident[1] != 'E' || ident[2] != 'L' || ident[3] != 'F') {
      throw new Defect(describeStart(src, ident));
    }
    if (ident.length < 16) {
      throw new Defect("the file ends inside the ELF identification (" + size + " bytes)");
    }
    int elfClass;
    switch (ident[4]) {
      case 1: elfClass = 32; break;
      case 2: elfClass = 64; break;
      default: throw new Defect("unknown ELF class " + (ident[4] & 0xff) + " in e_ident[EI_CLASS] (expected 1 for 32-bit or 2 for 64-bit)");
    }
    ByteOrder order;
    switch (ident[5]) {
      case 1: order = ByteOrder.LITTLE_ENDIAN; break;
      case 2: order = ByteOrder.BIG_ENDIAN; break;
      default: throw new Defect("unknown data encoding " + (ident[5] & 0xff) + " in e_ident[EI_DATA] (expected 1 for little-endian or 2 for big-endian)");
    }
    boolean is64 = elfClass == 64;
    int headerSize = is64 ? 64 : 52;
    if (size < headerSize) {
      throw new Defect("the file (" + size + " bytes) is shorter than an ELF" + elfClass + " header (" + headerSize + " bytes)");
    }
    Fields h = new Fields(src.bytes("ELF header", 0, headerSize), order, is64);
    int type = h.u16(16);
    int machine = h.u16(18);
    long entry = h.word(24);
    long phoff = h.word(is64 ? 32 : 28);
    long shoff = h.word(is64 ? 40 : 32);
    long flags = h.u32(is64 ? 48 : 36);
    int phentsize = h.u16(is64 ? 54 : 42);
    int phnum = h.u16(is64 ? 56 : 44);
    int shentsize = h.u16(is64 ? 58 : 46);
    int shnum = h.u16(is64 ? 60 : 48);
    int shstrndx = h.u16(is64 ? 62 : 50);

    // Section 0 holds the real counts when they do not fit the header's 16-bit fields.
    long sectionCount = shnum;
    long phCount = phnum;
    long shstrIndex = shstrndx;
    int shdrSize = is64 ? 64 : 40;
    if (shoff != 0 && (shnum == 0 || shstrndx == SHN_XINDEX || phnum == PN_XNUM)) {
      if (shentsize < shdrSize) {
        throw new Defect("e_shentsize " + shentsize + " is smaller than a section header (" + shdrSize + " bytes)");
      }
      Fields s0 = new Fields(src.bytes("section header 0", shoff, shdrSize), order, is64);
      if (shnum == 0) {
        sectionCount = s0.word(is64 ? 32 : 20);
      }
      if (shstrndx == SHN_XINDEX) {
        shstrIndex = s0.u32(is64 ? 40 : 24);
      }
      if (phnum == PN_XNUM) {
        phCount = s0.u32(is64 ? 44 : 28);
      }
    }

    List<ProgramHeader> phdrs = readProgramHeaders(src, order, is64, phoff, phentsize, phCount);
    List<SectionHeader> shdrs = readSectionHeaders(src, order, is64, shoff, shentsize, sectionCount, shstrIndex);

    String interpreter = null;
    ProgramHeader dynamicSegment = null;
    for (ProgramHeader p : phdrs) {
      if (p.type() == ProgramHeader.PT_INTERP && interpreter == null) {
        interpreter = readInterpreter(src, p);
      } else if (p.type() == ProgramHeader.PT_DYNAMIC && dynamicSegment == null) {
        dynamicSegment = p;
      }
    }
    Dynamic dyn = dynamicSegment == null ? Dynamic.NONE
        : readDynamic(src, order, is64, dynamicSegment, phdrs, shdrs);
    return new Data(elfClass, order, ident[7] & 0xff, ident[8] & 0xff, type, machine, flags, entry,
        phdrs, shdrs, interpreter, dynamicSegment != null, dyn.needed, dyn.soname, dyn.rpath,
        dyn.runpath, dyn.flags1);
  }

  private static String describeStart(ByteSource src, byte[] ident) {
    if (ident.length >= 2 && ident[0] == '#' && ident[1] == '!') {
      byte[] line = src.bytes("first line", 0, Math.min(src.size(), 80));
      int end = 0;
      while (end < line.length && line[end] != '\n' && line[end] != 0) {
        end++;
      }
      return "it is a script (\"" + new String(line, 0, end, StandardCharsets.UTF_8).strip()
          + "\"), which needs an interpreter program";
    }
    if (ident.length >= 7 && new String(ident, 0, 7, StandardCharsets.ISO_8859_1).equals("!<arch>")) {
      return "it is an ar archive (a static library), not an executable";
    }
    StringBuilder hex = new StringBuilder();
    for (int i = 0; i < Math.min(ident.length, 4); i++) {
      hex.append(String.format("%02x", ident[i] & 0xff));
    }
    return "it starts with bytes " + hex + " instead of the ELF magic 7f454c46";
  }

  private static List<ProgramHeader> readProgramHeaders(ByteSource src, ByteOrder order, boolean is64,
      long phoff, int phentsize, long count) {
    if (count == 0) {
      return List.of();
    }
    int entrySize = is64 ? 56 : 32;
    if (phentsize < entrySize) {
      throw new Defect("e_phentsize " + phentsize + " is smaller than a program header (" + entrySize + " bytes)");
    }
    String what = "program header table (" + count + " entries of " + phentsize + " bytes)";
    long length = checkedTableLength(src, what, count, phentsize);
    Fields t = new Fields(src.bytes(what, phoff, length), order, is64);
    List<ProgramHeader> out = new ArrayList<>((int) count);
    for (int i = 0; i < count; i++) {
      int at = i * phentsize;
      if (is64) {
        out.add(new ProgramHeader(t.u32(at), t.u32(at + 4), t.u64(at + 8), t.u64(at + 16),
            t.u64(at + 24), t.u64(at + 32), t.u64(at + 40), t.u64(at + 48)));
      } else {
        out.add(new ProgramHeader(t.u32(at), t.u32(at + 24), t.u32(at + 4), t.u32(at + 8),
            t.u32(at + 12), t.u32(at + 16), t.u32(at + 20), t.u32(at + 28)));
      }
    }
    return List.copyOf(out);
  }

  /** count × entry size, a defect if it cannot fit in the file at all. */
  private static long checkedTableLength(ByteSource src, String what, long count, long entrySize) {
    if (count < 0 || count > src.size() / Math.max(1, entrySize)) {
      throw new Defect(what + " is larger than the whole file (" + src.size() + " bytes)");
    }
    return count * entrySize;
  }

  private static List<SectionHeader> readSectionHeaders(ByteSource src, ByteOrder order, boolean is64,
      long shoff, int shentsize, long count, long shstrIndex) {
    if (shoff == 0 || count == 0) {
      return List.of();
    }
    int entrySize = is64 ? 64 : 40;
    if (shentsize < entrySize) {
      throw new Defect("e_shentsize " + shentsize + " is smaller than a section header (" + entrySize + " bytes)");
    }
    String what = "section header table (" + ByteSource.unsigned(count) + " entries of " + shentsize + " bytes)";
    long length = checkedTableLength(src, what, count, shentsize);
    Fields t = new Fields(src.bytes(what, shoff, length), order, is64);
    int n = (int) count;
    long[][] raw = new long[n][];
    for (int i = 0; i < n; i++) {
      int at = i * shentsize;
      raw[i] = is64
          ? new long[] {t.u32(at), t.u32(at + 4), t.u64(at + 8), t.u64(at + 16), t.u64(at + 24),
              t.u64(at + 32), t.u32(at + 40), t.u32(at + 44), t.u64(at + 48), t.u64(at + 56)}
          : new long[] {t.u32(at), t.u32(at + 4), t.u32(at + 8), t.u32(at + 12), t.u32(at + 16),
              t.u32(at + 20), t.u32(at + 24), t.u32(at + 28), t.u32(at + 32), t.u32(at + 36)};
    }
    StringTable names = null;
    if (shstrIndex != 0) {
      if (shstrIndex >= n) {
        throw new Defect("e_shstrndx " + shstrIndex + " names no section (there are " + n + ")");
      }
      long[] s = raw[(int) shstrIndex];
      if (s[1] == SectionHeader.SHT_NOBITS) {
        throw new Defect("the section-name string table (section " + shstrIndex + ") has no bytes in the file (SHT_NOBITS)");
      }
      names = new StringTable(src, "the section-name string table (section " + shstrIndex + ")", s[4], s[5]);
    }
    List<SectionHeader> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      long[] s = raw[i];
      String name = names == null || (i == 0 && s[0] == 0) ? "" : names.get(s[0]);
      out.add(new SectionHeader(name, s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9]));
    }
    return List.copyOf(out);
  }

  private static String readInterpreter(ByteSource src, ProgramHeader p) {
    String what = "PT_INTERP segment";
    byte[] bytes = src.bytes(what, p.offset(), p.fileSize());
    int end = 0;
    while (end < bytes.length && bytes[end] != 0) {
      end++;
    }
    if (end == 0) {
      throw new Defect("the PT_INTERP segment names no interpreter (it is empty)");
    }
    return new String(bytes, 0, end, StandardCharsets.UTF_8);
  }

  private record Dynamic(List<String> needed, String soname, String rpath, String runpath, long flags1) {
    static final Dynamic NONE = new Dynamic(List.of(), null, null, null, 0);
  }

  private static Dynamic readDynamic(ByteSource src, ByteOrder order, boolean is64, ProgramHeader seg,
      List<ProgramHeader> phdrs, List<SectionHeader> shdrs) {
    int entrySize = is64 ? 16 : 8;
    String what = "dynamic section (PT_DYNAMIC)";
    src.checkRange(what, seg.offset(), seg.fileSize());
    long count = seg.fileSize() / entrySize;
    Fields t = new Fields(src.bytes(what, seg.offset(), count * entrySize), order, is64);
    List<Long> neededIndexes = new ArrayList<>();
    long strtab = -1;
    long strsz = -1;
    long soname = -1;
    long rpath = -1;
    long runpath = -1;
    long flags1 = 0;
    for (int i = 0; i < count; i++) {
      int at = i * entrySize;
      long tag = is64 ? t.u64(at) : t.buffer.getInt(at);
      long value = t.word(at + (is64 ? 8 : 4));
      if (tag == DT_NULL) {
        break;
      } else if (tag == DT_NEEDED) {
        neededIndexes.add(value);
      } else if (tag == DT_STRTAB) {
        strtab = value;
      } else if (tag == DT_STRSZ) {
        strsz = value;
      } else if (tag == DT_SONAME) {
        soname = value;
      } else if (tag == DT_RPATH) {
        rpath = value;
      } else if (tag == DT_RUNPATH) {
        runpath = value;
      } else if (tag == DT_FLAGS_1) {
        flags1 = value;
      }
    }
    if (neededIndexes.isEmpty() && soname == -1 && rpath == -1 && runpath == -1) {
      return new Dynamic(List.of(), null, null, null, flags1);
    }
    StringTable strings = dynamicStrings(src, strtab, strsz, phdrs, shdrs);
    List<String> needed = new ArrayList<>(neededIndexes.size());
    for (long index : neededIndexes) {
      needed.add(strings.get(index));
    }
    return new Dynamic(List.copyOf(needed), soname == -1 ? null : strings.get(soname),
        rpath == -1 ? null : strings.get(rpath), runpath == -1 ? null : strings.get(runpath), flags1);
  }

  private static StringTable dynamicStrings(ByteSource src, long strtab, long strsz,
      List<ProgramHeader> phdrs, List<SectionHeader> shdrs) {
    String what = "the dynamic string table (DT_STRTAB)";
    if (strtab != -1) {
      for (ProgramHeader p : phdrs) {
        if (p.type() == ProgramHeader.PT_LOAD && p.mapsFileAddress(strtab)) {
          long offset = p.offset() + (strtab - p.virtualAddress());
          long inSegment = p.fileSize() - (strtab - p.virtualAddress());
          long size = strsz == -1 ? inSegment : strsz;
          return new StringTable(src, what, offset, size);
        }
      }
    }
    // No usable DT_STRTAB address: the .dynamic section's linked string table, as readelf does.
    for (SectionHeader s : shdrs) {
      if (s.type() == SectionHeader.SHT_DYNAMIC && s.link() > 0 && s.link() < shdrs.size()) {
        SectionHeader linked = shdrs.get((int) s.link());
        if (linked.type() == SectionHeader.SHT_STRTAB) {
          return new StringTable(src, "the dynamic string table (" + linked.name() + ")", linked.offset(), linked.size());
        }
      }
    }
    if (strtab == -1) {
      throw new Defect("the dynamic section has string entries (DT_NEEDED, DT_SONAME, …) but no DT_STRTAB");
    }
    throw new Defect("DT_STRTAB address " + ByteSource.hex(strtab) + " is not inside any loadable segment");
  }
}
