package dev.scratchkit.oci;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.testkit.Runc;
import dev.scratchkit.testkit.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Acceptance 1: images we write are accepted by tools nobody here wrote. */
class OciToolsTest {

  @TempDir
  Path tmp;

  @Test
  void layoutPassesOciImageToolUmociSkopeoAndRunsInRunc() {
    Path busybox = TestImages.busybox();
    Path layout = tmp.resolve("layout");
    WriteResult result = OciLayout.at(layout).tag("latest", "1.0").write(TestImages.busyboxImage(busybox));

    Tools.runOk(Tools.require("oci-image-tool").toString(), "validate", "--type", "image",
        "--ref", "name=latest", layout.toString());
    Tools.runOk(Tools.require("oci-image-tool").toString(), "validate", "--type", "image",
        "--ref", "name=1.0", layout.toString());

    String inspect = Tools.runOk(Tools.require("skopeo").toString(), "inspect", "oci:" + layout + ":latest").stdout();
    assertThat(inspect).contains("\"Digest\": \"" + result.digest() + "\"").contains("\"Architecture\": \"amd64\"");

    Tools.Result unpacked = Tools.run(Duration.ofMinutes(2), null, null, List.of(Tools.require("umoci").toString(),
        "unpack", "--rootless", "--image", layout + ":latest", tmp.resolve("bundle").toString()));
    unpacked.assertOk();
    Path rootfs = tmp.resolve("bundle/rootfs");
    assertThat(rootfs.resolve("bin/busybox")).isRegularFile();
    assertThat(rootfs.resolve("srv/data/hello.txt")).hasContent("hello file");

    Tools.Result run = Runc.run(layout, "latest", tmp.resolve("runc"));
    run.assertOk();
    assertThat(run.stdout()).isEqualTo("hello\n");
    Tools.Result echo = Runc.run(layout, "latest", tmp.resolve("runc2"), List.of("/bin/echo", "via", "hard", "link"));
    assertThat(echo.assertOk().stdout()).isEqualTo("via hard link\n");
  }

  @Test
  void skopeoCopiesToOciArchiveAndBackKeepingTheDigest() {
    Path busybox = TestImages.busybox();
    Path layout = tmp.resolve("layout");
    WriteResult result = OciLayout.at(layout).tag("latest").write(TestImages.busyboxImage(busybox));
    String skopeo = Tools.require("skopeo").toString();
    Path archive = tmp.resolve("copy.tar");
    Tools.runOk(skopeo, "copy", "oci:" + layout + ":latest", "oci-archive:" + archive + ":latest");
    Path back = tmp.resolve("back");
    Tools.runOk(skopeo, "copy", "oci-archive:" + archive + ":latest", "oci:" + back + ":again");
    assertThat(Tools.runOk(skopeo, "inspect", "oci:" + back + ":again").stdout())
        .contains("\"Digest\": \"" + result.digest() + "\"");
  }

  @Test
  void ourOciArchiveIsReadBySkopeoWithTheLayoutsDigest() {
    Path busybox = TestImages.busybox();
    ImageSpec image = TestImages.busyboxImage(busybox);
    WriteResult layout = OciLayout.at(tmp.resolve("layout")).write(image);
    Path archive = tmp.resolve("image.tar");
    WriteResult written = OciArchive.at(archive).tag("latest").write(image);
    assertThat(written.digest()).isEqualTo(layout.digest());
    String skopeo = Tools.require("skopeo").toString();
    assertThat(Tools.runOk(skopeo, "inspect", "oci-archive:" + archive + ":latest").stdout())
        .contains("\"Digest\": \"" + written.digest() + "\"");
    Tools.runOk(skopeo, "copy", "oci-archive:" + archive + ":latest", "oci:" + tmp.resolve("back") + ":latest");
    assertThat(Tools.runOk(skopeo, "inspect", "oci:" + tmp.resolve("back") + ":latest").stdout())
        .contains("\"Digest\": \"" + written.digest() + "\"");
    assertThat(tmp).isDirectoryNotContaining("glob:**/.image.tar.scratchkit-*");
  }

  @Test
  void skopeoReadsOurDockerArchive() {
    Path busybox = TestImages.busybox();
    Path archive = tmp.resolve("docker.tar");
    WriteResult written = DockerArchive.at(archive).tag("scratchkit/busybox:1").write(TestImages.busyboxImage(busybox));
    String skopeo = Tools.require("skopeo").toString();
    String inspect = Tools.runOk(skopeo, "inspect", "docker-archive:" + archive).stdout();
    assertThat(inspect).contains("\"Architecture\": \"amd64\"")
        .contains(written.layers().get(0).diffId().toString(), written.layers().get(1).diffId().toString());
    assertThat(Tools.runOk(skopeo, "inspect", "--config", "docker-archive:" + archive).stdout())
        .contains("\"/bin/busybox\",").contains(written.layers().get(1).diffId().toString());
    // Through skopeo into a layout: the same config, so umoci and runc run it.
    Path layout = tmp.resolve("from-docker");
    Tools.runOk(skopeo, "copy", "docker-archive:" + archive, "oci:" + layout + ":latest");
    String config = Tools.runOk(skopeo, "inspect", "--config", "oci:" + layout + ":latest").stdout();
    assertThat(config).contains("\"created\": \"2024-01-02T03:04:05Z\"");
    assertThat(written.config()).isPresent();
    assertThat(Files.exists(archive)).isTrue();
  }
}
