package dev.scratchkit.elf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the shared libraries a program loads the way glibc's dynamic loader finds them, in a
 * sysroot (the target filesystem as a directory on this machine, {@code /} for this machine) or
 * in any other {@link RootFileSystem}, such as an image's merged layers ({@link #forImage}).
 * Nothing is executed, so a root of another architecture works the same.
 *
 * <p>For each DT_NEEDED name, breadth-first from the program: a name already loaded (by the name
 * it was asked for, its path or its DT_SONAME) is reused; a name with a slash is a path; otherwise
 * the search tries DT_RPATH of the requesting object and of the objects that loaded it (only when
 * the requesting object has no DT_RUNPATH; an object's DT_RPATH is ignored if it has a
 * DT_RUNPATH), then {@code LD_LIBRARY_PATH} if {@linkplain #withLibraryPath given}, then DT_RUNPATH, with {@code $ORIGIN}, {@code $LIB} and {@code $PLATFORM}
 * expanded; then the sysroot's {@code /etc/ld.so.cache} (or, when the sysroot has no cache, the
 * directories of {@code /etc/ld.so.conf} and its includes, as ldconfig would cache them); then the
 * default directories ({@code /lib/<multiarch>}, {@code /usr/lib/<multiarch>}, {@code /lib},
 * {@code /usr/lib} on a multiarch system, else {@code /lib64}, {@code /usr/lib64} for 64-bit
 * targets), unless the requesting object has DF_1_NODEFLIB. A candidate counts only if its ELF
 * class, byte order and machine match the program's. The host's {@code LD_LIBRARY_PATH} is never
 * used. The hardware-capability subdirectories ({@code glibc-hwcaps/x86-64-v3},
 * …) are not searched, since the CPU that will run the image is not known.
 */
public final class LibraryResolver {

  private static final Logger LOG = LoggerFactory.getLogger(LibraryResolver.class);
  private static final int MAX_OBJECTS = 10_000;
  private static final long MAX_CACHE_BYTES = 64L << 20;

  private final RootFileSystem root;
  private final Path sysroot;
  private final List<String> libraryPath;
  private LdSoCache cache;
  private boolean cacheRead;
  private List<String> confDirectories;

  private LibraryResolver(RootFileSystem root, Path sysroot, List<String> libraryPath) {
    this.root = root;
    this.sysroot = sysroot;
    this.libraryPath = libraryPath;
  }

  /**
   * Resolves against this machine's own filesystem.
   *
   * @return a resolver whose sysroot is {@code /}
   */
  public static LibraryResolver forHost() {
    return forRoot(Path.of("/"));
  }

  /**
   * Resolves against a target filesystem laid out under {@code sysroot}.
   *
   * @param sysroot the directory that stands for {@code /} of the target filesystem
   * @return a resolver for that sysroot; it reads the sysroot's {@code /etc/ld.so.cache} (or
   *     {@code /etc/ld.so.conf}) when first needed and keeps it
   * @throws ElfException if {@code sysroot} is not a directory or its real path cannot be
   *     determined
   */
  public static LibraryResolver forRoot(Path sysroot) {
    Objects.requireNonNull(sysroot, "sysroot");
    if (!Files.isDirectory(sysroot)) {
      String found = Files.exists(sysroot, LinkOption.NOFOLLOW_LINKS) ? "is not a directory" : "does not exist";
      throw new ElfException(sysroot, "The sysroot " + sysroot.toAbsolutePath() + " " + found
          + ". Pass the directory that stands for / of the target file system (it holds lib/ or usr/lib/),"
          + " or use forHost() for this machine's own libraries", null);
    }
    try {
      Path real = sysroot.toRealPath();
      return new LibraryResolver(RootFileSystem.sysroot(real), real, List.of());
    } catch (IOException e) {
      throw new ElfException(sysroot, "Cannot resolve the real path of the sysroot " + sysroot.toAbsolutePath()
          + ": " + e + ". Check that it and its parents are readable", e);
    }
  }

