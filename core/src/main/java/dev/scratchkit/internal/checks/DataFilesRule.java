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
    if (image.hostRoot().isEmpty()) {
      return; // an image made elsewhere: the build machine's files say nothing about it
    }
    Path root = image.hostRoot().get();
    Map<String, String> missing = new LinkedHashMap<>(); // path -> the file naming it
    for (CheckContext.Loaded file : image.loaded()) {
      if (CLibrary.isCLibrary(file.path())) {
        continue;
      }
      int looked = 0;
      for (String path : ElfStrings.paths(image.strings(file))) {
        if (!PLAIN.matcher(path).matches() || covered.contains(path) || skipped(path) || missing.containsKey(path)) {
          continue;
        }
        if (++looked > MAX_CANDIDATES) {
          break;
        }
        if (view.resolve(path).found() || !dataFileOnHost(root, path)) {
          continue;
        }
        missing.put(path, file.path());
      }
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
      if (path.startsWith(s)) {
        return true;
      }
    }
    return false;
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
