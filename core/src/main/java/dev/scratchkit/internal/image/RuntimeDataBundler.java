package dev.scratchkit.internal.image;

import dev.scratchkit.ScratchImageException.Problem;
import dev.scratchkit.elf.ElfFile;
import dev.scratchkit.elf.ElfFormatException;
import dev.scratchkit.elf.ImageEntry;
import dev.scratchkit.elf.LibraryClosure;
import dev.scratchkit.elf.LibraryResolver;
import dev.scratchkit.elf.MissingLibrary;
import dev.scratchkit.elf.ResolvedLibrary;
import dev.scratchkit.internal.checks.ElfStrings;
import dev.scratchkit.internal.checks.GconvRule;
import dev.scratchkit.internal.checks.ImportEvidence;
import dev.scratchkit.internal.checks.LocaleArchive;
import dev.scratchkit.internal.checks.LocaleNames;
import dev.scratchkit.internal.checks.LocaleRule;
import dev.scratchkit.internal.checks.MessageCatalogsRule;
import dev.scratchkit.internal.checks.OpenSslModulesRule;
import dev.scratchkit.internal.checks.ShellRule;
import dev.scratchkit.internal.checks.TerminfoRule;
import dev.scratchkit.internal.checks.UnwinderRule;
import dev.scratchkit.internal.oci.SourceFiles;
import dev.scratchkit.oci.ImagePath;
import dev.scratchkit.oci.LayerEntry;
import dev.scratchkit.oci.OciException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the bundled programs load or read at run time beside their libraries, brought from the
 * same root when the evidence says they need it (the rules of the same names judge an image that
 * lacks it): glibc's gconv modules for {@code iconv_open} ({@link GconvRule}), the locale the
 * environment names for {@code setlocale} ({@link LocaleRule}), OpenSSL 3's provider modules and
 * {@code openssl.cnf} for {@code libcrypto.so.3} ({@link OpenSslModulesRule}). ELF files among
 * them get their own library closure.
 */
final class RuntimeDataBundler {

  private static final Logger LOG = LoggerFactory.getLogger(RuntimeDataBundler.class);
  static final int MAX_CONFIG = 1 << 20;
  /** A terminfo directory this large is a full database (ncurses-term: 8 MB), not the common set. */
  static final long MAX_TERMINFO_TREE = 1 << 20;

  private final Path sysroot;
  private final boolean bringShell;
  private final List<Problem> problems;
  private final SharedLibraryBundler libraries;
  private final Map<ImagePath, LayerEntry> entries = new LinkedHashMap<>();
  private Map<ImagePath, LayerEntry> inImage;
  private LibraryResolver resolver;

  RuntimeDataBundler(Path sysroot, boolean bringShell, List<Problem> problems, SharedLibraryBundler libraries) {
    this.sysroot = sysroot.toAbsolutePath().normalize();
    this.bringShell = bringShell;
    this.problems = problems;
    this.libraries = libraries;
  }

  /** An ELF file of the image or of a closure, and its path in the image. */
  private record Program(String path, String name, ElfFile elf, Path host) {}

