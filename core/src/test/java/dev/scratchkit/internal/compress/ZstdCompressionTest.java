package dev.scratchkit.internal.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scratchkit.testkit.Tools;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ZstdCompressionTest {

  @TempDir Path tmp;

  static List<ParallelGzipOutputStreamTest.Input> inputs() {
    return List.of(
        new ParallelGzipOutputStreamTest.Input("empty", new byte[0]),
        new ParallelGzipOutputStreamTest.Input("one byte", new byte[] {42}),
        new ParallelGzipOutputStreamTest.Input("random", TestData.random(3 << 20, 11)),
        new ParallelGzipOutputStreamTest.Input("compressible text", TestData.text(5 << 20)),
        // Larger than several of libzstd's multithreaded jobs at level 3.
        new ParallelGzipOutputStreamTest.Input("machine code", TestData.machineCode(40 << 20)));
  }

  @BeforeAll
  static void zstdJniLoads() {
    assertThat(ZstdCompression.available()).as("zstd-jni with a native library for this machine").isTrue();
  }

  static byte[] zstd(byte[] data, int level, int workers) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (OutputStream z = new ZstdCompression(level, workers).open(out)) {
      // Uneven writes, as a tar writer makes them.
      for (int off = 0; off < data.length; ) {
        int n = Math.min(100_003, data.length - off);
        z.write(data, off, n);
        off += n;
      }
    }
    return out.toByteArray();
  }

  @ParameterizedTest
  @MethodSource("inputs")
  void theZstdCommandAcceptsTheOutputWhichIsTheSameForOneTwoAndEightWorkers(
      ParallelGzipOutputStreamTest.Input input) throws Exception {
    byte[] one = zstd(input.bytes(), 3, 1);
    assertThat(zstd(input.bytes(), 3, 2)).as("2 workers vs 1").isEqualTo(one);
    assertThat(zstd(input.bytes(), 3, 8)).as("8 workers vs 1").isEqualTo(one);

    Path zstdTool = Tools.require("zstd");
    Path original = Files.write(tmp.resolve("input"), input.bytes());
    Path compressed = Files.write(tmp.resolve("input.zst"), one);
    Tools.runOk(zstdTool.toString(), "-q", "-t", compressed.toString());
    Tools.runOk("bash", "-o", "pipefail", "-c",
        "'" + zstdTool + "' -q -dc '" + compressed + "' | cmp - '" + original + "'");
  }

  @Test
  void framesCarryAContentChecksumThatTheZstdCommandVerifies() throws Exception {
    byte[] data = TestData.text(200_000);
    byte[] z = zstd(data, 3, 2);
    // Magic number, then the frame header descriptor whose bit 2 flags the XXH64 checksum.
    assertThat(z).startsWith((byte) 0x28, (byte) 0xb5, (byte) 0x2f, (byte) 0xfd);
    assertThat(z[4] & 0x04).as("Content_Checksum_flag").isEqualTo(0x04);

    // Damage one byte of the checksum: the command must notice.
    Path zstdTool = Tools.require("zstd");
    z[z.length - 1] ^= 0x55;
    Path damaged = Files.write(tmp.resolve("damaged.zst"), z);
    Tools.Result result = Tools.run(zstdTool.toString(), "-q", "-t", damaged.toString());
    assertThat(result.exitCode()).as(result.describe()).isNotZero();
    assertThat(result.stderr()).containsIgnoringCase("checksum");
  }

  @Test
  void everyUsefulLevelRoundTripsThroughTheZstdCommand() throws Exception {
    Path zstdTool = Tools.require("zstd");
    byte[] data = TestData.machineCode(2 << 20);
    Path original = Files.write(tmp.resolve("levels"), data);
    for (int level : new int[] {1, 3, 9, 19}) {
      Path compressed = Files.write(tmp.resolve("levels." + level + ".zst"), zstd(data, level, 2));
      Tools.runOk("bash", "-o", "pipefail", "-c",
          "'" + zstdTool + "' -q -dc '" + compressed + "' | cmp - '" + original + "'");
    }
  }

  @Test
  void closingTwiceIsHarmless() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    OutputStream z = ZstdCompression.defaults().open(out);
    z.write(TestData.text(1000));
    z.close();
    int size = out.size();
    z.close();
    assertThat(out.size()).isEqualTo(size);
  }

  @Test
  void badSettingsAreRejectedWithTheFix() {
    assertThatThrownBy(() -> new ZstdCompression(0, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("zstd level 0 is out of range: use 1 (fastest) to 19 (smallest); 3 is the default");
    assertThatThrownBy(() -> new ZstdCompression(20, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("zstd level 20 is out of range");
    assertThatThrownBy(() -> new ZstdCompression(3, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("zstd compression needs at least 1 worker thread, got 0");
    assertThat(new ZstdCompression(3, 2)).hasToString("zstd level 3, 2 workers");
    assertThat(new ZstdCompression(1, 1)).hasToString("zstd level 1, 1 worker");
    assertThat(ZstdCompression.MEDIA_TYPE).isEqualTo("application/vnd.oci.image.layer.v1.tar+zstd");
  }

  @Test
  void withoutZstdJniTheErrorSaysWhichDependencyToAdd() throws Exception {
    String classpath = String.join(File.pathSeparator,
        Path.of(ZstdCompression.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString(),
        Path.of(ZstdWithoutJni.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
    assertThat(classpath).doesNotContain("zstd-jni");
    Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
    Tools.Result result = Tools.run(Duration.ofMinutes(1), tmp, Map.of(),
        List.of(javaBin.toString(), "-cp", classpath, ZstdWithoutJni.class.getName())).assertOk();
    assertThat(result.stdout()).isEqualTo("available false\n"
        + "message zstd layer compression is not available: com.github.luben:zstd-jni is not on the"
        + " class path. Add the dependency com.github.luben:zstd-jni (the version scratchkit is built"
        + " with is in its parent pom), or choose gzip layers.\n");
  }
}