  /**
   * Resolves inside an image's own files, as its loader will at run time: every program is
   * taken to be in the image at the path given to {@link #resolve(ElfFile, String)}, and nothing
   * outside the file system is looked at.
   *
   * @param image the image's merged file system (or any other target file system)
   * @return a resolver for it; it reads the image's {@code /etc/ld.so.cache} (or
   *     {@code /etc/ld.so.conf}) when first needed and keeps it
   */
  public static LibraryResolver forImage(RootFileSystem image) {
    Objects.requireNonNull(image, "image");
    return new LibraryResolver(image, null, List.of());
  }

  /**
   * The same resolver with an {@code LD_LIBRARY_PATH}, as an image's {@code Env} may set it:
   * searched after DT_RPATH and before DT_RUNPATH, as glibc does.
   *
   * @param directories absolute directories in search order (relative ones are skipped, as they
   *     depend on the working directory)
   * @return a new resolver
   */
  public LibraryResolver withLibraryPath(List<String> directories) {
    return new LibraryResolver(root, sysroot, List.copyOf(directories));
  }

  /**
   * {@return the sysroot, as a real path (absolute, symbolic links resolved); {@code null} for a
   * resolver {@linkplain #forImage(RootFileSystem) over an image}}
   */
  public Path sysroot() {
    return sysroot;
  }

  /**
   * The closure of a program where it lies: inside the sysroot, its in-image path is its path
   * relative to the sysroot; outside, its own absolute path (and {@code $ORIGIN} is its directory
   * on this machine).
   *
   * @param program the program, as read by {@link ElfFile#read}
   * @return the interpreter and libraries it loads, and the names that were not found
   * @throws ElfException if the program and its closure would exceed 10,000 objects
   */
  public LibraryClosure resolve(ElfFile program) {
    return resolve(program, null);
  }

  /**
   * The closure of a program that the image will hold at {@code pathInImage}: {@code $ORIGIN} of
   * the program is that path's directory, whose files are taken from the program's directory on
   * this machine.
   *
   * @param program the program, as read by {@link ElfFile#read}
   * @param pathInImage absolute path in the image, or null for {@link #resolve(ElfFile)}
   * @return the interpreter and libraries it loads, and the names that were not found
   * @throws ElfException if {@code pathInImage} is not absolute, or the program and its closure
   *     would exceed 10,000 objects
   */
  public synchronized LibraryClosure resolve(ElfFile program, String pathInImage) {
    Objects.requireNonNull(program, "program");
    return new Run(program, pathInImage, List.of()).resolve();
  }

  /**
   * The closure of a program or library that also loads libraries by name at run time
   * ({@code dlopen("libz.so.1")}): each name is searched as glibc's {@code dlopen} searches from
   * that object (its DT_RPATH, {@code LD_LIBRARY_PATH}, its DT_RUNPATH, the cache, the default
   * directories), after its DT_NEEDED entries, and the closure includes what those libraries need.
   * A name found has {@code neededBy} the object's path; one not found is among
   * {@link LibraryClosure#missing()}.
   *
   * @param object the object that calls {@code dlopen}, as read by {@link ElfFile#read}
   * @param pathInImage its absolute path in the image, or null as for {@link #resolve(ElfFile)}
   * @param loadedByName the names it passes to {@code dlopen}, e.g. {@code libz.so.1}
   * @return the interpreter and libraries it loads, and the names that were not found
   * @throws ElfException as {@link #resolve(ElfFile, String)}
   */
  public synchronized LibraryClosure resolveWithLoaded(ElfFile object, String pathInImage,
      List<String> loadedByName) {
    Objects.requireNonNull(object, "object");
    return new Run(object, pathInImage, List.copyOf(loadedByName)).resolve();
  }

  private LdSoCache cache() {
    if (!cacheRead) {
      cacheRead = true;
      Path file = rootFile("/etc/ld.so.cache");
      try {
        if (file != null && Files.size(file) <= MAX_CACHE_BYTES) {
          cache = LdSoCache.parse(Files.readAllBytes(file));
        }
      } catch (IOException | UncheckedIOException | Defect e) {
        LOG.warn("ignoring {}: {}", file, e.getMessage());
      }
    }
    return cache;
  }

