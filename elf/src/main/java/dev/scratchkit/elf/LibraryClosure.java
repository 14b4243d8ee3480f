package dev.scratchkit.elf;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What a dynamically linked program loads: the interpreter and the recursive DT_NEEDED closure,
 * breadth-first, each real file once, plus the names that were not found.
 *
 * <p>A plain value: {@link LibraryResolver} makes it. Constructing one yourself only checks that its parts are
 * present and consistent; it reads no file and proves nothing about one.
 *
 * @param executable the in-image path of the program
 * @param interpreter the resolved PT_INTERP, if the program has one and it was found
 * @param libraries every library of the closure in load order (breadth-first), each real file once
 * @param missing the names that were not found, with who needed them
 * @param aliases further lookups that reached an already loaded file through another path (whose
 *     links the image needs too)
 */
public record LibraryClosure(String executable, Optional<ResolvedLibrary> interpreter,
    List<ResolvedLibrary> libraries, List<MissingLibrary> missing, List<ResolvedLibrary> aliases) {

  /**
   * Copies the lists into unmodifiable ones.
   *
   * @param executable the in-image path of the program
   * @param interpreter the resolved PT_INTERP, or empty
   * @param libraries every library of the closure in load order, each real file once
   * @param missing the names that were not found
   * @param aliases further lookups that reached an already loaded file through another path
   * @throws NullPointerException if a list or one of its elements is null
   */
  public LibraryClosure {
    libraries = List.copyOf(libraries);
    missing = List.copyOf(missing);
    aliases = List.copyOf(aliases);
  }

  /**
   * {@return true when every needed name (and the interpreter) was found, i.e. {@link #missing()}
   * is empty}
   */
  public boolean isComplete() {
    return missing.isEmpty();
  }

  /**
   * {@return the real files on this machine of the interpreter (first, if present) and the
   * libraries, in load order, unmodifiable} Aliases add no files: they lead to files already listed.
   */
  public List<Path> hostFiles() {
    List<Path> out = new ArrayList<>();
    interpreter.ifPresent(i -> out.add(i.hostPath()));
    libraries.forEach(l -> out.add(l.hostPath()));
    return List.copyOf(out);
  }

  /**
   * Everything to put in the image for the closure to load: each real file and each symbolic
   * link followed, once, sorted by in-image path.
   *
   * @return the image entries of the interpreter, the libraries and the aliases; an unmodifiable
   *     list
   */
  public List<ImageEntry> files() {
    Map<String, ImageEntry> entries = new TreeMap<>();
    List<ResolvedLibrary> all = new ArrayList<>();
    interpreter.ifPresent(all::add);
    all.addAll(libraries);
    all.addAll(aliases);
    for (ResolvedLibrary library : all) {
      for (Symlink link : library.symlinks()) {
        entries.putIfAbsent(link.pathInImage(), new ImageEntry.Link(link.pathInImage(), link.target()));
      }
      entries.putIfAbsent(library.realPathInImage(), new ImageEntry.File(library.realPathInImage(), library.hostPath()));
    }
    return List.copyOf(entries.values());
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("LibraryClosure[").append(executable);
    interpreter.ifPresent(i -> s.append("\n  interpreter ").append(i));
    libraries.forEach(l -> s.append("\n  ").append(l));
    missing.forEach(m -> s.append("\n  MISSING ").append(m));
    return s.append(libraries.isEmpty() && missing.isEmpty() && interpreter.isEmpty() ? "" : "\n").append(']').toString();
  }
}
