package dev.scratchkit.internal.checks;

import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import dev.scratchkit.internal.view.ImageView;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code Env} entries are {@code NAME=value} with a non-empty name (runc refuses anything else
 * before the program starts); a name set twice keeps only its last value; the directories of
 * {@code PATH} are directories.
 */
final class EnvironmentRule implements Rule {

  static final String NAME = "environment";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void check(CheckContext image, List<Finding> findings) {
    Map<String, String> seen = new HashMap<>();
    for (String entry : image.view().env()) {
      int eq = entry.indexOf('=');
      if (eq < 0 || eq == 0) {
        findings.add(new Finding(NAME, "ENV_MALFORMED", Severity.ERROR, "Env", "The Env entry \"" + entry + "\" "
            + (eq < 0 ? "has no '=': it is not NAME=value" : "has an empty name") + "; runc refuses to start the"
            + " container.",
            eq < 0 ? "invalid environment variable: \"" + entry + "\""
                : "environment variable name can't be empty: \"" + entry + "\"",
            image.fix("Give env(name, value) a name without '=' and a value.",
                "Write ENV NAME=value (one '=' after a non-empty name).")));
        continue;
      }
      String name = entry.substring(0, eq);
      String previous = seen.put(name, entry);
      if (previous != null && !previous.equals(entry)) {
        findings.add(new Finding(NAME, "ENV_DUPLICATE", Severity.WARNING, "Env", "Env sets " + name + " twice (\""
            + previous + "\", then \"" + entry + "\"); only the last value counts.", "",
            image.fix("Call env(\"" + name + "\", ...) once.", "Set " + name + " once.")));
      }
    }
    String path = image.view().envValue("PATH").orElse(CheckContext.DEFAULT_PATH);
    for (String dir : path.split(":")) {
      if (!dir.startsWith("/")) {
        continue;
      }
      ImageView.Resolution r = image.view().resolve(dir);
      if (r.found() && !r.node().isDirectory()) {
        findings.add(new Finding(NAME, "PATH_ENTRY_NOT_A_DIRECTORY", Severity.WARNING, dir, "PATH names " + dir
            + ", but it is a " + r.node().type().name().toLowerCase(java.util.Locale.ROOT) + " "
            + CheckContext.layerOf(r.node()) + ": a program put at a directory's path instead of into it?", "",
            image.fix("Give the file's own path, e.g. entrypoint(binary, \"" + dir + "/name\").",
                "COPY the file into " + dir + "/ (with a trailing slash), not onto it.")));
      }
    }
  }
}
