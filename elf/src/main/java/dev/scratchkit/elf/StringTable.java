package dev.scratchkit.elf;

import java.nio.charset.StandardCharsets;

/**
 * A string table region of the file ({@code .shstrtab}, {@code .dynstr}, {@code .strtab}): reads
 * NUL-terminated strings by index, never past the region. Small tables are read once.
 */
final class StringTable {

  private static final int WHOLE_LIMIT = 1 << 20;

  private final ByteSource source;
  private final String what;
  private final long offset;
  private final long size;
  private byte[] whole;

  StringTable(ByteSource source, String what, long offset, long size) {
    source.checkRange(what, offset, size);
    this.source = source;
    this.what = what;
    this.offset = offset;
    this.size = size;
  }

  /** The string at {@code index}; a defect if the index is outside or the string not terminated. */
  String get(long index) {
    if (index < 0 || index >= size) {
      throw new Defect("string index " + ByteSource.unsigned(index) + " is outside " + what + " ("
          + size + " bytes)");
    }
    if (size <= WHOLE_LIMIT) {
      if (whole == null) {
        whole = source.bytes(what, offset, size);
      }
      int start = (int) index;
      for (int i = start; i < whole.length; i++) {
        if (whole[i] == 0) {
          return new String(whole, start, i - start, StandardCharsets.UTF_8);
        }
      }
      throw notTerminated(index);
    }
    long remaining = size - index;
    long chunk = 256;
    while (true) {
      long n = Math.min(chunk, remaining);
      byte[] bytes = source.bytes(what, offset + index, n);
      for (int i = 0; i < bytes.length; i++) {
        if (bytes[i] == 0) {
          return new String(bytes, 0, i, StandardCharsets.UTF_8);
        }
      }
      if (n == remaining) {
        throw notTerminated(index);
      }
      chunk *= 4;
    }
  }

  private Defect notTerminated(long index) {
    return new Defect("the string at index " + index + " of " + what + " runs to the end of the table"
        + " without a terminating NUL");
  }
}
