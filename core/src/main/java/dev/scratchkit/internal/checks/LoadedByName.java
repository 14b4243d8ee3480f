package dev.scratchkit.internal.checks;

import dev.scratchkit.elf.ElfException;
import dev.scratchkit.elf.ElfFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The evidence that an ELF file loads libraries by name at run time: it imports {@code dlopen}
 * (or {@code dlmopen}), and its read-only strings hold whole sonames ({@code libz.so.1},
 * {@code libfoo.so}) that no {@code DT_NEEDED} entry names. Both signs must be in the same file:
 * the import shows it can load a library, the literal name shows which.
 *
 * <p>What is no evidence: names built at run time from a format ({@code "libnss_%s.so.2"}: the
 * pattern admits no {@code %}), the strings of the C library's own files (glibc names the
 * libraries it loads itself: {@code libgcc_s.so.1} for the unwinder, which {@link UnwinderRule}
 * keys on the functions that make glibc load it, {@code libidn2.so.0} for IDN host names), the
 * names a file has in {@code DT_NEEDED} already, and its own soname. A program that names one of
 * glibc's libraries ({@code gdb} loads {@code libthread_db.so.1}) is evidence like any other.
 */
public final class LoadedByName {

  /** The functions that load a library by name. */
  public static final Set<String> FUNCTIONS = Set.of("dlopen", "dlmopen");
  /** A whole soname: {@code lib}, a name, {@code .so}, version numbers. */
  static final Pattern SONAME = Pattern.compile("lib[A-Za-z0-9_+-][A-Za-z0-9_+.-]*\\.so(\\.[0-9]+)*");

  private LoadedByName() {}

  /**
   * What a file shows.
   *
   * @param evidence e.g. "/app/plugin-host imports dlopen@GLIBC_2.34"
   * @param names the sonames among its strings, in file order
   */
  public record Evidence(String evidence, List<String> names) {
    /** Copies the names. */
    public Evidence {
      names = List.copyOf(names);
    }

    /** {@return the evidence line for one name, e.g. "/app/x imports dlopen@GLIBC_2.34 and names libz.so.1"} */
    public String of(String name) {
      return evidence + " and names " + name + " in its strings";
    }
  }

  /**
   * {@return the file's evidence, if it imports dlopen and names at least one library}
   *
   * @param file the file on this machine (to read its strings)
   * @param elf the same file, read
   * @param path its path in the image, for the message
   */
  public static Optional<Evidence> of(Path file, ElfFile elf, String path) {
    return of(elf, path, () -> ElfStrings.of(file, elf));
  }

  static Optional<Evidence> of(ElfFile elf, String path, java.util.function.Supplier<List<String>> strings) {
    if (CLibrary.isCLibrary(path)) {
      return Optional.empty();
    }
    Optional<String> imports = ImportEvidence.of(elf, path, FUNCTIONS);
    if (imports.isEmpty()) {
      return Optional.empty();
    }
    Optional<String> soname;
    List<String> needed;
    try {
      soname = elf.soname();
      needed = elf.neededLibraries();
    } catch (ElfException malformed) {
      return Optional.empty();
    }
    List<String> names = new ArrayList<>();
    for (String s : strings.get()) {
      if (SONAME.matcher(s).matches() && !needed.contains(s) && !soname.map(s::equals).orElse(false)
          && !names.contains(s)) {
        names.add(s);
      }
    }
    return names.isEmpty() ? Optional.empty() : Optional.of(new Evidence(imports.get(), names));
  }

  /** {@return the name up to {@code .so}: {@code libqrencode.so} for {@code libqrencode.so.4}} */
  static String stem(String soname) {
    int so = soname.lastIndexOf(".so");
    while (so > 0 && so + 3 < soname.length() && soname.charAt(so + 3) != '.') {
      so = soname.lastIndexOf(".so", so - 1);
    }
    return so > 0 ? soname.substring(0, so + 3) : soname;
  }

  /**
   * Groups the names a file gives into alternatives: names of one stem ({@code libqrencode.so.4},
   * {@code libqrencode.so.3}) are versions a program tries in turn, and any one of them will do.
   *
   * @param names in file order
   * @return each stem's names, in file order
   */
  public static java.util.Collection<List<String>> alternatives(List<String> names) {
    java.util.Map<String, List<String>> groups = new java.util.LinkedHashMap<>();
    for (String n : names) {
      groups.computeIfAbsent(stem(n), k -> new ArrayList<>()).add(n);
    }
    return groups.values();
  }
}
