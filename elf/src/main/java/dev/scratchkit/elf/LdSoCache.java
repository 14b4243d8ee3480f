package dev.scratchkit.elf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * glibc's {@code /etc/ld.so.cache}: the new format ({@code glibc-ld.so.cache1.1}), the old
 * format ({@code ld.so-1.7.0}) and the old format followed by the new one, in either byte order.
 */
final class LdSoCache {

  static final String OLD_MAGIC = "ld.so-1.7.0";
  static final String NEW_MAGIC = "glibc-ld.so.cache1.1";

  /** One entry: glibc's flags (type and architecture), the library name, its path, hwcaps. */
  record Entry(int flags, String name, String path, long hwcap) {}

  private final List<Entry> entries;

  private LdSoCache(List<Entry> entries) {
    this.entries = List.copyOf(entries);
  }

  List<Entry> entries() {
    return entries;
  }

  /**
   * The path of the first entry for {@code name} with {@code flags} (or any flags when
   * {@code flags} is -1) that needs no hardware capability; null if none.
   */
  String lookup(String name, int flags) {
    for (Entry e : entries) {
      if (e.name.equals(name) && e.hwcap == 0 && (flags == -1 || e.flags == flags || e.flags == 1)) {
        return e.path;
      }
    }
    return null;
  }

  static LdSoCache parse(byte[] b) {
    if (startsWith(b, 0, NEW_MAGIC)) {
      return new LdSoCache(parseNew(b, 0));
    }
    if (!startsWith(b, 0, OLD_MAGIC)) {
      throw new Defect("neither \"" + NEW_MAGIC + "\" nor \"" + OLD_MAGIC + "\" at the start");
    }
    if (b.length < 16) {
      throw new Defect("the old-format header is cut short");
    }
    ByteOrder order = plausibleOrder(b, 12, (b.length - 16) / 12);
    long nlibs = ByteBuffer.wrap(b).order(order).getInt(12) & 0xffffffffL;
    long entriesEnd = 16 + nlibs * 12;
    if (entriesEnd > b.length) {
      throw new Defect("the old format claims " + nlibs + " entries, more than the file holds");
    }
    long newStart = (entriesEnd + 7) & ~7L;
    if (newStart + 48 <= b.length && startsWith(b, (int) newStart, NEW_MAGIC)) {
      return new LdSoCache(parseNew(b, (int) newStart));
    }
    ByteBuffer buf = ByteBuffer.wrap(b).order(order);
    List<Entry> out = new ArrayList<>();
    for (int i = 0; i < nlibs; i++) {
      int at = 16 + i * 12;
      int flags = buf.getInt(at);
      out.add(new Entry(flags, string(b, entriesEnd, buf.getInt(at + 4)), string(b, entriesEnd, buf.getInt(at + 8)), 0));
    }
    return new LdSoCache(out);
  }

  private static List<Entry> parseNew(byte[] b, int start) {
    if (b.length - start < 48) {
      throw new Defect("the new-format header is cut short");
    }
    ByteOrder order;
    switch (b[start + 28]) {
      case 2: order = ByteOrder.LITTLE_ENDIAN; break;
      case 3: order = ByteOrder.BIG_ENDIAN; break;
      default: order = plausibleOrder(b, start + 20, (b.length - start - 48) / 24); break;
    }
    ByteBuffer buf = ByteBuffer.wrap(b).order(order);
    long nlibs = buf.getInt(start + 20) & 0xffffffffL;
    if (nlibs > (b.length - start - 48) / 24) {
      throw new Defect("the new format claims " + nlibs + " entries, more than the file holds");
    }
    List<Entry> out = new ArrayList<>((int) nlibs);
    for (int i = 0; i < nlibs; i++) {
      int at = start + 48 + i * 24;
      out.add(new Entry(buf.getInt(at), string(b, start, buf.getInt(at + 4)),
          string(b, start, buf.getInt(at + 8)), buf.getLong(at + 16)));
    }
    return out;
  }

  /** The byte order in which the count at {@code at} fits in {@code max}; little-endian if both. */
  private static ByteOrder plausibleOrder(byte[] b, int at, long max) {
    long little = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt(at) & 0xffffffffL;
    long big = ByteBuffer.wrap(b).order(ByteOrder.BIG_ENDIAN).getInt(at) & 0xffffffffL;
    return little <= max || big > max ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
  }

  private static String string(byte[] b, long base, int offset) {
    long at = base + (offset & 0xffffffffL);
    if (at >= b.length) {
      throw new Defect("a string offset points past the end of the cache");
    }
    int end = (int) at;
    while (end < b.length && b[end] != 0) {
      end++;
    }
    return new String(b, (int) at, end - (int) at, StandardCharsets.UTF_8);
  }

  private static boolean startsWith(byte[] b, int at, String magic) {
    byte[] m = magic.getBytes(StandardCharsets.US_ASCII);
    return b.length - at >= m.length && Arrays.equals(b, at, at + m.length, m, 0, m.length);
  }
}
