package dev.scratchkit.internal.checks;

import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import dev.scratchkit.elf.RuntimeNeed;
import dev.scratchkit.internal.view.ImageView;
import java.util.List;
import java.util.Optional;

/**
 * A program that evidently loads named time zones finds zoneinfo: {@code ZONEINFO} (Go) or one
 * of the directories Go and glibc read ({@code /usr/share/zoneinfo}, …), with files in it.
 */
final class TimeZonesRule implements Rule {

  static final String NAME = "time-zones";
  static final List<String> DIRECTORIES = List.of("/usr/share/zoneinfo", "/usr/share/lib/zoneinfo",
      "/usr/lib/locale/TZ", "/etc/zoneinfo");

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void check(CheckContext image, List<Finding> findings) {
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
        image.fix("Call timezoneData(Path.of(\"/usr/share/zoneinfo\")), or embed the data in the program (Go:"
                + " import _ \"time/tzdata\").",
            "COPY /usr/share/zoneinfo from the build stage, or embed the data in the program (Go: import _"
                + " \"time/tzdata\", or -tags timetzdata).")));
  }
}
