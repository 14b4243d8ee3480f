package dev.scratchkit.elf;

import java.util.Objects;

/**
 * Something the program evidently needs from its filesystem at run time, and what showed it.
 *
 * <p>A plain value: {@link ElfFile#runtimeNeeds()} makes it. Constructing one yourself only checks that its parts are
 * present and consistent; it reads no file and proves nothing about one.
 *
 * @param kind what is needed
 * @param evidence what was found in the file, e.g. "Go package crypto/x509 (root CA loading)",
 *     "needs libssl.so.3", "imports getpwnam"
 */
public record RuntimeNeed(Kind kind, String evidence) {

  /** What the program needs. */
  public enum Kind {
    /** CA certificates, e.g. /etc/ssl/certs/ca-certificates.crt, for TLS verification. */
    CA_CERTIFICATES,
    /** Time zone data, /usr/share/zoneinfo, for loading named time zones. */
    TIMEZONE_DATA,
    /** The user database: /etc/passwd, /etc/group. */
    USER_DATABASE
  }

  /**
   * Both parts are required.
   *
   * @param kind what is needed
   * @param evidence what was found in the file
   * @throws NullPointerException if a part is null
   */
  public RuntimeNeed {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(evidence, "evidence");
  }

  @Override
  public String toString() {
    return kind + " (" + evidence + ")";
  }
}
