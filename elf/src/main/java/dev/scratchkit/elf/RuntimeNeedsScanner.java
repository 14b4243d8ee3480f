package dev.scratchkit.elf;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Finds evidence that a program needs CA certificates, time zone data or the user database:
 * the libraries it needs, the C functions it imports (or contains, when static), and for Go
 * programs the function names in the Go function table ({@code .gopclntab}), which stripped
 * binaries keep because the Go runtime needs it.
 */
final class RuntimeNeedsScanner {

  private static final List<String> TLS_LIBRARIES = List.of("libssl.so", "libcrypto.so",
      "libgnutls.so", "libnss3.so", "libmbedtls.so", "libmbedx509.so", "libwolfssl.so", "libcurl.so",
      "libcurl-gnutls.so", "libcurl-nss.so");
  private static final List<String> TLS_FUNCTIONS = List.of("SSL_CTX_set_default_verify_paths",
      "X509_STORE_set_default_paths", "SSL_CTX_load_verify_locations",
      "gnutls_certificate_set_x509_system_trust");
  private static final List<String> USER_FUNCTIONS = List.of("getpwnam", "getpwnam_r", "getpwuid",
      "getpwuid_r", "getgrnam", "getgrnam_r", "getgrgid", "getgrgid_r", "getpwent", "getgrent",
      "getgrouplist", "initgroups", "getspnam");

  private static final byte[] GO_X509_LOAD = bytes("crypto/x509.loadSystemRoots");
  private static final byte[] GO_X509_INIT = bytes("crypto/x509.initSystemRoots");
  private static final byte[] GO_LOAD_LOCATION = bytes("time.LoadLocation");
  private static final byte[] GO_TZDATA = bytes("time/tzdata.");
  private static final byte[] GO_OS_USER = bytes("os/user.");
  /** The os/user functions named as evidence, most telling first. */
  private static final List<String> GO_USER_FUNCTIONS = List.of("os/user.Lookup", "os/user.LookupId",
      "os/user.LookupGroup", "os/user.LookupGroupId", "os/user.Current");

  private static final long PCLNTAB_GO12 = 0xfffffffbL;
  private static final long PCLNTAB_GO116 = 0xfffffffaL;
  private static final long PCLNTAB_GO118 = 0xfffffff0L;
  private static final long PCLNTAB_GO120 = 0xfffffff1L;

  private RuntimeNeedsScanner() {}

  static boolean isGo(ElfReader.Data elf, Optional<GoBuildInfo> go) {
    return go.isPresent() || elf.section(".gopclntab") != null || elf.section(".note.go.buildid") != null
        || elf.section(".data.rel.ro.gopclntab") != null;
  }

  static List<RuntimeNeed> scan(ByteSource src, ElfReader.Data elf, Optional<GoBuildInfo> go) {
    List<RuntimeNeed> needs = new ArrayList<>();
    if (isGo(elf, go)) {
      goNeeds(src, elf, needs);
    }
    for (String lib : elf.needed()) {
      for (String prefix : TLS_LIBRARIES) {
        if (lib.startsWith(prefix)) {
          needs.add(new RuntimeNeed(RuntimeNeed.Kind.CA_CERTIFICATES, "needs " + lib));
        }
      }
    }
    symbolNeeds(src, elf, needs);
    needs.sort((a, b) -> a.kind().compareTo(b.kind()));
    return List.copyOf(needs);
  }

  // ---- C functions: imports in .dynsym, or definitions in .symtab of a static executable ----

  private static void symbolNeeds(ByteSource src, ElfReader.Data elf, List<RuntimeNeed> needs) {
    boolean staticProgram = elf.interpreter() == null && elf.needed().isEmpty()
        && (elf.type() == 2 || elf.type() == 3);
    Set<String> imported = new LinkedHashSet<>();
    Set<String> contained = new LinkedHashSet<>();
    for (SectionHeader s : elf.sectionHeaders()) {
      if (s.type() == SectionHeader.SHT_DYNSYM) {
        findSymbols(src, elf, s, true, imported);
      } else if (s.type() == SectionHeader.SHT_SYMTAB && staticProgram) {
        findSymbols(src, elf, s, false, contained);
      }
    }
    report(needs, RuntimeNeed.Kind.CA_CERTIFICATES, TLS_FUNCTIONS, imported, contained);
    report(needs, RuntimeNeed.Kind.USER_DATABASE, USER_FUNCTIONS, imported, contained);
  }

