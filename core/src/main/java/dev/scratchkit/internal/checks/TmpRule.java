package dev.scratchkit.internal.checks;

import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import dev.scratchkit.internal.view.ImageView;
import java.util.List;

/**
 * {@code /tmp} is a directory anyone can write to ({@code 1777}): programs and libraries put
 * their temporary files there, and fail when they cannot.
 */
final class TmpRule implements Rule {

  static final String NAME = "tmp";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void check(CheckContext image, List<Finding> findings) {
    ImageView.Resolution r = image.view().resolve("/tmp");
    String fix = image.fix("Keep scratchkit's /tmp: do not add a file or directory at /tmp.",
        "Add a world-writable /tmp: e.g. COPY --chmod=1777 an empty directory to /tmp (or mount a tmpfs there).");
    if (!r.found()) {
      findings.add(new Finding(NAME, "TMP_MISSING", Severity.WARNING, "/tmp", CheckContext.why("/tmp", r)
          + "; creating a temporary file fails.", "open /tmp/…: no such file or directory", fix));
      return;
    }
    if (!r.node().isDirectory()) {
      findings.add(new Finding(NAME, "TMP_NOT_A_DIRECTORY", Severity.WARNING, "/tmp", "/tmp is a "
          + r.node().type().name().toLowerCase(java.util.Locale.ROOT) + " " + CheckContext.layerOf(r.node())
          + ", not a directory; creating a temporary file fails.", "open /tmp/…: not a directory", fix));
      return;
    }
    int mode = r.node().mode();
    if (mode != 01777) {
      findings.add(new Finding(NAME, "TMP_NOT_WRITABLE", Severity.WARNING, "/tmp", "/tmp has mode 0"
          + Integer.toOctalString(mode) + " " + CheckContext.layerOf(r.node()) + ", not 1777: "
          + ((mode & 0002) == 0 ? "a user other than its owner (" + r.node().uid() + ") cannot create files in it"
              : "without the sticky bit, any user can delete another's files") + ".",
          (mode & 0002) == 0 ? "open /tmp/…: permission denied" : "", fix));
    }
  }
}
