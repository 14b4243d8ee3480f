package dev.scratchkit.testing;

import dev.scratchkit.ScratchImageException;

/** A container could not be prepared, started, waited for or removed; the message says which and why. */
public class ImageRunnerException extends ScratchImageException {

  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what failed, on which image or container, why, and how to fix it
   */
  public ImageRunnerException(String message) {
    super(message, null);
  }

  /**
   * Creates the exception with its cause.
   *
   * @param message what failed, on which image or container, why, and how to fix it
   * @param cause the underlying failure
   */
  public ImageRunnerException(String message, Throwable cause) {
    super(message, cause);
  }
}