  private List<String> confDirectories() {
    if (confDirectories == null) {
      Set<String> dirs = new LinkedHashSet<>();
      readConf("/etc/ld.so.conf", dirs, new HashSet<>(), 0);
      confDirectories = List.copyOf(dirs);
    }
    return confDirectories;
  }

  /** ldconfig's syntax: directories, "include GLOB…" (relative to the including file), comments. */
  private void readConf(String imagePath, Set<String> dirs, Set<String> seen, int depth) {
    if (depth > 16 || !seen.add(imagePath)) {
      return;
    }
    Path file = null;
    List<String> lines;
    try {
      file = rootFile(imagePath);
      if (file == null || Files.size(file) > (1 << 20)) {
        return;
      }
      lines = Files.readAllLines(file, java.nio.charset.StandardCharsets.ISO_8859_1);
    } catch (IOException | UncheckedIOException e) {
      LOG.warn("ignoring {}: {}", file, e.getMessage());
      return;
    }
    for (String raw : lines) {
      int hash = raw.indexOf('#');
      String line = (hash >= 0 ? raw.substring(0, hash) : raw).strip();
      if (line.isEmpty() || line.startsWith("hwcap ") || line.startsWith("hwcap\t")) {
        continue;
      }
      if (line.startsWith("include ") || line.startsWith("include\t")) {
        for (String pattern : line.substring(8).strip().split("\\s+")) {
          String absolute = pattern.startsWith("/") ? pattern : ImageFs.parent(imagePath) + "/" + pattern;
          for (String included : glob(absolute)) {
            readConf(included, dirs, seen, depth + 1);
          }
        }
        continue;
      }
      for (String dir : line.split("[\\s:,]+")) {
        int eq = dir.indexOf('=');
        String d = eq >= 0 ? dir.substring(0, eq) : dir;
        if (d.startsWith("/")) {
          dirs.add(d);
        }
      }
    }
  }

