package dev.scratchkit.base;

/**
 * The root of every exception scratchkit throws on purpose, in every module: catch this one
 * type to handle them all. Unchecked.
 *
 * <p>Each area has its own subclass: {@code dev.scratchkit.elf.ElfException} (reading ELF
 * files, resolving libraries), {@code dev.scratchkit.certs.TrustStoreException} (trust stores
 * and certificate files), {@code dev.scratchkit.ScratchImageException} (building, writing and
 * reading images, with {@code OciException}, {@code RegistryException} and
 * {@code ImageRunnerException} below it). The message always names the file, reference or
 * setting concerned, the fact found and the fix; it never holds a credential.
 *
 * <p>A {@link NullPointerException} for a null argument is not wrapped: that is a programming
 * error, not bad input.
 */
public abstract class ScratchkitException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /**
   * An exception with a complete message.
   *
   * @param message what failed, on which file, reference or setting, why, and how to fix it
   */
  protected ScratchkitException(String message) {
    super(message);
  }

  /**
   * An exception with a complete message and the failure underneath.
   *
   * @param message what failed, on which file, reference or setting, why, and how to fix it
   * @param cause the underlying failure, or {@code null}
   */
  protected ScratchkitException(String message, Throwable cause) {
    super(message, cause);
  }
}
