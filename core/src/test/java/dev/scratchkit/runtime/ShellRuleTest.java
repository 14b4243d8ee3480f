package dev.scratchkit.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.scratchkit.ScratchImage;
import dev.scratchkit.ScratchImageException;
import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import dev.scratchkit.testkit.Fixtures;
import dev.scratchkit.testkit.Runc;
import dev.scratchkit.testkit.Tools;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A C program calling system("echo hi"), as uid 65532 under runc: without /bin/sh the command
 * never runs (status 32512, exit 127 of a shell that could not start) and build() warns (strict
 * mode refuses) naming the import and the fix; with busybox-static as /bin/sh it prints what it
 * prints on this machine.
 */
class ShellRuleTest {

  static final String PROGRAM = "#include <stdio.h>\n#include <stdlib.h>\n"
      + "int main(void){int s=system(\"echo hi\");printf(\"status %d\\n\",s);return 0;}\n";
  static final Path BUSYBOX = Path.of("/bin/busybox");

  @TempDir static Path work;

  @Test
  void withoutAShellTheCommandNeverRunsAndBuildWarnsWithTheFix() throws Exception {
    Path program = Fixtures.gcc(work, "system", PROGRAM);
    ScratchImage image = ScratchImage.builder().entrypoint(program, "/app/system").bundleSharedLibraries().build();
    assertThat(image.warnings()).anyMatch(w -> w.startsWith("/app/system imports system@GLIBC_2.2.5: the command it"
        + " runs goes through /bin/sh -c, and /bin/sh does not exist in the image")
        && w.contains("addFile(Path.of(\"/bin/busybox\"), \"/bin/sh\")"));

    Path layout = RuntimeImages.write(image, work.resolve("no-shell"));
    Tools.Result run = Runc.run(layout, "t", work.resolve("run-no-shell"), List.of("/app/system"));
    assertThat(run.stdout()).as(run.describe()).isEqualTo("status 32512\n");

    Finding f = RuntimeImages.finding(layout, "SHELL_MISSING");
    assertThat(f.severity()).isEqualTo(Severity.WARNING);
    assertThat(f.path()).isEqualTo("/bin/sh");
    assertThat(f.fix()).startsWith("COPY a shell to /bin/sh: a static one such as busybox-static's /bin/busybox");

    ScratchImageException strict = assertThrows(ScratchImageException.class, () -> ScratchImage.builder()
        .entrypoint(program, "/app/system").bundleSharedLibraries().strict(true).build());
    assertThat(strict.getMessage()).contains("/app/system imports system@GLIBC_2.2.5")
        .contains("(strict mode makes this an error)");
  }

  @Test
  void busyboxAsBinShRunsTheCommandAsOnThisMachine() throws Exception {
    Tools.require("busybox");
    Path program = Fixtures.gcc(work, "system2", PROGRAM);
    Tools.Result host = RuntimeImages.onHost(List.of(program.toString()));
    assertThat(host.stdout()).isEqualTo("hi\nstatus 0\n");

    ScratchImage image = ScratchImage.builder().entrypoint(program, "/app/system").bundleSharedLibraries()
        .addFile(BUSYBOX, "/bin/sh").strict(true).build();
    Path layout = RuntimeImages.write(image, work.resolve("busybox"));
    Tools.Result run = Runc.run(layout, "t", work.resolve("run-busybox"), List.of("/app/system"));
    assertThat(run.stdout()).as(run.describe()).isEqualTo(host.stdout());
    assertThat(run.exitCode()).isEqualTo(host.exitCode());
    assertThat(dev.scratchkit.doctor.ImageDoctor.examine(layout).findings()).noneMatch(x -> x.rule().equals("shell"));
  }
}