  /**
   * {@return the entries to add beside the libraries}
   *
   * @param elfFiles the image's ELF files
   * @param env the image's environment
   * @param present what the image has already (the app's entries and the libraries)
   */
  List<LayerEntry> bundle(List<ImageAssembler.ImageElf> elfFiles, Map<String, String> env,
      Map<ImagePath, LayerEntry> present) {
    if (!Files.isDirectory(sysroot)) {
      return List.of();
    }
    this.inImage = present;
    List<ResolvedLibrary> closure = libraries.libraries();
    List<Program> programs = new ArrayList<>();
    elfFiles.forEach(f -> programs.add(new Program(f.inImage().toString(), f.inImage().fileName(), f.elf(), f.host())));
    Set<Path> read = new HashSet<>();
    ResolvedLibrary glibc = null;
    ResolvedLibrary libcrypto = null;
    for (ResolvedLibrary library : closure) {
      if (library.name().equals(UnwinderRule.GLIBC)) {
        glibc = glibc == null ? library : glibc;
        continue;
      }
      if (library.name().equals(OpenSslModulesRule.LIBCRYPTO) && libcrypto == null) {
        libcrypto = library;
      }
      if (read.add(library.hostPath())) {
        try {
          programs.add(new Program(library.pathInImage(), library.name(), ElfFile.read(library.hostPath()),
              library.hostPath()));
        } catch (ElfFormatException | UncheckedIOException e) {
          LOG.debug("not read for imported symbols: {}", e.getMessage());
        }
      }
    }
    if (glibc != null) {
      Set<String> notGconvEvidence = new HashSet<>(GconvRule.NOT_EVIDENCE);
      if (!GconvRule.namesOtherCodeset(v -> Optional.ofNullable(env.get(v)))) {
        notGconvEvidence.addAll(GconvRule.LOCALE_CODESET_ONLY);
      }
      evidence(programs, GconvRule.FUNCTIONS, notGconvEvidence).ifPresent(gconv(glibc));
      if (!env.containsKey("LOCPATH")) {
        Map<String, String> named = LocaleNames.named(v -> Optional.ofNullable(env.get(v)));
        if (!named.isEmpty()) {
          Optional<String> evidence = evidence(programs, LocaleRule.FUNCTIONS, Set.of());
          evidence.ifPresent(e -> named.forEach((variable, locale) -> locale(variable, locale, e)));
        }
      }
    }
    if (libcrypto != null) {
      openSsl(libcrypto);
    }
    if (glibc != null) {
      messageCatalogs(programs, env);
    }
    for (ResolvedLibrary library : closure) {
      if (TerminfoRule.isTerminalLibrary(library.name())) {
        terminfo(library, env);
        break;
      }
    }
    if (bringShell) {
      shell(programs);
    }
    return new ArrayList<>(entries.values());
  }

  private static Optional<String> evidence(List<Program> programs, Set<String> functions, Set<String> notEvidence) {
    for (Program p : programs) {
      if (notEvidence.contains(p.name())) {
        continue;
      }
      Optional<String> e = ImportEvidence.of(p.elf(), p.path(), functions);
      if (e.isPresent()) {
        return e;
      }
    }
    return Optional.empty();
  }

  private java.util.function.Consumer<String> gconv(ResolvedLibrary glibc) {
    return evidence -> {
      String dir = GconvRule.directory(glibc.hostPath(), glibc.realPathInImage());
      Path host = sysroot.resolve(dir.substring(1));
      if (!Files.isDirectory(host)) {
        problems.add(new Problem(host.toString(), evidence + ": glibc converts character sets other than UTF-8,"
            + " ASCII, UCS-2 and UCS-4 with gconv modules from " + dir + ", and " + host + " is not a directory, so"
            + " iconv_open would fail for every other charset. Install the modules in " + sysroot + " (Debian: they"
            + " come with libc6), or add a gconv directory with addDirectory(dir, \"" + dir + "\")."));
        return;
      }
      int before = entries.size();
      long[] bytes = {0};
      int[] modules = {0};
      tree(host, dir, (file, size) -> {
        bytes[0] += size;
        if (file.toString().endsWith(".so")) {
          modules[0]++;
        }
      });
      LOG.info("bundling {} from {}: {} shared objects (the modules and the libraries they share), {} bytes in all"
          + " with gconv-modules{}: {}, and glibc loads the module of each charset by name when iconv_open runs;"
          + " its arguments are only known at run time (input, command line), so every module is added", dir, host, modules[0], bytes[0],
          Files.isDirectory(host.resolve("gconv-modules.d")) ? ", gconv-modules.d" : "", evidence);
      LOG.debug("{} entries for gconv", entries.size() - before);
    };
  }

