package dev.scratchkit.internal.checks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.ScratchImage;
import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.ImageDoctor;
import dev.scratchkit.oci.ImagePath;
import dev.scratchkit.oci.ImageSpec;
import dev.scratchkit.oci.LayerEntry;
import dev.scratchkit.oci.LayerSpec;
import dev.scratchkit.testkit.Tools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The run-time data rules on images made elsewhere (real Debian programs with their libraries,
 * then changed as another build would): where else the data may be, and what else is evidence.
 */
class RunTimeDataDoctorTest {

  @TempDir static Path work;

  private static ImageSpec with(ImageSpec spec, List<String> env, LayerEntry... entries) {
    List<LayerSpec> layers = new ArrayList<>(spec.layers());
    if (entries.length > 0) {
      layers.add(LayerSpec.of("COPY", entries));
    }
    List<String> all = new ArrayList<>(spec.config().env());
    for (String e : env) {
      all.removeIf(old -> old.startsWith(e.substring(0, e.indexOf('=') + 1)));
      all.add(e);
    }
    return ImageSpec.of(spec.platform(), spec.created(), spec.config().withEnv(all), layers);
  }

  private static LayerEntry text(String path, String text) {
    return LayerEntry.bytes(ImagePath.of(path), text.getBytes(StandardCharsets.UTF_8), 0644);
  }

  private static List<Finding> findings(ImageSpec spec, String name, String rule) {
    Path layout = RunTimeData.write(spec, work.resolve(name));
    return ImageDoctor.examine(layout).findings().stream().filter(f -> f.rule().equals(rule)).toList();
  }

  @Test
  void servicesFromAnotherNssSourceAreNotAskedForAndNoNsswitchConfMeansFiles() {
    ImageSpec getent = ScratchImage.builder().entrypoint(Path.of("/usr/bin/getent"), "/usr/bin/getent")
        .args("services", "https").bundleSharedLibraries().build().spec();
    ImageSpec bare = RunTimeData.without(getent, "/etc/services", "/etc/protocols", "/etc/nsswitch.conf");
    assertThat(findings(with(bare, List.of(), text("/etc/nsswitch.conf", "services: db\nprotocols: db\n")), "db",
        NetworkDatabasesRule.NAME)).isEmpty();
    List<Finding> none = findings(bare, "no-nsswitch", NetworkDatabasesRule.NAME);
    assertThat(none).extracting(Finding::code).containsExactly("SERVICES_MISSING", "PROTOCOLS_MISSING");
    assertThat(none.get(0).message()).contains("the image has no /etc/nsswitch.conf, so glibc uses its default"
        + " \"files\" for services, but /etc/services does not exist in the image");
  }

  @Test
  void aZoneInTzdirOrAPosixRuleNeedsNoZoneinfo() {
    ImageSpec date = RunTimeData.without(ScratchImage.builder().entrypoint(Path.of("/usr/bin/date"), "/usr/bin/date")
        .bundleSharedLibraries().build().spec(), "/usr/share/zoneinfo");
    assertThat(findings(with(date, List.of("TZ=CET-1CEST,M3.5.0,M10.5.0/3")), "posix", TimeZonesRule.NAME)).isEmpty();
    assertThat(findings(with(date, List.of("TZ=UTC")), "utc", TimeZonesRule.NAME)).isEmpty();
    assertThat(findings(with(date, List.of("TZ=:Europe/Berlin", "TZDIR=/opt/zones"),
        text("/opt/zones/Europe/Berlin", "TZif2")), "tzdir", TimeZonesRule.NAME)).isEmpty();
    List<Finding> path = findings(with(date, List.of("TZ=:/etc/localtime")), "path", TimeZonesRule.NAME);
    assertThat(path).extracting(Finding::path).containsExactly("/etc/localtime");
  }

  @Test
  void aLocaleInLocpathOrInTheImagesArchiveIsFound() throws Exception {
    ImageSpec wc = RunTimeData.without(ScratchImage.builder().entrypoint(Path.of("/usr/bin/wc"), "/usr/bin/wc")
        .env("LANG", "C.UTF-8").bundleSharedLibraries().build().spec(), "/usr/lib/locale");
    assertThat(findings(wc, "none", LocaleRule.NAME)).extracting(Finding::code).containsExactly("LOCALE_MISSING");
    byte[] ctype = Files.readAllBytes(Path.of("/usr/lib/locale/C.utf8/LC_CTYPE"));
    assertThat(findings(with(wc, List.of("LOCPATH=/opt/locale"), LayerEntry.bytes(
        ImagePath.of("/opt/locale/C.utf8/LC_CTYPE"), ctype, 0644)), "locpath", LocaleRule.NAME)).isEmpty();
    // LOCPATH set: glibc reads no archive and no /usr/lib/locale
    List<Finding> elsewhere = findings(with(wc, List.of("LOCPATH=/opt/locale"), LayerEntry.bytes(
        ImagePath.of("/usr/lib/locale/C.utf8/LC_CTYPE"), ctype, 0644)), "locpath-elsewhere", LocaleRule.NAME);
    assertThat(elsewhere).hasSize(1);
    assertThat(elsewhere.get(0).message()).contains("LOCPATH is set, so no archive is read");

    Path root = work.resolve("archive-root");
    Files.createDirectories(root.resolve("usr/lib/locale"));
    Tools.run(Duration.ofMinutes(2), work, null, List.of(Tools.require("localedef").toString(), "--prefix=" + root,
        "-i", "en_US", "-f", "UTF-8", "en_US.UTF-8")).assertOk();
    LayerEntry archive = LayerEntry.file(ImagePath.of("/usr/lib/locale/locale-archive"),
        root.resolve("usr/lib/locale/locale-archive"), 0644);
    ImageSpec en = with(RunTimeData.without(wc, "/usr/lib/locale"), List.of("LANG=en_US.UTF-8"), archive);
    assertThat(findings(en, "archive", LocaleRule.NAME)).isEmpty();
    ImageSpec de = with(RunTimeData.without(wc, "/usr/lib/locale"), List.of("LANG=de_DE.UTF-8"), archive);
    assertThat(findings(de, "archive-lacks", LocaleRule.NAME)).extracting(Finding::code)
        .containsExactly("LOCALE_MISSING");
  }

  @Test
  void anOpensslCnfThatLoadsLegacyIsEvidence() {
    Tools.require("openssl");
    ImageSpec openssl = RunTimeData.without(ScratchImage.builder().entrypoint(Path.of("/usr/bin/openssl"),
        "/usr/bin/openssl").args("version").bundleSharedLibraries().build().spec(),
        OpenSslModulesRuleTest.MODULES, "/usr/lib/ssl/openssl.cnf");
    assertThat(findings(openssl, "plain", OpenSslModulesRule.NAME)).isEmpty();
    List<Finding> f = findings(with(openssl, List.of(), text("/usr/lib/ssl/openssl.cnf",
        "openssl_conf = init\n[init]\nproviders = provider_sect\n[provider_sect]\ndefault = default_sect\n"
            + "legacy = legacy_sect\n[default_sect]\nactivate = 1\n[legacy_sect]\nactivate = 1\n")), "cnf",
        OpenSslModulesRule.NAME);
    assertThat(f).hasSize(1);
    assertThat(f.get(0).message()).contains("/usr/lib/ssl/openssl.cnf loads the legacy provider (\"legacy ="
        + " legacy_sect\")");
    assertThat(Map.of("path", f.get(0).path())).containsEntry("path", OpenSslModulesRuleTest.MODULES + "/legacy.so");
  }
}
