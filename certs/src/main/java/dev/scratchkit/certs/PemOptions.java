package dev.scratchkit.certs;

/**
 * How {@link CaBundle#toPem(PemOptions)} writes a bundle.
 *
 * <p>With {@code comments}, every certificate is preceded by {@code #} lines naming its
 * subject, SHA-256 fingerprint and expiry, as in Mozilla-derived bundles. Text outside the
 * {@code BEGIN}/{@code END} lines is ignored by OpenSSL, Go's {@code encoding/pem} and
 * rustls-pemfile, so both forms work everywhere; the plain form is smaller.
 *
 * @param comments whether to write a comment header before each certificate
 */
public record PemOptions(boolean comments) {

  /**
   * Only the certificates, as in Debian's {@code /etc/ssl/certs/ca-certificates.crt}.
   *
   * @return options without comments
   */
  public static PemOptions plain() {
    return new PemOptions(false);
  }

  /**
   * A comment header (subject, SHA-256 fingerprint, not-after) before each certificate.
   *
   * @return options with comments
   */
  public static PemOptions withComments() {
    return new PemOptions(true);
  }
}
