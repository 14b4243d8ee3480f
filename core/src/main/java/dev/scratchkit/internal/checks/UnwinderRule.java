package dev.scratchkit.internal.checks;

import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import dev.scratchkit.elf.DynamicSymbol;
import dev.scratchkit.elf.ElfFile;
import dev.scratchkit.elf.ElfException;
import dev.scratchkit.elf.LibraryClosure;
import dev.scratchkit.elf.ResolvedLibrary;
import dev.scratchkit.internal.view.ImageView;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * glibc unwinds a thread with {@code libgcc_s.so.1}, which it loads with {@code dlopen()} the
 * first time {@code pthread_exit} or {@code pthread_cancel} runs: no {@code DT_NEEDED} entry
 * names it, so a closure of needed libraries misses it, and the program dies (exit code 139) with "libgcc_s.so.1
 * must be installed for pthread_exit to work". The evidence is an import of either function by
 * the program or any library of its closure, with glibc's {@code libc.so.6} in the closure.
 */
public final class UnwinderRule implements Rule {

  static final String NAME = "unwinder";
  /** The library glibc loads. */
  public static final String LIBRARY = "libgcc_s.so.1";
  /** The C library that loads it. */
  public static final String GLIBC = "libc.so.6";
  private static final Set<String> FUNCTIONS = Set.of("pthread_exit", "pthread_cancel");

  @Override
  public String name() {
    return NAME;
  }

  /**
   * {@return e.g. "/app/server imports pthread_exit@GLIBC_2.2.5": the first import of a function
   * that makes glibc load the unwinder; empty if the file has none or its symbols cannot be read}
   *
   * @param elf the file
   * @param path its path in the image, for the message
   */
  public static Optional<String> evidence(ElfFile elf, String path) {
    try {
      for (DynamicSymbol s : elf.importedSymbols()) {
        if (FUNCTIONS.contains(s.name())) {
          return Optional.of(path + " imports " + s.nameWithVersion());
        }
      }
    } catch (ElfException malformed) {
      // a malformed table imports nothing the loader could bind either
    }
    return Optional.empty();
  }

  /**
   * {@return "pthread_exit" or "pthread_cancel", the function named by an evidence line}
   *
   * @param evidence a line from {@link #evidence}
   */
  public static String function(String evidence) {
    return evidence.contains(" imports pthread_cancel") ? "pthread_cancel" : "pthread_exit";
  }

  @Override
  public void check(CheckContext image, List<Finding> findings) {
    Optional<LibraryClosure> found = image.closure();
    if (found.isEmpty()) {
      return;
    }
    LibraryClosure closure = found.get();
    ResolvedLibrary glibc = null;
    for (ResolvedLibrary library : closure.libraries()) {
      if (library.name().equals(LIBRARY)) {
        return; // needed by some library already: loaded at start, found by dlopen
      }
      if (library.name().equals(GLIBC) && glibc == null) {
        glibc = library;
      }
    }
    if (glibc == null) {
      return; // not glibc (musl unwinds without libgcc_s)
    }
    ImageView view = image.view();
    CheckContext.Executed executed = image.executed().orElseThrow();
    Optional<String> evidence = evidence(executed.elf(), executed.path());
    for (ResolvedLibrary library : closure.libraries()) {
      if (evidence.isPresent()) {
        break;
      }
      if (library.name().equals(GLIBC)) {
        continue;
      }
      ImageView.Resolution r = view.resolve(library.pathInImage());
      if (r.found()) {
        evidence = view.elf(r.node()).flatMap(elf -> evidence(elf, library.pathInImage()));
      }
    }
    if (evidence.isEmpty()) {
      return;
    }
    List<String> searched = directories(view, glibc.pathInImage());
    for (String dir : searched) {
      ImageView.Resolution r = view.resolve(dir + "/" + LIBRARY);
      if (r.found() && r.node().isFile()) {
        return;
      }
    }
    String directory = searched.get(0);
    String function = function(evidence.get());
    findings.add(new Finding(NAME, "LIBGCC_S_MISSING", Severity.ERROR, directory + "/" + LIBRARY, evidence.get()
        + ": glibc loads " + LIBRARY + " with dlopen() to unwind the thread when " + function + " runs (no DT_NEEDED"
        + " entry names it), and the image has none (searched " + String.join(", ", searched) + ").",
        LIBRARY + " must be installed for " + function + " to work (the program then dies: exit code 139)",
        image.fix("Call bundleSharedLibraries(): it adds " + LIBRARY + " from the same root when the program or a"
                + " library imports pthread_exit or pthread_cancel; or add " + LIBRARY + " with addFile at "
                + directory + "/" + LIBRARY + ".",
            "COPY " + LIBRARY + " (Debian package libgcc-s1) from the build stage to " + directory + "/" + LIBRARY
                + ".")));
  }

  /** Where glibc's dlopen() looks for a bare name: LD_LIBRARY_PATH, libc's own directory, the defaults. */
  private static List<String> directories(ImageView view, String libcPath) {
    List<String> out = new ArrayList<>();
    String libcDir = libcPath.substring(0, Math.max(1, libcPath.lastIndexOf('/')));
    out.add(libcDir);
    view.envValue("LD_LIBRARY_PATH").ifPresent(p -> {
      for (String dir : p.split("[:;]")) {
        if (dir.startsWith("/") && !out.contains(dir)) {
          out.add(dir);
        }
      }
    });
    for (String dir : List.of("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib")) {
      if (!out.contains(dir)) {
        out.add(dir);
      }
    }
    return out;
  }
}
