package dev.scratchkit.internal.checks;

import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import dev.scratchkit.elf.ResolvedLibrary;
import dev.scratchkit.internal.view.ImageView;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A program linked with ncurses' terminal library ({@code libtinfo}, {@code libncurses},
 * {@code libncursesw}: {@code tput}, {@code top}, {@code less}, {@code nano}, {@code watch},
 * {@code bash}'s line editing) describes the terminal {@code TERM} names from its terminfo
 * entry, {@code <dir>/<first letter>/<name>}, in {@code TERMINFO}, {@code TERMINFO_DIRS} or the
 * directories compiled into the library ({@code /etc/terminfo:/lib/terminfo:/usr/share/terminfo}
 * on Debian). Without it the program stops or falls back to a dumb terminal: {@code tput:
 * unknown terminal "xterm-256color"}, {@code top: unknown terminal type}.
 *
 * <p>{@code TERM} in the image's environment is certain: an error. Without it the runtime
 * decides: {@code docker run -t} and {@code podman run -t} set {@code TERM=xterm}, so an image
 * with no terminfo at all gets a warning. With {@code bundleSharedLibraries()} the image gets the
 * root's essential set (Debian's ncurses-base, {@code /lib/terminfo}: 42 terminals, 136 KB) and
 * the entry {@code TERM} names.
 */
public final class TerminfoRule implements Rule {

  static final String NAME = "terminfo";
  /** The terminal runtimes give a container started with a TTY. */
  public static final String RUNTIME_TERM = "xterm";
  /** ncurses' terminal libraries, by soname. */
  private static final Pattern LIBRARIES = Pattern.compile("lib(tinfo|ncursesw?|tinfow)\\.so(\\.\\d+)*");
  /** Debian's compiled-in list, when the library's strings do not show one. */
  public static final List<String> DEFAULT_DIRECTORIES = List.of("/etc/terminfo", "/lib/terminfo",
      "/usr/share/terminfo");

  @Override
  public String name() {
    return NAME;
  }

  /**
   * {@return true for a soname of ncurses' terminal libraries}
   *
   * @param soname e.g. {@code libtinfo.so.6}
   */
  public static boolean isTerminalLibrary(String soname) {
    return LIBRARIES.matcher(soname).matches();
  }

  /**
   * {@return the terminfo directories compiled into a terminal library: its colon-separated
   * list among its strings, else Debian's}
   *
   * @param library the library on disk
   * @param elf the same library, read
   */
  public static List<String> directories(Path library, dev.scratchkit.elf.ElfFile elf) {
    try {
      for (String s : ElfStrings.of(library, elf)) {
        if (s.contains("terminfo") && s.indexOf(':') > 0 && s.startsWith("/")) {
          List<String> out = new ArrayList<>();
          for (String part : s.split(":")) {
            if (part.startsWith("/")) {
              out.add(part);
            }
          }
          return out;
        }
      }
    } catch (UncheckedIOException unreadable) {
      // the distribution's layout
    }
    return DEFAULT_DIRECTORIES;
  }

  /**
   * {@return the path of a terminal's entry in a terminfo directory}
   *
   * @param directory e.g. {@code /lib/terminfo}
   * @param term e.g. {@code xterm}
   */
  public static String entry(String directory, String term) {
    return directory + "/" + term.charAt(0) + "/" + term;
  }

  /**
   * {@return true for a TERM value that can name an entry (no path, no dot-dot)}
   *
   * @param term the value
   */
  public static boolean isEntryName(String term) {
    return !term.isEmpty() && term.indexOf('/') < 0 && !term.startsWith(".");
  }

  @Override
  public void check(CheckContext image, List<Finding> findings) {
    Optional<dev.scratchkit.elf.LibraryClosure> closure = image.closure();
    if (closure.isEmpty()) {
      return;
    }
    ResolvedLibrary library = null;
    for (ResolvedLibrary l : closure.get().libraries()) {
      if (isTerminalLibrary(l.name())) {
        library = l;
        break;
      }
    }
    if (library == null) {
      return;
    }
    ImageView view = image.view();
    List<String> searched = new ArrayList<>();
    view.envValue("TERMINFO").filter(d -> d.startsWith("/")).ifPresent(searched::add);
    view.envValue("TERMINFO_DIRS").ifPresent(p -> {
      for (String dir : p.split(":")) {
        if (dir.startsWith("/")) {
          searched.add(dir);
        }
      }
    });
    ImageView.Resolution lib = view.resolve(library.pathInImage());
    List<String> compiled = DEFAULT_DIRECTORIES;
    if (lib.found() && lib.node().isFile()) {
      Optional<dev.scratchkit.elf.ElfFile> elf = view.elf(lib.node());
      if (elf.isPresent()) {
        compiled = directories(view.localFile(lib.node()), elf.get());
      }
    }
    compiled.stream().filter(d -> !searched.contains(d)).forEach(searched::add);
    Optional<String> term = view.envValue("TERM").filter(TerminfoRule::isEntryName);
    String wanted = term.orElse(RUNTIME_TERM);
    for (String dir : searched) {
      ImageView.Resolution r = view.resolve(entry(dir, wanted));
      if (r.found() && r.node().isFile()) {
        return;
      }
    }
    if (term.isEmpty() && anyEntry(view, searched)) {
      return; // some terminals are described; which one the run names, only the run knows
    }
    String where = String.join(", ", searched.stream().map(d -> entry(d, wanted)).toList());
    String program = image.executed().map(CheckContext.Executed::path).orElse("the program");
    String host = "/lib/terminfo";
    findings.add(new Finding(NAME, "TERMINFO_MISSING", term.isPresent() ? Severity.ERROR : Severity.WARNING,
        entry(compiled.get(Math.min(1, compiled.size() - 1)), wanted),
        program + " loads " + library.name() + ", which reads the terminal's description from terminfo, and "
            + (term.isPresent() ? "TERM=" + wanted + " in the environment names " + wanted
                : "the image sets no TERM, so it is the runtime's (docker run -t and podman run -t set TERM="
                    + RUNTIME_TERM + ")")
            + ", but the image has no entry for it (looked for " + where + ").",
        "'" + wanted + "': unknown terminal type (tput: unknown terminal \"" + wanted + "\")",
        image.fix("Call bundleSharedLibraries(): it adds the root's " + host + " (Debian ncurses-base: the"
                + " common terminals) and the entry TERM names; or add the entry with addFile(Path.of(\""
                + entry(host, wanted) + "\"), \"" + entry(host, wanted) + "\").",
            "COPY " + host + " (Debian package ncurses-base; more terminals in ncurses-term's /usr/share/terminfo)"
                + " from the build stage to " + host + ".")));
  }

  /** {@return true if a directory has an entry in a one-letter subdirectory (not only a README)} */
  private static boolean anyEntry(ImageView view, List<String> directories) {
    for (String dir : directories) {
      ImageView.Resolution r = view.resolve(dir);
      if (!r.found() || !r.node().isDirectory()) {
        continue;
      }
      for (String letter : view.list(r.node().path())) {
        ImageView.Resolution sub = view.resolve(r.node().path() + "/" + letter);
        if (letter.length() == 1 && sub.found() && sub.node().isDirectory() && !view.list(sub.node().path()).isEmpty()) {
          return true;
        }
      }
    }
    return false;
  }
}