  private void locale(String variable, String locale, String evidence) {
    Path directory = sysroot.resolve(LocaleNames.DIRECTORY.substring(1));
    for (String candidate : LocaleNames.candidates(locale)) {
      Path host = directory.resolve(candidate);
      if (Files.isRegularFile(host.resolve("LC_CTYPE"))) {
        long[] bytes = {0};
        tree(host, LocaleNames.DIRECTORY + "/" + candidate, (file, size) -> bytes[0] += size);
        LOG.info("bundling {}/{} from {} ({} bytes): {}={} names it, and {} (without it setlocale fails and the"
            + " program runs in the C locale)", LocaleNames.DIRECTORY, candidate, host, bytes[0], variable, locale,
            evidence);
        return;
      }
    }
    Path archive = sysroot.resolve(LocaleNames.ARCHIVE.substring(1));
    String name = LocaleNames.normalised(locale);
    String target = LocaleNames.DIRECTORY + "/" + name;
    if (Files.isRegularFile(archive)) {
      try {
        LocaleArchive a = LocaleArchive.open(archive);
        try {
          Optional<Map<String, byte[]>> files = a.extract(name);
          if (files.isPresent()) {
            long bytes = 0;
            for (Map.Entry<String, byte[]> f : files.get().entrySet()) {
              add(LayerEntry.bytes(ImagePath.of(target + "/" + f.getKey()), f.getValue(), 0644));
              bytes += f.getValue().length;
            }
            LOG.info("bundling {} ({} bytes) taken out of {}: {}={} names it, and {} (without it setlocale fails and"
                + " the program runs in the C locale)", target, bytes, archive, variable, locale, evidence);
            return;
          }
        } finally {
          a.close();
        }
      } catch (IOException e) {
        problems.add(new Problem(archive.toString(), variable + "=" + locale + " names a locale for " + evidence
            + ", and " + archive + " cannot be read (" + e.getMessage() + "). Generate the locale as a directory"
            + " (localedef --no-archive -i " + locale.split("[.@]")[0] + " -f UTF-8 " + directory.resolve(name)
            + ") or add it with addDirectory(dir, \"" + target + "\")."));
        return;
      }
    }
    problems.add(new Problem(directory.resolve(name).toString(), variable + "=" + locale + " in the environment"
        + " names the locale " + locale + ", and " + evidence + ", but " + sysroot + " has no such locale (looked for "
        + String.join(", ", LocaleNames.candidates(locale).stream().map(c -> directory.resolve(c).toString())
            .toList()) + " and in " + archive + "), so in the image setlocale would fail and the program would"
        + " silently run in the C locale (ASCII only). Generate it (Debian: localedef -i "
        + locale.split("[.@]")[0] + " -f UTF-8 " + name + ", or add it to /etc/locale.gen and run locale-gen),"
        + " use LANG=C.UTF-8 (glibc's C.utf8 comes with libc-bin), or add a locale directory with"
        + " addDirectory(dir, \"" + target + "\")."));
  }

  private void openSsl(ResolvedLibrary libcrypto) {
    String dir = OpenSslModulesRule.modulesDirectory(libcrypto.hostPath());
    Path host = sysroot.resolve(dir.substring(1));
    if (Files.isDirectory(host)) {
      long[] bytes = {0};
      List<String> names = new ArrayList<>();
      tree(host, dir, (file, size) -> {
        bytes[0] += size;
        names.add(file.getFileName().toString());
      });
      LOG.info("bundling {} from {} ({}, {} bytes): {} links {}, which loads these providers by name (-provider"
          + " legacy, openssl.cnf, OSSL_PROVIDER_load) from its compiled-in MODULESDIR; which ones a program loads"
          + " is only known at run time, and they are small, so all are added", dir, host, String.join(", ", names),
          bytes[0], libcrypto.neededBy(), OpenSslModulesRule.LIBCRYPTO);
    } else {
      LOG.info("{} links {}, whose MODULESDIR {} is not in {}: the image gets no OpenSSL providers beyond the"
          + " built-in default", libcrypto.neededBy(), OpenSslModulesRule.LIBCRYPTO, dir, sysroot);
    }
    String cnf = OpenSslModulesRule.openSslDirectory(libcrypto.hostPath()) + "/openssl.cnf";
    Optional<Path> config = inSysroot(cnf);
    ImagePath path = ImagePath.of(cnf);
    if (config.isEmpty() || inImage.containsKey(path) || entries.containsKey(path)) {
      return;
    }
    try (InputStream in = Files.newInputStream(config.get())) {
      byte[] content = in.readNBytes(MAX_CONFIG + 1);
      if (content.length > MAX_CONFIG) {
        LOG.warn("{} is larger than {} bytes; not bundled", config.get(), MAX_CONFIG);
        return;
      }
      add(LayerEntry.bytes(path, content, 0644));
      LOG.info("bundling {} from {}: {} reads it at start from its compiled-in OPENSSLDIR (a missing file is"
          + " silently skipped, so the program would run with other settings than on the build machine)", cnf,
          config.get(), OpenSslModulesRule.LIBCRYPTO);
    } catch (IOException e) {
      LOG.warn("{} cannot be read ({}); not bundled", config.get(), e.getMessage());
    }
  }

