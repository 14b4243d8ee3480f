package dev.scratchkit;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * The content and mode of a file made in memory, for
 * {@link ScratchImage.Builder#addFile(String, FileContent)}: a config file a build tool
 * generates, a small script's data, a version stamp.
 *
 * <pre>{@code
 * builder.addFile("/etc/app/app.conf", FileContent.utf8("port=8080\n"))
 *        .addFile("/app/secret.key", FileContent.of(keyBytes).withMode(0600));
 * }</pre>
 *
 * <p>Immutable: the bytes are copied in and out. The file is owned by root, mode {@code 0644}
 * unless set with {@link #withMode(int)}.
 */
public final class FileContent {

  /** The mode of a file unless {@link #withMode(int)} sets another. */
  public static final int DEFAULT_MODE = 0644;

  private final byte[] bytes;
  private final int mode;

  private FileContent(byte[] bytes, int mode) {
    if (mode < 0 || mode > 07777) {
      throw new IllegalArgumentException("invalid mode 0" + Integer.toOctalString(mode)
          + ": permission bits are 0 to 07777 (e.g. 0644, 0755, 0600)");
    }
    this.bytes = bytes;
    this.mode = mode;
  }

  /**
   * A file of the given bytes, mode {@code 0644}.
   *
   * @param content the file's content (copied)
   * @return the content
   */
  public static FileContent of(byte[] content) {
    return new FileContent(Objects.requireNonNull(content, "content").clone(), DEFAULT_MODE);
  }

  /**
   * A text file, encoded as UTF-8 (never the platform's charset, so the bytes are the same
   * everywhere), mode {@code 0644}. Line ends are kept as given.
   *
   * @param text the file's text
   * @return the content
   */
  public static FileContent utf8(String text) {
    return new FileContent(Objects.requireNonNull(text, "text").getBytes(StandardCharsets.UTF_8), DEFAULT_MODE);
  }

  /**
   * The same content with other permission bits.
   *
   * @param mode e.g. {@code 0755} for a program, {@code 0600} for a key
   * @return a new content
   * @throws IllegalArgumentException for a mode outside 0 to 07777
   */
  public FileContent withMode(int mode) {
    return new FileContent(bytes, mode);
  }

  /** {@return a copy of the bytes} */
  public byte[] bytes() {
    return bytes.clone();
  }

  /** {@return the permission bits, e.g. {@code 0644}} */
  public int mode() {
    return mode;
  }

  /** {@return the size in bytes} */
  public int size() {
    return bytes.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FileContent c && mode == c.mode && Arrays.equals(bytes, c.bytes);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(bytes) + mode;
  }

  /** E.g. {@code FileContent[12 bytes, 0644]}. */
  @Override
  public String toString() {
    return "FileContent[" + bytes.length + " bytes, 0" + Integer.toOctalString(mode) + "]";
  }
}
