package dev.scratchkit.registry;

import dev.scratchkit.oci.OciException;

/**
 * A push to a registry or a pull from it failed: the registry cannot be reached (refused,
 * unknown host, timeout), its TLS certificate is not trusted, it refused the credentials, it
 * rejected a blob or manifest, or (for a pull) it has no such tag or sent a manifest or blob
 * that does not match its digest.
 *
 * <p>The message names the registry and repository, the reason (with the HTTP status where
 * there is one) and the fix. It never holds a credential.
 */
public class RegistryException extends OciException {

  private static final long serialVersionUID = 1L;

  /**
   * An error with a complete message.
   *
   * @param message what failed, on which registry, why and how to fix it
   */
  public RegistryException(String message) {
    super(message);
  }

  /**
   * An error caused by another one.
   *
   * @param message what failed, on which registry, why and how to fix it
   * @param cause the underlying error
   */
  public RegistryException(String message, Throwable cause) {
    super(message, cause);
  }
}
