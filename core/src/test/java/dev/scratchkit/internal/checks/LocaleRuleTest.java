package dev.scratchkit.internal.checks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scratchkit.ScratchImage;
import dev.scratchkit.ScratchImageException;
import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import dev.scratchkit.oci.ImagePath;
import dev.scratchkit.testkit.Tools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The locale the environment names, with Debian's wc -m under runc as 65532: C.UTF-8 is a file
 * locale (/usr/lib/locale/C.utf8), without which wc silently counts bytes; a locale that only a
 * locale-archive holds (made here with localedef) is taken out of it; one the root lacks is refused.
 */
class LocaleRuleTest {

  static final String TEXT = "h\u00e9llo w\u00f6rld\n"; // 12 characters, 14 bytes
  @TempDir static Path work;

  private static Path text() throws Exception {
    Path file = work.resolve("text.txt");
    Files.writeString(file, TEXT, StandardCharsets.UTF_8);
    return RunTimeData.readable(file);
  }

  @Test
  void wcCountsCharactersWithTheBundledCUtf8AndBytesWithoutItAsTheDoctorSays() throws Exception {
    Path text = text();
    ScratchImage image = ScratchImage.builder().entrypoint(Path.of("/usr/bin/wc"), "/usr/bin/wc")
        .args("-m", "/data/text.txt").env("LANG", "C.UTF-8").addFile(text, "/data/text.txt")
        .bundleSharedLibraries().build();
    assertThat(image.files()).contains(ImagePath.of("/usr/lib/locale/C.utf8/LC_CTYPE"),
        ImagePath.of("/usr/lib/locale/C.utf8/LC_MESSAGES/SYS_LC_MESSAGES"));

    Tools.Result host = RunTimeData.host(Map.of("LANG", "C.UTF-8"), List.of("/usr/bin/wc", "-m", text.toString()));
    Path bundled = RunTimeData.write(image, work.resolve("bundled"));
    Tools.Result ok = RunTimeData.run(bundled, work);
    assertThat(ok.stdout()).isEqualTo("12 /data/text.txt\n");
    assertThat(host.stdout()).isEqualTo("12 " + text + "\n");
    assertThat(RunTimeData.hasFinding(bundled, LocaleRule.NAME)).isFalse();

    Path lacking = RunTimeData.write(RunTimeData.without(image.spec(), "/usr/lib/locale"), work.resolve("without"));
    Tools.Result wrong = RunTimeData.run(lacking, work);
    assertThat(wrong.stdout()).isEqualTo("14 /data/text.txt\n");
    assertThat(wrong.stderr()).isEmpty();
    assertThat(wrong.exitCode()).isZero();
    Finding f = RunTimeData.finding(lacking, LocaleRule.NAME, "LOCALE_MISSING");
    assertThat(f.severity()).isEqualTo(Severity.ERROR);
    assertThat(f.path()).isEqualTo("/usr/lib/locale/C.utf8");
    assertThat(f.message()).startsWith("LANG=C.UTF-8 in the environment names the locale C.UTF-8, and /usr/bin/wc"
        + " imports setlocale@GLIBC_2.").contains("looked for /usr/lib/locale/C.UTF-8/LC_CTYPE,"
        + " /usr/lib/locale/C.utf8/LC_CTYPE and in /usr/lib/locale/locale-archive").contains("wc -m counts bytes");
    assertThat(f.fix()).startsWith("COPY /usr/lib/locale/C.utf8 from the build stage");
  }

  @Test
  void aLocaleOnlyInTheArchiveIsTakenOutOfItAndEqualsWhatLocaledefWritesAsADirectory() throws Exception {
    Path localedef = Tools.require("localedef");
    Path root = work.resolve("root");
    Files.createDirectories(root.resolve("usr/lib/locale"));
    Tools.run(Duration.ofMinutes(2), work, null, List.of(localedef.toString(), "--prefix=" + root, "-i", "en_US",
        "-f", "UTF-8", "en_US.UTF-8")).assertOk();
    Path dir = work.resolve("dir");
    Files.createDirectories(dir);
    Tools.run(Duration.ofMinutes(2), work, null, List.of(localedef.toString(), "--no-archive", "-i", "en_US",
        "-f", "UTF-8", dir.resolve("en_US.utf8").toString())).assertOk();

    LocaleArchive archive = LocaleArchive.open(root.resolve("usr/lib/locale/locale-archive"));
    Map<String, byte[]> files;
    try {
      assertThat(archive.names()).contains("en_US.utf8");
      files = archive.extract("en_US.utf8").orElseThrow();
      assertThat(archive.extract("de_DE.utf8")).isEmpty();
    } finally {
      archive.close();
    }
    List<String> written;
    try (Stream<Path> walk = Files.walk(dir.resolve("en_US.utf8"))) {
      written = walk.filter(Files::isRegularFile).map(p -> dir.resolve("en_US.utf8").relativize(p).toString())
          .sorted().toList();
    }
    assertThat(files.keySet().stream().sorted().toList()).isEqualTo(written);
    for (String name : written) {
      assertThat(files.get(name)).as(name).isEqualTo(Files.readAllBytes(dir.resolve("en_US.utf8").resolve(name)));
    }

    // A root with the loader, libc and the archive only: the image gets the locale as a directory.
    for (String lib : List.of("lib64/ld-linux-x86-64.so.2", "lib/x86_64-linux-gnu/libc.so.6")) {
      Files.createDirectories(root.resolve(lib).getParent());
      Files.copy(Path.of("/" + lib).toRealPath(), root.resolve(lib));
    }
    Path text = text();
    ScratchImage image = ScratchImage.builder().entrypoint(Path.of("/usr/bin/wc"), "/usr/bin/wc")
        .args("-m", "/data/text.txt").env("LC_ALL", "en_US.UTF-8").addFile(text, "/data/text.txt")
        .bundleSharedLibraries(root).noCaCertificates().withoutTimeZoneData().build();
    assertThat(image.files()).contains(ImagePath.of("/usr/lib/locale/en_US.utf8/LC_CTYPE"))
        .doesNotContain(ImagePath.of("/usr/lib/locale/locale-archive"));
    Tools.Result ok = RunTimeData.run(RunTimeData.write(image, work.resolve("from-archive")), work);
    assertThat(ok.stdout()).isEqualTo("12 /data/text.txt\n");
  }

  @Test
  void aLocaleTheRootLacksIsRefusedWithTheFix() {
    Path text = work.resolve("any.txt");
    assertThatThrownBy(() -> ScratchImage.builder().entrypoint(Path.of("/usr/bin/wc"), "/usr/bin/wc")
        .args("-m", "/data/text.txt").env("LANG", "xx_YY.UTF-8").bundleSharedLibraries().build())
        .isInstanceOf(ScratchImageException.class)
        .hasMessageContaining("LANG=xx_YY.UTF-8 in the environment names the locale xx_YY.UTF-8, and /usr/bin/wc"
            + " imports setlocale@GLIBC_2.")
        .hasMessageContaining("/ has no such locale (looked for /usr/lib/locale/xx_YY.UTF-8, /usr/lib/locale/xx_YY.utf8"
            + " and in /usr/lib/locale/locale-archive)")
        .hasMessageContaining("Generate it (Debian: localedef -i xx_YY -f UTF-8 xx_YY.utf8");
    assertThat(text).doesNotExist();
  }
}
