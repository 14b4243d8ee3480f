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
 * mode refuses) naming the import and the fix; bundling brings the build machine's /bin/sh on
 * that evidence, and with it (or busybox-static as /bin/sh) the program prints what it prints on
 * this machine. Commands the image's own inputs give (an awk program's system()) are certain:
 * without a shell, or without the program the command runs, build() refuses, and the doctor
 * says the same of such an image made elsewhere.
 */
class ShellRuleTest {

  static final String PROGRAM = "#include <stdio.h>\n#include <stdlib.h>\n"
      + "int main(void){int s=system(\"echo hi\");printf(\"status %d\\n\",s);return 0;}\n";
  static final Path BUSYBOX = Path.of("/bin/busybox");

  @TempDir static Path work;

  @Test
  void withoutAShellTheCommandNeverRunsAndBuildWarnsWithTheFix() throws Exception {
    Path program = Fixtures.gcc(work, "system", PROGRAM);
    ScratchImage image = ScratchImage.builder().entrypoint(program, "/app/system").bundleSharedLibraries()
        .withoutShell().build();
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
        .entrypoint(program, "/app/system").bundleSharedLibraries().withoutShell().strict(true).build());
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

  @Test
  void bundlingBringsTheBuildMachinesShellOnTheSameEvidence() throws Exception {
    Path program = Fixtures.gcc(work, "system3", PROGRAM);
    Tools.Result host = RuntimeImages.onHost(List.of(program.toString()));
    ScratchImage image = ScratchImage.builder().entrypoint(program, "/app/system").bundleSharedLibraries()
        .strict(true).build();
    assertThat(image.layers()).flatExtracting(l -> l.entries()).anyMatch(e -> e.path().path().equals("/bin/sh")
        && e.mode() == 0755);
    Path layout = RuntimeImages.write(image, work.resolve("brought"));
    Tools.Result run = Runc.run(layout, "t", work.resolve("run-brought"), List.of("/app/system"));
    assertThat(run.stdout()).as(run.describe()).isEqualTo(host.stdout()).isEqualTo("hi\nstatus 0\n");
    assertThat(dev.scratchkit.doctor.ImageDoctor.examine(layout).findings()).noneMatch(x -> x.rule().equals("shell"));
  }

  @Test
  void aCommandTheInputsGiveIsCertainWithoutAShellOrItsProgramBuildRefuses() throws Exception {
    Path mawk = Tools.require("mawk");
    List<String> args = List.of("BEGIN { system(\"uname -s\") }");
    ScratchImageException noShell = assertThrows(ScratchImageException.class, () -> ScratchImage.builder()
        .entrypoint(mawk, "/usr/bin/mawk").args(args.toArray(String[]::new)).bundleSharedLibraries().withoutShell()
        .addFile(Path.of("/usr/bin/uname"), "/usr/bin/uname").build());
    assertThat(noShell.getMessage()).contains("mawk's program runs 'uname -s' (system(), getline or a print pipe) with"
        + " /bin/sh -c, but /bin/sh does not exist in the image");

    ScratchImageException noUname = assertThrows(ScratchImageException.class, () -> ScratchImage.builder()
        .entrypoint(mawk, "/usr/bin/mawk").args(args.toArray(String[]::new)).bundleSharedLibraries().build());
    assertThat(noUname.getMessage()).contains("so it runs uname, but no directory of the image's PATH")
        .contains("addFile(Path.of(\"/usr/bin/uname\"), \"/usr/bin/uname\")");

    Tools.Result host = RuntimeImages.onHost(List.of(mawk.toString(), args.get(0)));
    assertThat(host.stdout()).isEqualTo("Linux\n");
    ScratchImage fixed = ScratchImage.builder().entrypoint(mawk, "/usr/bin/mawk").args(args.toArray(String[]::new))
        .bundleSharedLibraries().addFile(Path.of("/usr/bin/uname"), "/usr/bin/uname").build();
    Path layout = RuntimeImages.write(fixed, work.resolve("uname"));
    Tools.Result run = Runc.run(layout, "t", work.resolve("run-uname"), List.of("/usr/bin/mawk", args.get(0)));
    assertThat(run.stdout()).as(run.describe()).isEqualTo(host.stdout());

    // The same image made elsewhere, without uname: the doctor says what build() said.
    Path elsewhere = RuntimeImages.write(RuntimeImages.without(fixed, p -> p.equals("/usr/bin/uname"), null),
        work.resolve("elsewhere"));
    Tools.Result broken = Runc.run(elsewhere, "t", work.resolve("run-elsewhere"), List.of("/usr/bin/mawk",
        args.get(0)));
    assertThat(broken.stdout()).isEmpty();
    assertThat(broken.stderr()).contains("uname: not found");
    Finding f = RuntimeImages.finding(elsewhere, "HELPER_MISSING");
    assertThat(f.severity()).isEqualTo(Severity.ERROR);
    assertThat(f.message()).contains("so it runs uname");
    assertThat(f.fix()).startsWith("COPY /usr/bin/uname");
  }
}
