package dev.scratchkit.elf;

import dev.scratchkit.base.ScratchkitException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The elf module could not do what was asked: a file cannot be read (missing, not a regular
 * file, unreadable), a sysroot is not a directory, an argument names nothing usable, or the
 * file is not a valid ELF file ({@link ElfFormatException}). The message names the absolute
 * path or the argument, the fact found and the fix.
 */
public class ElfException extends ScratchkitException {

  private static final long serialVersionUID = 1L;

  /** The absolute path concerned, or null. Not serialized. */
  private final transient Path path;

  ElfException(Path path, String message, Throwable cause) {
    super(message, cause);
    this.path = path == null ? null : path.toAbsolutePath();
  }

  /** The file cannot be opened or read; {@code cause} says why. */
  static ElfException unreadable(Path file, Throwable cause) {
    Path absolute = file.toAbsolutePath();
    String fact;
    String fix;
    if (cause instanceof java.nio.file.NoSuchFileException) {
      fact = "does not exist";
      fix = "Check the path; a relative one is resolved against the working directory " + Path.of("").toAbsolutePath();
    } else if (cause instanceof java.nio.file.AccessDeniedException) {
      fact = "is not readable by this user (permission denied)";
      fix = "Make it readable (chmod a+r) or run as a user who may read it";
    } else {
      fact = "cannot be read (" + cause + ")";
      fix = "Check that the file and its directory are readable and the disk is sound";
    }
    return new ElfException(file, "Cannot read " + absolute + ": it " + fact + ". " + fix, cause);
  }

  /**
   * The file or directory concerned.
   *
   * @return its absolute path, or empty when the failure concerns an argument that is no path
   *     (or the exception was deserialized)
   */
  public Optional<Path> file() {
    return Optional.ofNullable(path);
  }
}
