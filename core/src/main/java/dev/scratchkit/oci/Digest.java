package dev.scratchkit.oci;

import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A content digest as OCI spells it: {@code sha256:} and 64 lower-case hex digits.
 *
 * @param value the digest, e.g. {@code sha256:e3b0c442...}
 */
public record Digest(String value) {

  private static final Pattern SHA256 = Pattern.compile("sha256:[0-9a-f]{64}");

  /**
   * Validates the digest.
   *
   * @param value the digest, e.g. {@code sha256:e3b0c442...}
   * @throws OciException if it is not {@code sha256:} followed by 64 lower-case hex digits
   */
  public Digest {
    Objects.requireNonNull(value, "value");
    if (!SHA256.matcher(value).matches()) {
      throw new OciException("invalid digest \"" + value + "\": expected sha256: followed by 64 lower-case hex digits");
    }
  }

  /**
   * Parses a digest.
   *
   * @param value e.g. {@code sha256:e3b0c442...}
   * @return the digest
   */
  public static Digest of(String value) {
    return new Digest(value);
  }

  /**
   * The digest of a finished SHA-256 hash.
   *
   * @param sha256 the 32 bytes of the hash
   * @return the digest
   */
  public static Digest ofSha256(byte[] sha256) {
    if (sha256.length != 32) {
      throw new IllegalArgumentException("a SHA-256 hash has 32 bytes, not " + sha256.length);
    }
    return new Digest("sha256:" + HexFormat.of().formatHex(sha256));
  }

  /** {@return the algorithm, always {@code sha256}} */
  public String algorithm() {
    return "sha256";
  }

  /** {@return the 64 hex digits, the blob's file name under {@code blobs/sha256/} in a layout} */
  public String hex() {
    return value.substring(7);
  }

  /** The digest, e.g. {@code sha256:e3b0c442...}. */
  @Override
  public String toString() {
    return value;
  }

  // Written out: the generated pair is linked through invokedynamic on first use, 10 to 50 ms of
  // every new JVM. RecordMethodsTest holds them to the generated answers and hashes.
  @Override
  public boolean equals(Object o) {
    return o instanceof Digest d && value.equals(d.value);
  }

  @Override
  public int hashCode() {
    return value.hashCode();
  }
}
