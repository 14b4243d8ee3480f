package dev.scratchkit.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scratchkit.elf.Platform;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Acceptance 4: bad input gives a clear exception naming the path, and nothing half-written. */
class BadInputTest {

  @TempDir
  Path tmp;

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void relativeDotDotEmptySegmentAndNulPathsAreRefusedNamingThePath() {
    assertThatThrownBy(() -> ImagePath.of("etc/passwd")).isInstanceOf(OciException.class)
        .hasMessage("invalid path in image \"etc/passwd\": it is relative; write it from the image's root, e.g. \"/etc/passwd\"");
    assertThatThrownBy(() -> ImagePath.of("/app/../etc/shadow")).isInstanceOf(OciException.class)
        .hasMessageContaining("\"/app/../etc/shadow\"").hasMessageContaining("contains \"..\"");
    assertThatThrownBy(() -> ImagePath.of("/app/./x")).hasMessageContaining("\"/app/./x\"").hasMessageContaining("\".\"");
    assertThatThrownBy(() -> ImagePath.of("/app//x")).hasMessageContaining("empty segment");
    assertThatThrownBy(() -> ImagePath.of("/a\0b")).hasMessageContaining("\"/a\\0b\"").hasMessageContaining("NUL");
    assertThatThrownBy(() -> ImagePath.of("")).hasMessageContaining("empty");
    assertThatThrownBy(() -> ImagePath.of("/etc").resolve("../root")).hasMessageContaining("\"/etc/../root\"");
    assertThat(ImagePath.of("/etc/").toString()).isEqualTo("/etc");
    assertThat(ImagePath.of("/etc/ssl/certs").parent()).contains(ImagePath.of("/etc/ssl"));
    assertThat(ImagePath.of("/etc").resolve("ssl/certs").tarName()).isEqualTo("etc/ssl/certs");
  }

  @Test
  void samePathTwiceWithDifferentContentIsRefusedAndIdenticalDuplicatesCollapse() {
    ImagePath p = ImagePath.of("/etc/app.conf");
    assertThatThrownBy(() -> LayerSpec.of("x", LayerEntry.bytes(p, utf8("a"), 0644), LayerEntry.bytes(p, utf8("b"), 0644)))
        .isInstanceOf(OciException.class)
        .hasMessageStartingWith("the layer has /etc/app.conf twice with different content: file /etc/app.conf 0644 0:0 (1 bytes) and file /etc/app.conf 0644 0:0 (1 bytes)");
    assertThatThrownBy(() -> LayerSpec.of("x", LayerEntry.bytes(p, utf8("a"), 0644), LayerEntry.bytes(p, utf8("a"), 0600)))
        .hasMessageContaining("/etc/app.conf twice");
    LayerSpec collapsed = LayerSpec.of("x", LayerEntry.bytes(p, utf8("a"), 0644), LayerEntry.bytes(p, utf8("a"), 0644));
    assertThat(collapsed.entries()).extracting(e -> e.path().toString()).containsExactly("/etc", "/etc/app.conf");
    assertThatThrownBy(() -> LayerSpec.of("x", LayerEntry.bytes(ImagePath.of("/a"), utf8("f"), 0644),
        LayerEntry.bytes(ImagePath.of("/a/b"), utf8("g"), 0644)))
        .hasMessageStartingWith("the layer has /a/b inside /a, but /a is a file");
    assertThatThrownBy(() -> LayerSpec.of("x", LayerEntry.hardLink(ImagePath.of("/b"), ImagePath.of("/missing"))))
        .hasMessageStartingWith("hard link /b points to /missing, which is not in this layer");
  }

  @Test
  void missingSourceIsRefusedWhenTheEntryIsMade() {
    Path missing = tmp.resolve("no-such-binary");
    assertThatThrownBy(() -> LayerEntry.file(ImagePath.of("/app"), missing, 0755)).isInstanceOf(OciException.class)
        .hasMessage("source file " + missing + " for /app cannot be read: it does not exist;"
            + " check the path, or build the file before writing the image");
    assertThatThrownBy(() -> LayerEntry.file(ImagePath.of("/app"), tmp, 0755))
        .hasMessageStartingWith("source file " + tmp + " for /app is not a regular file but a directory");
  }

