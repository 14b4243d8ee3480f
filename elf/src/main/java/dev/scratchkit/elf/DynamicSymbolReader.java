package dev.scratchkit.elf;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the dynamic symbol table ({@code .dynsym}) with its string table and the GNU version
 * tables ({@code .gnu.version}, {@code .gnu.version_r}, {@code .gnu.version_d}). Every table is
 * checked against the file before it is read, every chained list is bounded by its section's
 * size, and the total length of the names made is bounded by the string table's size, so
 * overlapping or unterminated names cannot make memory or time grow past a multiple of the file.
 */
final class DynamicSymbolReader {

  static final long SHT_GNU_VERDEF = 0x6ffffffdL;
  static final long SHT_GNU_VERNEED = 0x6ffffffeL;
  static final long SHT_GNU_VERSYM = 0x6fffffffL;

  private static final int VERSYM_HIDDEN = 0x8000;
  private static final int VERSYM_VERSION = 0x7fff;

  /** What the table holds: undefined symbols and defined non-local ones, in table order. */
  record Symbols(List<DynamicSymbol> imported, List<DynamicSymbol> exported) {
    static final Symbols NONE = new Symbols(List.of(), List.of());
  }

  private DynamicSymbolReader() {}

  static Symbols read(ByteSource src, ElfReader.Data elf) {
    List<SectionHeader> sections = elf.sectionHeaders();
    int symtabIndex = -1;
    for (int i = 0; i < sections.size(); i++) {
      if (sections.get(i).type() == SectionHeader.SHT_DYNSYM) {
        symtabIndex = i;
        break;
      }
    }
    if (symtabIndex < 0) {
      return Symbols.NONE;
    }
    SectionHeader symtab = sections.get(symtabIndex);
    String what = "the dynamic symbol table (" + label(symtab, symtabIndex) + ")";
    boolean is64 = elf.elfClass() == 64;
    int entrySize = is64 ? 24 : 16;
    if (!symtab.hasFileContent()) {
      throw new Defect(what + " has no bytes in the file (SHT_NOBITS)");
    }
    if (symtab.entrySize() != 0 && symtab.entrySize() != entrySize) {
      throw new Defect(what + " has entries of " + ByteSource.unsigned(symtab.entrySize())
          + " bytes; ELF" + elf.elfClass() + " symbols are " + entrySize + " bytes");
    }
    src.checkRange(what, symtab.offset(), symtab.size());
    long entries = symtab.size() / entrySize;
    if (entries <= 1) {
      return Symbols.NONE;
    }
    if (entries > (Integer.MAX_VALUE - 16) / entrySize) {
      throw new Defect(what + " is too large to read (" + entries + " symbols)");
    }
    int count = (int) entries;
    Map<Long, Strings> tables = new HashMap<>();
    Strings names = strings(src, sections, symtab.link(), "the string table of " + what, tables);

    int[] versions = versionIndexes(src, elf, sections, symtabIndex, count);
    Map<Integer, String> needed = new HashMap<>();
    Map<Integer, String> definedVersions = new HashMap<>();
    if (versions != null) {
      for (int i = 0; i < sections.size(); i++) {
        SectionHeader s = sections.get(i);
        if (s.type() == SHT_GNU_VERNEED && needed.isEmpty()) {
          readVerneed(src, elf, sections, i, needed, tables);
        } else if (s.type() == SHT_GNU_VERDEF && definedVersions.isEmpty()) {
          readVerdef(src, elf, sections, i, definedVersions, tables);
        }
      }
    }

    ElfReader.Fields t = new ElfReader.Fields(src.bytes(what, symtab.offset(), (long) count * entrySize),
        elf.order(), is64);
    List<DynamicSymbol> imported = new ArrayList<>();
    List<DynamicSymbol> exported = new ArrayList<>();
    for (int i = 1; i < count; i++) {
      int at = i * entrySize;
      long nameIndex = t.u32(at);
      int info = t.u8(at + (is64 ? 4 : 12));
      int shndx = t.u16(at + (is64 ? 6 : 14));
      boolean defined = shndx != 0;
      DynamicSymbol.Binding binding = DynamicSymbol.Binding.of(info >>> 4);
      if (defined && binding == DynamicSymbol.Binding.LOCAL) {
        continue;
      }
      String name = names.get(nameIndex);
      if (name.isEmpty()) {
        continue;
      }
      Optional<String> version = Optional.empty();
      boolean hidden = false;
      if (versions != null) {
        int raw = versions[i];
        int index = raw & VERSYM_VERSION;
        if (index > 1) {
          // As readelf: a definition's version comes from .gnu.version_d, an import's from .gnu.version_r.
          // A definition with a needed version is a copy relocation in a program: readelf prints
          // it name@VERSION, as a hidden one. A version's own marker symbol (its name) has none.
          String found = defined && raw != 0x8001 ? definedVersions.get(index) : null;
          if (found != null) {
            hidden = (raw & VERSYM_HIDDEN) != 0;
            if (found.equals(name)) {
              found = null;
            }
          } else {
            found = needed.get(index);
            hidden = defined;
          }
          version = Optional.ofNullable(found).filter(v -> !v.isEmpty());
          if (version.isEmpty()) {
            hidden = false;
          }
        }
      }
      DynamicSymbol symbol = new DynamicSymbol(name, version, hidden, defined,
          DynamicSymbol.Type.of(info & 0xf), binding);
      (defined ? exported : imported).add(symbol);
    }
    return new Symbols(List.copyOf(imported), List.copyOf(exported));
  }

