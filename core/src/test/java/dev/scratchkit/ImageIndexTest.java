package dev.scratchkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scratchkit.oci.OciLayout;
import dev.scratchkit.oci.WriteResult;
import dev.scratchkit.testkit.Fixtures;
import dev.scratchkit.testkit.Tools;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Multi-platform images written to an OCI layout, checked with skopeo and oci-image-tool. */
class ImageIndexTest {

  @TempDir Path work;

  @Test
  void amd64AndArm64ImagesShareOneIndex() {
    Path amd64 = Fixtures.go(work, "hello-amd64", Fixtures.GO_HELLO, Map.of("CGO_ENABLED", "0", "GOARCH", "amd64"));
    Path arm64 = Fixtures.go(work, "hello-arm64", Fixtures.GO_HELLO, Map.of("CGO_ENABLED", "0", "GOARCH", "arm64"));
    ScratchImage a = ScratchImage.builder().entrypoint(amd64, "/app/hello").noCaCertificates().build();
    ScratchImage b = ScratchImage.builder().entrypoint(arm64, "/app/hello").noCaCertificates().build();
    Path layout = work.resolve("multi");
    WriteResult result = ImageIndex.of(a, b).writeTo(OciLayout.at(layout).tag("latest"));
    assertThat(result.manifests()).hasSize(2);

    String skopeo = Tools.require("skopeo").toString();
    String raw = Tools.runOk(skopeo, "inspect", "--raw", "oci:" + layout + ":latest").stdout();
    assertThat(raw).contains("\"architecture\":\"amd64\"").contains("\"architecture\":\"arm64\"");
    String armConfig = Tools.runOk(skopeo, "--override-arch", "arm64", "inspect", "--config",
        "oci:" + layout + ":latest").stdout();
    assertThat(armConfig).containsPattern("\"architecture\":\\s*\"arm64\"");
    Tools.runOk(Tools.require("oci-image-tool").toString(), "validate", "--type", "image", layout.toString());
  }

  @Test
  void twoImagesOfOnePlatformAreRefused() {
    Path amd64 = Fixtures.go(work, "hello-amd64", Fixtures.GO_HELLO, Map.of("CGO_ENABLED", "0", "GOARCH", "amd64"));
    ScratchImage a = ScratchImage.builder().entrypoint(amd64, "/app/a").noCaCertificates().build();
    ScratchImage b = ScratchImage.builder().entrypoint(amd64, "/app/b").noCaCertificates().build();
    assertThatThrownBy(() -> ImageIndex.of(a, b))
        .isInstanceOf(ScratchImageException.class)
        .hasMessageContaining("The index has 2 images for linux/amd64 ([/app/a], [/app/b])");
  }
}
