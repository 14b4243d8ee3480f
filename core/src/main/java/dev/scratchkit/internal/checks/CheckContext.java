package dev.scratchkit.internal.checks;

import dev.scratchkit.elf.ElfFile;
import dev.scratchkit.elf.LibraryClosure;
import dev.scratchkit.elf.LibraryResolver;
import dev.scratchkit.elf.RuntimeNeed;
import dev.scratchkit.internal.view.ImageView;
import dev.scratchkit.internal.view.ImageView.Node;
import dev.scratchkit.internal.view.ImageView.Resolution;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * An image view and what the rules share about it, worked out once: the command the runtime
 * starts, where it finds the program (through {@code PATH} as runc does), the ELF file the kernel
 * ends up running (the program, or a script's interpreter) and its library closure.
 */
public final class CheckContext {

  /** Docker's and runc's {@code PATH} when the image sets none. */
  static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  /** Bytes of a text file the rules read (passwd, group, a script's first line, a PEM bundle). */
  static final int MAX_TEXT = 4 << 20;

  /**
   * Where the runtime looked for the program.
   *
   * @param name the command's first word, as in the config
   * @param path the absolute path it stands for (the first tried, if not found)
   * @param resolution what is at that path
   * @param tried every path tried, for a name looked up in {@code PATH}
   */
  record Lookup(String name, String path, Resolution resolution, List<String> tried) {
    boolean bareName() {
      return !name.contains("/");
    }
  }

  /**
   * The ELF file the kernel runs.
   *
   * @param path its in-image path as exec'd (the program's, or the script's interpreter)
   * @param node its entry
   * @param elf the file read as ELF
   * @param viaScript true if a {@code #!} line led to it
   */
  record Executed(String path, Node node, ElfFile elf, boolean viaScript) {}

  private final ImageView view;
  private Lookup lookup;
  private boolean executedDone;
  private Executed executed;
  private LibraryClosure closure;
  private boolean closureDone;

  private final Path hostRoot;
  private List<Loaded> loaded;
  private final java.util.Map<String, List<String>> strings = new java.util.HashMap<>();

  CheckContext(ImageView view) {
    this(view, null);
  }

  /**
   * @param hostRoot the root the image's files come from (the sysroot of a build), or null for an
   *     image made elsewhere
   */
  CheckContext(ImageView view, Path hostRoot) {
    this.view = view;
    this.hostRoot = hostRoot;
  }

  /** {@return the root the build takes files from ({@code /} or a sysroot); empty for the doctor} */
  Optional<Path> hostRoot() {
    return Optional.ofNullable(hostRoot);
  }

  /**
   * An ELF file the running program has mapped: the program, or a library of its closure.
   *
   * @param path its path in the image (as the loader found it)
   * @param node its entry
   * @param elf the file read
   */
  record Loaded(String path, Node node, ElfFile elf) {}

  /** {@return the executed program, then each library of its closure that resolves and reads as ELF} */
  List<Loaded> loaded() {
    if (loaded == null) {
      List<Loaded> out = new ArrayList<>();
      executed().ifPresent(e -> out.add(new Loaded(e.path(), e.node(), e.elf())));
      closure().ifPresent(c -> {
        for (dev.scratchkit.elf.ResolvedLibrary library : c.libraries()) {
          Resolution r = view.resolve(library.pathInImage());
          if (r.found() && r.node().isFile()) {
            view.elf(r.node()).ifPresent(elf -> out.add(new Loaded(library.pathInImage(), r.node(), elf)));
          }
        }
      });
      loaded = List.copyOf(out);
    }
    return loaded;
  }

  /** {@return the read-only strings of a loaded file ({@link ElfStrings}), read once} */
  List<String> strings(Loaded file) {
    return strings.computeIfAbsent(file.node().path(), p -> {
      try {
        return ElfStrings.of(view.localFile(file.node()), file.elf());
      } catch (java.io.UncheckedIOException e) {
        return List.of();
      }
    });
  }

  /**
   * Looks a program name up in {@code PATH} as glibc's {@code execvp} does: the image's
   * {@code PATH}, else glibc's default {@code /bin:/usr/bin}.
   *
   * @param name e.g. {@code gzip}
   * @return the path of the executable file found, or empty
   */
  Optional<String> onPath(String name) {
    for (String dir : pathDirectories()) {
      String path = ImageView.normalise(dir + "/" + name);
      Resolution r = view.resolve(path);
      if (r.found() && r.node().isFile() && r.node().isExecutable()) {
        return Optional.of(path);
      }
    }
    return Optional.empty();
  }

  /** {@return the directories execvp searches} */
  List<String> pathDirectories() {
    List<String> out = new ArrayList<>();
    for (String dir : view.envValue("PATH").orElse("/bin:/usr/bin").split(":")) {
      if (dir.startsWith("/") && !out.contains(dir)) {
        out.add(dir);
      }
    }
    return out;
  }

  ImageView view() {
    return view;
  }

  /** {@return Entrypoint followed by Cmd, as the runtime runs them} */
  List<String> argv() {
    List<String> argv = new ArrayList<>(view.config().entrypoint());
    argv.addAll(view.config().cmd());
    return argv;
  }

  /** {@return the shell-form command ({@code /bin/sh -c ...}), if that is what the config starts} */
  boolean shellForm() {
    List<String> argv = argv();
    return argv.size() >= 2 && (argv.get(0).equals("/bin/sh") || argv.get(0).equals("sh"))
        && argv.get(1).equals("-c");
  }

  /** {@return where the program was looked for; empty without a command} */
  Optional<Lookup> lookup() {
    List<String> argv = argv();
    if (argv.isEmpty() || argv.get(0).isEmpty()) {
      return Optional.empty();
    }
    if (lookup == null) {
      String name = argv.get(0);
      if (name.contains("/")) {
        String cwd = view.config().workingDir() == null ? "/" : view.config().workingDir();
        String path = ImageView.normalise(name.startsWith("/") ? name : cwd + "/" + name);
        lookup = new Lookup(name, path, view.resolve(path), List.of(path));
      } else {
        List<String> tried = new ArrayList<>();
        Lookup found = null;
        for (String dir : view.envValue("PATH").orElse(DEFAULT_PATH).split(":")) {
          String d = dir.isEmpty() ? "." : dir;
          String path = ImageView.normalise((d.startsWith("/") ? d : "/" + d) + "/" + name);
          tried.add(path);
          Resolution r = view.resolve(path);
          if (r.found() && r.node().isFile() && r.node().isExecutable()) {
            found = new Lookup(name, path, r, tried);
            break;
          }
        }
        lookup = found != null ? found
            : new Lookup(name, tried.isEmpty() ? "/" + name : tried.get(0), null, List.copyOf(tried));
      }
    }
    return Optional.of(lookup);
  }

  /** {@return the program's entry, if the lookup found a regular file} */
  Optional<Node> program() {
    return lookup().map(Lookup::resolution).filter(r -> r != null && r.found() && r.node().isFile()).map(Resolution::node);
  }

  /** {@return the {@code #!} line of the program without the two characters, if it is a script} */
  Optional<String> shebang() {
    return program().flatMap(this::shebangOf);
  }

  Optional<String> shebangOf(Node file) {
    byte[] head = view.read(file, 256);
    if (head.length < 2 || head[0] != '#' || head[1] != '!') {
      return Optional.empty();
    }
    String line = new String(head, 2, head.length - 2, StandardCharsets.UTF_8);
    int nl = line.indexOf('\n');
    return Optional.of((nl >= 0 ? line.substring(0, nl) : line).trim());
  }

  /** {@return the ELF file the kernel runs: the program, or a script's interpreter if that is ELF} */
  Optional<Executed> executed() {
    if (!executedDone) {
      executedDone = true;
      Optional<Node> program = program();
      if (program.isPresent()) {
        Optional<ElfFile> elf = view.elf(program.get());
        if (elf.isPresent()) {
          executed = new Executed(lookup().orElseThrow().path(), program.get(), elf.get(), false);
        } else {
          Optional<String> interpreter = shebang().map(s -> s.split("\\s+")[0]);
          if (interpreter.isPresent() && interpreter.get().startsWith("/")) {
            Resolution r = view.resolve(interpreter.get());
            if (r.found() && r.node().isFile()) {
              executed = view.elf(r.node()).map(e -> new Executed(interpreter.get(), r.node(), e, true)).orElse(null);
            }
          }
        }
      }
    }
    return Optional.ofNullable(executed);
  }

  /** {@return what the executed program evidently needs at run time} */
  List<RuntimeNeed> runtimeNeeds() {
    return executed().map(e -> e.elf().runtimeNeeds()).orElse(List.of());
  }

  /** {@return true if the executed program is a Go program (build info, or Go runtime evidence)} */
  boolean isGo() {
    return executed().map(e -> e.elf().goBuildInfo().isPresent()).orElse(false)
        || runtimeNeeds().stream().anyMatch(n -> n.evidence().startsWith("Go "));
  }

  boolean needs(RuntimeNeed.Kind kind) {
    return runtimeNeeds().stream().anyMatch(n -> n.kind() == kind);
  }

  Optional<RuntimeNeed> need(RuntimeNeed.Kind kind) {
    return runtimeNeeds().stream().filter(n -> n.kind() == kind).findFirst();
  }

  /** {@return the executed program's library closure inside the image, if it is dynamically linked} */
  Optional<LibraryClosure> closure() {
    if (!closureDone) {
      closureDone = true;
      Optional<Executed> e = executed();
      if (e.isPresent() && (e.get().elf().interpreter().isPresent() || !e.get().elf().neededLibraries().isEmpty())) {
        List<String> libraryPath = view.envValue("LD_LIBRARY_PATH")
            .map(p -> Arrays.stream(p.split("[:;]")).filter(s -> s.startsWith("/")).toList()).orElse(List.of());
        try {
          closure = LibraryResolver.forImage(view).withLibraryPath(libraryPath).resolve(e.get().elf(), e.get().path());
        } catch (IllegalStateException tooMany) {
          closure = null;
        }
      }
    }
    return Optional.ofNullable(closure);
  }

  /**
   * A text file of the image, links followed.
   *
   * @param path e.g. {@code /etc/passwd}
   * @return its text (at most {@link #MAX_TEXT} bytes), or empty if it is not a regular file
   */
  Optional<String> text(String path) {
    Resolution r = view.resolve(path);
    if (!r.found() || !r.node().isFile()) {
      return Optional.empty();
    }
    return Optional.of(new String(view.read(r.node(), MAX_TEXT), StandardCharsets.UTF_8));
  }

  /** {@return the builder's fix for a scratchkit image, else what to change in any other} */
  String fix(String builder, String other) {
    return view.builtByScratchkit() ? builder : other;
  }

  /** {@return the entry that put a path there, for messages: e.g. "(layer 3)"} */
  static String layerOf(Node node) {
    return "(layer " + (node.layer() + 1) + ")";
  }

  /** {@return why a path does not lead to an entry, in words} */
  static String why(String path, Resolution r) {
    if (r.found()) {
      return path + " is a " + r.node().type().name().toLowerCase(java.util.Locale.ROOT);
    }
    String links = r.links().isEmpty() ? "" : " (through " + String.join(", ", r.links()) + ")";
    switch (r.failure()) {
      case NOT_A_DIRECTORY:
        return r.blocker().path() + " is a " + r.blocker().type().name().toLowerCase(java.util.Locale.ROOT) + " "
            + layerOf(r.blocker()) + ", not a directory, so " + path + " cannot exist" + links;
      case TOO_MANY_LINKS:
        return path + " goes through more than " + ImageView.MAX_LINKS + " symbolic links" + links;
      default:
        return path + " does not exist in the image" + (r.realPath().equals(path) ? "" : " (" + r.realPath()
            + " is missing)") + links;
    }
  }

  /** {@return "not a directory" or "no such file or directory", as the kernel reports the failure} */
  static String errno(Resolution r) {
    return r.failure() == ImageView.Failure.NOT_A_DIRECTORY ? "not a directory"
        : r.failure() == ImageView.Failure.TOO_MANY_LINKS ? "too many levels of symbolic links"
        : "no such file or directory";
  }
}
