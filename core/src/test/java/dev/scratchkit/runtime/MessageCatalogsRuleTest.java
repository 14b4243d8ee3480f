package dev.scratchkit.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.ScratchImage;
import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.ImageDoctor;
import dev.scratchkit.doctor.Severity;
import dev.scratchkit.testkit.Runc;
import dev.scratchkit.testkit.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * coreutils' ls with LANG=de_DE.UTF-8, as uid 65532 under runc: bundling brings the German
 * catalogs of its domain (coreutils, found in its strings) and glibc's (libc, for strerror), and
 * it prints what it prints on this machine; the same image made elsewhere without catalogs
 * prints English (the locale is there, the messages are not), and the doctor warns.
 */
class MessageCatalogsRuleTest {

  @TempDir static Path work;

  @Test
  void bundlingBringsTheCatalogsOfTheNamedLanguageAndWithoutThemTheProgramPrintsEnglish() throws Exception {
    Path ls = Tools.require("ls");
    if (!Files.isRegularFile(Path.of("/usr/share/locale/de/LC_MESSAGES/coreutils.mo"))
        || !Tools.runOk(Tools.require("locale").toString(), "-a").stdout().contains("de_DE.utf8")) {
      String reason = "needs the de_DE.UTF-8 locale and coreutils' German catalog (.ci/run makes the locale)";
      if (Tools.strict()) {
        throw new AssertionError(reason);
      }
      Assumptions.abort(reason);
    }
    List<String> command = List.of("/usr/bin/ls", "/nonexistent");
    Tools.Result host = Tools.run(Duration.ofMinutes(1), Path.of("/"), Map.of("LANG", "de_DE.UTF-8"),
        List.of("setpriv", "--reuid=65532", "--regid=65532", "--clear-groups", "/usr/bin/ls", "/nonexistent"));
    assertThat(host.stderr()).isEqualTo("/usr/bin/ls: Zugriff auf '/nonexistent' nicht möglich: Datei oder"
        + " Verzeichnis nicht gefunden\n");

    ScratchImage image = ScratchImage.builder().entrypoint(ls, "/usr/bin/ls").args("/nonexistent")
        .env("LANG", "de_DE.UTF-8").bundleSharedLibraries().build();
    assertThat(image.layers()).flatExtracting(l -> l.entries()).extracting(e -> e.path().path())
        .contains("/usr/share/locale/de/LC_MESSAGES/coreutils.mo", "/usr/share/locale/de/LC_MESSAGES/libc.mo")
        .noneMatch(p -> p.endsWith("/grep.mo") || p.endsWith("/git.mo"));
    Path layout = RuntimeImages.write(image, work.resolve("bundled"));
    Tools.Result run = Runc.run(layout, "t", work.resolve("run-bundled"), command);
    assertThat(run.stderr()).as(run.describe()).isEqualTo(host.stderr());
    assertThat(run.exitCode()).isEqualTo(host.exitCode()).isEqualTo(2);
    assertThat(ImageDoctor.examine(layout).findings()).noneMatch(f -> f.rule().equals("message-catalogs"));

    Path elsewhere = RuntimeImages.write(RuntimeImages.without(image, p -> p.startsWith("/usr/share/locale/"),
        null), work.resolve("elsewhere"));
    Tools.Result english = Runc.run(elsewhere, "t", work.resolve("run-elsewhere"), command);
    assertThat(english.stderr()).isEqualTo("/usr/bin/ls: cannot access '/nonexistent': No such file or"
        + " directory\n");
    Finding f = RuntimeImages.finding(elsewhere, "MESSAGE_CATALOGS_MISSING");
    assertThat(f.severity()).isEqualTo(Severity.WARNING);
    assertThat(f.message()).startsWith("/usr/bin/ls imports").contains("so it prints its messages in the language"
        + " the environment names (de_DE.UTF-8), but the image has no message catalogs for it (looked in"
        + " /usr/share/locale/de_DE.UTF-8/LC_MESSAGES, /usr/share/locale/de_DE.utf8/LC_MESSAGES,"
        + " /usr/share/locale/de_DE/LC_MESSAGES, /usr/share/locale/de.UTF-8/LC_MESSAGES,"
        + " /usr/share/locale/de.utf8/LC_MESSAGES, /usr/share/locale/de/LC_MESSAGES): it prints them in English.");
    assertThat(f.fix()).startsWith("COPY /usr/share/locale/de/LC_MESSAGES/<domain>.mo");
  }
}