  private static void report(List<RuntimeNeed> needs, RuntimeNeed.Kind kind, List<String> functions,
      Set<String> imported, Set<String> contained) {
    List<String> imports = functions.stream().filter(imported::contains).toList();
    if (!imports.isEmpty()) {
      needs.add(new RuntimeNeed(kind, "imports " + String.join(", ", imports)));
    }
    List<String> contains = functions.stream().filter(contained::contains).toList();
    if (!contains.isEmpty()) {
      needs.add(new RuntimeNeed(kind, "contains " + String.join(", ", contains) + " (statically linked)"));
    }
  }

  /**
   * Adds the target function names that the symbol table {@code table} imports (undefined) or
   * defines. First the string table is scanned for the names (so the symbols are only read when
   * a name is there at all), then the symbols whose name offset hits one of them are checked.
   */
  private static void findSymbols(ByteSource src, ElfReader.Data elf, SectionHeader table,
      boolean undefined, Set<String> found) {
    List<SectionHeader> sections = elf.sectionHeaders();
    if (table.link() <= 0 || table.link() >= sections.size()) {
      return;
    }
    SectionHeader strtab = sections.get((int) table.link());
    if (!strtab.hasFileContent() || !src.contains(strtab.offset(), strtab.size())
        || !table.hasFileContent() || !src.contains(table.offset(), table.size())) {
      return;
    }
    List<String> targets = new ArrayList<>(TLS_FUNCTIONS);
    targets.addAll(USER_FUNCTIONS);
    byte[][] names = new byte[targets.size()][];
    for (int i = 0; i < names.length; i++) {
      names[i] = bytes(targets.get(i));
    }
    Map<Long, String> byOffset = new HashMap<>();
    NulScanner.scan(src, "the string table " + strtab.name(), strtab.offset(), strtab.size(),
        (buf, from, nul, complete, nulOffset) -> {
          for (int i = 0; i < names.length; i++) {
            if (NulScanner.endsWith(buf, from, nul, names[i])) {
              byOffset.put(nulOffset - names[i].length, targets.get(i));
            }
          }
        });
    if (byOffset.isEmpty()) {
      return;
    }
    boolean is64 = elf.elfClass() == 64;
    int entrySize = is64 ? 24 : 16;
    long count = table.size() / entrySize;
    long perChunk = Math.max(1, (1 << 20) / entrySize);
    for (long first = 0; first < count; first += perChunk) {
      long n = Math.min(perChunk, count - first);
      ElfReader.Fields f = new ElfReader.Fields(
          src.bytes("the symbol table " + table.name(), table.offset() + first * entrySize, n * entrySize),
          elf.order(), is64);
      for (int i = 0; i < n; i++) {
        int at = i * entrySize;
        long name = f.u32(at);
        String target = byOffset.get(name);
        if (target == null) {
          continue;
        }
        int shndx = f.u16(at + (is64 ? 6 : 14));
        int kind = f.u8(at + (is64 ? 4 : 12)) & 0xf;
        if (undefined ? shndx == 0 : shndx != 0 && (kind == 2 || kind == 10)) {
          found.add(target);
        }
      }
    }
  }

  // ---- Go: function names in the pclntab ----

  private static void goNeeds(ByteSource src, ElfReader.Data elf, List<RuntimeNeed> needs) {
    long[] names = funcNameRegion(src, elf);
    if (names == null) {
      return;
    }
    String[] x509 = new String[1];
    boolean[] loadLocation = new boolean[1];
    boolean[] tzdata = new boolean[1];
    Set<String> osUser = new LinkedHashSet<>();
    NulScanner.scan(src, "the Go function name table", names[0], names[1],
        (buf, from, nul, complete, nulOffset) -> {
          if (!complete) {
            return;
          }
          if (x509[0] == null && (equals(buf, from, nul, GO_X509_LOAD) || equals(buf, from, nul, GO_X509_INIT))) {
            x509[0] = new String(buf, from, nul - from, StandardCharsets.UTF_8);
          } else if (equals(buf, from, nul, GO_LOAD_LOCATION)) {
            loadLocation[0] = true;
          } else if (NulScanner.startsWith(buf, from, nul, GO_TZDATA)) {
            tzdata[0] = true;
          } else if (NulScanner.startsWith(buf, from, nul, GO_OS_USER)) {
            if (osUser.size() < 64) {
              osUser.add(new String(buf, from, nul - from, StandardCharsets.UTF_8));
            }
          }
        });
    if (x509[0] != null) {
      needs.add(new RuntimeNeed(RuntimeNeed.Kind.CA_CERTIFICATES,
          "Go package crypto/x509 (root CA loading: " + x509[0] + ")"));
    }
    if (loadLocation[0] && !tzdata[0]) {
      needs.add(new RuntimeNeed(RuntimeNeed.Kind.TIMEZONE_DATA,
          "Go time.LoadLocation without embedded time/tzdata"));
    }
    if (!osUser.isEmpty()) {
      String shown = GO_USER_FUNCTIONS.stream().filter(osUser::contains).findFirst()
          .orElse(osUser.iterator().next());
      needs.add(new RuntimeNeed(RuntimeNeed.Kind.USER_DATABASE, "Go package os/user (" + shown + ")"));
    }
  }