  /**
   * The message catalogs of the language the environment names ({@link MessageCatalogsRule}):
   * glibc's own ({@code libc.mo}, for {@code strerror}) when a program sets its locale, and, of a
   * program or library that imports a gettext function, each catalog of that language whose
   * domain is among its strings ({@code coreutils.mo} for {@code ls}).
   */
  private void messageCatalogs(List<Program> programs, Map<String, String> env) {
    List<String> locales = MessageCatalogsRule.messageLocales(v -> Optional.ofNullable(env.get(v)));
    if (locales.isEmpty()) {
      return;
    }
    Optional<String> setsLocale = evidence(programs, LocaleRule.FUNCTIONS, Set.of());
    if (setsLocale.isEmpty()) {
      return; // a program that never calls setlocale stays in the C locale: nothing is translated
    }
    List<String> languageDirs = new ArrayList<>();
    for (String locale : locales) {
      for (String language : MessageCatalogsRule.languages(locale)) {
        Path dir = sysroot.resolve(MessageCatalogsRule.DIRECTORY.substring(1)).resolve(language)
            .resolve("LC_MESSAGES").normalize();
        if (dir.startsWith(sysroot) && Files.isDirectory(dir)) {
          languageDirs.add(language);
        }
      }
    }
    if (languageDirs.isEmpty()) {
      LOG.info("{}, and {} names {}, but {} has no message catalogs for it in {}: messages stay in English",
          setsLocale.get(), "the environment", String.join(":", locales), sysroot, MessageCatalogsRule.DIRECTORY);
      return;
    }
    Map<String, String> domains = new LinkedHashMap<>(); // domain -> evidence
    domains.put("libc", setsLocale.get() + " (glibc's own messages, such as strerror's)");
    // Each language directory is listed once, not once per program.
    List<String> catalogs = new ArrayList<>();
    for (String language : languageDirs) {
      catalogDomains(sysroot.resolve(MessageCatalogsRule.DIRECTORY.substring(1)).resolve(language)
          .resolve("LC_MESSAGES")).stream().filter(d -> !catalogs.contains(d)).forEach(catalogs::add);
    }
    for (Program p : programs) {
      Optional<String> translates = ImportEvidence.of(p.elf(), p.path(), MessageCatalogsRule.FUNCTIONS);
      if (translates.isEmpty()) {
        continue;
      }
      List<String> strings;
      try {
        strings = ElfStrings.withLastWords(p.host(), p.elf());
      } catch (UncheckedIOException e) {
        continue;
      }
      for (String domain : catalogs) {
        if (!domains.containsKey(domain) && strings.contains(domain)) {
          domains.put(domain, translates.get() + " and names the domain " + domain);
        }
      }
    }
    List<String> added = new ArrayList<>();
    for (Map.Entry<String, String> domain : domains.entrySet()) {
      for (String language : languageDirs) {
        String path = MessageCatalogsRule.DIRECTORY + "/" + language + "/LC_MESSAGES/" + domain.getKey() + ".mo";
        Optional<Path> host = inSysroot(path);
        Optional<String> real = host.flatMap(h -> realPathInImage(h.getParent()))
            .map(d -> d + "/" + domain.getKey() + ".mo");
        if (host.isEmpty() || real.isEmpty()) {
          continue;
        }
        try {
          add(SourceFiles.exactFile(ImagePath.of(real.get()), host.get().toRealPath(), 0644));
          added.add(path + " (" + Files.size(host.get()) + " bytes; " + domain.getValue() + ")");
        } catch (OciException | IOException e) {
          problems.add(new Problem(host.get().toString(), "cannot bundle " + path + ": " + e.getMessage()));
        }
        break; // the most specific language wins, as in gettext
      }
    }
    if (!added.isEmpty()) {
      LOG.info("bundling message catalogs for {}: {}", String.join(":", locales), String.join(", ", added));
    }
  }

