package dev.scratchkit.internal.oci;

import dev.scratchkit.oci.ImagePath;
import dev.scratchkit.oci.OciException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/** Checks on host files that become image files; messages name the absolute path and the fix. */
public final class SourceFiles {
  private SourceFiles() {}

  /**
   * Checks that {@code source} is an existing, readable regular file.
   *
   * @throws OciException naming the file, why it cannot be used and the fix
   */
  public static void check(ImagePath path, Path source) {
    Path absolute = source.toAbsolutePath().normalize();
    if (!Files.exists(absolute)) {
      String why = Files.exists(absolute, LinkOption.NOFOLLOW_LINKS) ? "it is a symlink whose target does not exist"
          : "it does not exist";
      throw new OciException("source file " + absolute + " for " + path + " cannot be read: " + why
          + "; check the path, or build the file before writing the image");
    }
    if (!Files.isRegularFile(absolute)) {
      throw new OciException("source file " + absolute + " for " + path + " is not a regular file"
          + (Files.isDirectory(absolute) ? " but a directory" : "")
          + "; give a regular file (add directories entry by entry)");
    }
    if (!Files.isReadable(absolute)) {
      throw new OciException("source file " + absolute + " for " + path + " is not readable by this process"
          + "; fix its permissions (e.g. chmod a+r " + absolute + ")");
    }
  }
}
