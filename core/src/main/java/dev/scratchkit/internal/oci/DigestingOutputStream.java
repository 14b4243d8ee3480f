package dev.scratchkit.internal.oci;

import dev.scratchkit.oci.Digest;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** Passes bytes through while computing their SHA-256 and counting them. */
public final class DigestingOutputStream extends FilterOutputStream {

  private final MessageDigest sha256 = newSha256();
  private long count;

  /** Wraps {@code out}. */
  public DigestingOutputStream(OutputStream out) {
    super(out);
  }

  /** A new SHA-256 digest; every JDK has one. */
  public static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JDK has no SHA-256", e);
    }
  }

  @Override
  public void write(int b) throws IOException {
    out.write(b);
    sha256.update((byte) b);
    count++;
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    out.write(b, off, len);
    sha256.update(b, off, len);
    count += len;
  }

  /** Bytes written so far. */
  public long count() {
    return count;
  }

  /** The digest of everything written; call once, after the last write. */
  public Digest digest() {
    return Digest.ofSha256(sha256.digest());
  }
}
