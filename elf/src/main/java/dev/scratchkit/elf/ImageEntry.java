package dev.scratchkit.elf;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One thing an image must contain for a library closure to load: a regular file copied from the
 * host ({@link File}) or a symbolic link ({@link Link}). {@link LibraryClosure#files()} makes
 * them; they are plain values.
 */
public sealed interface ImageEntry permits ImageEntry.File, ImageEntry.Link {

  /** {@return the entry's absolute path in the image} */
  String pathInImage();

  /**
   * A regular file the image holds, with the host file to copy.
   *
   * @param pathInImage absolute path in the image
   * @param hostFile the file on this machine to copy (not read here)
   */
  record File(String pathInImage, Path hostFile) implements ImageEntry {
    /**
     * Checks the parts.
     *
     * @param pathInImage absolute path in the image
     * @param hostFile the file on this machine to copy
     * @throws ElfException if {@code pathInImage} is not absolute
     */
    public File {
      checkAbsolute(pathInImage);
      Objects.requireNonNull(hostFile, "hostFile");
    }

    @Override
    public String toString() {
      return pathInImage + " (from " + hostFile + ")";
    }
  }

  /**
   * A symbolic link the image holds.
   *
   * @param pathInImage absolute path of the link in the image
   * @param target the link text exactly as stored, e.g. {@code usr/lib64}
   */
  record Link(String pathInImage, String target) implements ImageEntry {
    /**
     * Checks the parts.
     *
     * @param pathInImage absolute path of the link in the image
     * @param target the link text
     * @throws ElfException if {@code pathInImage} is not absolute or {@code target} is empty
     */
    public Link {
      checkAbsolute(pathInImage);
      Objects.requireNonNull(target, "target");
      if (target.isEmpty()) {
        throw new ElfException(null, "The link " + pathInImage + " has an empty target. Give the link text,"
            + " e.g. usr/lib64", null);
      }
    }

    @Override
    public String toString() {
      return pathInImage + " -> " + target;
    }
  }

  private static void checkAbsolute(String pathInImage) {
    Objects.requireNonNull(pathInImage, "pathInImage");
    if (!pathInImage.startsWith("/")) {
      throw new ElfException(null, "The path in the image \"" + pathInImage + "\" is not absolute. Give it"
          + " from the image's root, e.g. /lib/" + pathInImage, null);
    }
  }
}
