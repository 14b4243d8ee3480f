package dev.scratchkit.oci;

import dev.scratchkit.testkit.CapturedLog;
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
    return startWriter(layout, tag, seed, count, log, "layout");
  }

  private static Process startWriter(Path target, String tag, long seed, int count, Path log, String kind)
      throws IOException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    return new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
        WriterMain.class.getName(), target.toString(), tag, Long.toString(seed), Integer.toString(count), kind)
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  /** The staging files of archive writes to {@code file}: {@code .NAME.scratchkit-*} beside it. */
  private static List<Path> stagingFiles(Path file) throws IOException {
    String prefix = "." + file.getFileName() + ".scratchkit-";
    try (java.util.stream.Stream<Path> s = Files.list(file.getParent())) {
      return s.filter(p -> p.getFileName().toString().startsWith(prefix)).sorted().toList();
    }
  }

  /**
   * Waits until a writer of {@code file} is mid-write: its staging directory is there and its
   * staging files hold at least {@code bytes}; false when the writer finished first.
   */
  private static boolean awaitStaging(Path file, Process writer, Path log, long bytes) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      List<Path> staging = stagingFiles(file);
      if (staging.stream().anyMatch(Files::isDirectory) && stagedBytes(staging) >= bytes) {
        return true;
      }
      if (!writer.isAlive()) {
        return false;
      }
      assertThat(System.nanoTime()).as("staging of %s appears within 60 s (log: %s)", file, Files.readString(log))
          .isLessThan(deadline);
      Thread.sleep(1);
    }
  }

  private static long stagedBytes(List<Path> staging) {
    long total = 0;
    for (Path p : staging) {
      try (java.util.stream.Stream<Path> walk = Files.walk(p)) {
        for (Path f : walk.toList()) {
          total += Files.isRegularFile(f) ? Files.size(f) : 0;
        }
      } catch (IOException | java.io.UncheckedIOException e) {
        // changing under us; count what was seen
      }
    }
    return total;
  }

  private static List<String> printedDigests(Path log) throws IOException {
    return Files.readAllLines(log).stream().filter(l -> l.startsWith("sha256:")).toList();
  }

  /** skopeo's manifest digest of an archive, or a test failure when skopeo refuses it. */
  private static String inspectedDigest(String kind, Path file, String tag) {
    String ref = kind.equals("oci-archive") ? "oci-archive:" + file + ":" + tag : "docker-archive:" + file;
    String out = Tools.runOk(Tools.require("skopeo").toString(), "inspect", ref).stdout();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"Digest\": \"(sha256:[0-9a-f]{64})\"").matcher(out);
    assertThat(m.find()).as("skopeo inspect %s: %s", ref, out).isTrue();
    return m.group(1);
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

  @Test
  void killedArchiveWritersLeaveStagingThatTheNextWriteRemoves() throws Exception {
    Tools.require("skopeo");
    for (String kind : List.of("oci-archive", "docker-archive")) {
      Path file = tmp.resolve(kind + ".tar");
      String tag = kind.equals("oci-archive") ? "latest" : "app:1";
      ImageTarget target = kind.equals("oci-archive") ? OciArchive.at(file).tag(tag) : DockerArchive.at(file).tag(tag);
      target.write(WriterMain.image(-1));
      byte[] old = Files.readAllBytes(file);
      String inspectedOld = inspectedDigest(kind, file, tag);
      Random random = new Random(7);
      int kills = 0;
      for (int attempt = 0; kills < 3; attempt++) {
        assertThat(attempt).as("attempts to kill a writer of %s mid-write", kind).isLessThan(10);
        long seed = 1000L * attempt;
        Path log = tmp.resolve(kind + "-writer-" + attempt + ".log");
        Process writer = startWriter(file, tag, seed, 1, log, kind);
        // Kill at three moments: just started, layer half written, layer written (archiving).
        long[] stagedBefore = {0, 2L << 20, 4L << 20};
        awaitStaging(file, writer, log, stagedBefore[kills]);
        Thread.sleep(random.nextInt(20));
        writer.destroyForcibly();
        assertThat(writer.waitFor(30, TimeUnit.SECONDS)).isTrue();
        List<Path> left = stagingFiles(file);
        if (writer.exitValue() == 0 || left.isEmpty()) {
          assertThat(left).isEmpty();
          target.write(WriterMain.image(-1)); // it finished first: put the old archive back, try again
          continue;
        }
        assertThat(writer.exitValue()).as("writer of %s killed (log: %s)", kind, Files.readString(log)).isEqualTo(137);
        kills++;
        // The archive is the old one, byte for byte, or (killed just after its rename) the writer's own.
        Path writersOwn = tmp.resolve("expected-" + attempt + "-" + kind + ".tar");
        (kind.equals("oci-archive") ? OciArchive.at(writersOwn).tag(tag).cache(LayerCache.disabled())
            : DockerArchive.at(writersOwn).tag(tag).cache(LayerCache.disabled())).write(WriterMain.image(seed));
        byte[] now = Files.readAllBytes(file);
        assertThat(java.util.Arrays.equals(now, old) || java.util.Arrays.equals(now, Files.readAllBytes(writersOwn)))
            .as("%s after a kill is the old archive or the killed writer's", kind).isTrue();
        inspectedDigest(kind, file, tag); // skopeo reads it

        CapturedLog.Run<WriteResult> next = CapturedLog.during(() -> target.write(WriterMain.image(-1)));
        assertThat(stagingFiles(file)).as("staging left after the next write of %s", kind).isEmpty();
        Path stagingDir = left.stream().filter(Files::notExists)
            .filter(p -> !p.toString().endsWith(".lock") && !p.toString().endsWith(".tmp")).findFirst().orElseThrow();
        assertThat(next.log()).contains("INFO dev.scratchkit.internal.oci.Archives - removed " + stagingDir + " (")
            .contains("bytes), left by an archive writer that was killed");
        assertThat(Files.readAllBytes(file)).isEqualTo(old);
        assertThat(inspectedDigest(kind, file, tag)).isEqualTo(inspectedOld);
      }
    }
  }

  @Test
  void archiveWritersOfOneFileNeverRemoveEachOthersStaging() throws Exception {
    Tools.require("skopeo");
    Path file = tmp.resolve("shared.tar");
    Path log = tmp.resolve("shared-writer.log");
    Process writer = startWriter(file, "latest", 300, 4, log, "oci-archive");
    assertThat(awaitStaging(file, writer, log, 0)).isTrue();
    // While the other process writes, two threads of this one write the same file, twice each.
    List<Thread> threads = new ArrayList<>();
    List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int t = 0; t < 2; t++) {
      int n = t;
      Thread thread = new Thread(() -> {
        try {
          for (int k = 0; k < 2; k++) {
            OciArchive.at(file).cache(LayerCache.disabled()).write(WriterMain.image(700 + n));
          }
        } catch (Throwable e) {
          failures.add(e);
        }
      });
      thread.start();
      threads.add(thread);
    }
    for (Thread t : threads) {
      t.join(120_000);
    }
    assertThat(writer.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(writer.exitValue()).as(Files.readString(log)).isZero();
    assertThat(failures).isEmpty();
    assertThat(printedDigests(log)).hasSize(4);
    assertThat(stagingFiles(file)).isEmpty();
    inspectedDigest("oci-archive", file, "latest");
  }

  @Test
  void stagingWithoutALockFileIsRemovedOnlyOnceItIsOld() throws Exception {
    Path file = tmp.resolve("legacy.tar");
    Path oldDir = Files.createDirectories(tmp.resolve(".legacy.tar.scratchkit-123456"));
    Files.write(oldDir.resolve("blob"), new byte[1000]);
    Path oldTemp = Files.write(tmp.resolve(".legacy.tar.scratchkit-0f1e2d.tmp"), new byte[10]);
    java.nio.file.attribute.FileTime twoHoursAgo =
        java.nio.file.attribute.FileTime.from(java.time.Instant.now().minus(java.time.Duration.ofHours(2)));
    Files.setLastModifiedTime(oldDir, twoHoursAgo);
    Files.setLastModifiedTime(oldTemp, twoHoursAgo);
    Path fresh = Files.createDirectories(tmp.resolve(".legacy.tar.scratchkit-999"));
    Path otherFile = Files.createDirectories(tmp.resolve(".other.tar.scratchkit-1"));
    Files.setLastModifiedTime(otherFile, twoHoursAgo);
    CapturedLog.Run<WriteResult> run = CapturedLog.during(() ->
        OciArchive.at(file).cache(LayerCache.disabled()).write(WriterMain.image(1)));
    assertThat(oldDir).doesNotExist();
    assertThat(oldTemp).doesNotExist();
    assertThat(fresh).isDirectory();
    assertThat(otherFile).isDirectory();
    assertThat(run.log()).contains("removed " + oldDir + " (1000 bytes), left by an archive writer that stopped before")
        .contains("removed " + oldTemp + " (10 bytes)");
    assertThat(stagingFiles(file)).containsExactly(fresh);
  }
}
