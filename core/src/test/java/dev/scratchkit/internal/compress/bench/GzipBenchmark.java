package dev.scratchkit.internal.compress.bench;

import dev.scratchkit.internal.compress.ParallelGzipOutputStream;
import dev.scratchkit.internal.compress.TestData;
import dev.scratchkit.internal.compress.ZstdCompression;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.zip.CRC32;
import java.util.zip.GZIPOutputStream;

/**
 * Gzip and zstd throughput on 256 MiB of real machine code (ELF files of the JDK, /usr/bin and
 * /usr/lib/x86_64-linux-gnu concatenated), every contender on the same bytes in the same run,
 * each piping its output into SHA-256 as the layer writer does. Not part of the test run.
 *
 * <p>Run from the repository root (the size in MiB is optional):
 *
 * <pre>
 * mvn -B -q -pl core test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.scratchkit.internal.compress.bench.GzipBenchmark -Dexec.args=256
 * </pre>
 */
public final class GzipBenchmark {

  private GzipBenchmark() {}

  /** Compressor writing into the given sink. */
  @FunctionalInterface
  interface Contender {
    OutputStream open(OutputStream sink) throws IOException;
  }

  /**
   * Runs the benchmark.
   *
   * @param args optional: input size in MiB (default 256)
   */
  public static void main(String[] args) throws Exception {
    int mebibytes = args.length > 0 ? Integer.parseInt(args[0]) : 256;
    int size = mebibytes << 20;
    System.out.printf(Locale.ROOT, "generating %d MiB of machine code from %d ELF files%n",
        mebibytes, TestData.elfFiles().size());
    byte[] input = TestData.machineCode(size);
    Path file = Files.createTempFile("scratchkit-bench", ".bin");
    try {
      Files.write(file, input);
      System.out.printf(Locale.ROOT, "%d cores, %s %s%n", Runtime.getRuntime().availableProcessors(),
          System.getProperty("java.vm.name"), System.getProperty("java.version"));

      // Warm-up: loads the classes and the native zlib on a small input.
      byte[] small = java.util.Arrays.copyOf(input, 8 << 20);
      measure(null, small, s -> new ParallelGzipOutputStream(s, 6, 2));
      measure(null, small, GZIPOutputStream::new);

      long t0 = System.nanoTime();
      CRC32 crc = new CRC32();
      crc.update(input);
      report("CRC32 alone (serial)", size, System.nanoTime() - t0, -1, null);

      measure("java.util.zip.GZIPOutputStream -6", input, s -> new GZIPOutputStream(s, 1 << 16));
      measure("ParallelGzipOutputStream -6, 1 thread", input, s -> new ParallelGzipOutputStream(s, 6, 1));
      measure("ParallelGzipOutputStream -6, 2 threads", input, s -> new ParallelGzipOutputStream(s, 6, 2));
      shell("gzip -6 | sha256sum", "gzip -6 < '" + file + "' | sha256sum", size);
      shell("pigz -6 -p2 | sha256sum", "pigz -6 -p2 < '" + file + "' | sha256sum", size);
      extra(input, file, size);
    } finally {
      Files.deleteIfExists(file);
    }
  }

  /** zstd: ours through zstd-jni, and the command. */
  private static void extra(byte[] input, Path file, int size) throws Exception {
    measure("ZstdCompression -3, 1 worker", input, s -> new ZstdCompression(3, 1).open(s));
    measure("ZstdCompression -3, 2 workers", input, s -> new ZstdCompression(3, 2).open(s));
    shell("zstd -3 -T2 | sha256sum", "zstd -q -3 -T2 -c < '" + file + "' | sha256sum", size);
  }

  private static void measure(String name, byte[] input, Contender contender) throws Exception {
    MessageDigest sha = sha256();
    CountingSink sink = new CountingSink();
    long t0 = System.nanoTime();
    try (OutputStream out = contender.open(new DigestOutputStream(sink, sha))) {
      // Writes of 64 KiB, as a tar writer copying files would make them.
      for (int off = 0; off < input.length; off += 1 << 16) {
        out.write(input, off, Math.min(1 << 16, input.length - off));
      }
    }
    long elapsed = System.nanoTime() - t0;
    if (name != null) {
      report(name, input.length, elapsed, sink.count, HexFormat.of().formatHex(sha.digest()));
    }
  }

  private static void shell(String name, String command, int size) throws Exception {
    Process process = new ProcessBuilder("bash", "-o", "pipefail", "-c", command)
        .redirectErrorStream(true).start();
    long t0 = System.nanoTime();
    String out = new String(process.getInputStream().readAllBytes()).trim();
    int exit = process.waitFor();
    long elapsed = System.nanoTime() - t0;
    if (exit != 0) {
      System.out.printf(Locale.ROOT, "%-42s failed (exit %d): %s%n", name, exit, out);
      return;
    }
    report(name, size, elapsed, -1, out.split(" ")[0]);
  }

  private static void report(String name, long size, long nanos, long compressed, String digest) {
    double seconds = nanos / 1e9;
    System.out.printf(Locale.ROOT, "%-42s %7.2f s %8.1f MB/s%s%s%n", name, seconds, size / 1e6 / seconds,
        compressed >= 0 ? String.format(Locale.ROOT, "  %6.2f%% of input", 100.0 * compressed / size) : "",
        digest != null ? "  sha256 " + digest.substring(0, 16) : "");
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static final class CountingSink extends OutputStream {
    long count;

    @Override
    public void write(int b) {
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      count += len;
    }
  }
}
