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
      // "     1: 0000000000000000     0 FUNC    GLOBAL DEFAULT  UND free@GLIBC_2.2.5 (2)"
      String[] fields = line.strip().split("\\s+", 8);
      if (fields.length == 8 && fields[0].endsWith(":") && fields[6].equals("UND")) {
        current.add(VERSION_INDEX.matcher(fields[7]).replaceFirst(""));
      }
    }
    return out;
  }
}
