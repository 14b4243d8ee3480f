package dev.scratchkit.internal.checks;

import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import dev.scratchkit.elf.ElfException;
import dev.scratchkit.elf.LibraryClosure;
import dev.scratchkit.elf.LibraryResolver;
import dev.scratchkit.elf.MissingLibrary;
import dev.scratchkit.elf.ResolvedLibrary;
import dev.scratchkit.internal.view.ImageView;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A program that loads a library by name with {@code dlopen("libz.so.1")} has no
 * {@code DT_NEEDED} entry for it, so its closure misses the library and the call fails in the
 * image ("libz.so.1: cannot open shared object file"). The evidence ({@link LoadedByName}) is an
 * import of {@code dlopen} by the executed program and the soname among its strings, not loaded
 * already and not found where dlopen searches in the image (the program's DT_RPATH,
 * {@code LD_LIBRARY_PATH}, its DT_RUNPATH, the image's cache, the default directories). Of names
 * with one stem ({@code libfoo.so.2}, {@code libfoo.so.1}) one in the image is enough: a program
 * tries them in turn.
 *
 * <p>A warning, not an error: the import and the name show a code path, not that this run takes
 * it, and programs load such libraries for optional features and go on without them ({@code ps}
 * loads libselinux to show security labels). Refusing would block images that run as they should;
 * bundleSharedLibraries() brings the library anyway.
 *
 * <p>The libraries of the closure are not looked at: their names are optional back-ends far more
 * often than needs. Over the 546 dynamic programs of a Debian 12 {@code /usr/bin}, 111 have a
 * library that imports dlopen and names a library they do not load (libselinux names libsepol,
 * libmount libcryptsetup, libsystemd-shared a dozen), which would be a warning on nearly every
 * image; 7 programs name one themselves (5 of them one this machine has: 13 libraries, 3.8 MB, with
 * their closures).
 */
final class LibrariesByNameRule implements Rule {

  static final String NAME = "libraries-by-name";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void check(CheckContext image, List<Finding> findings) {
    Optional<LibraryClosure> closure = image.closure();
    if (closure.isEmpty() || image.isGo()) {
      return;
    }
    CheckContext.Loaded program = image.loaded().get(0);
    Optional<LoadedByName.Evidence> evidence = LoadedByName.of(program.elf(), program.path(),
        () -> image.strings(program));
    if (evidence.isEmpty()) {
      return;
    }
    Set<String> loaded = new HashSet<>();
    for (ResolvedLibrary library : closure.get().libraries()) {
      loaded.add(library.name());
      loaded.add(fileName(library.realPathInImage()));
    }
    List<String> wanted = evidence.get().names().stream().filter(n -> !loaded.contains(n)).toList();
    if (wanted.isEmpty()) {
      return;
    }
    ImageView view = image.view();
    List<String> libraryPath = view.envValue("LD_LIBRARY_PATH")
        .map(p -> Arrays.stream(p.split("[:;]")).filter(s -> s.startsWith("/")).toList()).orElse(List.of());
    Map<String, MissingLibrary> missing;
    try {
      missing = missing(LibraryResolver.forImage(view).withLibraryPath(libraryPath)
          .resolveWithLoaded(program.elf(), program.path(), wanted), program.path());
    } catch (ElfException e) {
      return; // a closure too large to resolve: the shared-libraries rule has said what it could
    }
    String directory = ImportEvidence.glibc(closure.get()).map(ResolvedLibrary::realPathInImage)
        .map(p -> p.substring(0, Math.max(1, p.lastIndexOf('/')))).orElse("/usr/lib");
    for (List<String> alternatives : LoadedByName.alternatives(wanted)) {
      if (!alternatives.stream().allMatch(missing::containsKey)) {
        continue;
      }
      String name = alternatives.get(0);
      String target = directory + "/" + name;
      List<String> searched = missing.get(name).searched();
      findings.add(new Finding(NAME, "LIBRARY_BY_NAME_MISSING", Severity.WARNING, target,
          evidence.get().of(name) + (alternatives.size() > 1 ? " (or " + String.join(", ", alternatives.subList(1,
              alternatives.size())) + ")" : "") + ": it loads the library with dlopen() by that name at run time (no"
              + " DT_NEEDED entry names it), and the image has none (searched " + String.join(", ",
                  searched.stream().limit(8).toList()) + (searched.size() > 8 ? ", ..." : "") + "). If the program"
              + " takes that path, the call fails.",
          name + ": cannot open shared object file: No such file or directory (dlerror)",
          fix(image, name, target)));
    }
  }

  private static String fix(CheckContext image, String name, String target) {
    Optional<Path> root = image.hostRoot();
    String other = "COPY " + name + " and the libraries it needs from the build stage to " + target + ".";
    if (root.isEmpty()) {
      return image.fix("Call bundleSharedLibraries(), which brings a library the program names this way; or add"
          + " it: addFile(Path.of(\"" + target + "\"), \"" + target + "\"), with the libraries it needs.", other);
    }
    String prefix = root.get().toString().equals("/") ? "" : root.get().toString();
    Optional<String> host = onHost(root.get(), image, name);
    if (host.isPresent()) {
      return image.fix("Call bundleSharedLibraries(), which brings a library the program names this way, or add"
          + " it: addFile(Path.of(\"" + prefix + host.get() + "\"), \"" + target + "\") (bundleSharedLibraries()"
          + " then brings the libraries it needs).", other);
    }
    return image.fix(root.get() + " has no " + name + " either, so the program cannot load it on this machine"
        + " (searched as dlopen does from " + image.loaded().get(0).path() + "). If it needs it, install the package"
        + " that provides it there (bundleSharedLibraries() then brings it), or add it: addFile(Path.of(\"/path/to/"
        + name + "\"), \"" + target + "\").", other);
  }

  /** {@return where dlopen finds the name in the build's root, as a path in that root} */
  private static Optional<String> onHost(Path root, CheckContext image, String name) {
    CheckContext.Loaded program = image.loaded().get(0);
    try {
      LibraryClosure c = LibraryResolver.forRoot(root).resolveWithLoaded(program.elf(), program.path(),
          List.of(name));
      return c.libraries().stream().filter(l -> l.name().equals(name) && l.neededBy().equals(program.path()))
          .map(ResolvedLibrary::pathInImage).findFirst();
    } catch (ElfException e) {
      return Optional.empty();
    }
  }

  private static Map<String, MissingLibrary> missing(LibraryClosure closure, String path) {
    Map<String, MissingLibrary> out = new java.util.HashMap<>();
    for (MissingLibrary m : closure.missing()) {
      if (m.neededBy().equals(path)) {
        out.putIfAbsent(m.name(), m);
      }
    }
    return out;
  }

  private static String fileName(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }
}
