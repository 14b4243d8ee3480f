package dev.scratchkit.elf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.testkit.Tools;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Oracle: for every ELF file under /usr/bin and the multiarch library directory,
 * {@link ElfFile#importedSymbols()} lists exactly the undefined ({@code UND}) entries of
 * {@code readelf --dyn-syms -W} (binutils), in order, name and version as readelf prints them
 * ({@code free@GLIBC_2.2.5}). readelf runs on many files per invocation, two at once.
 */
class ReadelfSymbolOracleTest {

  static final List<Path> DIRECTORIES = List.of(Path.of("/usr/bin"), Path.of("/usr/lib/x86_64-linux-gnu"));

  /** readelf's " (2)" after an import's version: the version index, not part of the name. */
  private static final Pattern ENTRY_NUMBER = Pattern.compile("\\d+:");
  private static final Pattern VERSION_INDEX = Pattern.compile(" \\(\\d+\\)$");

  @Test
  void importedSymbolsAgreeWithReadelfOnEveryElfFileOfTheSystem() throws Exception {
    Path readelf = Tools.require("readelf");
    List<Path> files = ReadelfOracleTest.elfFiles(DIRECTORIES);
    assertThat(files).as("ELF files under %s", DIRECTORIES).hasSizeGreaterThan(300);

    Map<Path, List<String>> oracle = Collections.synchronizedMap(new HashMap<>());
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<?>> jobs = new ArrayList<>();
      for (int i = 0; i < files.size(); i += 100) {
        List<Path> batch = files.subList(i, Math.min(files.size(), i + 100));
        jobs.add(pool.submit(() -> oracle.putAll(undefinedSymbols(readelf, batch))));
      }
      for (Future<?> job : jobs) {
        job.get();
      }
    } finally {
      pool.shutdown();
    }

    List<String> mismatches = new ArrayList<>();
    long symbols = 0;
    long versioned = 0;
    int withImports = 0;
    for (Path file : files) {
      List<String> expected = oracle.getOrDefault(file, List.of());
      List<String> actual;
      try {
        actual = ElfFile.read(file).importedSymbols().stream().map(DynamicSymbol::nameWithVersion).toList();
      } catch (ElfFormatException e) {
        mismatches.add(e.getMessage());
        continue;
      }
      if (!actual.equals(expected)) {
        mismatches.add(file + " (" + expected.size() + " imports by readelf, " + actual.size() + " by ElfFile)"
            + firstDifference(expected, actual));
      }
      symbols += expected.size();
      versioned += expected.stream().filter(s -> s.contains("@")).count();
      if (!expected.isEmpty()) {
        withImports++;
      }
    }
    System.out.printf("readelf symbol oracle: %d ELF files compared, %d with imports, %d imported symbols"
        + " (%d versioned), %d mismatches%n", files.size(), withImports, symbols, versioned, mismatches.size());
    assertThat(mismatches).as("files where importedSymbols() and readelf --dyn-syms disagree (of %d)",
        files.size()).isEmpty();
    assertThat(withImports).as("files with imported symbols").isGreaterThan(300);
    assertThat(versioned).as("versioned imports").isGreaterThan(10_000);
  }

  @Test
  void exportedSymbolsAgreeWithReadelfOnTheMultiarchLibraries() throws Exception {
    Path readelf = Tools.require("readelf");
    List<Path> files = ReadelfOracleTest.elfFiles(List.of(Path.of("/usr/lib/x86_64-linux-gnu")));
    List<String> mismatches = new ArrayList<>();
    long symbols = 0;
    long hidden = 0;
    for (int i = 0; i < files.size(); i += 100) {
      List<Path> batch = files.subList(i, Math.min(files.size(), i + 100));
      Map<Path, List<String>> oracle = symbols(readelf, batch, true);
      for (Path file : batch) {
        List<String> expected = oracle.getOrDefault(file, List.of()).stream().filter(s -> s.startsWith("+"))
            .map(s -> s.substring(1)).toList();
        List<String> actual;
        try {
          actual = ElfFile.read(file).exportedSymbols().stream().map(DynamicSymbol::nameWithVersion).toList();
        } catch (ElfFormatException e) {
          mismatches.add(e.getMessage());
          continue;
        }
        if (!actual.equals(expected)) {
          mismatches.add(file + " (" + expected.size() + " exports by readelf, " + actual.size() + " by ElfFile)"
              + firstDifference(expected, actual));
        }
        symbols += expected.size();
        hidden += expected.stream().filter(s -> s.contains("@") && !s.contains("@@")).count();
      }
    }
    System.out.printf("readelf export oracle: %d ELF files compared, %d exported symbols (%d hidden versions),"
        + " %d mismatches%n", files.size(), symbols, hidden, mismatches.size());
    assertThat(mismatches).as("files where exportedSymbols() and readelf --dyn-syms disagree (of %d)",
        files.size()).isEmpty();
    assertThat(hidden).as("hidden-version exports (old glibc versions)").isGreaterThan(100);
  }

  private static String firstDifference(List<String> expected, List<String> actual) {
    for (int i = 0; i < Math.max(expected.size(), actual.size()); i++) {
      String e = i < expected.size() ? expected.get(i) : "<none>";
      String a = i < actual.size() ? actual.get(i) : "<none>";
      if (!e.equals(a)) {
        return "\n  first difference at import " + i + ": readelf " + e + ", ElfFile " + a;
      }
    }
    return "";
  }

  /** Runs {@code readelf --dyn-syms -W} on a batch: per file, the named UND entries in order. */
  static Map<Path, List<String>> undefinedSymbols(Path readelf, List<Path> batch) {
    return symbols(readelf, batch, false);
  }

  /** As {@link #undefinedSymbols}, with the defined non-local entries too, marked with a leading "+". */
  static Map<Path, List<String>> symbols(Path readelf, List<Path> batch, boolean exports) {
    List<String> command = new ArrayList<>(List.of(readelf.toString(), "--dyn-syms", "-W"));
    batch.forEach(p -> command.add(p.toString()));
    Tools.Result result = Tools.run(Duration.ofMinutes(3), null, Map.of("LC_ALL", "C"), command);
    Map<Path, List<String>> out = new HashMap<>();
    List<String> current = new ArrayList<>();
    if (batch.size() == 1) {
      out.put(batch.get(0), current);
    }
    for (String line : result.stdout().split("\n")) {
      if (line.startsWith("File: ")) {
        current = new ArrayList<>();
        out.put(Path.of(line.substring(6).strip()), current);
        continue;
      }
      // "     1: 0000000000000000     0 FUNC    GLOBAL DEFAULT  UND free@GLIBC_2.2.5 (2)"; the binding
      // may take two words ("<OS specific>: 10" for STB_GNU_UNIQUE), so the name is read from the end.
      String[] fields = VERSION_INDEX.matcher(line.strip()).replaceFirst("").split("\\s+");
      if (fields.length < 8 || !ENTRY_NUMBER.matcher(fields[0]).matches()) {
        continue; // a header, or entry 0 (no name)
      }
      String name = fields[fields.length - 1];
      String ndx = fields[fields.length - 2];
      if (ndx.equals("UND")) {
        current.add(name);
      } else if (exports && !fields[4].equals("LOCAL")) {
        current.add("+" + name);
      }
    }
    return out;
  }
}