  private static boolean equals(byte[] buf, int from, int nul, byte[] t) {
    return nul - from == t.length && NulScanner.startsWith(buf, from, nul, t);
  }

  /** {offset, length} of the function names in the file, or null if there is no pclntab. */
  private static long[] funcNameRegion(ByteSource src, ElfReader.Data elf) {
    for (String name : List.of(".gopclntab", ".data.rel.ro.gopclntab")) {
      SectionHeader s = elf.section(name);
      if (s != null && s.hasFileContent() && src.contains(s.offset(), s.size())) {
        return namesIn(src, elf, s.offset(), s.size(), true);
      }
    }
    // No section headers (or renamed sections): look for a pclntab header in the segments.
    for (ProgramHeader p : elf.programHeaders()) {
      if (p.type() != ProgramHeader.PT_LOAD || (p.flags() & ProgramHeader.PF_X) != 0
          || !src.contains(p.offset(), p.fileSize())) {
        continue;
      }
      long found = findPclntab(src, elf, p.offset(), p.fileSize());
      if (found >= 0) {
        return namesIn(src, elf, found, p.offset() + p.fileSize() - found, false);
      }
    }
    return null;
  }

  /** The function-name table inside a pclntab at [offset, offset + size), or the whole pclntab. */
  private static long[] namesIn(ByteSource src, ElfReader.Data elf, long offset, long size, boolean exactSize) {
    if (size < 16) {
      return null;
    }
    ElfReader.Fields h = new ElfReader.Fields(src.bytes("the Go pclntab header", offset, Math.min(size, 72)),
        elf.order(), false);
    long magic = h.u32(0);
    int ptrSize = h.u8(7);
    if (h.u8(4) != 0 || h.u8(5) != 0 || (ptrSize != 4 && ptrSize != 8)) {
      return exactSize ? new long[] {offset, size} : null;
    }
    int nameSlot;
    if (magic == PCLNTAB_GO116) {
      nameSlot = 2;
    } else if (magic == PCLNTAB_GO118 || magic == PCLNTAB_GO120) {
      nameSlot = 3;
    } else {
      return exactSize && magic == PCLNTAB_GO12 ? new long[] {offset, size} : null;
    }
    int at = 8 + nameSlot * ptrSize;
    if (at + 2 * ptrSize > Math.min(size, 72)) {
      return null;
    }
    long nameOffset = ptrSize == 8 ? h.u64(at) : h.u32(at);
    long cuOffset = ptrSize == 8 ? h.u64(at + ptrSize) : h.u32(at + ptrSize);
    if (nameOffset > 0 && nameOffset < cuOffset && cuOffset <= size) {
      return new long[] {offset + nameOffset, cuOffset - nameOffset};
    }
    return exactSize ? new long[] {offset, size} : null;
  }

  /** Offset of the first plausible Go 1.16+ pclntab header in a segment, or -1. */
  private static long findPclntab(ByteSource src, ElfReader.Data elf, long offset, long size) {
    ByteBuffer scratch = src.scratch(size);
    byte[] buf = scratch.array();
    boolean little = elf.order() == java.nio.ByteOrder.LITTLE_ENDIAN;
    long position = 0;
    while (true) {
      int n = (int) Math.min(buf.length, size - position);
      scratch.clear().limit(n);
      src.read(offset + position, scratch);
      for (int i = 0; i + 8 <= n; i += 4) {
        int b0 = buf[i + (little ? 0 : 3)] & 0xff;
        if (b0 < 0xf0 || b0 == 0xfb || (buf[i + 1] & 0xff) != 0xff || (buf[i + 2] & 0xff) != 0xff
            || (buf[i + (little ? 3 : 0)] & 0xff) != 0xff) {
          continue;
        }
        if (buf[i + 4] == 0 && buf[i + 5] == 0 && (buf[i + 6] == 1 || buf[i + 6] == 2 || buf[i + 6] == 4)
            && (buf[i + 7] == 4 || buf[i + 7] == 8)) {
          long candidate = offset + position + i;
          if (namesIn(src, elf, candidate, offset + size - candidate, false) != null) {
            return candidate;
          }
        }
      }
      if (position + n >= size) {
        break;
      }
      position += n - 8;
    }
    return -1;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
