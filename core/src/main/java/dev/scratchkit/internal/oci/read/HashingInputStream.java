package dev.scratchkit.internal.oci.read;

import dev.scratchkit.internal.oci.DigestingOutputStream;
import dev.scratchkit.oci.Digest;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * Hashes and counts what is read through it, and calls a guard before each chunk is handed on
 * so that a limit (a blob's declared size, bytes decompressed) stops the reading as soon as it
 * is passed, not at the end.
 */
public final class HashingInputStream extends FilterInputStream {

  /** Called with the running total after each read. */
  @FunctionalInterface
  public interface Guard {
    /** Throws when {@code total} bytes, {@code chunk} of them just read, are too many. */
    void check(long total, long chunk);
  }

  private final MessageDigest sha256 = DigestingOutputStream.newSha256();
  private final Guard guard;
  private long count;

  /** Wraps {@code in}; {@code guard} may throw to stop reading. */
  public HashingInputStream(InputStream in, Guard guard) {
    super(in);
    this.guard = guard;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = in.read(b, off, len);
    if (n > 0) {
      count += n;
      guard.check(count, n);
      sha256.update(b, off, n);
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    byte[] buffer = new byte[(int) Math.min(n, 64 * 1024)];
    long skipped = 0;
    while (skipped < n) {
      int r = read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
      if (r < 0) {
        break;
      }
      skipped += r;
    }
    return skipped;
  }

  @Override
  public boolean markSupported() {
    return false;
  }

  @Override
  public synchronized void mark(int readlimit) {}

  @Override
  public synchronized void reset() throws IOException {
    throw new IOException("mark/reset not supported");
  }

  /** Reads to the end, hashing; returns the bytes read by this call. */
  public long drain() throws IOException {
    byte[] buffer = new byte[64 * 1024];
    long total = 0;
    int n;
    while ((n = read(buffer, 0, buffer.length)) >= 0) {
      total += n;
    }
    return total;
  }

  /** {@return the bytes read so far} */
  public long count() {
    return count;
  }

  /** {@return the digest of what was read; call once, at the end} */
  public Digest digest() {
    return Digest.ofSha256(sha256.digest());
  }
}
