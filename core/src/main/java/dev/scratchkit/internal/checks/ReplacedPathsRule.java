package dev.scratchkit.internal.checks;

import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import dev.scratchkit.internal.view.ImageView;
import java.util.List;
import java.util.Set;

/**
 * A later layer changed the kind of a path that lower layers, the program or the base files rely
 * on: a directory replaced with a file or link (everything below it is gone), or a link or file
 * replaced with a directory (paths through it now lead elsewhere).
 */
final class ReplacedPathsRule implements Rule {

  static final String NAME = "layers";

  /** Directories a runtime, a loader or common programs rely on. */
  static final Set<String> NEEDED = Set.of("/etc", "/etc/ssl", "/etc/ssl/certs", "/tmp", "/home", "/home/nonroot",
      "/root", "/usr", "/usr/share", "/usr/share/zoneinfo", "/lib", "/lib64", "/usr/lib", "/usr/lib64", "/bin",
      "/sbin", "/usr/bin", "/usr/sbin", "/usr/local", "/usr/local/bin", "/var", "/var/run", "/run", "/dev", "/proc",
      "/sys");

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void check(CheckContext image, List<Finding> findings) {
    for (ImageView.Change change : image.view().changes()) {
      String path = change.path();
      String before = SharedLibrariesRule.describe(change.before());
      String after = change.after().name().toLowerCase(java.util.Locale.ROOT);
      int layer = change.layer() + 1;
      if (change.before().isDirectory()) {
        boolean needed = NEEDED.contains(path) || change.hidden().stream().anyMatch(h -> h.startsWith("/etc/")
            || h.contains("/lib/") || h.contains("/lib64/") || h.endsWith(".so") || h.contains(".so."));
        List<String> hidden = change.hidden().stream().filter(h -> !h.endsWith("/")).toList();
        String lost = hidden.isEmpty() ? "" : "; it hides " + hidden.size() + " entr" + (hidden.size() == 1 ? "y" : "ies")
            + " of lower layers: " + String.join(", ", hidden.subList(0, Math.min(5, hidden.size())))
            + (hidden.size() > 5 ? ", ..." : "");
        String firstFile = hidden.stream().filter(h -> !h.equals(path)).findFirst().orElse(path + "/…");
        findings.add(new Finding(NAME, "DIRECTORY_REPLACED", needed ? Severity.ERROR : Severity.WARNING, path,
            "Layer " + layer + " puts a " + after + " at " + path + ", which was " + before + lost + ".",
            "open " + firstFile + ": not a directory",
            image.fix("Put the file inside the directory instead (e.g. addFile(file, \"" + path + "/name\") or"
                    + " entrypoint(binary, \"" + path + "/name\")), not at " + path + " itself.",
                "COPY the file into " + path + "/ (with a trailing slash) instead of onto " + path + ".")));
      } else {
        boolean link = change.before().link() != null;
        findings.add(new Finding(NAME, link ? "SYMLINK_REPLACED" : "FILE_REPLACED",
            !link && NEEDED.contains(ImageView.parent(path)) && path.startsWith("/etc/") ? Severity.ERROR : Severity.WARNING,
            path, "Layer " + layer + " makes " + path + " a directory; it was " + before
                + (link ? ", so paths through " + path + " now lead into the new directory instead of to "
                    + change.before().link() : ", which is gone") + ".", "",
            image.fix("Add files under the link's target instead of under " + path + ".",
                link ? "COPY into " + resolvedTarget(path, change.before().link()) + " (where " + path
                    + " pointed) instead of into " + path + "." : "Keep " + path + " a file.")));
      }
    }
  }

  private static String resolvedTarget(String path, String link) {
    return link.startsWith("/") ? link : ImageView.normalise(ImageView.parent(path) + "/" + link);
  }
}
