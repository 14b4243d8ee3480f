package dev.scratchkit.certs;

import dev.scratchkit.base.ScratchkitException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * A trust store or certificate file could not be read or written.
 *
 * <p>The message always says what failed, on which absolute path, why, and how to fix it,
 * for example: {@code Cannot read keystore /home/me/ks.p12: the keystore integrity check
 * failed. This is usually a wrong password; ...}. Passwords never appear in a message. The
 * certs module's {@link ScratchkitException}.
 */
public class TrustStoreException extends ScratchkitException {

  private static final long serialVersionUID = 1L;

  /** The absolute path, or null when the failure concerns no file. */
  private final transient Path path;
  /** Why it failed. */
  private final String reason;
  /** What the user can do about it. */
  private final String fix;

  /**
   * Creates an exception whose message is {@code "<action> <absolute path>: <reason>. <fix>"}.
   *
   * @param action what was attempted, e.g. {@code "Cannot read keystore"}
   * @param path the file concerned, or null when there is none
   * @param reason why it failed, without a trailing period
   * @param fix what the user can do about it
   * @param cause the underlying exception, or null
   */
  public TrustStoreException(String action, Path path, String reason, String fix, Throwable cause) {
    super(format(action, path, reason, fix), cause);
    this.path = path == null ? null : path.toAbsolutePath().normalize();
    this.reason = Objects.requireNonNull(reason, "reason");
    this.fix = Objects.requireNonNull(fix, "fix");
  }

  private static String format(String action, Path path, String reason, String fix) {
    Objects.requireNonNull(action, "action");
    String where = path == null ? "" : " " + path.toAbsolutePath().normalize();
    return action + where + ": " + reason + ". " + fix;
  }

  /**
   * The absolute path of the file concerned.
   *
   * @return the path, or empty when the failure concerns no file (e.g. the default trust manager)
   */
  public Optional<Path> path() {
    return Optional.ofNullable(path);
  }

  /**
   * Why it failed.
   *
   * @return the reason, as it appears in the message
   */
  public String reason() {
    return reason;
  }

  /**
   * The likely fix.
   *
   * @return the hint, as it appears in the message
   */
  public String fix() {
    return fix;
  }
}
