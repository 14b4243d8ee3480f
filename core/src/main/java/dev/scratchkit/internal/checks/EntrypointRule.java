package dev.scratchkit.internal.checks;

import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import dev.scratchkit.elf.ElfFile;
import dev.scratchkit.internal.view.ImageView;
import dev.scratchkit.internal.view.ImageView.Node;
import dev.scratchkit.internal.view.ImageView.Resolution;
import java.util.List;
import java.util.Optional;

/**
 * The program the runtime starts: there is a command; it exists (a bare name is looked up in the
 * image's {@code PATH}, as runc does); it is a regular file with an execute bit; it is an ELF
 * executable for the config's OS and architecture, or a {@code #!} script whose interpreter is in
 * the image; a shell-form command has its {@code /bin/sh}.
 */
final class EntrypointRule implements Rule {

  static final String NAME = "entrypoint";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void check(CheckContext image, List<Finding> findings) {
    Optional<CheckContext.Lookup> found = image.lookup();
    if (found.isEmpty()) {
      findings.add(new Finding(NAME, "NO_COMMAND", Severity.ERROR, "Entrypoint",
          "The image has neither an Entrypoint nor a Cmd, so there is nothing to start.",
          "no command specified",
          image.fix("Call entrypoint(Path) with the program to run.",
              "Set ENTRYPOINT [\"/path/to/program\"] (exec form) in the Dockerfile.")));
      return;
    }
    CheckContext.Lookup lookup = found.get();
    Resolution r = lookup.resolution();
    if (r == null || !r.found()) {
      missing(image, lookup, findings);
      return;
    }
    Node node = r.node();
    String path = lookup.path();
    if (!node.isFile() || !node.isExecutable()) {
      String what = node.isFile() ? "a regular file without an execute bit (mode 0" + Integer.toOctalString(node.mode()) + ")"
          : "a " + node.type().name().toLowerCase(java.util.Locale.ROOT) + ", not a program";
      findings.add(new Finding(NAME, "ENTRYPOINT_NOT_EXECUTABLE", Severity.ERROR, path, path + " is " + what + " "
          + CheckContext.layerOf(node) + ".", "exec: \"" + lookup.name() + "\": permission denied",
          node.isFile() ? image.fix("Give the program's path to entrypoint(Path, String); scratchkit makes it 0755.",
              "Make it executable (COPY --chmod=0755, or chmod +x before COPY).")
              : image.fix("Give the program's own path to entrypoint(binary, \"" + path + "/" + "name\"), not a directory.",
                  "Point ENTRYPOINT at the program file inside " + path + ".")));
      return;
    }
    byte[] head = image.view().head(node);
    if (head.length >= 2 && head[0] == '#' && head[1] == '!') {
      script(image, lookup, node, findings);
      return;
    }
    if (!ImageView.isElf(head)) {
      findings.add(new Finding(NAME, "ENTRYPOINT_NOT_A_PROGRAM", Severity.ERROR, path, path + " "
          + CheckContext.layerOf(node) + " is neither an ELF executable nor a #! script.",
          "exec " + lookup.name() + ": exec format error",
          image.fix("Give a compiled Linux program to entrypoint(Path).",
              "Point ENTRYPOINT at a compiled Linux program.")));
      return;
    }
    Optional<ElfFile> elf = image.view().elf(node);
    if (elf.isEmpty()) {
      findings.add(new Finding(NAME, "ENTRYPOINT_NOT_A_PROGRAM", Severity.ERROR, path, path + " "
          + CheckContext.layerOf(node) + " starts like an ELF file but cannot be read as one (truncated or damaged).",
          "exec " + lookup.name() + ": exec format error",
          image.fix("Rebuild the program and give it to entrypoint(Path).", "Rebuild the program and copy it again.")));
      return;
    }
    platform(image, lookup.name(), path, elf.get(), findings);
  }

