package dev.scratchkit.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.ScratchImage;
import dev.scratchkit.oci.OciImages;
import dev.scratchkit.oci.OciLayout;
import dev.scratchkit.oci.WriteResult;
import dev.scratchkit.testing.ContainerSpec;
import dev.scratchkit.testing.Engine;
import dev.scratchkit.testing.ImageRunner;
import dev.scratchkit.testing.RunResult;
import dev.scratchkit.testkit.DockerEngine;
import dev.scratchkit.testkit.Fixtures;
import dev.scratchkit.testkit.Podman;
import dev.scratchkit.testkit.Tools;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * How a user's own test checks the image of their program: build it with scratchkit, read the
 * written layout back with {@link OciImages} (config and files, no tools needed), and run it with
 * scratchkit-testing's {@link ImageRunner} on whichever engine the machine has. In your project
 * {@code ImageRunner.detect()} picks the engine; here each engine gets its own run.
 *
 * <p>{@code Fixtures} builds the program (in a real project, the build does); the testkit
 * engine fixtures only tell this repository's tests where its engines are.
 */
class ImageInATestExampleTest {

  @TempDir Path work;

  @ParameterizedTest
  @EnumSource(Engine.class)
  void theServiceImageHasWhatItNeedsAndRuns(Engine engine) {
    // The program under test; in a real project this is the build's output.
    Path service = Fixtures.go(work, "service", Fixtures.GO_HELLO, Map.of("CGO_ENABLED", "0"));

    ScratchImage built = ScratchImage.builder()
        .entrypoint(service, "/usr/local/bin/service")
        .env("MODE", "test")
        .build();
    Path layout = work.resolve("image");
    WriteResult written = built.writeTo(OciLayout.at(layout).tag("test"));

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

    try (ImageRunner runner = ImageRunner.of(engine, environment(engine))) {
      RunResult run = runner.run(built);
      assertThat(run.exitCode()).as(run.toString()).isZero();
      assertThat(run.stdout()).as(run.toString()).isEqualTo("hello from go\n");

      RunResult fromLayout = runner.run(ContainerSpec.of(OciImages.read(layout), "test"));
      assertThat(fromLayout.stdout()).as(fromLayout.toString()).isEqualTo("hello from go\n");
    }
  }

  /** Where this repository's engines are; skips (fails under SCRATCHKIT_REQUIRE_TOOLS=1) when one is missing. */
  static Map<String, String> environment(Engine engine) {
    switch (engine) {
      case DOCKER:
        return DockerEngine.require().environment();
      case PODMAN:
        Podman.require();
        return Podman.environment();
      default:
        Tools.requireRoot();
        Tools.require("runc");
        Tools.require("umoci");
        return Map.of();
    }
  }
}
