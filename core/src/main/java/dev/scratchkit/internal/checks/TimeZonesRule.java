package dev.scratchkit.internal.checks;

import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import dev.scratchkit.elf.RuntimeNeed;
import dev.scratchkit.internal.view.ImageView;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Time zones load from zoneinfo: a program that evidently loads zones by name finds zoneinfo
 * ({@code ZONEINFO} for Go, {@code TZDIR} for glibc, or one of the directories Go and glibc read,
 * {@code /usr/share/zoneinfo}, …), and a zone named by {@code TZ} in the environment is a file
 * there. Neither glibc nor Go says a word when the zone is missing: the times are UTC.
 */
final class TimeZonesRule implements Rule {

  static final String NAME = "time-zones";
  static final List<String> DIRECTORIES = List.of("/usr/share/zoneinfo", "/usr/share/lib/zoneinfo",
      "/usr/lib/locale/TZ", "/etc/zoneinfo");
  // A POSIX TZ string ("CET-1CEST,M3.5.0,M10.5.0/3", "<+03>-3", "EST5EDT") needs no file.
  private static final Pattern POSIX_TZ = Pattern.compile("([A-Za-z]{3,}|<[A-Za-z0-9+-]{3,}>)[+-]?[0-9].*");

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void check(CheckContext image, List<Finding> findings) {
    checkNamedZone(image, findings);
    Optional<RuntimeNeed> need = image.need(RuntimeNeed.Kind.TIMEZONE_DATA);
    if (need.isEmpty()) {
      return;
    }
    ImageView view = image.view();
    Optional<String> zoneinfo = view.envValue("ZONEINFO").filter(s -> !s.isEmpty());
    if (zoneinfo.isPresent()) {
      ImageView.Resolution r = view.resolve(zoneinfo.get());
      if (r.found()) {
        return; // Go reads a directory or a zip there
      }
    }
    for (String dir : DIRECTORIES) {
      ImageView.Resolution r = view.resolve(dir);
      if (r.found() && r.node().isDirectory() && !view.children(r.realPath()).isEmpty()) {
        return;
      }
    }
    String zone = view.envValue("TZ").filter(s -> !s.isEmpty() && !s.startsWith(":")).orElse("Europe/Berlin");
    findings.add(new Finding(NAME, "ZONEINFO_MISSING", Severity.WARNING, "/usr/share/zoneinfo", "The program loads"
        + " time zones by name (" + need.get().evidence() + "), but the image has no zoneinfo (looked in "
        + (zoneinfo.map(z -> "ZONEINFO=" + z + ", ").orElse("")) + String.join(", ", DIRECTORIES) + ").",
        "unknown time zone " + zone,
        image.fix("Remove withoutTimeZoneData() (the default image has the build root's /usr/share/zoneinfo), or"
                + " call timezoneData(Path.of(\"/usr/share/zoneinfo\")), or embed the data in the program (Go:"
                + " import _ \"time/tzdata\").",
            "COPY /usr/share/zoneinfo from the build stage, or embed the data in the program (Go: import _"
                + " \"time/tzdata\", or -tags timetzdata).")));
  }

  /** {@code TZ=Europe/Berlin} (or {@code :Europe/Berlin}, or a path) names a file the image must have. */
  private static void checkNamedZone(CheckContext image, List<Finding> findings) {
    ImageView view = image.view();
    Optional<String> tz = view.envValue("TZ");
    if (tz.isEmpty()) {
      return;
    }
    if (image.executed().map(e -> e.elf().neededLibraries().contains("libjli.so")).orElse(false)) {
      return; // a JDK launcher: the JVM reads zones from its own lib/tzdb.dat
    }
    String value = tz.get();
    String zone = value.startsWith(":") ? value.substring(1) : value;
    if (zone.isEmpty() || zone.equals("UTC") || zone.equals("GMT") || zone.equals("UTC0") || zone.equals("GMT0")
        || !value.startsWith(":") && POSIX_TZ.matcher(zone).matches()) {
      return; // UTC either way, or a rule spelled out in the string
    }
    List<String> tried = new ArrayList<>();
    if (zone.startsWith("/")) {
      tried.add(ImageView.normalise(zone));
    } else {
      if (zone.contains("..") || zone.contains("\0")) {
        return; // glibc refuses such a name whatever the image holds
      }
      List<String> dirs = new ArrayList<>();
      view.envValue("TZDIR").filter(d -> d.startsWith("/")).ifPresent(dirs::add);
      view.envValue("ZONEINFO").filter(d -> d.startsWith("/")).ifPresent(dirs::add);
      dirs.addAll(DIRECTORIES);
      for (String dir : dirs) {
        tried.add(ImageView.normalise(dir + "/" + zone));
      }
    }
    for (String path : tried) {
      ImageView.Resolution r = view.resolve(path);
      if (r.found() && r.node().isFile()) {
        return;
      }
    }
    String first = tried.get(0);
    findings.add(new Finding(NAME, "TZ_ZONE_MISSING", Severity.ERROR, first, "TZ=" + value + " in the environment"
        + " names the time zone " + zone + ", and the image has no such zone file (looked for "
        + String.join(", ", tried) + "), so glibc and Go silently take UTC: every local time is wrong.",
        "no error: local times are shown in UTC",
        image.fix("Remove withoutTimeZoneData() (the default image has the build root's /usr/share/zoneinfo), or"
                + " give a zoneinfo tree that has " + zone + " with timezoneData(dir), or set TZ to a POSIX rule"
                + " (e.g. env(\"TZ\", \"CET-1CEST,M3.5.0,M10.5.0/3\")).",
            "COPY /usr/share/zoneinfo (Debian package tzdata) from the build stage, or set TZ to a POSIX rule"
                + " such as CET-1CEST,M3.5.0,M10.5.0/3.")));
  }
}
