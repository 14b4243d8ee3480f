package dev.scratchkit.internal.checks;

import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import dev.scratchkit.elf.ElfFile;
import dev.scratchkit.elf.LibraryClosure;
import dev.scratchkit.elf.MissingLibrary;
import dev.scratchkit.internal.view.ImageView;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A dynamically linked program's interpreter and its whole {@code DT_NEEDED} closure resolve
 * inside the image, as its loader will search: RPATH, {@code LD_LIBRARY_PATH} from the config,
 * RUNPATH with {@code $ORIGIN}, the image's own {@code ld.so.cache} or {@code ld.so.conf}, the
 * default and multiarch directories, through the image's symlinks.
 */
final class SharedLibrariesRule implements Rule {

  static final String NAME = "shared-libraries";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void check(CheckContext image, List<Finding> findings) {
    Optional<LibraryClosure> found = image.closure();
    if (found.isEmpty()) {
      return;
    }
    CheckContext.Executed executed = image.executed().orElseThrow();
    ElfFile elf = executed.elf();
    String program = executed.path();
    String started = image.lookup().map(CheckContext.Lookup::name).orElse(program);
    LibraryClosure closure = found.get();
    String staticFix = staticFix(elf);
    // Without its interpreter the kernel refuses the program: the loader never gets to report a library.
    boolean noInterpreter = elf.interpreter().isPresent() && closure.interpreter().isEmpty();
    for (MissingLibrary missing : closure.missing()) {
      boolean interpreter = elf.interpreter().map(missing.name()::equals).orElse(false)
          && missing.neededBy().equals(closure.executable());
      if (noInterpreter && !interpreter) {
        continue;
      }
      ImageView.Resolution r = image.view().resolve(missing.name());
      List<String> way = new java.util.ArrayList<>(missing.searched());
      way.add(r.realPath());
      String changed = changedOnTheWay(image.view(), missing.name(), way);
      if (interpreter) {
        findings.add(new Finding(NAME, "INTERPRETER_MISSING", Severity.ERROR, missing.name(), program
            + " is dynamically linked: its interpreter (PT_INTERP) is " + missing.name() + ", and "
            + CheckContext.why(missing.name(), r) + changed + ". The kernel cannot start the program without it"
            + (elf.neededLibraries().isEmpty() ? "" : "; it also needs " + String.join(", ", elf.neededLibraries())) + ".",
            "exec " + started + ": no such file or directory",
            image.fix("Call bundleSharedLibraries() to copy the interpreter and libraries into the image" + staticFix
                    + ".",
                "COPY the interpreter " + missing.name() + " and the libraries from the build stage" + staticFix
                    + ".")));
      } else {
        findings.add(new Finding(NAME, "LIBRARY_MISSING", Severity.ERROR, missing.name(), missing.neededBy()
            + " needs " + missing.name() + ", which is not in the image (searched " + searched(missing) + ")"
            + changed + ".",
            started + ": error while loading shared libraries: " + missing.name()
                + ": cannot open shared object file: No such file or directory",
            image.fix("Call bundleSharedLibraries() (with the sysroot that has " + missing.name() + "), or add it"
                    + " with addFile where the loader looks" + staticFix + ".",
                "COPY " + missing.name() + " into a directory the loader searches (e.g. /lib/"
                    + multiarch(image.view()) + "), or link the program statically" + staticFix + ".")));
      }
    }
  }

  private static String searched(MissingLibrary missing) {
    List<String> s = missing.searched();
    return s.isEmpty() ? "nothing" : s.stream().limit(8).collect(Collectors.joining(", ")) + (s.size() > 8 ? ", ..." : "");
  }

  private static String multiarch(ImageView view) {
    switch (view.platform().architecture()) {
      case "arm64": return "aarch64-linux-gnu";
      case "amd64": return "x86_64-linux-gnu";
      default: return "<multiarch>";
    }
  }

  /** A layer that changed a directory's kind on the way explains many a missing library. */
  private static String changedOnTheWay(ImageView view, String name, List<String> way) {
    for (ImageView.Change change : view.changes()) {
      String p = change.path();
      boolean onTheWay = name.startsWith(p + "/") || way.stream().anyMatch(s -> s.equals(p) || s.startsWith(p + "/"));
      if (onTheWay) {
        return "; layer " + (change.layer() + 1) + " replaced " + p + " (" + describe(change.before()) + ") with a "
            + change.after().name().toLowerCase(java.util.Locale.ROOT);
      }
    }
    return "";
  }

  static String describe(ImageView.Node node) {
    return (node.link() != null ? "a symlink to " + node.link() : "a " + node.type().name().toLowerCase(java.util.Locale.ROOT))
        + " from layer " + (node.layer() + 1);
  }

  private static String staticFix(ElfFile elf) {
    if (elf.goBuildInfo().isPresent()) {
      return elf.goBuildInfo().flatMap(g -> g.cgoEnabled()).orElse(false)
          ? "; or rebuild the Go program with CGO_ENABLED=0 (it is built with CGO_ENABLED=1)"
          : "; or rebuild the Go program with CGO_ENABLED=0";
    }
    return "; or link it statically (e.g. gcc -static)";
  }
}
