package dev.scratchkit.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.ScratchImage;
import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.ImageDoctor;
import dev.scratchkit.doctor.Severity;
import dev.scratchkit.testkit.Runc;
import dev.scratchkit.testkit.Tools;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ncurses' tput, as uid 65532 under runc, with TERM=xterm-256color: bundling brings the root's
 * terminfo and it prints what it prints on this machine; the same image made elsewhere without
 * terminfo fails ("unknown terminal") and the doctor says why (an error, since the image names
 * the terminal), and an image without TERM and without terminfo gets a warning (runtimes set
 * TERM=xterm with -t).
 */
class TerminfoRuleTest {

  @TempDir static Path work;

  @Test
  void bundlingBringsTheTerminalTermNamesAndWithoutItTputFails() throws Exception {
    Path tput = Tools.require("tput");
    List<String> command = List.of("/usr/bin/tput", "colors");
    Tools.Result host = Tools.run(java.time.Duration.ofMinutes(1), Path.of("/"), java.util.Map.of("TERM",
        "xterm-256color"), List.of("setpriv", "--reuid=65532", "--regid=65532", "--clear-groups", "/usr/bin/tput",
        "colors"));
    assertThat(host.stdout()).isEqualTo("256\n");

    ScratchImage image = ScratchImage.builder().entrypoint(tput, "/usr/bin/tput").args("colors")
        .env("TERM", "xterm-256color").bundleSharedLibraries().strict(true).build();
    assertThat(image.layers()).flatExtracting(l -> l.entries()).extracting(e -> e.path().path())
        .contains("/usr/lib/terminfo/x/xterm-256color", "/usr/lib/terminfo/x/xterm", "/usr/lib/terminfo/d/dumb");
    Path layout = RuntimeImages.write(image, work.resolve("bundled"));
    Tools.Result run = Runc.run(layout, "t", work.resolve("run-bundled"), command);
    assertThat(run.stdout()).as(run.describe()).isEqualTo(host.stdout());
    assertThat(run.exitCode()).isEqualTo(host.exitCode());
    assertThat(ImageDoctor.examine(layout).findings()).noneMatch(f -> f.rule().equals("terminfo"));

    Path elsewhere = RuntimeImages.write(RuntimeImages.without(image, p -> p.startsWith("/usr/lib/terminfo"), null),
        work.resolve("elsewhere"));
    Tools.Result broken = Runc.run(elsewhere, "t", work.resolve("run-elsewhere"), command);
    assertThat(broken.exitCode()).isNotEqualTo(0);
    assertThat(broken.stderr()).contains("unknown terminal \"xterm-256color\"");
    Finding f = RuntimeImages.finding(elsewhere, "TERMINFO_MISSING");
    assertThat(f.severity()).isEqualTo(Severity.ERROR);
    assertThat(f.message()).contains("loads libtinfo.so.6, which reads the terminal's description from terminfo,"
        + " and TERM=xterm-256color in the environment names xterm-256color, but the image has no entry for it"
        + " (looked for /etc/terminfo/x/xterm-256color, /lib/terminfo/x/xterm-256color,"
        + " /usr/share/terminfo/x/xterm-256color)");
    assertThat(f.fix()).startsWith("COPY /lib/terminfo (Debian package ncurses-base");
  }

  @Test
  void withoutTermAndWithoutTerminfoTheRuntimesXtermIsWarnedAbout() {
    Path tput = Tools.require("tput");
    ScratchImage image = ScratchImage.builder().entrypoint(tput, "/usr/bin/tput").args("cols")
        .bundleSharedLibraries().build();
    Path elsewhere = RuntimeImages.write(RuntimeImages.without(image, p -> p.startsWith("/usr/lib/terminfo"), null),
        work.resolve("no-term"));
    Finding f = RuntimeImages.finding(elsewhere, "TERMINFO_MISSING");
    assertThat(f.severity()).isEqualTo(Severity.WARNING);
    assertThat(f.message()).contains("the image sets no TERM, so it is the runtime's (docker run -t and podman"
        + " run -t set TERM=xterm)");
  }
}
