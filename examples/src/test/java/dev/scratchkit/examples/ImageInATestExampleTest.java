package dev.scratchkit.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.ScratchImage;
import dev.scratchkit.oci.OciImages;
import dev.scratchkit.oci.OciLayout;
import dev.scratchkit.oci.WriteResult;
import dev.scratchkit.testkit.Fixtures;
import dev.scratchkit.testkit.Runc;
import dev.scratchkit.testkit.Tools;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How a user's own test checks the image of their program: build it with scratchkit, read the
 * written layout back with {@link OciImages} (config and files, no tools needed), and, where
 * runc is available, run it and look at what the program prints.
 *
 * <p>{@code Fixtures} and {@code Runc} come from this repository's testkit ({@code Runc} is
 * {@code umoci unpack} plus {@code runc run}, about forty lines); a project of your own would
 * build its program with its build and run the image with its own runtime helper.
 */
class ImageInATestExampleTest {

  @TempDir Path work;

  @Test
  void theServiceImageHasWhatItNeedsAndRuns() {
    // The program under test; in a real project this is the build's output.
    Path service = Fixtures.go(work, "service", Fixtures.GO_HELLO, Map.of("CGO_ENABLED", "0"));

    Path layout = work.resolve("image");
    WriteResult written = ScratchImage.builder()
        .entrypoint(service, "/usr/local/bin/service")
        .env("MODE", "test")
        .build()
        .writeTo(OciLayout.at(layout).tag("test"));

    OciImages.Image image = OciImages.read(layout).image("test");
    assertThat(image.manifestDigest()).isEqualTo(written.digest());
    assertThat(image.config().entrypoint()).containsExactly("/usr/local/bin/service");
    assertThat(image.config().user()).isEqualTo("65532:65532");
    assertThat(image.config().env()).contains("MODE=test", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt");
    List<String> files = image.layers().stream()
        .flatMap(layer -> OciImages.read(layout).entries(layer).stream())
        .map(entry -> entry.path() + " " + Integer.toOctalString(entry.mode()))
        .toList();
    assertThat(files).contains("/usr/local/bin/service 755", "/tmp 1777", "/etc/passwd 644",
        "/etc/ssl/certs/ca-certificates.crt 644");

    Tools.Result run = Runc.run(layout, "test", work);
    assertThat(run.stdout()).as(run.describe()).isEqualTo("hello from go\n");
  }
}
