package dev.scratchkit.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.scratchkit.ScratchImage;
import dev.scratchkit.ScratchImageException;
import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import dev.scratchkit.testkit.Runc;
import dev.scratchkit.testkit.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * gawk told to load its ordchr extension, as uid 65532 under runc: build() refuses without the
 * extension, naming the file and the addFile; followed, it prints what it prints on this
 * machine; the same image made elsewhere without the file fails as gawk says, and the doctor
 * gives the same error.
 */
class ExtensionsRuleTest {

  static final Path ORDCHR = Path.of("/usr/lib/x86_64-linux-gnu/gawk/ordchr.so");

  @TempDir static Path work;

  @Test
  void anExtensionTheProgramIsToldToLoadIsCertain() throws Exception {
    Path gawk = Tools.require("gawk");
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(ORDCHR), "needs gawk's ordchr extension");
    String program = "@load \"ordchr\"; BEGIN { print ord(\"A\") }";
    ScratchImageException refused = assertThrows(ScratchImageException.class, () -> ScratchImage.builder()
        .entrypoint(gawk, "/usr/bin/gawk").args(program).bundleSharedLibraries().build());
    assertThat(refused.getMessage()).contains("/usr/bin/gawk is told to load the extension ordchr (@load or -l),"
        + " which it opens from /usr/lib/x86_64-linux-gnu/gawk")
        .contains("addFile(Path.of(\"" + ORDCHR + "\"), \"" + ORDCHR + "\")");

    Tools.Result host = RuntimeImages.onHost(List.of(gawk.toString(), program));
    assertThat(host.stdout()).isEqualTo("65\n");
    ScratchImage fixed = ScratchImage.builder().entrypoint(gawk, "/usr/bin/gawk").args(program)
        .bundleSharedLibraries().addFile(ORDCHR, ORDCHR.toString()).build();
    Path layout = RuntimeImages.write(fixed, work.resolve("fixed"));
    Tools.Result run = Runc.run(layout, "t", work.resolve("run-fixed"), List.of("/usr/bin/gawk", program));
    assertThat(run.stdout()).as(run.describe()).isEqualTo(host.stdout());

    Path elsewhere = RuntimeImages.write(RuntimeImages.without(fixed, p -> p.equals(ORDCHR.toString()), null),
        work.resolve("elsewhere"));
    Tools.Result broken = Runc.run(elsewhere, "t", work.resolve("run-elsewhere"), List.of("/usr/bin/gawk", program));
    assertThat(broken.exitCode()).isNotEqualTo(0);
    assertThat(broken.stderr()).contains("cannot open shared library `ordchr' for reading");
    Finding f = RuntimeImages.finding(elsewhere, "EXTENSION_MISSING");
    assertThat(f.severity()).isEqualTo(Severity.ERROR);
    assertThat(f.fix()).isEqualTo("COPY " + ORDCHR + " (Debian package gawk) with its libraries.");
  }
}
