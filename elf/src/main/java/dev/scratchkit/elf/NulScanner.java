package dev.scratchkit.elf;

import java.nio.ByteBuffer;

/**
 * Streams a region of NUL-terminated strings (a string table, Go's function-name table) through
 * a bounded buffer and hands each string's last bytes to a visitor: the whole string when it is at
 * most {@link #KEEP} bytes long, else its last {@code KEEP} bytes.
 */
final class NulScanner {

  static final int KEEP = 256;
  private static final int CHUNK = 1 << 20;

  interface Visitor {
    /**
     * @param buf the buffer
     * @param from index of the first byte available of this string
     * @param nul index of its terminating NUL
     * @param complete true if {@code from} is the string's first byte
     * @param nulOffset offset of the NUL from the start of the region
     */
    void string(byte[] buf, int from, int nul, boolean complete, long nulOffset);
  }

  private NulScanner() {}

  static void scan(ByteSource src, String what, long offset, long length, Visitor visitor) {
    src.checkRange(what, offset, length);
    if (length == 0) {
      return;
    }
    // One buffer, never larger than the region: a string cut by a chunk boundary carries over
    // (its last KEEP bytes at most) to the front of the buffer.
    ByteBuffer scratch = src.scratch(Math.min(length, CHUNK + KEEP));
    byte[] buf = scratch.array();
    int carry = 0;
    boolean complete = true;
    long position = 0;
    while (position < length) {
      int n = (int) Math.min(buf.length - carry, length - position);
      scratch.clear().position(carry).limit(carry + n);
      src.read(offset + position, scratch);
      int start = 0;
      int end = carry + n;
      for (int i = carry; i < end; i++) {
        if (buf[i] == 0) {
          visitor.string(buf, start, i, complete, position + (i - carry));
          start = i + 1;
          complete = true;
        }
      }
      int rest = end - start;
      if (rest > KEEP) {
        start = end - KEEP;
        rest = KEEP;
        complete = false;
      }
      System.arraycopy(buf, start, buf, 0, rest);
      carry = rest;
      position += n;
    }
  }

  /** True if buf[nul - t.length, nul) equals t. */
  static boolean endsWith(byte[] buf, int from, int nul, byte[] t) {
    if (nul - from < t.length) {
      return false;
    }
    int at = nul - t.length;
    for (int i = 0; i < t.length; i++) {
      if (buf[at + i] != t[i]) {
        return false;
      }
    }
    return true;
  }

  /** True if the complete string buf[from, nul) starts with t. */
  static boolean startsWith(byte[] buf, int from, int nul, byte[] t) {
    if (nul - from < t.length) {
      return false;
    }
    for (int i = 0; i < t.length; i++) {
      if (buf[from + i] != t[i]) {
        return false;
      }
    }
    return true;
  }
}
