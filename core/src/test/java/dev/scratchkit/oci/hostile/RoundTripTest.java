package dev.scratchkit.oci.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.elf.Platform;
import dev.scratchkit.oci.ContainerConfig;
import dev.scratchkit.oci.DockerArchive;
import dev.scratchkit.oci.ImagePath;
import dev.scratchkit.oci.ImageSpec;
import dev.scratchkit.oci.ImageTarget;
import dev.scratchkit.oci.LayerCache;
import dev.scratchkit.oci.LayerCompression;
import dev.scratchkit.oci.LayerEntry;
import dev.scratchkit.oci.LayerSpec;
import dev.scratchkit.oci.OciArchive;
import dev.scratchkit.oci.OciImages;
import dev.scratchkit.oci.OciLayout;
import dev.scratchkit.oci.ProgressListener;
import dev.scratchkit.oci.WriteResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * What each of our targets writes reads back with exactly the digests the target reported
 * (manifest or index, config, every layer), every layer verifies (digest and diff ID), and a
 * file's content comes back through {@link OciImages#readLayer}.
 */
class RoundTripTest {

  @TempDir
  Path tmp;

  static ImageSpec image(String arch, String hello) {
    LayerSpec base = LayerSpec.of("base", LayerEntry.bytes(ImagePath.of("/etc/passwd"),
        "root:x:0:0:root:/:/sbin/nologin\n".getBytes(StandardCharsets.UTF_8), 0644),
        LayerEntry.directory(ImagePath.of("/tmp"), 01777));
    LayerSpec app = LayerSpec.of("app", LayerEntry.bytes(ImagePath.of("/srv/hello.txt"),
        hello.getBytes(StandardCharsets.UTF_8), 0644), LayerEntry.symlink(ImagePath.of("/srv/link"), "hello.txt"),
        LayerEntry.hardLink(ImagePath.of("/srv/again"), ImagePath.of("/srv/hello.txt")));
    ContainerConfig config = ContainerConfig.empty().withEntrypoint(List.of("/srv/hello")).withUser("65532:65532")
        .withLabels(Map.of("a", "b"));
    Platform platform = arch.equals("amd64") ? Platform.LINUX_AMD64 : new Platform("linux", arch, null);
    return ImageSpec.of(platform, Instant.parse("2024-01-02T03:04:05Z"), config, List.of(base, app))
        .withAnnotations(Map.of("org.opencontainers.image.title", "round trip"));
  }

  record Target(String name, Function<Path, ImageTarget> target, boolean index, String tag) {}

  @TestFactory
  Stream<DynamicTest> everyTargetReadsBackWithTheDigestsItReported() {
    List<Target> targets = new ArrayList<>();
    for (LayerCompression compression : List.of(LayerCompression.gzip(), LayerCompression.zstd())) {
      String c = compression.algorithm().name().toLowerCase(java.util.Locale.ROOT);
      targets.add(new Target("oci-layout " + c, p -> OciLayout.at(p.resolve("layout")).tag("t")
          .compression(compression).cache(LayerCache.disabled()), false, "t"));
      targets.add(new Target("oci-archive " + c, p -> OciArchive.at(p.resolve("image.tar")).tag("t")
          .compression(compression).cache(LayerCache.disabled()), false, "t"));
      targets.add(new Target("oci-layout index " + c, p -> OciLayout.at(p.resolve("layout")).tag("t")
          .compression(compression).cache(LayerCache.disabled()), true, "t"));
      targets.add(new Target("oci-archive index " + c, p -> OciArchive.at(p.resolve("image.tar")).tag("t")
          .compression(compression).cache(LayerCache.disabled()), true, "t"));
    }
    // The docker-archive target writes gzip layers only.
    targets.add(new Target("docker-archive gzip", p -> DockerArchive.at(p.resolve("docker.tar")).tag("app:1")
        .cache(LayerCache.disabled()), false, "app:1"));
    targets.add(new Target("docker-archive gzip level 1", p -> DockerArchive.at(p.resolve("docker.tar"))
        .tag("app:1", "app:latest").compressionLevel(1).cache(LayerCache.disabled()), false, "app:latest"));
    return targets.stream().map(t -> DynamicTest.dynamicTest(t.name(), () -> roundTrip(t)));
  }

