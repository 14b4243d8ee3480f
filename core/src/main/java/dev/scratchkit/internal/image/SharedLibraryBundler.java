package dev.scratchkit.internal.image;

import dev.scratchkit.ScratchImageException.Problem;
import dev.scratchkit.elf.ElfException;
import dev.scratchkit.elf.ElfFile;
import dev.scratchkit.elf.ImageEntry;
import dev.scratchkit.elf.LibraryClosure;
import dev.scratchkit.elf.LibraryResolver;
import dev.scratchkit.elf.Linkage;
import dev.scratchkit.elf.MissingLibrary;
import dev.scratchkit.elf.ResolvedLibrary;
import dev.scratchkit.elf.SearchSource;
import dev.scratchkit.internal.checks.LoadedByName;
import dev.scratchkit.internal.checks.UnwinderRule;
import dev.scratchkit.internal.oci.SourceFiles;
import dev.scratchkit.oci.ImagePath;
import dev.scratchkit.oci.LayerEntry;
import dev.scratchkit.oci.OciException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lays out, for every dynamically linked ELF file of the image, the interpreter and the library
 * closure exactly where the image's loader will look: each real file, and each symbolic link
 * the loader follows on the way ({@code /lib64 -> usr/lib64}, {@code libz.so.1 -> libz.so.1.2.13}).
 * Files the image already has (an app's own libraries next to {@code $ORIGIN}) are not copied
 * again.
 */
final class SharedLibraryBundler {

  private static final Logger LOG = LoggerFactory.getLogger(SharedLibraryBundler.class);

  // Directories the image's loader searches without an ld.so.cache (Debian multiarch and others).
  private static final Pattern DEFAULT_DIRECTORY = Pattern.compile("/(usr/)?lib(32|64)?(/[a-z0-9_]+-linux-[a-z0-9_]+)?");

  private final Path sysroot;
  private final List<Problem> problems;
  private final Set<String> libraryPath = new LinkedHashSet<>();
  private final List<ResolvedLibrary> libraries = new ArrayList<>();

  SharedLibraryBundler(Path sysroot, List<Problem> problems) {
    this.sysroot = sysroot.toAbsolutePath().normalize();
    this.problems = problems;
  }

  List<LayerEntry> bundle(List<ImageAssembler.ImageElf> elfFiles, Map<ImagePath, LayerEntry> app) {
    if (!Files.isDirectory(sysroot)) {
      problems.add(new Problem(sysroot.toString(), "bundleSharedLibraries(" + sysroot + "): " + sysroot
          + " is not a directory. Give the root file system the libraries come from, e.g. / or a sysroot."));
      return List.of();
    }
    LibraryResolver resolver = LibraryResolver.forRoot(sysroot);
    // A name the loader finds already loaded needs no file of its own: the JDK's libjava.so needs
    // "libjvm.so", which the launcher has loaded from lib/server by its full path.
    Map<String, ImagePath> providedByImage = new LinkedHashMap<>();
    for (ImageAssembler.ImageElf file : elfFiles) {
      providedByImage.putIfAbsent(file.inImage().fileName(), file.inImage());
      file.elf().soname().ifPresent(soname -> providedByImage.putIfAbsent(soname, file.inImage()));
    }
    Set<String> reported = new HashSet<>();
    Map<ImagePath, LayerEntry> entries = new LinkedHashMap<>();
    List<ResolvedLibrary> libraries = new ArrayList<>();
    for (ImageAssembler.ImageElf file : elfFiles) {
      if (file.elf().linkage() != Linkage.DYNAMIC && file.elf().neededLibraries().isEmpty()) {
        continue;
      }
      LibraryClosure closure = resolver.resolve(file.elf(), file.inImage().toString());
      for (MissingLibrary missing : closure.missing()) {
        if (providedByImage.containsKey(missing.name())) {
          LOG.debug("{} needs {}: the image has it at {}", missing.neededBy(), missing.name(),
              providedByImage.get(missing.name()));
          continue;
        }
        if (!reported.add(missing.neededBy() + " " + missing.name())) {
          continue;
        }
        problems.add(new Problem(file.host().toString(), file.host() + ": " + missing.neededBy() + " needs "
            + missing.name() + ", which is not in " + sysroot + " (searched " + String.join(", ",
                missing.searched().stream().limit(8).toList()) + (missing.searched().size() > 8 ? ", ..." : "")
            + "). Without it the program cannot start. Install the package that provides " + missing.name()
            + ", add the library with addFile, or give the sysroot that has it with bundleSharedLibraries(sysroot)."));
      }
      libraries.addAll(closure.libraries());
      for (ResolvedLibrary library : closure.libraries()) {
        // Found through the host's ld.so.cache or ld.so.conf: the image has neither, so its loader
        // needs the directory spelled out.
        if (library.foundVia() == SearchSource.LD_SO_CACHE || library.foundVia() == SearchSource.LD_SO_CONF) {
          String path = library.pathInImage();
          String dir = path.substring(0, Math.max(1, path.lastIndexOf('/')));
          if (!DEFAULT_DIRECTORY.matcher(dir).matches()) {
            libraryPath.add(dir);
          }
        }
      }
      for (ImageEntry needed : closure.files()) {
        ImagePath path = ImagePath.of(needed.pathInImage());
        if (app.containsKey(path)) {
          continue; // the image brings this file itself
        }
        LayerEntry entry;
        try {
          entry = entryFor(needed);
        } catch (OciException | java.io.IOException e) {
          problems.add(new Problem(needed instanceof ImageEntry.File f ? f.hostFile().toString() : path.toString(),
              "cannot bundle " + path + " for " + file.inImage() + ": " + e.getMessage()));
          continue;
        }
        LayerEntry previous = entries.putIfAbsent(path, entry);
        if (previous == null) {
          LOG.debug("bundling {} for {}", entry, file.inImage());
        }
      }
    }
    addLoadedByName(resolver, elfFiles, libraries, providedByImage.keySet(), app, entries);
    addUnwinder(elfFiles, libraries, app, entries);
    this.libraries.addAll(libraries);
    return new ArrayList<>(entries.values());
  }

  /** {@return every library of the closures bundled, in order, repeats included} */
  List<ResolvedLibrary> libraries() {
    return List.copyOf(libraries);
  }

  /** {@return the layer entry of a closure file: a link as it is, a file by its real path in the sysroot} */
  LayerEntry entryFor(ImageEntry needed) throws java.io.IOException {
    ImagePath path = ImagePath.of(needed.pathInImage());
    // The resolver gives the real file inside the sysroot: taken exactly, never through a
    // link (an absolute link in a sysroot means the sysroot's file, not the host's).
    return needed instanceof ImageEntry.File f
        ? SourceFiles.exactFile(path, realDirectory(f.hostFile()), Files.isExecutable(f.hostFile()) ? 0755 : 0644)
        : LayerEntry.symlink(path, ((ImageEntry.Link) needed).target());
  }

  /**
   * Adds the libraries the image's own programs (the entrypoint, programs added with addFile or
   * addDirectory) load by name with {@code dlopen()}, with their closures ({@link LoadedByName}:
   * an import of dlopen and a literal soname in the same file). Of names with one stem
   * ({@code libfoo.so.2}, {@code libfoo.so.1}) the first the sysroot has is brought, since a
   * program tries them in turn. Names no file of the sysroot answers are left to the rule that
   * reports them.
   *
   * <p>Not for libraries, of the closures or added: over the 546 dynamic programs of a Debian 12
   * {@code /usr/bin}, 111 would get 799 more libraries (405 MB in all) that their libraries name
   * as optional back-ends (libselinux's libsepol for loading a policy, libmount's libcryptsetup
   * for dm-verity, libsystemd-shared's dozen), against 13 libraries (3.8 MB, for 5 programs) that
   * the programs name themselves.
   */
  private void addLoadedByName(LibraryResolver resolver, List<ImageAssembler.ImageElf> elfFiles,
      List<ResolvedLibrary> libraries, Set<String> providedByImage, Map<ImagePath, LayerEntry> app,
      Map<ImagePath, LayerEntry> entries) {
    Set<String> loaded = new HashSet<>(providedByImage);
    for (ResolvedLibrary library : libraries) {
      loaded.add(library.name());
      loaded.add(library.realPathInImage().substring(library.realPathInImage().lastIndexOf('/') + 1));
    }
    for (ImageAssembler.ImageElf file : elfFiles) {
      if (file.elf().interpreter().isEmpty()) {
        continue; // a library, even one added by hand: its names are optional back-ends as often as not
      }
      String path = file.inImage().toString();
      Optional<LoadedByName.Evidence> evidence = LoadedByName.of(file.host(), file.elf(), path);
      List<String> wanted = evidence.map(e -> e.names().stream().filter(n -> !loaded.contains(n)).toList())
          .orElse(List.of());
      if (wanted.isEmpty()) {
        continue;
      }
      LibraryClosure closure;
      List<String> chosen = new ArrayList<>();
      try {
        Set<String> missing = new HashSet<>();
        resolver.resolveWithLoaded(file.elf(), path, wanted).missing().stream()
            .filter(m -> m.neededBy().equals(path)).forEach(m -> missing.add(m.name()));
        for (List<String> alternatives : LoadedByName.alternatives(wanted)) {
          alternatives.stream().filter(n -> !missing.contains(n)).findFirst().ifPresentOrElse(chosen::add,
              () -> LOG.debug("{}: {} is not in {}; not bundled", evidence.get().evidence(), alternatives, sysroot));
        }
        if (chosen.isEmpty()) {
          continue;
        }
        closure = resolver.resolveWithLoaded(file.elf(), path, chosen);
      } catch (ElfException e) {
        LOG.debug("libraries {} named by {} not resolved: {}", wanted, path, e.getMessage());
        continue;
      }
      int before = entries.size();
      for (ImageEntry needed : closure.files()) {
        ImagePath entryPath = ImagePath.of(needed.pathInImage());
        if (app.containsKey(entryPath) || entries.containsKey(entryPath)) {
          continue;
        }
        try {
          entries.put(entryPath, entryFor(needed));
        } catch (OciException | java.io.IOException e) {
          problems.add(new Problem(needed instanceof ImageEntry.File f ? f.hostFile().toString()
              : entryPath.toString(), "cannot bundle " + entryPath + ", which " + path + " loads with dlopen(): "
              + e.getMessage()));
        }
      }
      for (ResolvedLibrary library : closure.libraries()) {
        if (loaded.add(library.name()) | loaded.add(library.realPathInImage().substring(
            library.realPathInImage().lastIndexOf('/') + 1))) {
          libraries.add(library);
        }
      }
      for (String name : chosen) {
        closure.libraries().stream().filter(l -> l.name().equals(name) && l.neededBy().equals(path)).findFirst()
            .ifPresent(l -> LOG.info("bundling {} from {} (with what it needs, {} entries for {}): {}, and"
                + " dlopen() finds a library by that name at run time, which no DT_NEEDED entry shows",
                l.pathInImage(), l.hostPath(), entries.size() - before, String.join(", ", chosen),
                evidence.get().of(name)));
      }
    }
  }

  /**
   * Adds {@code libgcc_s.so.1}, next to glibc's {@code libc.so.6}, when the image's programs or
   * their libraries import {@code pthread_exit}/{@code pthread_cancel}: glibc loads it with
   * {@code dlopen()}, which no DT_NEEDED entry shows ({@link UnwinderRule}).
   */
  private void addUnwinder(List<ImageAssembler.ImageElf> elfFiles, List<ResolvedLibrary> libraries,
      Map<ImagePath, LayerEntry> app, Map<ImagePath, LayerEntry> entries) {
    ResolvedLibrary glibc = null;
    for (ResolvedLibrary library : libraries) {
      if (library.name().equals(UnwinderRule.LIBRARY)) {
        return; // a DT_NEEDED entry brings it already
      }
      if (library.name().equals(UnwinderRule.GLIBC) && glibc == null) {
        glibc = library;
      }
    }
    if (glibc == null) {
      return;
    }
    Optional<String> evidence = Optional.empty();
    for (ImageAssembler.ImageElf file : elfFiles) {
      evidence = evidence.or(() -> UnwinderRule.evidence(file.elf(), file.inImage().toString()));
    }
    Set<Path> read = new HashSet<>();
    for (ResolvedLibrary library : libraries) {
      if (evidence.isPresent()) {
        break;
      }
      if (!library.name().equals(UnwinderRule.GLIBC) && read.add(library.hostPath())) {
        try {
          evidence = UnwinderRule.evidence(ElfFile.read(library.hostPath()), library.pathInImage());
        } catch (ElfException | java.io.UncheckedIOException e) {
          LOG.debug("not read for imported symbols: {}", e.getMessage());
        }
      }
    }
    if (evidence.isEmpty()) {
      return;
    }
    // Where libc.so.6 really is: its directory is searched, and the links on the way are laid out.
    String libcPath = glibc.realPathInImage();
    ImagePath path = ImagePath.of(libcPath.substring(0, libcPath.lastIndexOf('/') + 1) + UnwinderRule.LIBRARY);
    if (app.containsKey(path) || entries.containsKey(path)) {
      return;
    }
    Path host = glibc.hostPath().resolveSibling(UnwinderRule.LIBRARY);
    try {
      Path real = host.toRealPath();
      if (!Files.isRegularFile(real) || !real.startsWith(sysroot.toRealPath())) {
        throw new java.io.IOException(host + " is not a regular file inside " + sysroot);
      }
      entries.put(path, SourceFiles.exactFile(path, real, 0644));
      LOG.info("bundling {} from {}: {}, and glibc loads {} with dlopen() to unwind the thread", path, real,
          evidence.get(), UnwinderRule.LIBRARY);
    } catch (OciException | java.io.IOException e) {
      problems.add(new Problem(host.toString(), evidence.get() + ": glibc loads " + UnwinderRule.LIBRARY
          + " with dlopen() to unwind the thread when it runs, and " + host + " cannot be bundled (" + e.getMessage()
          + "). Without it the program dies (\"" + UnwinderRule.LIBRARY + " must be installed for "
          + UnwinderRule.function(evidence.get()) + " to work\"). Install the package that provides it (Debian:"
          + " libgcc-s1) in " + sysroot + ", or add it with addFile at " + path + "."));
    }
  }

  /**
   * The file in its directory's real path (the resolver resolved the links inside the sysroot),
   * refused if the host resolves it outside the sysroot.
   */
  Path realDirectory(Path file) throws java.io.IOException {
    Path absolute = file.toAbsolutePath().normalize();
    Path real = absolute.getParent().toRealPath().resolve(absolute.getFileName());
    Path root = sysroot.toRealPath();
    if (!real.startsWith(root)) {
      throw new OciException(absolute + " is really " + real + ", outside the sysroot " + root + " (a directory on"
          + " its path is a link leading out of it); fix the link in the sysroot, or add the library with addFile");
    }
    return real;
  }

  /**
   * Directories outside the loader's defaults where bundled libraries were found through the
   * sysroot's {@code ld.so.cache}; the image's {@code LD_LIBRARY_PATH} must name them.
   */
  List<String> libraryPath() {
    return List.copyOf(libraryPath);
  }
}
