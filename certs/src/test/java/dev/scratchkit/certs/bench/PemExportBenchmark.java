package dev.scratchkit.certs.bench;

import dev.scratchkit.certs.CaBundle;
import dev.scratchkit.certs.PemOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * On-demand benchmark (not part of the test run): the export of the JDK cacerts to PEM.
 *
 * <pre>
 * mvn -B -q -pl certs test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.scratchkit.certs.bench.PemExportBenchmark
 * </pre>
 */
public final class PemExportBenchmark {

  private static final int WARMUP = 50;
  private static final int RUNS = 200;

  private PemExportBenchmark() {}

  /**
   * Runs the benchmark and prints median and 90th percentile per operation.
   *
   * @param args ignored
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    CaBundle jdk = CaBundle.fromJdk();
    Path out = Files.createTempDirectory("scratchkit-bench");
    System.out.printf("JDK cacerts: %d certificates, %s, %s %s%n", jdk.size(), jdk.pemDigest(),
        System.getProperty("java.vm.name"), System.getProperty("java.version"));
    measure("fromJdk() (read + parse + dedupe + sort)", CaBundle::fromJdk);
    measure("fromJdk().toPem() (cold: load and export)", () -> CaBundle.fromJdk().toPem());
    measure("toPem(plain) of a loaded bundle", () -> jdk.toPem(PemOptions.plain()));
    measure("toPem(withComments) of a loaded bundle", () -> jdk.toPem(PemOptions.withComments()));
    measure("writePem(file) of a loaded bundle", () -> {
      jdk.writePem(out.resolve("ca.pem"));
      return null;
    });
    measure("toPkcs12(changeit) of a loaded bundle", () -> jdk.toPkcs12("changeit".toCharArray()));
    measure("hashedDirectoryFiles() of a loaded bundle", jdk::hashedDirectoryFiles);
    Files.deleteIfExists(out.resolve("ca.pem"));
    Files.deleteIfExists(out);
  }

  private static void measure(String name, Supplier<?> operation) {
    for (int i = 0; i < WARMUP; i++) {
      operation.get();
    }
    long[] nanos = new long[RUNS];
    for (int i = 0; i < RUNS; i++) {
      long start = System.nanoTime();
      operation.get();
      nanos[i] = System.nanoTime() - start;
    }
    Arrays.sort(nanos);
    System.out.printf("%-45s median %7.3f ms   p90 %7.3f ms   (%d runs)%n", name,
        nanos[RUNS / 2] / 1e6, nanos[RUNS * 9 / 10] / 1e6, RUNS);
  }
}