  private void roundTrip(Target t) throws Exception {
    Path dir = java.nio.file.Files.createTempDirectory(tmp, "rt");
    ImageTarget target = t.target().apply(dir);
    List<ImageSpec> specs = List.of(image("amd64", "hello amd64\n"), image("arm64", "hello arm64\n"));
    WriteResult written = t.index() ? target.writeIndex(specs, ProgressListener.NONE)
        : target.write(specs.get(0), ProgressListener.NONE);
    Path where = target instanceof OciLayout l ? l.directory() : target instanceof OciArchive a ? a.file()
        : ((DockerArchive) target).file();
    OciImages images = OciImages.read(where);
    List<WriteResult> expected = t.index() ? written.manifests() : List.of(written);
    List<OciImages.Image> found = images.images().stream().filter(i -> i.tag().equals(t.tag())).toList();
    assertThat(found).hasSize(expected.size());
    for (int n = 0; n < expected.size(); n++) {
      WriteResult w = expected.get(n);
      OciImages.Image image = found.get(n);
      assertThat(image.manifestDigest()).as(t.name()).isEqualTo(w.digest());
      assertThat(image.configDigest()).isEqualTo(w.configDigest());
      assertThat(image.layers()).extracting(OciImages.Layer::digest)
          .containsExactlyElementsOf(w.layers().stream().map(dev.scratchkit.oci.LayerDescriptor::digest).toList());
      assertThat(image.layers()).extracting(OciImages.Layer::diffId)
          .containsExactlyElementsOf(w.layers().stream().map(dev.scratchkit.oci.LayerDescriptor::diffId).toList());
      assertThat(image.layers()).extracting(OciImages.Layer::mediaType)
          .containsExactlyElementsOf(w.layers().stream().map(dev.scratchkit.oci.LayerDescriptor::mediaType).toList());
      assertThat(images.entries(image.layers().get(0))).extracting(OciImages.Entry::path)
          .containsExactly("/etc", "/etc/passwd", "/tmp");
      List<String> seen = new ArrayList<>();
      images.readLayer(image.layers().get(1), (entry, content) -> seen.add(entry.path() + " " + entry.type()
          + " " + new String(content.readAllBytes(), StandardCharsets.UTF_8).strip()));
      assertThat(seen).containsExactly("/srv DIRECTORY ",
          "/srv/hello.txt FILE hello " + image.platform().architecture(), "/srv/again HARD_LINK ",
          "/srv/link SYMLINK ");
    }
  }

  @org.junit.jupiter.api.Test
  void anImageWithARepeatedLayerReadsBackFromEveryTarget() {
    LayerSpec same = LayerSpec.of("same", LayerEntry.bytes(ImagePath.of("/hello.txt"),
        "hi\n".getBytes(StandardCharsets.UTF_8), 0644));
    ImageSpec image = ImageSpec.of(Platform.LINUX_AMD64, Instant.parse("2024-01-02T03:04:05Z"),
        ContainerConfig.empty().withEntrypoint(List.of("/hello")), List.of(same, same));
    for (ImageTarget target : List.<ImageTarget>of(OciLayout.at(tmp.resolve("dup-layout")).cache(LayerCache.disabled()),
        OciArchive.at(tmp.resolve("dup.tar")).cache(LayerCache.disabled()),
        DockerArchive.at(tmp.resolve("dup-docker.tar")).tag("dup:1").cache(LayerCache.disabled()))) {
      WriteResult written = target.write(image, ProgressListener.NONE);
      Path where = target instanceof OciLayout l ? l.directory() : target instanceof OciArchive a ? a.file()
          : ((DockerArchive) target).file();
      OciImages images = OciImages.read(where);
      OciImages.Image back = images.images().get(0);
      assertThat(back.manifestDigest()).as(target.description()).isEqualTo(written.digest());
      assertThat(back.layers()).hasSize(2);
      assertThat(images.entries(back.layers().get(1))).extracting(OciImages.Entry::path).containsExactly("/hello.txt");
    }
  }
}
