package dev.scratchkit.elf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.testkit.Tools;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
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
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Oracle: for every ELF file under /usr/bin, /usr/sbin, /usr/lib/jvm and the multiarch library
 * directory, the interpreter, needed list, soname, runpath and rpath equal what
 * {@code readelf -lWd} (binutils) prints. readelf runs on many files per invocation, two at once.
 */
class ReadelfOracleTest {

  static final List<Path> DIRECTORIES = List.of(Path.of("/usr/bin"), Path.of("/usr/sbin"),
      Path.of("/usr/lib/jvm"), Path.of("/usr/lib/x86_64-linux-gnu"));

  /** What readelf says about one file. */
  record Facts(String interpreter, List<String> needed, String soname, String runpath, String rpath) {
    @Override
    public String toString() {
      return "interpreter=" + interpreter + " needed=" + needed + " soname=" + soname + " runpath=" + runpath
          + " rpath=" + rpath;
    }
  }

  /** Every regular ELF file (symbolic links skipped) under the directories. */
  static List<Path> elfFiles(List<Path> directories) {
    List<Path> out = new ArrayList<>();
    for (Path dir : directories) {
      if (!Files.isDirectory(dir)) {
        continue;
      }
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.filter(Files::isRegularFile).filter(ReadelfOracleTest::hasElfMagic).sorted().forEach(out::add);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return out;
  }

  static boolean hasElfMagic(Path file) {
    if (Files.isSymbolicLink(file) || !Files.isReadable(file)) {
      return false;
    }
    try (InputStream in = Files.newInputStream(file)) {
      byte[] magic = in.readNBytes(4);
      return magic.length == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void agreesWithReadelfOnEveryElfFileOfTheSystem() throws Exception {
    Path readelf = Tools.require("readelf");
    List<Path> files = elfFiles(DIRECTORIES);
    assertThat(files).as("ELF files under %s", DIRECTORIES).hasSizeGreaterThan(300);

    Map<Path, Facts> oracle = Collections.synchronizedMap(new HashMap<>());
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<?>> jobs = new ArrayList<>();
      for (int i = 0; i < files.size(); i += 150) {
        List<Path> batch = files.subList(i, Math.min(files.size(), i + 150));
        jobs.add(pool.submit(() -> oracle.putAll(readelf(readelf, batch))));
      }
      for (Future<?> job : jobs) {
        job.get();
      }
    } finally {
      pool.shutdown();
    }

    List<String> mismatches = new ArrayList<>();
    int dynamic = 0;
    for (Path file : files) {
      Facts expected = oracle.get(file);
      if (expected == null) {
        mismatches.add(file + ": readelf printed nothing for it");
        continue;
      }
      Facts actual;
      try {
        ElfFile elf = ElfFile.read(file);
        actual = new Facts(elf.interpreter().orElse(null), elf.neededLibraries(), elf.soname().orElse(null),
            elf.runPath().orElse(null), elf.rpath().orElse(null));
      } catch (ElfFormatException e) {
        mismatches.add(e.getMessage());
        continue;
      }
      if (!actual.equals(expected)) {
        mismatches.add(file + "\n  readelf: " + expected + "\n  ElfFile: " + actual);
      }
      if (!expected.needed().isEmpty()) {
        dynamic++;
      }
    }
    System.out.printf("readelf oracle: %d ELF files compared, %d with DT_NEEDED, %d mismatches%n",
        files.size(), dynamic, mismatches.size());
    assertThat(mismatches).as("files where ElfFile and readelf disagree (of %d)", files.size()).isEmpty();
    assertThat(dynamic).as("files with DT_NEEDED entries").isGreaterThan(200);
  }

  /** Runs {@code readelf -lWd} on a batch and parses its output per file. */
  static Map<Path, Facts> readelf(Path readelf, List<Path> batch) {
    List<String> command = new ArrayList<>(List.of(readelf.toString(), "-lWd"));
    batch.forEach(p -> command.add(p.toString()));
    Tools.Result result = Tools.run(Duration.ofMinutes(3), null, Map.of("LC_ALL", "C"), command);
    Map<Path, Facts> out = new HashMap<>();
    Path current = batch.size() == 1 ? batch.get(0) : null;
    String interpreter = null;
    List<String> needed = new ArrayList<>();
    String soname = null;
    String runpath = null;
    String rpath = null;
    for (String line : (result.stdout() + "\nFile: <end>\n").split("\n")) {
      if (line.startsWith("File: ")) {
        if (current != null) {
          out.put(current, new Facts(interpreter, List.copyOf(needed), soname, runpath, rpath));
        }
        current = Path.of(line.substring(6).strip().replace("<end>", "/"));
        interpreter = null;
        needed.clear();
        soname = null;
        runpath = null;
        rpath = null;
      } else if (line.contains("[Requesting program interpreter: ")) {
        interpreter = between(line, "[Requesting program interpreter: ");
      } else if (line.contains("(NEEDED)")) {
        needed.add(between(line, "Shared library: ["));
      } else if (line.contains("(SONAME)")) {
        soname = between(line, "Library soname: [");
      } else if (line.contains("(RUNPATH)")) {
        runpath = between(line, "Library runpath: [");
      } else if (line.contains("(RPATH)")) {
        rpath = between(line, "Library rpath: [");
      }
    }
    return out;
  }

  private static String between(String line, String start) {
    int from = line.indexOf(start) + start.length();
    int to = line.lastIndexOf(']');
    return line.substring(from, to);
  }
}
