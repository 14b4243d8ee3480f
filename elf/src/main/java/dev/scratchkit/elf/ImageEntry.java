package dev.scratchkit.elf;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One thing an image must contain for a library closure to load: a regular file copied from the
 * host, or a symbolic link.
 *
 * @param pathInImage absolute path in the image
 * @param hostFile the file to copy, for a regular file; null for a link
 * @param linkTarget the link text, for a link; null for a regular file
 */
public record ImageEntry(String pathInImage, Path hostFile, String linkTarget) {

  /**
   * Checks that the entry is exactly one of a regular file and a link.
   *
   * @param pathInImage absolute path in the image
   * @param hostFile the file to copy, for a regular file; null for a link
   * @param linkTarget the link text, for a link; null for a regular file
   * @throws NullPointerException if {@code pathInImage} is null
   * @throws IllegalArgumentException if both or neither of {@code hostFile} and
   *     {@code linkTarget} are given
   */
  public ImageEntry {
    Objects.requireNonNull(pathInImage, "pathInImage");
    if ((hostFile == null) == (linkTarget == null)) {
      throw new IllegalArgumentException("an image entry is either a file or a link: " + pathInImage);
    }
  }

  static ImageEntry file(String pathInImage, Path hostFile) {
    return new ImageEntry(pathInImage, hostFile, null);
  }

  static ImageEntry symlink(String pathInImage, String target) {
    return new ImageEntry(pathInImage, null, target);
  }

  /** {@return true for a symbolic link, false for a regular file} */
  public boolean isSymlink() {
    return linkTarget != null;
  }

  @Override
  public String toString() {
    return isSymlink() ? pathInImage + " -> " + linkTarget : pathInImage + " (from " + hostFile + ")";
  }
}
