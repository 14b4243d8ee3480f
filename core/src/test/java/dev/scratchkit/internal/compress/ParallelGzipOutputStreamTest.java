package dev.scratchkit.internal.compress;

import static dev.scratchkit.internal.compress.ParallelGzipOutputStream.DEFAULT_BLOCK_SIZE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scratchkit.testkit.Tools;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ParallelGzipOutputStreamTest {

  @TempDir Path tmp;

  record Input(String name, byte[] bytes) {
    @Override
    public String toString() {
      return name + " (" + bytes.length + " bytes)";
    }
  }

  static List<Input> inputs() {
    return List.of(
        new Input("empty", new byte[0]),
        new Input("one byte", new byte[] {42}),
        new Input("exactly one block", TestData.machineCode(DEFAULT_BLOCK_SIZE)),
        new Input("one block and a byte", TestData.machineCode(DEFAULT_BLOCK_SIZE + 1)),
        new Input("random", TestData.random(3 * DEFAULT_BLOCK_SIZE + 12345, 7)),
        new Input("compressible text", TestData.text(6 * DEFAULT_BLOCK_SIZE + 99)),
        new Input("machine code", TestData.machineCode(5 * DEFAULT_BLOCK_SIZE - 1)));
  }

  static byte[] gzip(byte[] data, int level, int threads) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ParallelGzipOutputStream gz = new ParallelGzipOutputStream(out, level, threads)) {
      gz.write(data);
    }
    return out.toByteArray();
  }

  static byte[] gunzip(byte[] gz) throws IOException {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
      return in.readAllBytes();
    }
  }

  @ParameterizedTest
  @MethodSource("inputs")
  void outputIsTheSameForOneTwoAndEightThreadsAndDecompressesToTheInput(Input input) throws Exception {
    byte[] one = gzip(input.bytes(), 6, 1);
    assertThat(gzip(input.bytes(), 6, 2)).as("2 threads vs 1").isEqualTo(one);
    assertThat(gzip(input.bytes(), 6, 8)).as("8 threads vs 1").isEqualTo(one);

    assertThat(gunzip(one)).as("GZIPInputStream").isEqualTo(input.bytes());

    Path gzipTool = Tools.require("gzip");
    Path original = Files.write(tmp.resolve("input"), input.bytes());
    Path compressed = Files.write(tmp.resolve("input.gz"), one);
    Tools.runOk(gzipTool.toString(), "-t", compressed.toString());
    Tools.runOk("bash", "-o", "pipefail", "-c",
        "'" + gzipTool + "' -dc '" + compressed + "' | cmp - '" + original + "'");
  }

  @Test
  void theHeaderIsFixedAndTheTrailerHoldsCrcAndLength() throws Exception {
    byte[] data = TestData.text(100_000);
    byte[] gz = gzip(data, 6, 2);
    assertThat(Arrays.copyOf(gz, 10)).containsExactly(
        0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff);
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(data);
    int n = gz.length;
    long trailerCrc = (gz[n - 8] & 0xffL) | (gz[n - 7] & 0xffL) << 8 | (gz[n - 6] & 0xffL) << 16
        | (gz[n - 5] & 0xffL) << 24;
    long trailerSize = (gz[n - 4] & 0xffL) | (gz[n - 3] & 0xffL) << 8 | (gz[n - 2] & 0xffL) << 16
        | (gz[n - 1] & 0xffL) << 24;
    assertThat(trailerCrc).isEqualTo(crc.getValue());
    assertThat(trailerSize).isEqualTo(data.length);

    // XFL as gzip(1) reports it: 2 for the best compression, 4 for the fastest.
    assertThat(gzip(data, 9, 1)[8]).isEqualTo((byte) 2);
    assertThat(gzip(data, 1, 1)[8]).isEqualTo((byte) 4);
    assertThat(gzip(data, 0, 1)[8]).isEqualTo((byte) 4);
    assertThat(gzip(data, -1, 1)).isEqualTo(gzip(data, 6, 1));
  }

  @Test
  void everyLevelDecompressesToTheInput() throws Exception {
    byte[] data = TestData.machineCode(DEFAULT_BLOCK_SIZE + 70_000);
    for (int level = 0; level <= 9; level++) {
      assertThat(gunzip(gzip(data, level, 2))).as("level %d", level).isEqualTo(data);
    }
  }

  @Test
  void howTheCallerSlicesItsWritesAndWhenItFlushesDoesNotChangeTheBytes() throws Exception {
    byte[] data = TestData.machineCode(2 * DEFAULT_BLOCK_SIZE + 5000);
    byte[] reference = gzip(data, 6, 2);

    ByteArrayOutputStream bytewise = new ByteArrayOutputStream();
    try (ParallelGzipOutputStream gz = new ParallelGzipOutputStream(bytewise, 6, 2)) {
      for (byte b : data) {
        gz.write(b);
      }
    }
    assertThat(bytewise.toByteArray()).as("byte at a time").isEqualTo(reference);

    ByteArrayOutputStream chunked = new ByteArrayOutputStream();
    Random random = new Random(1);
    try (ParallelGzipOutputStream gz = new ParallelGzipOutputStream(chunked, 6, 3)) {
      for (int off = 0; off < data.length; ) {
        int n = Math.min(random.nextInt(300_000), data.length - off);
        gz.write(data, off, n);
        off += n;
        if (random.nextInt(4) == 0) {
          gz.flush();
        }
      }
    }
    assertThat(chunked.toByteArray()).as("random chunks with flushes").isEqualTo(reference);
  }

  @Test
  void smallBlocksStayAsSmallAsOneSerialStreamThanksToTheDictionary() throws Exception {
    byte[] data = TestData.machineCode(4 * DEFAULT_BLOCK_SIZE);
    ByteArrayOutputStream serial = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(serial) {
      {
        def.setLevel(6);
      }
    }) {
      gz.write(data);
    }
    ByteArrayOutputStream parallel = new ByteArrayOutputStream();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      try (ParallelGzipOutputStream gz = new ParallelGzipOutputStream(
          parallel, 6, pool, 2, ParallelGzipOutputStream.MIN_BLOCK_SIZE)) {
        gz.write(data);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(gunzip(parallel.toByteArray())).isEqualTo(data);
    // 128 blocks of 32 KiB: each costs a 5-byte sync marker and a fresh Huffman table; without
    // the dictionary every block would also start with no history and lose several percent.
    assertThat((double) parallel.size()).as("parallel %d vs serial %d bytes", parallel.size(), serial.size())
        .isLessThan(serial.size() * 1.01);
  }

  @Test
  void theDefaultBlockSizeCostsLessThanATenthOfAPercent() throws Exception {
    byte[] data = TestData.machineCode(8 * DEFAULT_BLOCK_SIZE);
    ByteArrayOutputStream serial = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(serial)) {
      gz.write(data);
    }
    byte[] ours = gzip(data, 6, 2);
    assertThat((double) ours.length).as("parallel %d vs serial %d bytes", ours.length, serial.size())
        .isLessThan(serial.size() * 1.001);
  }

  @Test
  void aFailingWorkerIsReportedByWriteAndTheStreamStaysFailed() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ParallelGzipOutputStream gz = new ParallelGzipOutputStream(out, 6, pool, 2,
          ParallelGzipOutputStream.MIN_BLOCK_SIZE, failingOn(2, new IllegalStateException("disk on fire")));
      byte[] block = new byte[ParallelGzipOutputStream.MIN_BLOCK_SIZE];
      assertThatThrownBy(() -> {
        for (int i = 0; i < 100; i++) {
          gz.write(block);
        }
      }).isInstanceOf(IOException.class)
          .hasMessage("gzip compression failed in a worker thread: java.lang.IllegalStateException: disk on fire")
          .hasRootCauseMessage("disk on fire");
      assertThatThrownBy(() -> gz.write(1)).isInstanceOf(IOException.class)
          .hasMessageStartingWith("gzip stream failed earlier: gzip compression failed in a worker thread");
      gz.close(); // releases, does not throw again
      gz.close();
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aFailingLastBlockIsReportedByCloseWhichStillClosesTheTarget() throws Exception {
    AtomicInteger closes = new AtomicInteger();
    OutputStream target = new FilterOutputStream(new ByteArrayOutputStream()) {
      @Override
      public void close() throws IOException {
        closes.incrementAndGet();
        super.close();
      }
    };
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      ParallelGzipOutputStream gz = new ParallelGzipOutputStream(target, 6, pool, 2,
          DEFAULT_BLOCK_SIZE, failingOn(0, new OutOfMemoryError("Java heap space")));
      gz.write(new byte[1000]);
      assertThatThrownBy(gz::close).isInstanceOf(IOException.class)
          .hasMessage("gzip compression failed in a worker thread: java.lang.OutOfMemoryError: Java heap space");
      gz.close();
      assertThat(closes).hasValue(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aFailingTargetIsReported() {
    OutputStream full = new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        throw new IOException("No space left on device");
      }
    };
    ParallelGzipOutputStream gz = new ParallelGzipOutputStream(full, 6, 2);
    assertThatThrownBy(() -> {
      gz.write(TestData.text(3 * DEFAULT_BLOCK_SIZE));
      gz.close();
    }).isInstanceOf(IOException.class).hasMessage("No space left on device");
  }

  @Test
  void closeIsIdempotentAndWritesAfterCloseFail() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ParallelGzipOutputStream gz = new ParallelGzipOutputStream(out, 6, 2);
    gz.write(TestData.text(1000));
    gz.close();
    int size = out.size();
    gz.close();
    gz.flush();
    assertThat(out.size()).isEqualTo(size);
    assertThat(gunzip(out.toByteArray())).isEqualTo(TestData.text(1000));
    assertThatThrownBy(() -> gz.write(1)).isInstanceOf(IOException.class)
        .hasMessage("gzip stream is already closed; no more data can be written to it");
    assertThat(gz.toString()).isEqualTo(
        "ParallelGzipOutputStream[level 6, block 1048576 bytes, 1000 bytes in, " + size + " bytes out, closed]");
  }

  @Test
  void finishCompletesTheGzipStreamWithoutClosingTheTarget() throws Exception {
    AtomicInteger closes = new AtomicInteger();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    OutputStream target = new FilterOutputStream(bytes) {
      @Override
      public void close() {
        closes.incrementAndGet();
      }
    };
    ParallelGzipOutputStream gz = new ParallelGzipOutputStream(target, 6, 2);
    gz.write(TestData.text(5000));
    gz.finish();
    gz.flush(); // as a wrapper closing over this stream would
    gz.finish();
    assertThat(closes).hasValue(0);
    assertThat(gz.bytesIn()).isEqualTo(5000);
    assertThat(gz.bytesOut()).isEqualTo(bytes.size());
    assertThat(gunzip(bytes.toByteArray())).isEqualTo(TestData.text(5000));
    assertThatThrownBy(() -> gz.write(1)).hasMessage(
        "gzip stream is already finished; no more data can be written to it");
    gz.close();
    assertThat(closes).hasValue(1);
  }

  @Test
  void badArgumentsAreRejectedWithTheFix() {
    OutputStream out = new ByteArrayOutputStream();
    assertThatThrownBy(() -> new ParallelGzipOutputStream(out, 10, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("gzip compression level 10 is out of range: use 0 (store) to 9 (best), or -1 for the default (6)");
    assertThatThrownBy(() -> new ParallelGzipOutputStream(out, 6, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("gzip compression needs at least 1 thread, got 0");
    assertThatThrownBy(() -> new ParallelGzipOutputStream(out, 6, Runnable::run, 1, 1000))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("gzip block size 1000 is too small: use at least 32768 bytes (one deflate window)");
  }

  @Test
  void aShutDownExecutorIsReportedWithTheReason() {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    pool.shutdown();
    ParallelGzipOutputStream gz = new ParallelGzipOutputStream(new ByteArrayOutputStream(), 6, pool, 1,
        DEFAULT_BLOCK_SIZE);
    assertThatThrownBy(() -> {
      gz.write(new byte[10]);
      gz.close();
    }).isInstanceOf(IOException.class)
        .hasMessageStartingWith("gzip compression of block 0 could not start: the executor refused the task")
        .hasMessageEndingWith("it was probably shut down while this stream was still open");
  }

  @Test
  void atMostTwiceTheParallelismBlocksAreInFlight() throws Exception {
    int parallelism = 3;
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger submitted = new AtomicInteger();
    ExecutorService pool = Executors.newCachedThreadPool();
    try {
      // Workers that hold every block until released: the writer must stop and wait.
      java.util.concurrent.Executor gated = task -> {
        submitted.incrementAndGet();
        pool.execute(() -> {
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          task.run();
        });
      };
      byte[] data = TestData.text(20 * ParallelGzipOutputStream.MIN_BLOCK_SIZE);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      AtomicReference<Throwable> writerFailure = new AtomicReference<>();
      Thread writer = new Thread(() -> {
        try (ParallelGzipOutputStream gz = new ParallelGzipOutputStream(
            out, 6, gated, parallelism, ParallelGzipOutputStream.MIN_BLOCK_SIZE)) {
          gz.write(data);
        } catch (Throwable t) {
          writerFailure.set(t);
        }
      });
      writer.start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (submitted.get() < 2 * parallelism && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      Thread.sleep(300);
      assertThat(submitted).hasValue(2 * parallelism);
      assertThat(writer.isAlive()).as("the writer waits for the oldest block").isTrue();
      release.countDown();
      writer.join(TimeUnit.SECONDS.toMillis(30));
      assertThat(writerFailure.get()).isNull();
      assertThat(submitted).hasValue(20);
      assertThat(gunzip(out.toByteArray())).isEqualTo(data);
    } finally {
      release.countDown();
      pool.shutdownNow();
    }
  }

  @Test
  void theStreamsOwnWorkerThreadsEndWhenItIsClosed() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ParallelGzipOutputStream gz = new ParallelGzipOutputStream(out, 6, 4)) {
      gz.write(TestData.text(8 * DEFAULT_BLOCK_SIZE));
      assertThat(gzipThreads()).isNotEmpty();
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!gzipThreads().isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(gzipThreads()).isEmpty();
  }

  private static List<Thread> gzipThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("scratchkit-gzip-") && t.isAlive())
        .toList();
  }

  /** The real compressor, except that block {@code index} throws. */
  private static ParallelGzipOutputStream.BlockCompressor failingOn(long index, Throwable failure) {
    return (i, level, dict, input, length, output, last) -> {
      if (i == index) {
        if (failure instanceof Error e) {
          throw e;
        }
        throw (RuntimeException) failure;
      }
      return ParallelGzipOutputStream.Deflating.compress(i, level, dict, input, length, output, last);
    };
  }

  /** A 1 GiB layer through the stream in a JVM with a 64 MiB heap, checked by gzip(1). */
  @Test
  void aGibibyteGoesThroughA64MebibyteHeap() throws Exception {
    Path gzipTool = Tools.require("gzip");
    String classpath = String.join(java.io.File.pathSeparator,
        Path.of(ParallelGzipOutputStream.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString(),
        Path.of(HeapBound.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
    Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
    String command = "'" + javaBin + "' -Xmx64m -cp '" + classpath + "' " + HeapBound.class.getName()
        + " 1024 | '" + gzipTool + "' -dc | sha256sum";
    Tools.Result result = Tools.run(Duration.ofMinutes(3), tmp, Map.of(),
        List.of("bash", "-o", "pipefail", "-c", command)).assertOk();
    // The child prints the SHA-256 of what it generated on stderr; gzip -dc must reproduce it.
    String expected = result.stderr().lines().filter(l -> l.startsWith("sha256 ")).findFirst()
        .orElseThrow(() -> new AssertionError(result.describe())).substring("sha256 ".length());
    assertThat(result.stdout().split(" ")[0]).isEqualTo(expected);
  }
}