  /** {@return the domains a LC_MESSAGES directory has catalogs for} */
  private static List<String> catalogDomains(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".mo") && n.length() > 3)
          .map(n -> n.substring(0, n.length() - 3)).sorted().toList();
    } catch (IOException | UncheckedIOException e) {
      return List.of();
    }
  }

  /**
   * The terminal descriptions ncurses' library reads ({@link TerminfoRule}): each of its
   * compiled-in directories that the root has and that is small (Debian: {@code /lib/terminfo},
   * ncurses-base's 42 common terminals, 136 KB) whole, and from the larger ones only the entry
   * {@code TERM} names and the runtimes' {@code xterm}.
   */
  private void terminfo(ResolvedLibrary library, Map<String, String> env) {
    List<String> directories;
    try {
      directories = TerminfoRule.directories(library.hostPath(), ElfFile.read(library.hostPath()));
    } catch (ElfFormatException | UncheckedIOException e) {
      directories = TerminfoRule.DEFAULT_DIRECTORIES;
    }
    List<String> wanted = new ArrayList<>();
    String term = env.get("TERM");
    if (term != null && TerminfoRule.isEntryName(term)) {
      wanted.add(term);
    }
    if (!wanted.contains(TerminfoRule.RUNTIME_TERM)) {
      wanted.add(TerminfoRule.RUNTIME_TERM);
    }
    List<String> whole = new ArrayList<>();
    for (String dir : directories) {
      Path host = sysroot.resolve(dir.substring(1)).normalize();
      if (!host.startsWith(sysroot) || !Files.isDirectory(host) || !hasTerminfoEntries(host)) {
        continue; // Debian's /etc/terminfo holds only a README
      }
      long size = treeSize(host, MAX_TERMINFO_TREE + 1);
      Optional<String> real = realPathInImage(host);
      if (size > 0 && size <= MAX_TERMINFO_TREE && real.isPresent()) {
        // At its real path: /lib may be a link to usr/lib in the image as on the root.
        tree(host, real.get(), (file, bytes) -> { });
        whole.add(dir + (real.get().equals(dir) ? "" : " (" + real.get() + ")") + ", " + size + " bytes");
      }
    }
    List<String> entries = new ArrayList<>();
    for (String name : wanted) {
      for (String dir : directories) {
        String path = TerminfoRule.entry(dir, name);
        Optional<Path> host = inSysroot(path);
        Optional<String> real = host.flatMap(h -> realPathInImage(h.getParent())).map(d -> d + "/" + name);
        if (host.isPresent() && real.isPresent()) {
          if (!inImage.containsKey(ImagePath.of(real.get())) && !this.entries.containsKey(ImagePath.of(real.get()))) {
            try {
              add(SourceFiles.exactFile(ImagePath.of(real.get()), host.get().toRealPath(), 0644));
            } catch (OciException | IOException e) {
              problems.add(new Problem(host.get().toString(), "cannot bundle " + path + ": " + e.getMessage()));
            }
          }
          entries.add(path);
          break;
        }
      }
    }
    if (whole.isEmpty() && entries.isEmpty()) {
      LOG.info("{} links {}, and {} has no terminfo in {}: the image gets none (the terminfo rule says what fails)",
          library.neededBy(), library.name(), sysroot, String.join(":", directories));
      return;
    }
    LOG.info("bundling terminfo from {}: {}{}: {} links {}, which reads the description of the terminal TERM names"
        + " ({}; docker run -t and podman run -t set TERM={})", sysroot, String.join(", ", whole),
        entries.isEmpty() ? "" : (whole.isEmpty() ? "" : ", and ") + String.join(", ", entries), library.neededBy(),
        library.name(), term == null ? "the image sets none" : "TERM=" + term, TerminfoRule.RUNTIME_TERM);
  }

  private static boolean hasTerminfoEntries(Path directory) {
    try (Stream<Path> letters = Files.list(directory)) {
      return letters.anyMatch(p -> p.getFileName().toString().length() == 1 && Files.isDirectory(p));
    } catch (IOException | UncheckedIOException e) {
      return false;
    }
  }

  /** {@return where a directory of the sysroot is once its links are followed, as a path of the image} */
  private Optional<String> realPathInImage(Path directory) {
    try {
      Path real = directory.toRealPath();
      Path root = sysroot.toRealPath();
      if (!real.startsWith(root)) {
        return Optional.empty();
      }
      String rel = root.relativize(real).toString();
      return Optional.of("/" + rel);
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** {@return the bytes of the regular files under a directory, counting stopped past a limit} */
  private static long treeSize(Path directory, long limit) {
    long[] total = {0};
    try (Stream<Path> walk = Files.walk(directory)) {
      walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).takeWhile(p -> total[0] <= limit)
          .forEach(p -> {
            try {
              total[0] += Files.size(p);
            } catch (IOException e) {
              total[0] = limit + 1;
            }
          });
    } catch (IOException | UncheckedIOException e) {
      return limit + 1;
    }
    return total[0];
  }

  /**
   * Brings the sysroot's {@code /bin/sh} (on Debian, dash: 125 KiB, glibc only) when a program
   * or a library it loads runs the shell ({@link ShellRule}'s evidence): {@code system()} and
   * {@code popen()} run {@code /bin/sh -c}, and without it they fail with no word (exit status
   * 127, an empty stream). The programs the commands run are the user's to add; the rules name
   * those the image's own inputs show.
   */
  private void shell(List<Program> programs) {
    ImagePath path = ImagePath.of(ShellRule.SHELL);
    if (inImage.containsKey(path) || entries.containsKey(path)) {
      return;
    }
    Optional<String> evidence = Optional.empty();
    for (Program p : programs) {
      evidence = ShellRule.evidence(p.elf(), p.path(), ShellRule.hostStrings(p.host(), p.elf()));
      if (evidence.isPresent()) {
        break;
      }
    }
    if (evidence.isEmpty()) {
      return;
    }
    Optional<Path> host = inSysroot(ShellRule.SHELL);
    if (host.isEmpty() || !isElf(host.get())) {
      LOG.info("{}, but {} has no ELF shell at {}: the image gets none (the shell rule says what fails)",
          evidence.get(), sysroot, ShellRule.SHELL);
      return;
    }
    try {
      Path real = host.get().toRealPath();
      add(SourceFiles.exactFile(path, real, 0755));
      closureOf(real, ShellRule.SHELL);
      LOG.info("bundling {} from {} ({} bytes): {}, and the command goes through {} -c; without a shell it never"
          + " runs. withoutShell() leaves it out", ShellRule.SHELL, real, Files.size(real), evidence.get(),
          ShellRule.SHELL);
    } catch (OciException | IOException e) {
      problems.add(new Problem(host.get().toString(), "cannot bundle " + ShellRule.SHELL + ": " + e.getMessage()));
    }
  }

  /** {@return the file a path of the image stands for in the sysroot, links followed inside it} */
  private Optional<Path> inSysroot(String pathInImage) {
    String path = pathInImage;
    for (int i = 0; i < 8; i++) {
      Path host = sysroot.resolve(path.substring(1)).normalize();
      if (!host.startsWith(sysroot)) {
        return Optional.empty();
      }
      if (Files.isSymbolicLink(host)) {
        try {
          String target = Files.readSymbolicLink(host).toString();
          path = target.startsWith("/") ? target
              : dev.scratchkit.internal.view.ImageView.normalise(path.substring(0, path.lastIndexOf('/') + 1) + target);
          continue;
        } catch (IOException e) {
          return Optional.empty();
        }
      }
      return Files.isRegularFile(host, LinkOption.NOFOLLOW_LINKS) ? Optional.of(host) : Optional.empty();
    }
    return Optional.empty();
  }

  private interface Added {
    void file(Path host, long size);
  }

  /** Adds a directory tree of the sysroot: files by their real path, links inside it, ELF files' closures. */
  private void tree(Path host, String inImage, Added added) {
    List<Path> paths;
    try (Stream<Path> walk = Files.walk(host)) {
      paths = walk.sorted().toList();
    } catch (IOException | UncheckedIOException e) {
      problems.add(new Problem(host.toString(), "cannot read " + host + " to bundle it at " + inImage + ": "
          + e.getMessage()));
      return;
    }
    for (Path p : paths) {
      String rel = host.relativize(p).toString();
      if (rel.isEmpty()) {
        continue;
      }
      ImagePath path = ImagePath.of(inImage + "/" + rel);
      try {
        if (Files.isSymbolicLink(p)) {
          String target = Files.readSymbolicLink(p).toString();
          Path resolved = p.getParent().resolve(target).normalize();
          if (!target.startsWith("/") && resolved.startsWith(host)) {
            add(LayerEntry.symlink(path, target));
          } else {
            LOG.debug("left out {}: its link to {} leaves {}", p, target, host);
          }
        } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          add(LayerEntry.directory(path, 0755));
        } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          Path real = libraries.realDirectory(p);
          add(SourceFiles.exactFile(path, real, 0644));
          added.file(p, Files.size(p));
          if (isElf(real)) {
            closureOf(real, path.toString());
          }
        }
      } catch (OciException | IOException e) {
        problems.add(new Problem(p.toString(), "cannot bundle " + path + ": " + e.getMessage()));
      }
    }
  }

  private void closureOf(Path file, String pathInImage) {
    ElfFile elf;
    try {
      elf = ElfFile.read(file);
    } catch (ElfFormatException | UncheckedIOException e) {
      LOG.debug("{} is not read as ELF: {}", file, e.getMessage());
      return;
    }
    if (resolver == null) {
      resolver = LibraryResolver.forRoot(sysroot);
    }
    LibraryClosure closure = resolver.resolve(elf, pathInImage);
    for (MissingLibrary missing : closure.missing()) {
      problems.add(new Problem(file.toString(), pathInImage + " needs " + missing.name() + ", which is not in "
          + sysroot + ". Install the package that provides it, or add the library with addFile."));
    }
    for (ImageEntry needed : closure.files()) {
      ImagePath path = ImagePath.of(needed.pathInImage());
      if (inImage.containsKey(path) || entries.containsKey(path)) {
        continue;
      }
      try {
        add(libraries.entryFor(needed));
      } catch (OciException | IOException e) {
        problems.add(new Problem(needed instanceof ImageEntry.File f ? f.hostFile().toString() : path.toString(), "cannot bundle " + path + " for " + pathInImage
            + ": " + e.getMessage()));
      }
    }
  }

  private void add(LayerEntry entry) {
    if (!inImage.containsKey(entry.path())) {
      entries.putIfAbsent(entry.path(), entry);
    }
  }

  private static boolean isElf(Path file) {
    byte[] head = ImageAssembler.head(file, 4);
    return head.length == 4 && head[0] == 0x7f && head[1] == 'E' && head[2] == 'L' && head[3] == 'F';
  }
}