  private static String label(SectionHeader s, int index) {
    return (s.name().isEmpty() ? "" : s.name() + ", ") + "section " + index;
  }

  /** The .gnu.version entries, one per symbol; null if the file has none. */
  private static int[] versionIndexes(ByteSource src, ElfReader.Data elf, List<SectionHeader> sections,
      int symtabIndex, int count) {
    int found = -1;
    for (int i = 0; i < sections.size(); i++) {
      SectionHeader s = sections.get(i);
      if (s.type() == SHT_GNU_VERSYM && (found < 0 || s.link() == symtabIndex)) {
        found = i;
        if (s.link() == symtabIndex) {
          break;
        }
      }
    }
    if (found < 0) {
      return null;
    }
    SectionHeader s = sections.get(found);
    String what = "the symbol version table (" + label(s, found) + ")";
    if (!s.hasFileContent()) {
      throw new Defect(what + " has no bytes in the file (SHT_NOBITS)");
    }
    src.checkRange(what, s.offset(), s.size());
    if (s.size() / 2 < count) {
      throw new Defect(what + " has " + s.size() / 2 + " entries for " + count + " dynamic symbols");
    }
    ElfReader.Fields f = new ElfReader.Fields(src.bytes(what, s.offset(), 2L * count), elf.order(), false);
    int[] out = new int[count];
    for (int i = 0; i < count; i++) {
      out[i] = f.u16(2 * i);
    }
    return out;
  }

  /** Version index to name from .gnu.version_r (Elf_Verneed entries, each with Elf_Vernaux entries). */
  private static void readVerneed(ByteSource src, ElfReader.Data elf, List<SectionHeader> sections,
      int index, Map<Integer, String> out, Map<Long, Strings> tables) {
    SectionHeader s = sections.get(index);
    String what = "the needed-versions table (" + label(s, index) + ")";
    byte[] bytes = sectionBytes(src, s, what);
    ElfReader.Fields f = new ElfReader.Fields(bytes, elf.order(), false);
    Strings strings = strings(src, sections, s.link(), "the string table of " + what, tables);
    long entries = s.info();
    long budget = bytes.length / 16;
    if (entries > budget) {
      throw new Defect(what + " claims " + ByteSource.unsigned(entries) + " entries (sh_info) but holds at most "
          + budget);
    }
    long at = 0;
    for (long n = 0; n < entries; n++) {
      checkEntry(what, "Elf_Verneed", at, 16, bytes.length);
      int auxCount = f.u16((int) at + 2);
      long aux = at + f.u32((int) at + 8);
      for (int j = 0; j < auxCount; j++) {
        checkEntry(what, "Elf_Vernaux", aux, 16, bytes.length);
        if (--budget < 0) {
          throw new Defect(what + " chains more entries than it can hold (a loop in vn_next/vna_next?)");
        }
        int other = f.u16((int) aux + 6);
        out.putIfAbsent(other, strings.get(f.u32((int) aux + 8)));
        long next = f.u32((int) aux + 12);
        if (next == 0) {
          break;
        }
        aux += next;
      }
      long next = f.u32((int) at + 12);
      if (next == 0) {
        break;
      }
      at += next;
    }
  }

