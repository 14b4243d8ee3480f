package dev.scratchkit.oci;

/**
 * An image could not be described, written or read: a bad path in the image, conflicting
 * layer entries, a missing or changed source file, a damaged layout or archive.
 *
 * <p>The message names what failed, on which absolute path or reference, why, and how to fix
 * it. Unchecked, like every scratchkit error; a {@link dev.scratchkit.ScratchImageException}.
 */
public class OciException extends dev.scratchkit.ScratchImageException {

  private static final long serialVersionUID = 1L;

  /**
   * An error with a complete message.
   *
   * @param message what failed, where, why and how to fix it
   */
  public OciException(String message) {
    super(message, null);
  }

  /**
   * An error caused by another one, usually an {@link java.io.IOException}.
   *
   * @param message what failed, where, why and how to fix it
   * @param cause the underlying error
   */
  public OciException(String message, Throwable cause) {
    super(message, cause);
  }
}
