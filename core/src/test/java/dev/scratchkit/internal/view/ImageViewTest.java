package dev.scratchkit.internal.view;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.elf.Platform;
import dev.scratchkit.oci.ContainerConfig;
import dev.scratchkit.oci.ImagePath;
import dev.scratchkit.oci.ImageSpec;
import dev.scratchkit.oci.LayerEntry;
import dev.scratchkit.oci.LayerSpec;
import dev.scratchkit.oci.OciImages;
import dev.scratchkit.oci.OciLayout;
import dev.scratchkit.oci.OciArchive;
import dev.scratchkit.oci.DockerArchive;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The merge: layers in order, whiteouts, opaque directories, hard links, kinds replaced, links
 * followed inside the root only; the same view whether the image is the builder's spec or read
 * back from a layout, an OCI archive or a docker-archive.
 */
class ImageViewTest {

  @TempDir Path work;

  private static LayerEntry text(String path, String content) {
    return LayerEntry.bytes(ImagePath.of(path), content.getBytes(StandardCharsets.UTF_8), 0644);
  }

  /** Three layers exercising every merge case. */
  static ImageSpec layered() {
    LayerSpec base = LayerSpec.of("base", text("/etc/passwd", "root:x:0:0::/:/x\n"), text("/etc/motd", "hi"),
        text("/data/old/a", "a"), text("/data/old/b", "b"), text("/keep/x", "x"),
        LayerEntry.symlink(ImagePath.of("/lib"), "usr/lib"), text("/usr/lib/libc.so.6", "c"),
        LayerEntry.directory(ImagePath.of("/srv"), 0755));
    LayerSpec second = LayerSpec.of("second", text("/etc/.wh.motd", ""), text("/data/old/.wh..wh..opq", ""),
        text("/data/old/c", "c"), text("/keep/x/file", "f").withMode(0600),
        LayerEntry.hardLink(ImagePath.of("/etc/passwd2"), ImagePath.of("/etc/passwd-new")),
        text("/etc/passwd-new", "new").withMode(0640),
        text("/srv", "now a file"));
    LayerSpec third = LayerSpec.of("third", text("/lib/mine", "m"),
        LayerEntry.symlink(ImagePath.of("/up"), "../../../../etc/passwd"),
        LayerEntry.symlink(ImagePath.of("/loop"), "loop"));
    return ImageSpec.of(Platform.LINUX_AMD64, Instant.EPOCH, ContainerConfig.empty(), List.of(base, second, third));
  }

  private static void assertMerged(ImageView view) {
    assertThat(view.entry("/etc/motd")).isEmpty();
    assertThat(view.entry("/etc/passwd")).isPresent();
    assertThat(view.entry("/data/old/a")).isEmpty();
    assertThat(view.entry("/data/old/c")).isPresent();
    assertThat(view.entry("/keep/x").orElseThrow().isDirectory()).isTrue();
    ImageView.Node hard = view.entry("/etc/passwd2").orElseThrow();
    assertThat(hard.isFile()).isTrue();
    assertThat(hard.mode()).isEqualTo(0640);
    assertThat(new String(view.read(hard, 100), StandardCharsets.UTF_8)).isEqualTo("new");
    // /lib was a link; a layer adding /lib/mine made it a directory and hid the link
    assertThat(view.entry("/lib").orElseThrow().isDirectory()).isTrue();
    assertThat(view.resolve("/lib/libc.so.6").found()).isFalse();
    assertThat(view.changes()).extracting(c -> c.path() + " " + c.before().type() + "->" + c.after() + " " + c.hidden())
        .containsExactly("/keep/x FILE->DIRECTORY []", "/srv DIRECTORY->FILE []", "/lib SYMLINK->DIRECTORY []");
    // links stay inside the root
    ImageView.Resolution up = view.resolve("/up");
    assertThat(up.found()).isTrue();
    assertThat(up.realPath()).isEqualTo("/etc/passwd");
    assertThat(view.resolve("/loop").failure()).isEqualTo(ImageView.Failure.TOO_MANY_LINKS);
    ImageView.Resolution through = view.resolve("/srv/x");
    assertThat(through.failure()).isEqualTo(ImageView.Failure.NOT_A_DIRECTORY);
    assertThat(through.blocker().path()).isEqualTo("/srv");
  }

  @Test
  void theBuildersSpecMergesAsTheRuntimeSeesIt() {
    try (ImageView view = ImageViews.of(layered())) {
      assertMerged(view);
      assertThat(view.builtByScratchkit()).isTrue();
    }
  }

  @Test
  void theSameImageReadBackFromALayoutAnArchiveAndADockerArchiveMergesTheSame() {
    ImageSpec spec = layered();
    Path layout = work.resolve("layout");
    Path archive = work.resolve("image.tar");
    Path docker = work.resolve("docker.tar");
    OciLayout.at(layout).tag("t").write(spec);
    OciArchive.at(archive).tag("t").write(spec);
    DockerArchive.at(docker).tag("img:t").write(spec);
    for (Path source : List.of(layout, archive, docker)) {
      OciImages images = OciImages.read(source);
      try (ImageView view = ImageViews.of(images, images.images().get(0))) {
        assertMerged(view);
        assertThat(view.builtByScratchkit()).isFalse();
        assertThat(view.name()).contains(source.toString());
      }
    }
  }

  @Test
  void aBigFileIsReadAgainFromItsLayerIntoATemporaryFileThatCloseDeletes() throws Exception {
    byte[] big = new byte[ImageViews.SMALL_FILE + 10];
    big[big.length - 1] = 42;
    ImageSpec spec = ImageSpec.of(Platform.LINUX_AMD64, Instant.EPOCH, ContainerConfig.empty(),
        List.of(LayerSpec.of("big", LayerEntry.bytes(ImagePath.of("/big"), big, 0644))));
    Path layout = work.resolve("big");
    OciLayout.at(layout).tag("t").write(spec);
    OciImages images = OciImages.read(layout);
    Path local;
    try (ImageView view = ImageViews.of(images, images.images().get(0))) {
      ImageView.Node node = view.entry("/big").orElseThrow();
      assertThat(view.head(node)).hasSize(ImageView.HEAD_BYTES);
      local = view.localFile(node);
      assertThat(Files.readAllBytes(local)).isEqualTo(big);
    }
    assertThat(local).doesNotExist();
  }

  @Test
  void anEntryClimbingAboveTheRootIsDroppedAndNamed() {
    ImageView view = new ImageView.Builder("t", false, Platform.LINUX_AMD64, ContainerConfig.empty(), List.of())
        .layer("evil").add("../../etc/passwd", LayerEntry.Type.FILE, 0644, 0, 0, 1, null,
            () -> new ByteArrayInputStream(new byte[] {1}), null).build();
    assertThat(view.entries()).isEmpty();
    assertThat(view.anomalies()).singleElement().asString().contains("climbs out of the root");
  }
}
