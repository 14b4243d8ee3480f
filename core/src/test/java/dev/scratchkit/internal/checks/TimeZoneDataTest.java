package dev.scratchkit.internal.checks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scratchkit.ScratchImage;
import dev.scratchkit.ScratchImageException;
import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import dev.scratchkit.oci.ImagePath;
import dev.scratchkit.oci.LayerEntry;
import dev.scratchkit.oci.LayerSpec;
import dev.scratchkit.oci.WriteResult;
import dev.scratchkit.testkit.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Time zone data by default, like distroless: Debian's date with TZ=America/New_York under runc
 * as 65532 prints the host's local time; the same image without zoneinfo silently prints UTC and
 * the doctor says why; withoutTimeZoneData() with such a TZ is refused.
 */
class TimeZoneDataTest {

  static final List<String> DATE = List.of("/usr/bin/date", "-d", "@0", "+%Y-%m-%d %H:%M %Z %z");
  @TempDir static Path work;

  private static ScratchImage.Builder date() {
    return ScratchImage.builder().entrypoint(Path.of("/usr/bin/date"), "/usr/bin/date")
        .args(DATE.subList(1, DATE.size()).toArray(String[]::new)).env("TZ", "America/New_York")
        .bundleSharedLibraries();
  }

  @Test
  void dateShowsTheZoneOfTzWithTheDefaultDataAndUtcWithoutItAsTheDoctorSays() throws Exception {
    ScratchImage image = date().build();
    LayerSpec tz = image.layers().stream().filter(l -> l.createdBy().startsWith("scratchkit: time zone data"))
        .findFirst().orElseThrow();
    assertThat(tz.createdBy()).isEqualTo("scratchkit: time zone data");
    assertThat(image.layers().indexOf(tz)).as("after base and CA layers, before the libraries").isEqualTo(2);
    assertThat(image.layers().get(3).createdBy()).startsWith("scratchkit: shared libraries");
    assertThat(image.files()).contains(ImagePath.of("/usr/share/zoneinfo/America/New_York"),
        ImagePath.of("/usr/share/zoneinfo/Europe/Berlin")).doesNotContain(ImagePath.of("/usr/share/zoneinfo/localtime"));
    long files;
    try (Stream<Path> walk = Files.walk(Path.of("/usr/share/zoneinfo"))) {
      files = walk.filter(p -> Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)).count();
    }
    assertThat(tz.entries().stream().filter(e -> e.type() == LayerEntry.Type.FILE)).hasSize((int) files);

    Tools.Result host = RunTimeData.host(Map.of("TZ", "America/New_York"), DATE);
    assertThat(host.stdout()).isEqualTo("1969-12-31 19:00 EST -0500\n");
    Path bundled = RunTimeData.write(image, work.resolve("default"));
    Tools.Result ok = RunTimeData.run(bundled, work);
    assertThat(ok.stdout()).isEqualTo(host.stdout());
    assertThat(RunTimeData.hasFinding(bundled, TimeZonesRule.NAME)).isFalse();

    Path lacking = RunTimeData.write(RunTimeData.without(image.spec(), "/usr/share/zoneinfo"), work.resolve("without"));
    Tools.Result wrong = RunTimeData.run(lacking, work);
    assertThat(wrong.stdout()).isEqualTo("1970-01-01 00:00 America +0000\n");
    assertThat(wrong.stderr()).isEmpty();
    Finding f = RunTimeData.finding(lacking, TimeZonesRule.NAME, "TZ_ZONE_MISSING");
    assertThat(f.severity()).isEqualTo(Severity.ERROR);
    assertThat(f.path()).isEqualTo("/usr/share/zoneinfo/America/New_York");
    assertThat(f.message()).isEqualTo("TZ=America/New_York in the environment names the time zone America/New_York,"
        + " and the image has no such zone file (looked for /usr/share/zoneinfo/America/New_York,"
        + " /usr/share/lib/zoneinfo/America/New_York, /usr/lib/locale/TZ/America/New_York,"
        + " /etc/zoneinfo/America/New_York), so glibc and Go silently take UTC: every local time is wrong.");
    assertThat(f.fix()).startsWith("COPY /usr/share/zoneinfo (Debian package tzdata) from the build stage");
  }

  @Test
  void withoutTimeZoneDataATzNamingAZoneIsRefusedAndAPosixRuleIsNot() {
    assertThatThrownBy(() -> date().withoutTimeZoneData().build()).isInstanceOf(ScratchImageException.class)
        .hasMessageContaining("TZ=America/New_York in the environment names the time zone America/New_York")
        .hasMessageContaining("Remove withoutTimeZoneData() (the default image has the build root's"
            + " /usr/share/zoneinfo), or give a zoneinfo tree that has America/New_York with timezoneData(dir), or"
            + " set TZ to a POSIX rule");
    ScratchImage posix = date().withoutTimeZoneData().env("TZ", "EST5EDT,M3.2.0,M11.1.0").build();
    assertThat(posix.layers()).noneMatch(l -> l.createdBy().contains("time zone"));
    assertThat(posix.files()).noneMatch(p -> p.toString().startsWith("/usr/share/zoneinfo"));
    Tools.Result ok = RunTimeData.run(RunTimeData.write(posix, work.resolve("posix")), work);
    assertThat(ok.stdout()).isEqualTo("1969-12-31 19:00 EST -0500\n");
  }

  @Test
  void theTimeZoneLayerIsTheSameBlobInEveryBuild() {
    WriteResult a = ScratchImage.builder().entrypoint(Path.of("/usr/bin/date")).bundleSharedLibraries().build()
        .writeTo(dev.scratchkit.oci.OciLayout.at(work.resolve("a")).tag("t"));
    WriteResult b = ScratchImage.builder().entrypoint(Path.of("/usr/bin/true")).bundleSharedLibraries()
        .creationTime(java.time.Instant.parse("2024-05-01T00:00:00Z")).build()
        .writeTo(dev.scratchkit.oci.OciLayout.at(work.resolve("b")).tag("t"));
    assertThat(layerDigest(a, 2)).isEqualTo(layerDigest(b, 2));
    System.out.println("time zone layer: " + a.layers().get(2));
  }

  private static String layerDigest(WriteResult result, int index) {
    return result.layers().get(index).toString();
  }
}
