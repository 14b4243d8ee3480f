package dev.scratchkit.elf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.testkit.Fixtures;
import dev.scratchkit.testkit.Tools;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * On-demand benchmark, not a timed test: {@code ElfFile.read} plus every accessor on a 1 GiB
 * binary, and the library closure of the system program with the largest closure. Run with
 *
 * <pre>
 * mvn -B -q -pl elf -am verify -Dscratchkit.benchmark=true -Dtest=ElfBenchmark -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 *
 * and read the figures in {@code elf/target/surefire-reports/dev.scratchkit.elf.ElfBenchmark-output.txt}.
 */
@EnabledIfSystemProperty(named = "scratchkit.benchmark", matches = "true")
class ElfBenchmark {

  @TempDir
  Path dir;

  @Test
  void readAndAccessorsOnA1GibBinary() throws Exception {
    Path blob = dir.resolve("blob.bin");
    try (RandomAccessFile f = new RandomAccessFile(blob.toFile(), "rw")) {
      f.setLength(1L << 30);
      f.seek(12345);
      f.write("not all zeros".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }
    String source = "#include <pwd.h>\n#include <stdio.h>\n"
        + "__asm__(\".section .rodata\\n.global big\\nbig:\\n.incbin \\\"" + blob + "\\\"\\n.previous\\n\");\n"
        + "extern const char big[];\n"
        + "int main(int c, char **v) { struct passwd *p = getpwnam(v[0]); printf(\"%d %p\\n\", big[c], (void*) p); return 0; }\n";
    long t0 = System.nanoTime();
    Path binary = Fixtures.gcc(dir, "big", source, "-Wl,--no-relax");
    Files.delete(blob);
    long size = Files.size(binary);
    System.out.printf("built %s: %,d bytes in %d ms%n", binary, size, (System.nanoTime() - t0) / 1_000_000);
    assertThat(size).isGreaterThan(1L << 30);

    long heapBefore = usedHeap();
    List<Long> times = new ArrayList<>();
    ElfFile elf = null;
    for (int i = 0; i < 20; i++) {
      long start = System.nanoTime();
      elf = ElfFile.read(binary);
      TestElf.callEveryAccessor(elf);
      times.add(System.nanoTime() - start);
    }
    System.out.printf("ElfFile.read + all accessors, 1 GiB binary (%d sections, %d needed): first %.2f ms,"
        + " median %.2f ms, min %.2f ms over 20 runs; heap in use after: %+,d bytes%n",
        elf.sectionHeaders().size(), elf.neededLibraries().size(), times.get(0) / 1e6, median(times) / 1e6,
        Collections.min(times) / 1e6, usedHeap() - heapBefore);
    System.out.println(elf);
    Files.delete(binary);
  }

  @Test
  void closureOfAProgramWithMoreThan20Libraries() throws Exception {
    Tools.require("ldd");
    ElfFile biggest = null;
    int most = 0;
    LibraryResolver host = LibraryResolver.forHost();
    for (Path file : ReadelfOracleTest.elfFiles(List.of(Path.of("/usr/bin")))) {
      try {
        ElfFile elf = ElfFile.read(file);
        if (elf.linkage() == Linkage.DYNAMIC && elf.isExecutable()) {
          int n = host.resolve(elf).libraries().size();
          if (n > most) {
            most = n;
            biggest = elf;
          }
        }
      } catch (ElfFormatException e) {
        // not a program to measure
      }
    }
    assertThat(most).isGreaterThanOrEqualTo(20);
    List<Long> fresh = new ArrayList<>();
    List<Long> reused = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      long start = System.nanoTime();
      LibraryClosure closure = LibraryResolver.forHost().resolve(ElfFile.read(biggest.path()));
      fresh.add(System.nanoTime() - start);
      start = System.nanoTime();
      host.resolve(ElfFile.read(biggest.path()));
      reused.add(System.nanoTime() - start);
      assertThat(closure.libraries()).hasSize(most);
    }
    long start = System.nanoTime();
    Tools.runOk("ldd", biggest.path().toString());
    long ldd = System.nanoTime() - start;
    System.out.printf("closure of %s (%d libraries + interpreter): new resolver (parses ld.so.cache) median %.2f ms,"
        + " reused resolver median %.2f ms, first %.2f ms; one ldd run for comparison %.2f ms%n", biggest.path(), most,
        median(fresh) / 1e6, median(reused) / 1e6, fresh.get(0) / 1e6, ldd / 1e6);
  }

  private static long usedHeap() {
    Runtime rt = Runtime.getRuntime();
    System.gc();
    return rt.totalMemory() - rt.freeMemory();
  }

  private static double median(List<Long> values) {
    List<Long> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }
}
