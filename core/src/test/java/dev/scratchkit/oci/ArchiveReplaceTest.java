package dev.scratchkit.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.scratchkit.elf.Platform;
import dev.scratchkit.testkit.Tools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Replacing an archive that is already there: the new one takes its place whole, and the old one,
 * kept open across the rename so that the rename need not wait for its blocks to be freed, is
 * closed soon after (no descriptor of this JVM is left on it). What stands at the destination and
 * is not a regular file (a FIFO, a symbolic link) is replaced as before, without blocking and
 * without touching what a link points to. GNU tar reads every archive written.
 */
class ArchiveReplaceTest {

  @TempDir
  Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"oci-archive", "docker-archive"})
  void theReplacedArchiveIsClosedSoonAfter(String kind) throws Exception {
    Path file = dir.resolve("image.tar");
    target(kind, file).write(image(1));
    Object replacedKey = fileKey(file);
    assertThat(Files.size(file)).isGreaterThan(2 << 20);

    WriteResult second = target(kind, file).write(image(2));

    assertThat(fileKey(file)).isNotEqualTo(replacedKey);
    assertThat(tarList(file)).contains("blobs/sha256/" + second.layers().get(0).digest().hex());
    assertThat(Tools.runOk("tar", "-xOf", file.toString(), kind.equals("oci-archive") ? "index.json"
        : "manifest.json").stdout()).contains(kind.equals("oci-archive") ? second.digest().toString()
        : second.layers().get(0).digest().hex());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!descriptorsOnDeleted(file).isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(descriptorsOnDeleted(file)).as("descriptors of this JVM still on the replaced archive").isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"oci-archive", "docker-archive"})
  void aFifoAtTheDestinationIsReplacedWithoutBlocking(String kind) throws Exception {
    Path file = dir.resolve("image.tar");
    Tools.runOk("mkfifo", file.toString());
    assertTimeoutPreemptively(Duration.ofSeconds(60), () -> target(kind, file).write(image(3)));
    assertThat(Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)).isTrue();
    assertThat(tarList(file)).isNotEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"oci-archive", "docker-archive"})
  void aLinkAtTheDestinationIsReplacedAndItsTargetKept(String kind) throws Exception {
    Path other = dir.resolve("other.tar");
    target(kind, other).write(image(4));
    byte[] otherBytes = Files.readAllBytes(other);
    Path file = dir.resolve("image.tar");
    Files.createSymbolicLink(file, other.getFileName());

    target(kind, file).write(image(5));

    assertThat(Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)).isTrue();
    assertThat(Files.readAllBytes(other)).isEqualTo(otherBytes);
    assertThat(tarList(file)).isNotEmpty();
  }

  private static ImageTarget target(String kind, Path file) {
    return kind.equals("oci-archive") ? OciArchive.at(file).cache(LayerCache.disabled())
        : DockerArchive.at(file).tag("scratchkit/replace:test").cache(LayerCache.disabled());
  }

  /** 3 MiB that do not compress, so that the archive is large enough to be kept open when replaced. */
  private static ImageSpec image(int seed) {
    byte[] data = new byte[3 << 20];
    new Random(seed).nextBytes(data);
    return ImageSpec.of(Platform.LINUX_AMD64, TestImages.CREATED, ContainerConfig.empty(), List.of(LayerSpec.of("data",
        LayerEntry.bytes(ImagePath.of("/data.bin"), data, 0644),
        LayerEntry.bytes(ImagePath.of("/seed"), Integer.toString(seed).getBytes(StandardCharsets.UTF_8), 0644))));
  }

  private static Object fileKey(Path file) throws IOException {
    return Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
  }

  private static String tarList(Path file) throws Exception {
    return Tools.runOk("tar", "-tf", file.toString()).stdout();
  }

  /** This JVM's descriptors on a file that was at {@code file} and is deleted now. */
  private static List<Path> descriptorsOnDeleted(Path file) throws IOException {
    List<Path> found = new ArrayList<>();
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      for (Path fd : fds.toList()) {
        try {
          if (Files.readSymbolicLink(fd).toString().equals(file + " (deleted)")) {
            found.add(fd);
          }
        } catch (IOException e) {
          // closed meanwhile
        }
      }
    }
    return found;
  }
}
