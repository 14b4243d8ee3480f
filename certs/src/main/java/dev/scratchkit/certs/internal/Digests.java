package dev.scratchkit.certs.internal;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 and SHA-1 digests and their hex forms. */
public final class Digests {

  private Digests() {}

  /** SHA-256 of {@code data}. */
  public static byte[] sha256(byte[] data) {
    return digest("SHA-256", data);
  }

  /** SHA-1 of {@code data} (OpenSSL's subject hash needs it; nothing here relies on its strength). */
  public static byte[] sha1(byte[] data) {
    return digest("SHA-1", data);
  }

  /** Lower-case hex without separators. */
  public static String hex(byte[] data) {
    return HexFormat.of().formatHex(data);
  }

  /** Upper-case hex with colons, as keytool and openssl print fingerprints. */
  public static String colonHex(byte[] data) {
    return HexFormat.ofDelimiter(":").withUpperCase().formatHex(data);
  }

  private static byte[] digest(String algorithm, byte[] data) {
    try {
      return MessageDigest.getInstance(algorithm).digest(data);
    } catch (NoSuchAlgorithmException e) {
      // Every Java SE platform must provide SHA-1 and SHA-256.
      throw new IllegalStateException(algorithm + " is missing from this JVM", e);
    }
  }
}