  @Test
  void sourceDeletedBeforeWritingLeavesNoNewLayoutAndNoArchive() throws IOException {
    Path source = Files.writeString(tmp.resolve("app"), "#binary");
    ImageSpec image = imageOf(LayerEntry.file(ImagePath.of("/app"), source, 0755));
    Files.delete(source);
    Path layout = tmp.resolve("out/layout");
    Files.createDirectories(layout.getParent());
    assertThatThrownBy(() -> OciLayout.at(layout).write(image)).isInstanceOf(OciException.class)
        .hasMessageContaining("source file " + source + " for /app cannot be read: it does not exist");
    assertThat(layout).doesNotExist();
    Path archive = tmp.resolve("out/image.tar");
    assertThatThrownBy(() -> OciArchive.at(archive).write(image)).hasMessageContaining(source.toString());
    assertThatThrownBy(() -> DockerArchive.at(archive).tag("app:1").write(image)).hasMessageContaining(source.toString());
    try (Stream<Path> left = Files.list(tmp.resolve("out"))) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void unreadableSourceIsRefusedNamingIt() throws IOException {
    Path source = Files.writeString(tmp.resolve("secret"), "x");
    Files.setPosixFilePermissions(source, java.util.Set.of());
    // root reads anything; the check only bites for other users
    org.junit.jupiter.api.Assumptions.assumeFalse(Files.isReadable(source), "running as root: every file is readable");
    assertThatThrownBy(() -> LayerEntry.file(ImagePath.of("/secret"), source, 0644))
        .hasMessageStartingWith("source file " + source + " for /secret is not readable by this process");
  }

  @Test
  void sourceThatChangesWhileWritingFailsAndTheExistingLayoutIsUnchanged() throws IOException {
    Path layout = tmp.resolve("layout");
    Digest old = OciLayout.at(layout).tag("old").write(imageOf(LayerEntry.bytes(ImagePath.of("/a"), utf8("a"), 0644))).digest();
    byte[] indexBefore = Files.readAllBytes(layout.resolve("index.json"));
    Path source = Files.writeString(tmp.resolve("growing"), "x".repeat(100_000));
    // A FIFO-free way to change a file mid-copy: the listener grows it when the layer starts.
    ProgressListener grow = new ProgressListener() {
      @Override
      public void layerStarted(int index, int entryCount) {
        try {
          Files.writeString(source, "more", java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }
    };
    ImageSpec image = imageOf(LayerEntry.file(ImagePath.of("/big"), source, 0644));
    // The file is recorded when its entry is made: grown after that, it is refused, before a byte is copied.
    assertThatThrownBy(() -> OciLayout.at(layout).tag("new").write(image, grow)).isInstanceOf(OciException.class)
        .hasMessage("source file " + source + " for /big changed after the image was built: its size changed from"
            + " 100000 to 100004 bytes; build() saw a regular file of 100000 bytes. The layer was not written."
            + " Build the image again once the file is final, and keep it unchanged until writeTo returns");
    assertThat(Files.readAllBytes(layout.resolve("index.json"))).isEqualTo(indexBefore);
    WriteResult ok = OciLayout.at(layout).tag("new").write(imageOf(LayerEntry.file(ImagePath.of("/big"), source, 0644)));
    assertThat(ok.digest()).isNotEqualTo(old);

    Path layout2 = tmp.resolve("layout2");
    OciLayout.at(layout2).tag("old").write(imageOf(LayerEntry.bytes(ImagePath.of("/a"), utf8("a"), 0644)));
    byte[] index2 = Files.readAllBytes(layout2.resolve("index.json"));
    Files.delete(source);
    assertThatThrownBy(() -> OciLayout.at(layout2).tag("new").write(image)).isInstanceOf(OciException.class)
        .hasMessageContaining(source.toString());
    assertThat(Files.readAllBytes(layout2.resolve("index.json"))).isEqualTo(index2);
    assertThat(layout2.resolve(".scratchkit-tmp")).doesNotExist();
    assertThat(Files.readAllBytes(layout.resolve("index.json"))).isNotEqualTo(indexBefore);
  }

  @Test
  void previousArchiveStaysIntactWhenAWriteFails() throws IOException {
    Path archive = tmp.resolve("image.tar");
    OciArchive.at(archive).write(imageOf(LayerEntry.bytes(ImagePath.of("/a"), utf8("a"), 0644)));
    byte[] before = Files.readAllBytes(archive);
    Path source = Files.writeString(tmp.resolve("gone"), "x");
    ImageSpec bad = imageOf(LayerEntry.file(ImagePath.of("/gone"), source, 0644));
    Files.delete(source);
    assertThatThrownBy(() -> OciArchive.at(archive).write(bad)).hasMessageContaining(source.toString());
    assertThat(Files.readAllBytes(archive)).isEqualTo(before);
    try (Stream<Path> left = Files.list(tmp)) {
      assertThat(left.map(p -> p.getFileName().toString())).containsExactly("image.tar");
    }
  }

  @Test
  void nonEmptyDirectoryThatIsNotALayoutIsRefused() throws IOException {
    Files.writeString(tmp.resolve("notes.txt"), "mine");
    assertThatThrownBy(() -> OciLayout.at(tmp).write(imageOf(LayerEntry.bytes(ImagePath.of("/a"), utf8("a"), 0644))))
        .hasMessage("refusing to write an OCI layout into " + tmp + ": the directory is not empty (notes.txt, ...)"
            + " and has no oci-layout file; choose an empty or new directory");
    assertThat(tmp.resolve(".scratchkit-lock")).doesNotExist();
  }

  @Test
  void badTagsAndIndexOnDockerArchiveAreRefused() {
    assertThatThrownBy(() -> OciLayout.at(tmp).tag("bad tag")).hasMessageStartingWith("invalid tag \"bad tag\"");
    assertThatThrownBy(() -> DockerArchive.at(tmp.resolve("x.tar")).tag("app"))
        .hasMessageEndingWith("did you mean \"app:latest\"?");
    ImageSpec image = imageOf(LayerEntry.bytes(ImagePath.of("/a"), utf8("a"), 0644));
    assertThatThrownBy(() -> DockerArchive.at(tmp.resolve("x.tar")).tag("app:1").writeIndex(List.of(image), ProgressListener.NONE))
        .hasMessageContaining("docker-archive format holds single-platform images only");
    assertThatThrownBy(() -> new ImageSpec(Platform.LINUX_AMD64, Instant.parse("1969-12-31T23:59:59Z"),
        ContainerConfig.empty(), List.of(), java.util.Map.of(), null)).hasMessageContaining("before 1970");
  }

  static ImageSpec imageOf(LayerEntry... entries) {
    return ImageSpec.of(Platform.LINUX_AMD64, Instant.EPOCH, ContainerConfig.empty(),
        List.of(LayerSpec.of("test", entries)));
  }
}