  /** Expands a glob in the last component of an absolute in-image path, sorted like glob(3). */
  private List<String> glob(String pattern) {
    String dir = ImageFs.parent(pattern);
    String name = pattern.substring(pattern.lastIndexOf('/') + 1);
    if (!name.contains("*") && !name.contains("?") && !name.contains("[")) {
      return List.of(pattern);
    }
    PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + name);
    TreeSet<String> out = new TreeSet<>();
    ImageFs.Walk w = new ImageFs(root, null, null).walk(dir, false);
    if (w == null || w.kind() != ImageFs.Kind.DIRECTORY) {
      return List.of();
    }
    for (String entry : root.list(w.realPath())) {
      if (matcher.matches(Path.of(entry))) {
        out.add((dir.equals("/") ? "" : dir) + "/" + entry);
      }
    }
    return List.copyOf(out);
  }

  /** The regular file at an in-root path (links followed inside the root), or null. */
  private Path rootFile(String imagePath) {
    ImageFs fs = new ImageFs(root, null, null);
    ImageFs.Walk w = fs.walk(imagePath, false);
    return w == null || w.kind() != ImageFs.Kind.FILE ? null : fs.withContent(w).hostPath();
  }

  /** One loaded object: how it was opened, what it says, who loaded it. */
  private static final class Loaded {
    final String imagePath;
    final boolean app;
    final String origin;
    final ElfReader.Data data;
    final Loaded loader;
    final Set<String> names = new HashSet<>();

    Loaded(String imagePath, boolean app, String origin, ElfReader.Data data, Loaded loader) {
      this.imagePath = imagePath;
      this.app = app;
      this.origin = origin;
      this.data = data;
      this.loader = loader;
      names.add(imagePath);
      if (data.soname() != null) {
        names.add(data.soname());
      }
    }

    /** DT_RPATH, which the loader ignores when the object also has DT_RUNPATH. */
    String rpath() {
      return data.runpath() == null ? data.rpath() : null;
    }
  }

  private record Found(String path, boolean app, ImageFs.Walk walk, ElfReader.Data data, SearchSource via) {}

  /** One resolution: the state of a loader run. */
  private final class Run {
    private final ElfFile program;
    private final Target target;
    private final ImageFs fs;
    private final String programPath;
    private final boolean programInApp;
    private final Map<Path, Optional<ElfReader.Data>> headers = new HashMap<>();
    private final String libToken;
    private final String platformToken;
    private final List<String> defaultDirs = new ArrayList<>();
    private final List<String> loadedByName;

    Run(ElfFile program, String pathInImage, List<String> loadedByName) {
      this.program = program;
      this.loadedByName = loadedByName;
      this.target = Target.of(program.data());
      Path host = program.path().toAbsolutePath().normalize();
      try {
        host = host.toRealPath();
      } catch (IOException e) {
        // keep the path as given; it was readable a moment ago
      }
      if (sysroot == null) {
        // An image: the program is one of its files.
        if (pathInImage == null || !pathInImage.startsWith("/")) {
          throw new ElfException(null, "A resolver over an image needs the program's absolute path in it, got "
              + (pathInImage == null ? "none" : "\"" + pathInImage + "\"") + ". Pass the path the image holds "
              + program.path().getFileName() + " at, e.g. /app/" + program.path().getFileName(), null);
        }
        programPath = ImageFs.join(ImageFs.components(pathInImage));
        programInApp = false;
      } else if (pathInImage != null) {
        if (!pathInImage.startsWith("/")) {
          throw new ElfException(null, "The path in the image \"" + pathInImage + "\" of " + program.path()
              + " is not absolute. Give it from the image's root, e.g. /app/" + program.path().getFileName(), null);
        }
        programPath = ImageFs.join(ImageFs.components(pathInImage));
        programInApp = !host.equals(sysroot.resolve(programPath.substring(1)));
      } else if (host.startsWith(sysroot)) {
        programPath = ImageFs.join(ImageFs.components(sysroot.relativize(host).toString()));
        programInApp = false;
      } else {
        programPath = host.toString();
        programInApp = true;
      }
      Path parent = host.getParent() == null ? host : host.getParent();
      fs = new ImageFs(root, programInApp ? ImageFs.parent(programPath) : null, programInApp ? parent : null);
      String triplet = target.multiarch();
      boolean debian = triplet != null && (isDirectory("/lib/" + triplet) || isDirectory("/usr/lib/" + triplet));
      if (debian) {
        defaultDirs.addAll(List.of("/lib/" + triplet, "/usr/lib/" + triplet, "/lib", "/usr/lib"));
        libToken = "lib/" + triplet;
      } else if (program.elfClass() == 64) {
        defaultDirs.addAll(List.of("/lib64", "/usr/lib64"));
        libToken = "lib64";
      } else {
        defaultDirs.addAll(List.of("/lib", "/usr/lib"));
        libToken = "lib";
      }
      platformToken = target.platformToken(program.platform().variant());
    }

    private boolean isDirectory(String imagePath) {
      ImageFs.Walk w = fs.walk(imagePath, false);
      return w != null && w.kind() == ImageFs.Kind.DIRECTORY;
    }

    LibraryClosure resolve() {
      ElfReader.Data data = program.data();
      String origin = ImageFs.parent(programPath);
      if (!programInApp) {
        ImageFs.Walk self = fs.walk(programPath, false);
        if (self != null) {
          origin = ImageFs.parent(self.realPath()); // the kernel gives the loader the real path
        }
      }
      Loaded main = new Loaded(programPath, programInApp, origin, data, null);
      List<Loaded> loaded = new ArrayList<>();
      loaded.add(main);
      Map<String, Loaded> byRealPath = new HashMap<>();
      List<ResolvedLibrary> libraries = new ArrayList<>();
      List<ResolvedLibrary> aliases = new ArrayList<>();
      List<MissingLibrary> missing = new ArrayList<>();

      Optional<ResolvedLibrary> interpreter = Optional.empty();
      if (data.interpreter() != null) {
        String interp = data.interpreter();
        Found found = interp.startsWith("/") ? candidate(interp, false, SearchSource.INTERPRETER) : null;
        if (found == null) {
          missing.add(new MissingLibrary(interp, programPath, List.of(interp)));
        } else {
          Loaded object = new Loaded(interp, false, ImageFs.parent(interp), found.data, main);
          loaded.add(object);
          byRealPath.put(found.walk.realPath(), object);
          interpreter = Optional.of(resolved(interp, main, found));
        }
      }

      ArrayDeque<Loaded> queue = new ArrayDeque<>();
      queue.add(main);
      while (!queue.isEmpty()) {
        Loaded object = queue.poll();
        List<String> names = object.data.needed();
        if (object == main && !loadedByName.isEmpty()) {
          names = new ArrayList<>(names);
          names.addAll(loadedByName);
        }
        for (String needed : names) {
          String name = needed.contains("$") ? expand(needed, object) : needed;
          if (name == null) {
            missing.add(new MissingLibrary(needed, object.imagePath, List.of()));
            continue;
          }
          if (loaded.stream().anyMatch(l -> l.names.contains(name))) {
            continue;
          }
          List<String> searched = new ArrayList<>();
          Found found = search(name, object, searched);
          if (found == null) {
            missing.add(new MissingLibrary(needed, object.imagePath, searched));
            continue;
          }
          Loaded existing = byRealPath.get(found.walk.realPath());
          if (existing != null) {
            existing.names.add(name);
            existing.names.add(found.path);
            aliases.add(resolved(needed, object, found));
            continue;
          }
          if (loaded.size() >= MAX_OBJECTS) {
            throw new ElfException(program.path(), "The closure of " + program.path() + " has more than "
                + MAX_OBJECTS + " libraries, more than any real program loads. Check its DT_NEEDED entries"
                + " (readelf -d) and the sysroot's libraries for a generated or hostile set", null);
          }
          String libOrigin = ImageFs.parent(found.path);
          Loaded library = new Loaded(found.path, found.app, libOrigin, found.data, object);
          library.names.add(name);
          loaded.add(library);
          byRealPath.put(found.walk.realPath(), library);
          queue.add(library);
          ResolvedLibrary result = resolved(needed, object, found);
          libraries.add(result);
          LOG.debug("{}", result);
        }
      }
      return new LibraryClosure(programPath, interpreter, libraries, missing, aliases);
    }

    private ResolvedLibrary resolved(String name, Loaded by, Found found) {
      return new ResolvedLibrary(name, by.imagePath, found.path, found.walk.links(), found.walk.realPath(),
          found.walk.hostPath(), found.via);
    }

    /** glibc's _dl_map_object search for a name without a slash (or a path with one). */
    private Found search(String name, Loaded requester, List<String> searched) {
      if (name.contains("/")) {
        searched.add(name);
        if (!name.startsWith("/")) {
          return null; // relative to the working directory, which the image does not fix
        }
        return candidate(name, requester.app && name.startsWith(requester.origin), SearchSource.PATH);
      }
      if (requester.data.runpath() == null) {
        for (Loaded l = requester; l != null; l = l.loader) {
          Found f = searchPath(l.rpath(), l, name, SearchSource.RPATH, searched);
          if (f != null) {
            return f;
          }
        }
      }
      Found f = libraryPath.isEmpty() ? null
          : searchPath(String.join(":", libraryPath), requester, name, SearchSource.LD_LIBRARY_PATH, searched);
      if (f != null) {
        return f;
      }
      f = searchPath(requester.data.runpath(), requester, name, SearchSource.RUNPATH, searched);
      if (f != null) {
        return f;
      }
      boolean nodeflib = (requester.data.flags1() & ElfFile.DF_1_NODEFLIB) != 0;
      LdSoCache cache = cache();
      if (cache != null) {
        searched.add("/etc/ld.so.cache");
        String cached = cache.lookup(name, target.cacheFlags());
        if (cached != null && cached.startsWith("/") && !(nodeflib && defaultDirs.contains(ImageFs.parent(cached)))) {
          f = candidate(cached, false, SearchSource.LD_SO_CACHE);
          if (f != null) {
            return f;
          }
        }
      } else {
        for (String dir : confDirectories()) {
          f = inDirectory(dir, false, name, SearchSource.LD_SO_CONF, searched);
          if (f != null) {
            return f;
          }
        }
      }
      if (!nodeflib) {
        for (String dir : defaultDirs) {
          f = inDirectory(dir, false, name, SearchSource.DEFAULT_DIRECTORY, searched);
          if (f != null) {
            return f;
          }
        }
      }
      return null;
    }

    private Found searchPath(String path, Loaded owner, String name, SearchSource via, List<String> searched) {
      if (path == null) {
        return null;
      }
      for (String element : path.split(":")) {
        if (element.isEmpty()) {
          continue;
        }
        boolean fromOrigin = element.startsWith("$ORIGIN") || element.startsWith("${ORIGIN}");
        String dir = element.contains("$") ? expand(element, owner) : element;
        if (dir == null || !dir.startsWith("/")) {
          continue; // unknown token, or relative to the working directory
        }
        Found f = inDirectory(dir, fromOrigin && owner.app, name, via, searched);
        if (f != null) {
          return f;
        }
      }
      return null;
    }

    private Found inDirectory(String dir, boolean app, String name, SearchSource via, List<String> searched) {
      String d = dir.length() > 1 && dir.endsWith("/") ? dir.substring(0, dir.length() - 1) : dir;
      searched.add(d);
      ImageFs.Walk w = fs.walk(d, app);
      if (w == null || w.kind() != ImageFs.Kind.DIRECTORY) {
        return null;
      }
      return candidate(d.equals("/") ? "/" + name : d + "/" + name, app, via);
    }

    /** The file at an in-image path if it exists and is an ELF object for the program's target. */
    private Found candidate(String path, boolean app, SearchSource via) {
      ImageFs.Walk found = fs.walk(path, app);
      if (found == null || found.kind() != ImageFs.Kind.FILE) {
        return null;
      }
      ImageFs.Walk w;
      try {
        w = fs.withContent(found);
      } catch (UncheckedIOException e) {
        LOG.debug("skipping {}: {}", path, e.getMessage());
        return null;
      }
      Optional<ElfReader.Data> data = headers.computeIfAbsent(w.hostPath(), host -> {
        try {
          return Optional.of(ElfFile.readHeaders(host));
        } catch (ElfFormatException | UncheckedIOException e) {
          LOG.debug("skipping {}: {}", host, e.getMessage());
          return Optional.empty();
        }
      });
      if (data.isEmpty() || !target.accepts(data.get())) {
        return null;
      }
      return new Found(path, app, w, data.get(), via);
    }

    /** Expands $ORIGIN, $LIB and $PLATFORM (also in braces); null if a token cannot be expanded. */
    private String expand(String s, Loaded owner) {
      StringBuilder out = new StringBuilder();
      int i = 0;
      while (i < s.length()) {
        char c = s.charAt(i);
        if (c != '$') {
          out.append(c);
          i++;
          continue;
        }
        String rest = s.substring(i + 1);
        String token = null;
        int length = 0;
        for (String t : List.of("ORIGIN", "LIB", "PLATFORM")) {
          if (rest.startsWith("{" + t + "}")) {
            token = t;
            length = t.length() + 3;
          } else if (rest.startsWith(t) && (rest.length() == t.length()
              || !Character.isLetterOrDigit(rest.charAt(t.length())) && rest.charAt(t.length()) != '_')) {
            token = t;
            length = t.length() + 1;
          }
          if (token != null) {
            break;
          }
        }
        if (token == null) {
          out.append(c);
          i++;
          continue;
        }
        String value;
        switch (token) {
          case "ORIGIN": value = owner.origin; break;
          case "LIB": value = libToken; break;
          default: value = platformToken; break;
        }
        if (value == null) {
          return null;
        }
        out.append(value);
        i += length;
      }
      return out.toString();
    }
  }
}
