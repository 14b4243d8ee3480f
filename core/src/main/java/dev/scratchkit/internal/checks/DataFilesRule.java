package dev.scratchkit.internal.checks;

import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import dev.scratchkit.internal.view.ImageView;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Data files a program or its libraries read by a compiled-in path, whose only sign is the path
 * among their strings: libmagic's {@code /usr/share/misc/magic.mgc}, and others.
 *
 * <p>Two parts. A small table of libraries known to need a data file ({@link #KNOWN}): each says
 * which paths will do, an environment variable that overrides them, and how bad the lack is
 * (libmagic cannot classify anything without its database: an error; {@code lspci} only shows
 * numbers without {@code pci.ids}: a warning). Then, for an image being built (where the
 * build machine's files can be compared), a general look: absolute paths under {@code /usr/share},
 * {@code /usr/lib} and {@code /etc} in the read-only strings of the program and its libraries
 * that are regular files on the build machine but not in the image, as one warning. Optional
 * configuration ({@code /etc/wgetrc}) is among them; a program reads what it names, so
 * the warning lists what it may miss and the fix.
 *
 * <p>Against noise: the C library's own files are skipped (its paths are the system's: passwd,
 * hosts, locales, gconv, which rules of their own check), as are paths other rules own (CA
 * certificates, zoneinfo, locales), files the runtime provides ({@code /etc/resolv.conf},
 * {@code /etc/hosts}, {@code /etc/hostname}) or that are not data ({@code /etc/ld.so.cache},
 * {@code /etc/shadow}), paths with pattern characters, and files that resolve outside
 * {@code /usr} and {@code /etc} ({@code /etc/mtab -> /proc/self/mounts}). At most
 * {@value #MAX_CANDIDATES} paths per file are looked up on the build machine and
 * {@value #MAX_LISTED} are listed: enough for every case measured on Debian 12 (curl's
 * libraries name 6, most programs 0 to 2), few enough to read.
 *
 * <p>Directories, in two ways. A small table of programs known to read a data directory when
 * their arguments say so ({@link #KNOWN_DIRECTORIES}: {@code git init} and {@code git clone} copy
 * {@code /usr/share/git-core/templates} into the new repository), kept as data: the program's
 * name, the subcommands that make it read the directory, the options and variables
 * that name another one, and what it prints without it. That is certain (this run reads it, and
 * the result differs from the build machine's), so it is an error with the exact
 * {@code addDirectory} fix. Then the general look takes directories too, with two limits against
 * noise measured over the 548 ELF programs of a Debian 12 {@code /usr/bin}: only the program's
 * own strings count (its libraries name directories for every program that links them, such as
 * libsystemd's unit directories or PAM's {@code /etc/pam.d}: 30 to 60 programs each), and only
 * directories that hold a file on the build machine, outside the library directories and the
 * trees other rules own. 46 programs then name one ({@code gpg}'s {@code /usr/share/gnupg},
 * {@code git}'s {@code /usr/lib/git-core}, {@code groff}'s fonts); a warning, with each
 * directory's size, since which of them a run reads depends on the run.
 */
final class DataFilesRule implements Rule {

  static final String NAME = "data-files";
  /** Paths per ELF file looked up on the build machine. */
  static final int MAX_CANDIDATES = 64;
  /** Paths listed in the warning. */
  static final int MAX_LISTED = 8;

  /**
   * A library that reads a data file by a compiled-in path.
   *
   * @param library its file name, as a pattern
   * @param paths where it looks; any one will do
   * @param variable the environment variable that names another file, or null
   * @param covers further paths in its strings that this entry stands for
   * @param hostSource where Debian ships the file (the fix copies it from there)
   * @param debianPackage the package that has it
   * @param severity error when the library can do nothing without it
   * @param error what the program prints without it, or empty
   */
  record Known(Pattern library, List<String> paths, String variable, List<String> covers, String hostSource,
      String debianPackage, Severity severity, String error) {}

  /** The known libraries: data, one line each. */
  static final List<Known> KNOWN = List.of(
      new Known(Pattern.compile("libmagic\\.so\\.1"), List.of("/usr/share/misc/magic.mgc", "/usr/share/misc/magic"),
          "MAGIC", List.of("/etc/magic", "/etc/magic.mgc"), "/usr/lib/file/magic.mgc", "libmagic-mgc", Severity.ERROR,
          "could not find any valid magic files!"),
      new Known(Pattern.compile("libpci\\.so\\.3"), List.of("/usr/share/misc/pci.ids", "/usr/share/misc/pci.ids.gz"),
          null, List.of(), "/usr/share/misc/pci.ids", "pci.ids", Severity.WARNING, ""),
      new Known(Pattern.compile("libtirpc\\.so\\.3"), List.of("/etc/netconfig"), "NETPATH", List.of(),
          "/etc/netconfig", "libtirpc-common", Severity.WARNING, ""),
      new Known(Pattern.compile("libfontconfig\\.so\\.1"), List.of("/etc/fonts/fonts.conf"), "FONTCONFIG_FILE",
          List.of(), "/etc/fonts/fonts.conf", "fontconfig-config", Severity.WARNING,
          "Fontconfig error: Cannot load default config file"));

  /**
   * A program that reads a data directory, compiled in, when its arguments say so.
   *
   * @param program its file name, as a pattern
   * @param optionsWithValue its options before the subcommand that take the next word ({@code -C dir})
   * @param subcommands the first operand (the subcommand) that makes it read the directory
   * @param path the directory
   * @param overrides arguments (prefixes, ignoring case) that name another directory instead
   * @param variables environment variables that name another directory instead
   * @param debianPackage the package that has it
   * @param error what the program prints without it
   */
  record KnownDirectory(Pattern program, Set<String> optionsWithValue, Set<String> subcommands, String path, List<String> overrides, List<String> variables, String debianPackage, String error) {}

  /** The known programs: data, one entry each. */
  static final List<KnownDirectory> KNOWN_DIRECTORIES = List.of(
      new KnownDirectory(Pattern.compile("git"), Set.of("-C", "-c", "--git-dir", "--work-tree", "--namespace",
          "--exec-path", "--config-env", "--super-prefix"), Set.of("init", "clone"),
          "/usr/share/git-core/templates", List.of("--template", "init.templatedir="), List.of("GIT_TEMPLATE_DIR"),
          "git", "warning: templates not found in /usr/share/git-core/templates"));

  /** Files walked to size a directory of the build machine. */
  static final int MAX_WALK = 10_000;

  /** Paths other rules own, the runtime provides, or that are not data (prefixes). */
  private static final List<String> SKIP = List.of("/etc/ssl/", "/usr/lib/ssl/", "/etc/pki/", "/usr/share/zoneinfo",
      "/etc/localtime", "/etc/timezone", "/usr/lib/locale", "/usr/share/locale", "/usr/share/i18n",
      "/usr/lib/x86_64-linux-gnu/gconv", "/usr/lib/aarch64-linux-gnu/gconv", "/usr/lib/gconv", "/etc/ld.so.",
      "/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow", "/etc/hosts", "/etc/resolv.conf", "/etc/hostname",
      "/etc/mtab", "/etc/fstab", "/etc/nsswitch.conf", "/etc/services", "/etc/protocols", "/etc/machine-id",
      "/etc/os-release", "/usr/lib/os-release", "/etc/ca-certificates", "/usr/share/ca-certificates",
      "/usr/lib/debug/", "/etc/alternatives/",
      // glibc's own files, in a static program's strings too: the C library's needs, not the program's
      "/etc/gai.conf", "/etc/host.conf", "/etc/networks", "/etc/rpc", "/etc/shells", "/etc/ethers", "/etc/netgroup",
      "/etc/aliases", "/etc/nscd.conf", "/etc/default/nss", "/etc/suid-debug");
  private static final Pattern PLAIN = Pattern.compile("/(usr/share|usr/lib|etc)/[A-Za-z0-9._+@/-]+");
  /** Where libraries are: the loader's business, not data. */
  private static final Pattern LIBRARY_DIRECTORY =
      Pattern.compile("/(usr/)?lib(32|64)?(/[a-z0-9_]+-linux-[a-z0-9_]+)?");

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void check(CheckContext image, List<Finding> findings) {
    if (image.executed().isEmpty() || image.isGo()) {
      return;
    }
    ImageView view = image.view();
    List<String> covered = new ArrayList<>();
    for (CheckContext.Loaded file : image.loaded()) {
      String name = file.path().substring(file.path().lastIndexOf('/') + 1);
      for (Known known : KNOWN) {
        if (!known.library().matcher(name).matches()) {
          continue;
        }
        covered.addAll(known.paths());
        covered.addAll(known.covers());
        known(image, file, known).ifPresent(findings::add);
      }
    }
    for (KnownDirectory known : KNOWN_DIRECTORIES) {
      covered.add(known.path());
      knownDirectory(image, known).ifPresent(findings::add);
    }
    if (image.hostRoot().isEmpty()) {
      return; // an image made elsewhere: the build machine's files say nothing about it
    }
    Path root = image.hostRoot().get();
    Map<String, String> missing = new LinkedHashMap<>(); // path -> the file naming it
    Map<String, long[]> directories = new LinkedHashMap<>(); // the program's own: path -> files, bytes
    for (CheckContext.Loaded file : image.loaded()) {
      if (CLibrary.isCLibrary(file.path())) {
        continue;
      }
      boolean program = file == image.loaded().get(0);
      int looked = 0;
      for (String path : ElfStrings.paths(image.strings(file))) {
        if (!PLAIN.matcher(path).matches() || covered.contains(path) || skipped(path) || missing.containsKey(path)
            || directories.containsKey(path)) {
          continue;
        }
        if (++looked > MAX_CANDIDATES) {
          break;
        }
        if (view.resolve(path).found()) {
          continue;
        }
        if (dataFileOnHost(root, path)) {
          missing.put(path, file.path());
        } else if (program && !LIBRARY_DIRECTORY.matcher(path).matches()) {
          dataDirectoryOnHost(root, path).ifPresent(size -> directories.put(path, size));
        }
      }
    }
    if (!directories.isEmpty()) {
      findings.add(directories(image, root, directories));
    }
    if (missing.isEmpty()) {
      return;
    }
    List<String> listed = new ArrayList<>();
    List<String> fixes = new ArrayList<>();
    String prefix = root.toString().equals("/") ? "" : root.toString();
    for (Map.Entry<String, String> e : missing.entrySet()) {
      if (listed.size() == MAX_LISTED) {
        break;
      }
      listed.add(e.getKey() + " (named by " + e.getValue() + ")");
      fixes.add("addFile(Path.of(\"" + prefix + e.getKey() + "\"), \"" + e.getKey() + "\")");
    }
    int more = missing.size() - listed.size();
    String first = missing.keySet().iterator().next();
    findings.add(new Finding(NAME, "COMPILED_PATH_MISSING", Severity.WARNING, first, "The program or its libraries"
        + " name files by compiled-in paths that this machine has and the image does not: " + String.join(", ",
            listed) + (more > 0 ? ", and " + more + " more" : "") + ". What the program does without them depends on"
        + " the file (defaults for a missing configuration, errors for missing data).",
        "",
        "If the program reads them, add them: " + String.join(", ", fixes) + "."));
  }

  private static Finding directories(CheckContext image, Path root, Map<String, long[]> directories) {
    String program = image.loaded().get(0).path();
    String prefix = root.toString().equals("/") ? "" : root.toString();
    List<String> listed = new ArrayList<>();
    List<String> fixes = new ArrayList<>();
    for (Map.Entry<String, long[]> e : directories.entrySet()) {
      if (listed.size() == MAX_LISTED) {
        break;
      }
      long[] size = e.getValue();
      listed.add(e.getKey() + " (" + (size[0] > MAX_WALK ? "more than " + MAX_WALK + " files"
          : size[0] == 1 ? "1 file" : size[0] + " files") + ", "
          + size[1] + " bytes)");
      fixes.add("addDirectory(Path.of(\"" + prefix + e.getKey() + "\"), \"" + e.getKey() + "\")");
    }
    int more = directories.size() - listed.size();
    return new Finding(NAME, "COMPILED_DIRECTORY_MISSING", Severity.WARNING, directories.keySet().iterator().next(),
        program + " names directories by compiled-in paths that this machine has, with files, and the image does"
            + " not: " + String.join(", ", listed) + (more > 0 ? ", and " + more + " more" : "") + ". Which of them"
            + " a run reads depends on the run (data, configuration, helper programs).",
        "",
        "If the program reads them, add them: " + String.join(", ", fixes) + ".");
  }

  /** {@return the finding of a known program whose arguments make it read a directory the image lacks} */
  private static Optional<Finding> knownDirectory(CheckContext image, KnownDirectory known) {
    CheckContext.Loaded program = image.loaded().get(0);
    String base = program.path().substring(program.path().lastIndexOf('/') + 1);
    if (!known.program().matcher(base).matches()) {
      return Optional.empty();
    }
    List<String> argv = image.argv();
    List<String> args = argv.subList(Math.min(1, argv.size()), argv.size());
    Optional<String> evidence = argumentEvidence(known, args);
    if (evidence.isEmpty()) {
      return Optional.empty();
    }
    for (String a : args) {
      for (String o : known.overrides()) {
        if (a.toLowerCase(java.util.Locale.ROOT).startsWith(o.toLowerCase(java.util.Locale.ROOT))) {
          return Optional.empty(); // another directory, named by the command
        }
      }
    }
    ImageView view = image.view();
    for (String variable : known.variables()) {
      if (view.envValue(variable).isPresent()) {
        return Optional.empty();
      }
    }
    ImageView.Resolution r = view.resolve(known.path());
    if (r.found() && r.node().isDirectory()) {
      return Optional.empty();
    }
    Optional<Path> root = image.hostRoot();
    if (root.isPresent() && !Files.isDirectory(root.get().resolve(known.path().substring(1)))) {
      return Optional.empty(); // the build machine lacks it too: the program does there what it will do here
    }
    String prefix = root.map(p -> p.toString().equals("/") ? "" : p.toString()).orElse("");
    return Optional.of(new Finding(NAME, "DATA_DIRECTORY_MISSING", Severity.ERROR, known.path(), program.path()
        + " is given " + evidence.get() + ", which reads " + known.path() + " by a compiled-in path (unless "
        + String.join(", ", known.overrides().stream().map(o -> o.endsWith("=") ? "-c " + o + "..." : o).toList())
        + (known.variables().isEmpty() ? "" : " or " + String.join(", ", known.variables())) + " names another),"
        + " and " + CheckContext.why(known.path(), r) + ".", known.error(),
        image.fix("Add it: addDirectory(Path.of(\"" + prefix + known.path() + "\"), \"" + known.path()
                + "\") (Debian package " + known.debianPackage() + ").",
            "COPY " + known.path() + " (Debian package " + known.debianPackage() + ") to " + known.path() + ".")));
  }

  /** {@return e.g. "init": the subcommand, after the options before it, if it is the entry's evidence} */
  private static Optional<String> argumentEvidence(KnownDirectory known, List<String> args) {
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (a.equals("--")) {
        break;
      }
      if (a.startsWith("-")) {
        if (known.optionsWithValue().contains(a)) {
          i++;
        }
        continue;
      }
      return known.subcommands().contains(a) ? Optional.of(a) : Optional.empty();
    }
    return Optional.empty();
  }

  private Optional<Finding> known(CheckContext image, CheckContext.Loaded file, Known known) {
    ImageView view = image.view();
    if (known.variable() != null) {
      Optional<String> value = view.envValue(known.variable()).filter(v -> !v.isEmpty());
      if (value.isPresent()) {
        for (String part : value.get().split(":")) {
          if (view.resolve(part).found() || view.resolve(part + ".mgc").found()) {
            return Optional.empty();
          }
        }
      }
    }
    for (String path : known.paths()) {
      if (view.resolve(path).found()) {
        return Optional.empty();
      }
    }
    String target = known.paths().get(0);
    String source = hostSource(image, known);
    return Optional.of(new Finding(NAME, "DATA_FILE_MISSING", known.severity(), target, image.loaded().get(0).path()
        + " loads " + file.path() + ", which reads " + String.join(" or ", known.paths()) + " by a compiled-in path"
        + (known.variable() == null ? "" : " (or the file " + known.variable() + " names)") + ", and the image has"
        + " none of them.", known.error(),
        image.fix("Add it: addFile(Path.of(\"" + source + "\"), \"" + target + "\") (Debian package "
                + known.debianPackage() + ").",
            "COPY " + known.hostSource() + " (Debian package " + known.debianPackage() + ") to " + target + ".")));
  }

  /** The data file on the build machine: the first of the entry's paths there, as its real file. */
  private static String hostSource(CheckContext image, Known known) {
    Optional<Path> root = image.hostRoot();
    if (root.isPresent()) {
      for (String path : known.paths()) {
        try {
          Path real = root.get().resolve(path.substring(1)).toRealPath();
          if (Files.isRegularFile(real) && real.startsWith(root.get().toRealPath())) {
            return real.toString();
          }
        } catch (IOException e) {
          // not there: the next
        }
      }
      String prefix = root.get().toString().equals("/") ? "" : root.get().toString();
      return prefix + known.hostSource();
    }
    return known.hostSource();
  }

  private static boolean skipped(String path) {
    if (path.endsWith("/") || path.contains("//") || path.contains("/../") || path.contains("/./")) {
      return true;
    }
    for (String s : SKIP) {
      if (path.startsWith(s) || s.endsWith("/") && path.equals(s.substring(0, s.length() - 1))) {
        return true;
      }
    }
    return false;
  }

  /**
   * {@return the number of files (up to {@value #MAX_WALK} and one) and their bytes of a directory
   * of the build machine that stays under its {@code /usr} or {@code /etc}; empty if it is not
   * one or holds no file}
   */
  private static Optional<long[]> dataDirectoryOnHost(Path root, String path) {
    try {
      Path host = root.resolve(path.substring(1));
      if (!Files.isDirectory(host)) {
        return Optional.empty();
      }
      Path real = host.toRealPath();
      Path realRoot = root.toRealPath();
      if (!real.startsWith(realRoot.resolve("usr")) && !real.startsWith(realRoot.resolve("etc"))) {
        return Optional.empty();
      }
      long[] size = {0, 0};
      java.util.Set<Object> seen = new java.util.HashSet<>(); // hard links (git's builtins) count once
      try (java.util.stream.Stream<Path> walk = Files.walk(real)) {
        walk.filter(Files::isRegularFile).limit(MAX_WALK + 1).forEach(f -> {
          size[0]++;
          try {
            Object key = Files.readAttributes(f, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
            if (key == null || seen.add(key)) {
              size[1] += Files.size(f);
            }
          } catch (IOException e) {
            // unreadable: counted, not sized
          }
        });
      }
      return size[0] == 0 ? Optional.empty() : Optional.of(size);
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** A regular file on the build machine that stays under its {@code /usr} or {@code /etc}. */
  private static boolean dataFileOnHost(Path root, String path) {
    try {
      Path host = root.resolve(path.substring(1));
      if (!Files.isRegularFile(host)) {
        return false;
      }
      Path real = host.toRealPath();
      Path realRoot = root.toRealPath();
      return real.startsWith(realRoot.resolve("usr")) || real.startsWith(realRoot.resolve("etc"));
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }
}
