package dev.scratchkit.internal.compress;

import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Child process of the heap test: streams N MiB of generated data through a
 * {@link ParallelGzipOutputStream} (2 threads, level 6) to stdout and prints the SHA-256 of the
 * input on stderr. Run with {@code -Xmx64m}.
 */
final class HeapBound {

  private HeapBound() {}

  public static void main(String[] args) throws Exception {
    long mebibytes = Long.parseLong(args[0]);
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    // 1 MiB of compressible text (fast to deflate, so the test stays short), written again
    // and again with a changing counter so that no two blocks are identical.
    byte[] base = TestData.text(1 << 20);
    byte[] chunk = new byte[1 << 20];
    try (ParallelGzipOutputStream gz = new ParallelGzipOutputStream(
        new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16), 6, 2)) {
      for (long i = 0; i < mebibytes; i++) {
        System.arraycopy(base, 0, chunk, 0, chunk.length);
        for (int j = 0; j < chunk.length; j += 4096) {
          chunk[j] = (byte) i;
          chunk[j + 1] = (byte) (i >>> 8);
        }
        sha.update(chunk);
        gz.write(chunk);
      }
    }
    System.err.println("sha256 " + HexFormat.of().formatHex(sha.digest()));
    System.err.println("max heap " + Runtime.getRuntime().maxMemory());
  }
}
