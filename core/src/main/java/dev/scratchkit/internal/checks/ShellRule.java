package dev.scratchkit.internal.checks;

import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import dev.scratchkit.elf.DynamicSymbol;
import dev.scratchkit.elf.ElfException;
import dev.scratchkit.elf.ElfFile;
import dev.scratchkit.internal.view.ImageView;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * A program that runs commands through the shell finds {@code /bin/sh}: glibc's {@code system()}
 * and {@code popen()} run {@code /bin/sh -c command}, and without it the command never runs
 * ({@code system()} returns exit status 127, {@code popen()} gives an empty stream). The evidence
 * is an import of either by the program or a library it loads, or an import of an {@code exec}
 * or {@code posix_spawn} function together with the string {@code /bin/sh} in the same file
 * (it runs the shell itself).
 *
 * <p>An error when the image's own inputs give a command run through the shell
 * ({@link GivenCommands}: a {@code git} alias with {@code !}, an {@code awk} program's
 * {@code system()}, a Makefile's recipe): that run fails. Otherwise a warning: an import shows
 * that some path of the program runs a shell (Python's {@code os.system}, {@code less}'s
 * {@code !command}), not that this run takes it; refusing would refuse every Python image that
 * never calls {@code os.system}. Strict mode makes it an error. With
 * {@code bundleSharedLibraries()} the image gets the build root's shell on the same evidence,
 * so the rule speaks only when that was turned off or the root has none.
 */
public final class ShellRule implements Rule {

  static final String NAME = "shell";
  /** Where {@code system()}, {@code popen()} and {@code execvp}'s fallback find the shell. */
  public static final String SHELL = "/bin/sh";
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
    // A shell's own -c runs in that shell; only what a program hands to /bin/sh -c needs this one.
    List<GivenCommands.Command> given = GivenCommands.shellCommands(image).stream()
        .filter(GivenCommands.Command::viaBinSh).toList();
    if (!given.isEmpty()) {
      // The image's own inputs say this run goes through the shell: certain, so an error.
      findings.add(new Finding(NAME, "SHELL_MISSING", Severity.ERROR, SHELL, given.get(0).evidence() + ", but "
          + CheckContext.why(SHELL, shell) + ", so the command never runs.", SHELL + ": not found",
          fix(image)));
      return;
    }
    Optional<String> evidence = Optional.empty();
    for (CheckContext.Loaded file : image.loaded()) {
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
        fix(image)));
  }

  private static String fix(CheckContext image) {
    return image.fix("Add a shell at " + SHELL + ": bundleSharedLibraries() brings the build root's " + SHELL
            + " (unless withoutShell()), or addFile(Path.of(\"/bin/dash\"), \"" + SHELL + "\") with"
            + " bundleSharedLibraries(), or addFile(Path.of(\"/bin/busybox\"), \"" + SHELL + "\") (Debian"
            + " busybox-static: one static file whose sh has the common commands built in); and every program"
            + " the commands run, on the image's PATH.",
        "COPY a shell to " + SHELL + ": a static one such as busybox-static's /bin/busybox, or /bin/dash with"
            + " its libraries; and every program the commands run.");
  }

  private static Optional<String> evidence(CheckContext image, CheckContext.Loaded file) {
    return evidence(file.elf(), file.path(), () -> image.strings(file));
  }

  /**
   * The sign that an ELF file runs the shell, for the rule and for the bundling that brings one.
   *
   * @param elf the file, read
   * @param path its path in the image, for the message
   * @param strings its read-only strings, asked for only when it imports an exec function
   * @return e.g. "/usr/bin/gawk imports popen@GLIBC_2.2.5", or empty
   */
  public static Optional<String> evidence(ElfFile elf, String path, Supplier<List<String>> strings) {
    if (CLibrary.isCLibrary(path)) {
      return Optional.empty(); // glibc defines these functions; its own "/bin/sh" is system()'s
    }
    try {
      String exec = null;
      for (DynamicSymbol s : elf.importedSymbols()) {
        if (SHELL_FUNCTIONS.contains(s.name())) {
          return Optional.of(path + " imports " + s.nameWithVersion());
        }
        if (exec == null && EXEC_FUNCTIONS.contains(s.name())) {
          exec = s.nameWithVersion();
        }
      }
      if (exec != null && strings.get().contains(SHELL)) {
        return Optional.of(path + " imports " + exec + " and names " + SHELL + " in its strings");
      }
    } catch (ElfException malformed) {
      // nothing the loader could bind either
    }
    return Optional.empty();
  }

  /**
   * {@return the strings of a host file for {@link #evidence}, read once when asked}
   *
   * @param file the file on the host
   * @param elf the file, read
   */
  public static Supplier<List<String>> hostStrings(Path file, ElfFile elf) {
    return new Supplier<>() {
      private List<String> strings;

      @Override
      public List<String> get() {
        if (strings == null) {
          try {
            strings = ElfStrings.of(file, elf);
          } catch (java.io.UncheckedIOException e) {
            strings = List.of();
          }
        }
        return strings;
      }
    };
  }
}
