package dev.scratchkit.elf;

import java.util.Objects;

/**
 * A symbolic link the loader follows: where it is in the image and what it says.
 *
 * <p>A plain value: {@link LibraryResolver} makes it. Constructing one yourself only checks that its parts are
 * present and consistent; it reads no file and proves nothing about one.
 *
 * @param pathInImage the link's absolute path in the target filesystem, e.g. {@code /lib64}
 * @param target the link text exactly as stored, e.g. {@code usr/lib64}
 */
public record Symlink(String pathInImage, String target) {
  /**
   * Checks that both parts are given.
   *
   * @param pathInImage the link's absolute path in the target filesystem
   * @param target the link text exactly as stored
   * @throws NullPointerException if a part is null
   */
  public Symlink {
    Objects.requireNonNull(pathInImage, "pathInImage");
    Objects.requireNonNull(target, "target");
  }

  @Override
  public String toString() {
    return pathInImage + " -> " + target;
  }
}
