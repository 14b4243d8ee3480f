package dev.scratchkit.elf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.testkit.Tools;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Oracle: for the dynamic executables of this machine, the closure's set of real paths
 * (interpreter included) equals the set of real paths {@code ldd} prints, vdso aside; names
 * {@code ldd} reports "not found" are exactly the closure's missing names.
 */
class LddOracleTest {

  private static final int MAX_PROGRAMS = 400;

  record Listing(Set<Path> files, Set<String> notFound) {}

  @Test
  void agreesWithLddOnTheDynamicExecutablesOfTheSystem() throws Exception {
    Path ldd = Tools.require("ldd");
    List<ElfFile> programs = new ArrayList<>();
    for (Path file : ReadelfOracleTest.elfFiles(List.of(Path.of("/usr/bin"), Path.of("/usr/sbin"), Path.of("/usr/lib/jvm")))) {
      try {
        ElfFile elf = ElfFile.read(file);
        if (elf.linkage() == Linkage.DYNAMIC && elf.isExecutable() && elf.interpreter().isPresent()) {
          programs.add(elf);
        }
      } catch (ElfFormatException e) {
        // the readelf oracle reports these
      }
      if (programs.size() >= MAX_PROGRAMS) {
        break;
      }
    }
    assertThat(programs).hasSizeGreaterThanOrEqualTo(100);

    LibraryResolver resolver = LibraryResolver.forHost();
    List<String> mismatches = Collections.synchronizedList(new ArrayList<>());
    ExecutorService pool = Executors.newFixedThreadPool(2);
    List<Future<?>> jobs = new ArrayList<>();
    for (ElfFile program : programs) {
      jobs.add(pool.submit(() -> {
        Listing expected = ldd(ldd, program.path());
        LibraryClosure closure = resolver.resolve(program);
        Set<Path> actual = new TreeSet<>();
        for (Path host : closure.hostFiles()) {
          actual.add(real(host));
        }
        Set<String> missing = new TreeSet<>();
        closure.missing().forEach(m -> missing.add(m.name()));
        if (!actual.equals(expected.files()) || !missing.equals(expected.notFound())) {
          mismatches.add(program.path() + "\n  ldd:     " + expected + "\n  closure: " + actual + " missing " + missing
              + "\n" + closure);
        }
      }));
    }
    for (Future<?> job : jobs) {
      job.get();
    }
    pool.shutdown();
    System.out.printf("ldd oracle: %d dynamic executables compared, %d mismatches%n", programs.size(), mismatches.size());
    assertThat(mismatches).as("programs where the closure and ldd disagree (of %d)", programs.size()).isEmpty();
  }

  static Listing ldd(Path ldd, Path program) {
    Tools.Result result = Tools.run(Duration.ofMinutes(1), null, Map.of("LC_ALL", "C", "LD_LIBRARY_PATH", ""),
        List.of(ldd.toString(), program.toString()));
    Set<Path> files = new TreeSet<>();
    Set<String> notFound = new TreeSet<>();
    for (String raw : result.stdout().split("\n")) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("linux-vdso") || line.startsWith("linux-gate")) {
        continue;
      }
      int arrow = line.indexOf(" => ");
      if (arrow >= 0) {
        String name = line.substring(0, arrow);
        String rest = line.substring(arrow + 4);
        if (rest.startsWith("not found")) {
          notFound.add(name);
          continue;
        }
        line = rest;
      }
      int paren = line.lastIndexOf(" (0x");
      String path = paren >= 0 ? line.substring(0, paren) : line;
      if (path.startsWith("/")) {
        files.add(real(Path.of(path)));
      }
    }
    return new Listing(files, notFound);
  }

  static Path real(Path path) {
    try {
      return path.toRealPath();
    } catch (IOException e) {
      return path;
    }
  }
}
