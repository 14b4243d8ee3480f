package dev.scratchkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scratchkit.testkit.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code build()} runs the doctor's rules on the image it assembled, so mistakes that only show
 * in the merged image (a file where a directory of another layer is) are refused with the fix,
 * like the builder inputs the image cannot show.
 */
class BuildRunsTheRulesTest {

  @TempDir Path work;

  private static Path busybox() {
    return Tools.require("busybox");
  }

  private static String refusal(ScratchImage.Builder builder) {
    Throwable t = org.assertj.core.api.Assertions.catchThrowable(builder::build);
    assertThat(t).isInstanceOf(ScratchImageException.class);
    return t.getMessage();
  }

  @Test
  void aFileAddedAtTheCertificateDirectoryIsRefused() throws Exception {
    Path pem = Files.writeString(work.resolve("corp.pem"), "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    String message = refusal(ScratchImage.builder().entrypoint(busybox()).addFile(pem, "/etc/ssl/certs"));
    assertThat(message).contains("puts a file at /etc/ssl/certs, which was a directory from layer 2; it hides 1 entry"
        + " of lower layers: /etc/ssl/certs/ca-certificates.crt")
        .contains("open /etc/ssl/certs/ca-certificates.crt: not a directory")
        .contains("addFile(file, \"/etc/ssl/certs/name\")");
  }

  @Test
  void anEntrypointPutAtTmpOrEtcIsRefused() {
    assertThat(refusal(ScratchImage.builder().entrypoint(busybox(), "/tmp")))
        .contains("puts a file at /tmp, which was a directory from layer 1")
        .contains("entrypoint(binary, \"/tmp/name\")");
    assertThat(refusal(ScratchImage.builder().entrypoint(busybox(), "/etc")))
        .contains("puts a file at /etc, which was a directory from layer 2; it hides")
        .contains("/etc/passwd");
  }

  @Test
  void aWorkingDirectoryThatIsTheProgramIsRefused() {
    assertThat(refusal(ScratchImage.builder().entrypoint(busybox(), "/app/busybox").workingDirectory("/app/busybox")))
        .contains("WorkingDir is /app/busybox, but /app/busybox is a file")
        .contains("mkdir /app/busybox: not a directory")
        .contains("Give workingDirectory(...) a directory, e.g. \"/app\"");
  }

  @Test
  void anEnvironmentNameWithEqualsIsRefused() {
    assertThat(refusal(ScratchImage.builder().entrypoint(busybox()).env("A=B", "c")))
        .contains("env(\"A=B\", \"c\"): the name contains '=', so the image would get A=B=c, which sets A to \"B=c\"")
        .contains("env(\"A\", \"Bc\")");
  }

  @Test
  void anEntrypointPathEndingInASlashIsRefused() {
    assertThat(refusal(ScratchImage.builder().entrypoint(busybox(), "/usr/local/bin/")))
        .contains("entrypoint(binary, \"/usr/local/bin/\") ends with a slash")
        .contains("entrypoint(binary, \"/usr/local/bin/busybox\")");
  }

  @Test
  void problemsOfTheInputsAndTheAssemblerAreReportedTogether() {
    String message = refusal(ScratchImage.builder().entrypoint(busybox()).env("A=B", "c").user("nobody-here"));
    assertThat(message).startsWith("The image would not run (2 problems):").contains("env(\"A=B\"")
        .contains("no user \"nobody-here\"");
  }
}