  private void missing(CheckContext image, CheckContext.Lookup lookup, List<Finding> findings) {
    if (image.shellForm()) {
      findings.add(new Finding(NAME, "SHELL_FORM_WITHOUT_SHELL", Severity.ERROR, "/bin/sh",
          "The command " + image.argv() + " is shell form (/bin/sh -c ...), but the image has no /bin/sh.",
          "exec: \"" + lookup.name() + "\": stat /bin/sh: no such file or directory",
          image.fix("Give the program and one string per argument: entrypoint(Path) and args(...).",
              "Use the exec form: ENTRYPOINT [\"/app\", \"--flag\"] or CMD [\"/app\", \"--flag\"], one string per"
                  + " argument.")));
      return;
    }
    if (lookup.bareName()) {
      findings.add(new Finding(NAME, "ENTRYPOINT_MISSING", Severity.ERROR, lookup.name(), "The command \""
          + lookup.name() + "\" is a bare name, and no executable file of that name is in the image's PATH (tried "
          + String.join(", ", lookup.tried()) + ").",
          "exec: \"" + lookup.name() + "\": executable file not found in $PATH",
          image.fix("Give the program's absolute path in the image.",
              "Use the program's absolute path in ENTRYPOINT, or COPY it into a PATH directory.")));
      return;
    }
    Resolution r = lookup.resolution();
    findings.add(new Finding(NAME, "ENTRYPOINT_MISSING", Severity.ERROR, lookup.path(), "The program "
        + CheckContext.why(lookup.path(), r) + ".",
        "exec: \"" + lookup.name() + "\": stat " + lookup.path() + ": " + CheckContext.errno(r),
        image.fix("Check entrypoint(binary, pathInImage) and the files added over it.",
            "COPY the program to " + lookup.path() + ", or point ENTRYPOINT at where it is.")));
  }

  private void script(CheckContext image, CheckContext.Lookup lookup, Node node, List<Finding> findings) {
    String line = image.shebangOf(node).orElse("");
    String interpreter = line.isEmpty() ? "" : line.split("\\s+")[0];
    String path = lookup.path();
    if (!interpreter.startsWith("/")) {
      findings.add(new Finding(NAME, "SCRIPT_INTERPRETER_MISSING", Severity.ERROR, path, path
          + " is a script whose #! line (\"#!" + line + "\") names no absolute interpreter.",
          "exec " + lookup.name() + ": exec format error",
          image.fix("Package a compiled program instead of a script.", "Give the script an absolute #! path.")));
      return;
    }
    Resolution r = image.view().resolve(interpreter);
    if (r.found() && r.node().isFile() && r.node().isExecutable()) {
      Optional<ElfFile> elf = image.view().elf(r.node());
      if (elf.isPresent()) {
        platform(image, lookup.name(), interpreter, elf.get(), findings);
      }
      return;
    }
    findings.add(new Finding(NAME, "SCRIPT_INTERPRETER_MISSING", Severity.ERROR, path, path + " is a script (#!"
        + line + "), and its interpreter is not there: " + CheckContext.why(interpreter, r) + ".",
        "exec " + lookup.name() + ": no such file or directory",
        image.fix("A scratch image has no shell: package a compiled program, or add the interpreter (e.g. a static"
            + " busybox) with addFile and make that the entrypoint.",
            "COPY the interpreter " + interpreter + " (a static one, e.g. busybox) into the image, or run a compiled"
                + " program instead.")));
  }

  private void platform(CheckContext image, String name, String path, ElfFile elf, List<Finding> findings) {
    String goos = elf.goBuildInfo().flatMap(g -> g.goos()).orElse(null);
    String os = goos != null ? goos : elf.platform().os();
    String expectedOs = image.view().platform().os();
    if (!os.equals("linux") || (expectedOs != null && !expectedOs.equals(os))) {
      findings.add(new Finding(NAME, "ENTRYPOINT_WRONG_OS", Severity.ERROR, path, path + " is built for " + os
          + (goos != null ? " (Go, GOOS=" + goos + ")" : " (" + elf.osAbi() + ")") + ", but the image is for "
          + image.view().platform() + ".", "",
          image.fix("Build the program for Linux" + (goos != null ? " (GOOS=linux)" : "") + ".",
              "Build the program for Linux" + (goos != null ? " (GOOS=linux)" : "") + " and copy it again.")));
      return;
    }
    String arch = elf.platform().architecture();
    if (!arch.equals(image.view().platform().architecture())) {
      findings.add(new Finding(NAME, "ENTRYPOINT_WRONG_ARCHITECTURE", Severity.ERROR, path, path + " is built for "
          + elf.platform() + ", but the image is for " + image.view().platform()
          + "; a machine of the image's architecture cannot run it.", "exec " + name + ": exec format error",
          image.fix("Build the program for " + image.view().platform().architecture() + ", or leave out platform(...)"
              + " to take the binary's.",
              "Build the program for " + image.view().platform().architecture() + " (e.g. GOARCH="
                  + image.view().platform().architecture() + "), or build the image for " + arch + ".")));
      return;
    }
    if (!elf.isExecutable()) {
      findings.add(new Finding(NAME, "ENTRYPOINT_NOT_A_PROGRAM", Severity.ERROR, path, path + " is an ELF "
          + (elf.isSharedLibrary() ? "shared library" : elf.type().toString()) + ", not an executable.",
          "exec " + name + ": exec format error",
          image.fix("Give the linked program to entrypoint(Path).", "Point ENTRYPOINT at the linked program.")));
    }
  }
}