  /** Version index to name from .gnu.version_d (Elf_Verdef entries; the first Elf_Verdaux is the name). */
  private static void readVerdef(ByteSource src, ElfReader.Data elf, List<SectionHeader> sections,
      int index, Map<Integer, String> out, Map<Long, Strings> tables) {
    SectionHeader s = sections.get(index);
    String what = "the defined-versions table (" + label(s, index) + ")";
    byte[] bytes = sectionBytes(src, s, what);
    ElfReader.Fields f = new ElfReader.Fields(bytes, elf.order(), false);
    Strings strings = strings(src, sections, s.link(), "the string table of " + what, tables);
    long entries = s.info();
    long budget = bytes.length / 20;
    if (entries > budget) {
      throw new Defect(what + " claims " + ByteSource.unsigned(entries) + " entries (sh_info) but holds at most "
          + budget);
    }
    long at = 0;
    for (long n = 0; n < entries; n++) {
      checkEntry(what, "Elf_Verdef", at, 20, bytes.length);
      int versionIndex = f.u16((int) at + 4);
      int auxCount = f.u16((int) at + 6);
      if (auxCount > 0) {
        long aux = at + f.u32((int) at + 12);
        checkEntry(what, "Elf_Verdaux", aux, 8, bytes.length);
        out.putIfAbsent(versionIndex, strings.get(f.u32((int) aux)));
      }
      long next = f.u32((int) at + 16);
      if (next == 0) {
        break;
      }
      at += next;
    }
  }

  private static void checkEntry(String what, String entry, long at, int size, int length) {
    if (at < 0 || at > length - size) {
      throw new Defect(what + ": an " + entry + " entry at offset " + ByteSource.hex(at)
          + " lies outside the section (" + length + " bytes)");
    }
  }

  private static byte[] sectionBytes(ByteSource src, SectionHeader s, String what) {
    if (!s.hasFileContent()) {
      throw new Defect(what + " has no bytes in the file (SHT_NOBITS)");
    }
    return src.bytes(what, s.offset(), s.size());
  }

  /** The string table section {@code link}, read once per symbol table. */
  private static Strings strings(ByteSource src, List<SectionHeader> sections, long link, String what,
      Map<Long, Strings> tables) {
    Strings known = tables.get(link);
    if (known != null) {
      return known;
    }
    if (link <= 0 || link >= sections.size()) {
      throw new Defect(what + " is section " + ByteSource.unsigned(link) + " (sh_link), which does not exist"
          + " (there are " + sections.size() + ")");
    }
    SectionHeader s = sections.get((int) link);
    String named = "the string table (" + label(s, (int) link) + ")";
    if (s.type() != SectionHeader.SHT_STRTAB) {
      throw new Defect(what + " (" + label(s, (int) link) + ") is not a string table (type "
          + ByteSource.hex(s.type()) + ")");
    }
    Strings table = new Strings(named, sectionBytes(src, s, named));
    tables.put(link, table);
    return table;
  }

  /**
   * A string table held in memory with the positions of its NULs, so each string's end is found
   * by a binary search instead of a scan; the names made may total at most four times the
   * table's size (plus 1 MiB), which real tables (with shared suffixes) never approach.
   */
  private static final class Strings {
    private final String what;
    private final byte[] bytes;
    private final int[] nuls;
    private long budget;

    Strings(String what, byte[] bytes) {
      this.what = what;
      this.bytes = bytes;
      int n = 0;
      for (byte b : bytes) {
        if (b == 0) {
          n++;
        }
      }
      nuls = new int[n];
      int k = 0;
      for (int i = 0; i < bytes.length; i++) {
        if (bytes[i] == 0) {
          nuls[k++] = i;
        }
      }
      budget = 4L * bytes.length + (1 << 20);
    }

    String get(long index) {
      if (index < 0 || index >= bytes.length) {
        throw new Defect("string index " + ByteSource.unsigned(index) + " is outside " + what + " ("
            + bytes.length + " bytes)");
      }
      int start = (int) index;
      int found = Arrays.binarySearch(nuls, start);
      int slot = found >= 0 ? found : -found - 1;
      if (slot >= nuls.length) {
        throw new Defect("the string at index " + index + " of " + what + " runs to the end of the table"
            + " without a terminating NUL");
      }
      int length = nuls[slot] - start;
      budget -= length;
      if (budget < 0) {
        throw new Defect("the symbol names of " + what + " overlap so much that they total more than four"
            + " times the table's size (" + bytes.length + " bytes)");
      }
      return new String(bytes, start, length, StandardCharsets.UTF_8);
    }
  }
}
