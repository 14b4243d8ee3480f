package dev.scratchkit.oci;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.testkit.Tools;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Acceptance 5: a 1 GiB layer is written by a JVM with a 64 MiB heap (the layer is streamed). */
class BigLayerTest {

  private static final long GIB = 1L << 30;

  @TempDir
  Path tmp;

  @Test
  void oneGibLayerIsWrittenWithA64MibHeap() throws IOException {
    Path source = tmp.resolve("big.bin");
    // Sparse (fast to make, no disk), with 64 random MiB blocks spread through it so that the
    // compressor has real work and the digests depend on every region.
    Random random = new Random(1);
    byte[] block = new byte[1 << 20];
    try (RandomAccessFile file = new RandomAccessFile(source.toFile(), "rw")) {
      file.setLength(GIB);
      for (int i = 0; i < 64; i++) {
        random.nextBytes(block);
        file.seek(i * (GIB / 64));
        file.write(block);
      }
    }
    Path layout = tmp.resolve("layout");
    try {
      Path java = Path.of(System.getProperty("java.home"), "bin", "java");
      Tools.Result run = Tools.run(Duration.ofMinutes(5), null, null, List.of(java.toString(), "-Xmx64m", "-cp",
          System.getProperty("java.class.path"), BigLayerMain.class.getName(), source.toString(), layout.toString()));
      run.assertOk();
      String[] out = run.stdout().strip().split(" ");
      System.out.println("1 GiB layer: blob " + out[2] + " bytes, tar " + out[3] + " bytes, " + out[4] + " ms, heap "
          + out[5] + " MiB");
      assertThat(Long.parseLong(out[5])).isLessThanOrEqualTo(64);
      assertThat(Long.parseLong(out[3])).isGreaterThan(GIB);
      Path blob = layout.resolve("blobs/sha256/" + Digest.of(out[0]).hex());
      assertThat(Files.size(blob)).isEqualTo(Long.parseLong(out[2]));
      // Independent check of the diff ID: gunzip and sha256sum from coreutils.
      String diff = Tools.run(Duration.ofMinutes(3), null, null, List.of("sh", "-c",
          "gzip -dc '" + blob + "' | sha256sum")).assertOk().stdout();
      assertThat("sha256:" + diff.split(" ")[0]).isEqualTo(out[1]);
    } finally {
      Files.deleteIfExists(source);
    }
  }
}
