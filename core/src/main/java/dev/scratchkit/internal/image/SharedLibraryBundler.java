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
          // The resolver gives the real file inside the sysroot: taken exactly, never through a
          // link (an absolute link in a sysroot means the sysroot's file, not the host's).
          entry = needed instanceof ImageEntry.File f
              ? SourceFiles.exactFile(path, realDirectory(f.hostFile()), Files.isExecutable(f.hostFile()) ? 0755 : 0644)
              : LayerEntry.symlink(path, ((ImageEntry.Link) needed).target());
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
    addUnwinder(elfFiles, libraries, app, entries);
    return new ArrayList<>(entries.values());
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
  private Path realDirectory(Path file) throws java.io.IOException {
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
