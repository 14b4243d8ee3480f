package dev.scratchkit.internal.checks;

import dev.scratchkit.elf.DynamicSymbol;
import dev.scratchkit.elf.ElfFile;
import dev.scratchkit.elf.ElfFormatException;
import dev.scratchkit.elf.LibraryClosure;
import dev.scratchkit.elf.ResolvedLibrary;
import dev.scratchkit.internal.view.ImageView;
import java.util.Optional;
import java.util.Set;

/**
 * The evidence most run-time rules key on: a function imported from the C library by the program
 * or by any library of its closure (a library that calls {@code iconv_open} makes the program
 * load gconv modules just as well).
 */
public final class ImportEvidence {

  private ImportEvidence() {}

  /**
   * {@return e.g. "/usr/bin/iconv imports iconv_open@GLIBC_2.2.5": the first import of one of the
   * functions; empty if there is none or the symbols cannot be read}
   *
   * @param elf the file
   * @param path its path in the image, for the message
   * @param functions the names looked for
   */
  public static Optional<String> of(ElfFile elf, String path, Set<String> functions) {
    try {
      for (DynamicSymbol s : elf.importedSymbols()) {
        if (functions.contains(s.name())) {
          return Optional.of(path + " imports " + s.nameWithVersion());
        }
      }
    } catch (ElfFormatException malformed) {
      // a malformed table imports nothing the loader could bind either
    }
    return Optional.empty();
  }

  /** {@return glibc's libc.so.6 of the closure, if the program runs on glibc} */
  static Optional<ResolvedLibrary> glibc(LibraryClosure closure) {
    return closure.libraries().stream().filter(l -> l.name().equals(UnwinderRule.GLIBC)).findFirst();
  }

  /**
   * {@return the first import of one of the functions by the executed program or a library of its
   * closure in the image (glibc's own libc.so.6 aside); empty if the program does not run on glibc}
   *
   * @param image the image
   * @param functions the names looked for
   */
  static Optional<String> inClosure(CheckContext image, Set<String> functions) {
    return inClosure(image, functions, Set.of());
  }

  /**
   * {@return as {@link #inClosure(CheckContext, Set)}, libraries of the given names not counted}
   *
   * @param image the image
   * @param functions the names looked for
   * @param notEvidence sonames whose imports say nothing about this need
   */
  static Optional<String> inClosure(CheckContext image, Set<String> functions, Set<String> notEvidence) {
    Optional<LibraryClosure> closure = image.closure();
    if (closure.isEmpty() || glibc(closure.get()).isEmpty()) {
      return Optional.empty();
    }
    CheckContext.Executed executed = image.executed().orElseThrow();
    Optional<String> evidence = of(executed.elf(), executed.path(), functions);
    ImageView view = image.view();
    for (ResolvedLibrary library : closure.get().libraries()) {
      if (evidence.isPresent()) {
        break;
      }
      if (library.name().equals(UnwinderRule.GLIBC) || notEvidence.contains(library.name())) {
        continue;
      }
      ImageView.Resolution r = view.resolve(library.pathInImage());
      if (r.found() && r.node().isFile()) {
        evidence = view.elf(r.node()).flatMap(elf -> of(elf, library.pathInImage(), functions));
      }
    }
    return evidence;
  }
}
