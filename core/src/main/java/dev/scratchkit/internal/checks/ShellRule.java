package dev.scratchkit.internal.checks;

import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import dev.scratchkit.elf.DynamicSymbol;
import dev.scratchkit.elf.ElfException;
import dev.scratchkit.internal.view.ImageView;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A program that runs commands through the shell finds {@code /bin/sh}: glibc's {@code system()}
 * and {@code popen()} run {@code /bin/sh -c command}, and without it the command never runs
 * ({@code system()} returns exit status 127, {@code popen()} gives an empty stream). The evidence
 * is an import of either by the program or a library it loads, or an import of an {@code exec}
 * or {@code posix_spawn} function together with the string {@code /bin/sh} in the same file
 * (it runs the shell itself).
 *
 * <p>A warning, not a refusal: an import shows that some path of the program runs a shell (Python's
 * {@code os.system}, {@code less}'s {@code !command}, {@code awk}'s {@code system()}), not that
 * this run takes it; refusing would refuse every Python image that never calls {@code os.system}.
 * Strict mode makes it an error.
 */
final class ShellRule implements Rule {

  static final String NAME = "shell";
  static final String SHELL = "/bin/sh";
  private static final Set<String> SHELL_FUNCTIONS = Set.of("system", "popen");
  private static final Set<String> EXEC_FUNCTIONS = Set.of("execl", "execle", "execlp", "execv", "execve",
      "execvp", "execvpe", "fexecve", "posix_spawn", "posix_spawnp");

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void check(CheckContext image, List<Finding> findings) {
    if (image.isGo() || image.executed().isEmpty()) {
      return; // Go's os/exec runs what it is given, never a shell on its own
    }
    ImageView view = image.view();
    ImageView.Resolution shell = view.resolve(SHELL);
    if (shell.found() && shell.node().isFile() && shell.node().isExecutable()) {
      return;
    }
    Optional<String> evidence = Optional.empty();
    for (CheckContext.Loaded file : image.loaded()) {
      if (CLibrary.isCLibrary(file.path())) {
        continue; // glibc defines these functions; its own "/bin/sh" is system()'s
      }
      evidence = evidence(image, file);
      if (evidence.isPresent()) {
        break;
      }
    }
    if (evidence.isEmpty()) {
      return;
    }
    findings.add(new Finding(NAME, "SHELL_MISSING", Severity.WARNING, SHELL, evidence.get() + ": the command it"
        + " runs goes through " + SHELL + " -c, and " + CheckContext.why(SHELL, shell) + ", so the command never runs"
        + " (system() returns exit status 127, popen() an empty stream). Whether this run needs it depends on what"
        + " the program does" + (view.builtByScratchkit() ? "; strict mode refuses." : "."),
        "",
        image.fix("Add a shell at " + SHELL + ": addFile(Path.of(\"/bin/busybox\"), \"" + SHELL + "\") (Debian"
                + " busybox-static: one static file whose sh has the common commands built in), or"
                + " addFile(Path.of(\"/bin/dash\"), \"" + SHELL + "\") with bundleSharedLibraries(), which brings"
                + " dash's libraries; and every program the commands run, on the image's PATH.",
            "COPY a shell to " + SHELL + ": a static one such as busybox-static's /bin/busybox, or /bin/dash with"
                + " its libraries; and every program the commands run.")));
  }

  private static Optional<String> evidence(CheckContext image, CheckContext.Loaded file) {
    try {
      String exec = null;
      for (DynamicSymbol s : file.elf().importedSymbols()) {
        if (SHELL_FUNCTIONS.contains(s.name())) {
          return Optional.of(file.path() + " imports " + s.nameWithVersion());
        }
        if (exec == null && EXEC_FUNCTIONS.contains(s.name())) {
          exec = s.nameWithVersion();
        }
      }
      if (exec != null && image.strings(file).contains(SHELL)) {
        return Optional.of(file.path() + " imports " + exec + " and names " + SHELL + " in its strings");
      }
    } catch (ElfException malformed) {
      // nothing the loader could bind either
    }
    return Optional.empty();
  }
}
