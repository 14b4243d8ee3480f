package dev.scratchkit.elf;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The file is not an ELF file, or it is malformed: a table or string lies outside the file, a
 * count does not fit, a header field is impossible. The message names the absolute path and the
 * defect (so the fix is to pass an ELF program or library, or a sound copy of it);
 * {@link #path()} and {@link #defect()} give them separately.
 */
public class ElfFormatException extends ElfException {
  private static final long serialVersionUID = 1L;

  private final transient Path path;
  /** What is wrong with the file, without the path. */
  private final String defect;

  /**
   * @param path the file that was read (made absolute for the message)
   * @param defect what is wrong with it, e.g. "section header table (offset 0x40, 30 entries of
   *     64 bytes) extends past the end of the file (4096 bytes)"
   */
  ElfFormatException(Path path, String defect) {
    super(path, message(path, defect), null);
    this.path = path.toAbsolutePath();
    this.defect = Objects.requireNonNull(defect, "defect");
  }

  private static String message(Path path, String defect) {
    return path.toAbsolutePath() + " is not a valid ELF file: " + defect;
  }

  /**
   * {@return the absolute path of the file} The path is not serialized: it is null in a
   * deserialized exception, whose message still names it.
   */
  public Path path() {
    return path;
  }

  /** {@return what is wrong with the file, without the path} */
  public String defect() {
    return defect;
  }
}
