package dev.scratchkit.internal.checks;

import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import dev.scratchkit.internal.view.ImageView;
import java.util.List;

/**
 * {@code WorkingDir} is a directory, or absent (the runtime creates it); anything else stops the
 * container before the program starts.
 */
final class WorkingDirectoryRule implements Rule {

  static final String NAME = "working-directory";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void check(CheckContext image, List<Finding> findings) {
    String dir = image.view().config().workingDir();
    if (dir == null || dir.isEmpty()) {
      return;
    }
    ImageView.Resolution r = image.view().resolve(dir);
    ImageView.Node blocker = r.found() && !r.node().isDirectory() ? r.node()
        : r.failure() == ImageView.Failure.NOT_A_DIRECTORY ? r.blocker() : null;
    if (blocker == null) {
      return;
    }
    findings.add(new Finding(NAME, "WORKDIR_NOT_A_DIRECTORY", Severity.ERROR, dir, "WorkingDir is " + dir + ", but "
        + blocker.path() + " is a " + blocker.type().name().toLowerCase(java.util.Locale.ROOT) + " "
        + CheckContext.layerOf(blocker) + ", so the runtime cannot change into it (runc: \"mkdir " + blocker.path()
        + ": not a directory\").", "mkdir " + blocker.path() + ": not a directory",
        image.fix("Give workingDirectory(...) a directory, e.g. \"" + ImageView.parent(blocker.path()) + "\".",
            "Set WORKDIR to a directory, e.g. " + ImageView.parent(blocker.path()) + ".")));
  }
}
