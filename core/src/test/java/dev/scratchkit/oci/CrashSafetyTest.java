package dev.scratchkit.oci;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.testkit.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acceptance 3: a writer killed with SIGKILL at random moments never leaves a layout that
 * fails validation or loses an existing tag; concurrent writers all land.
 */
class CrashSafetyTest {

  private static final int KILLS = 20;

  @TempDir
  Path tmp;

  private static Process startWriter(Path layout, String tag, long seed, int count, Path log) throws IOException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    return new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
        WriterMain.class.getName(), layout.toString(), tag, Long.toString(seed), Integer.toString(count))
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  /**
   * Validates every reference of the layout. Without {@code --ref}: oci-image-tool 1.0.0-rc1
   * filters refs while deleting from the slice it iterates, so with three or more tags
   * {@code --ref name=X} wrongly reports "not unique" for valid layouts.
   */
  private static void validate(Path layout, String tag) {
    String out = Tools.runOk(Tools.require("oci-image-tool").toString(), "validate", "--type", "image",
        layout.toString()).stdout();
    assertThat(out).contains("verify all refs").contains("Validation succeeded");
    assertThat(OciImages.read(layout).tags()).contains(tag);
  }

  @Test
  void killedWritersNeverBreakTheLayoutOrMoveTheOldTag() throws Exception {
    Tools.require("oci-image-tool");
    Path layout = tmp.resolve("layout");
    Digest old = OciLayout.at(layout).tag("old").write(WriterMain.image(-1)).digest();
    Random random = new Random(42);
    int killedMidWrite = 0;
    for (int i = 0; i < KILLS; i++) {
      Path log = tmp.resolve("writer-" + i + ".log");
      Process writer = startWriter(layout, "new", i * 1000L, 1000, log);
      // JVM start-up takes a few hundred ms; then each write takes some tens of ms.
      Thread.sleep(200 + random.nextInt(1500));
      writer.destroyForcibly();
      assertThat(writer.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(writer.exitValue()).as("writer %d was killed (log: %s)", i, Files.readString(log)).isEqualTo(137);
      if (Files.exists(layout.resolve(".scratchkit-tmp"))) {
        killedMidWrite++;
      }

      validate(layout, "old");
      OciImages images = OciImages.read(layout);
      assertThat(images.image("old").manifestDigest()).isEqualTo(old);
      if (images.tags().contains("new")) {
        validate(layout, "new");
        assertThat(images.tags()).containsExactly("old", "new");
      }
    }
    // The random moments must have hit writes in progress, or the test proves nothing.
    assertThat(killedMidWrite).as("kills that interrupted a write").isGreaterThan(KILLS / 4);
    // The next writer cleans up what the killed ones left.
    OciLayout.at(layout).tag("new").write(WriterMain.image(7));
    assertThat(layout.resolve(".scratchkit-tmp")).doesNotExist();
    validate(layout, "new");
    validate(layout, "old");
  }

  @Test
  void concurrentWriterProcessesAndThreadsAllLand() throws Exception {
    Tools.require("oci-image-tool");
    Path layout = tmp.resolve("layout");
    List<Process> writers = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      writers.add(startWriter(layout, "process" + i, 100 + i * 10, 3, tmp.resolve("p" + i + ".log")));
    }
    List<Thread> threads = new ArrayList<>();
    List<Digest> threadDigests = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int i = 0; i < 2; i++) {
      int n = i;
      Thread t = new Thread(() -> threadDigests.add(
          OciLayout.at(layout).tag("thread" + n).write(WriterMain.image(500 + n)).digest()));
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) {
      t.join(120_000);
    }
    for (int i = 0; i < writers.size(); i++) {
      Process p = writers.get(i);
      assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as(Files.readString(tmp.resolve("p" + i + ".log"))).isZero();
    }
    assertThat(threadDigests).hasSize(2);
    OciImages images = OciImages.read(layout);
    assertThat(images.tags()).containsExactlyInAnyOrder("process0", "process1", "thread0", "thread1");
    for (String tag : images.tags()) {
      validate(layout, tag);
    }
    // Each process wrote 3 images to its tag; the tag holds the last one.
    List<String> lines = Files.readAllLines(tmp.resolve("p0.log")).stream().filter(l -> l.startsWith("sha256:")).toList();
    assertThat(images.image("process0").manifestDigest().toString()).isEqualTo(lines.get(lines.size() - 1));
  }
}
