package dev.scratchkit.elf;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * A library (or the interpreter) as the loader finds it, with everything an image needs to
 * reproduce that: the path the loader opens, each symbolic link followed on the way, and the
 * real file.
 *
 * <p>A plain value: {@link LibraryResolver} makes it. Constructing one yourself only checks that its parts are
 * present and consistent; it reads no file and proves nothing about one.
 *
 * @param name the DT_NEEDED entry (or the PT_INTERP path for the interpreter)
 * @param neededBy the in-image path of the object that asked for it
 * @param pathInImage the absolute path the loader opens in the target filesystem, e.g.
 *     {@code /lib/x86_64-linux-gnu/libc.so.6}
 * @param symlinks the links followed from {@code pathInImage} to the real file, in order; a
 *     directory link such as {@code /lib -> usr/lib} counts
 * @param realPathInImage the real file's absolute path in the target filesystem
 * @param hostPath the real file on this machine (under the sysroot)
 * @param foundVia which step of the search found it
 */
public record ResolvedLibrary(String name, String neededBy, String pathInImage, List<Symlink> symlinks,
    String realPathInImage, Path hostPath, SearchSource foundVia) {

  /**
   * Copies {@code symlinks} into an unmodifiable list.
   *
   * @param name the DT_NEEDED entry (or the PT_INTERP path for the interpreter)
   * @param neededBy the in-image path of the object that asked for it
   * @param pathInImage the absolute path the loader opens in the target filesystem
   * @param symlinks the links followed from {@code pathInImage} to the real file, in order
   * @param realPathInImage the real file's absolute path in the target filesystem
   * @param hostPath the real file on this machine
   * @param foundVia which step of the search found it
   * @throws NullPointerException if a part or a link is null
   */
  public ResolvedLibrary {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(neededBy, "neededBy");
    Objects.requireNonNull(pathInImage, "pathInImage");
    symlinks = List.copyOf(symlinks);
    Objects.requireNonNull(realPathInImage, "realPathInImage");
    Objects.requireNonNull(hostPath, "hostPath");
    Objects.requireNonNull(foundVia, "foundVia");
  }

  @Override
  public String toString() {
    return name + " => " + pathInImage + (pathInImage.equals(realPathInImage) ? "" : " (" + realPathInImage + ")")
        + " via " + foundVia;
  }
}
