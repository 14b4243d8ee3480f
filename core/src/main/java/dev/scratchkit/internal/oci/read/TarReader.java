package dev.scratchkit.internal.oci.read;

import dev.scratchkit.oci.OciException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads tar headers (ustar, GNU long names {@code L}/{@code K}, PAX {@code x}/{@code g}) from
 * untrusted input, one entry at a time.
 *
 * <p>Our own reader rather than commons-compress: its {@code TarArchiveInputStream} reads a
 * long-name or PAX entry whole into memory, at the size its header claims, before the caller
 * sees it, so a 1 KB tar can ask for gigabytes. Here every such size is checked against a
 * limit before a byte of it is read, checksums are verified, and names must be valid UTF-8.
 */
public final class TarReader {

  /** Raw type flags of the entries we report; anything else is refused. */
  public static final char FILE = '0';
  /** Hard link. */
  public static final char HARD_LINK = '1';
  /** Symbolic link. */
  public static final char SYMLINK = '2';
  /** Character device. */
  public static final char CHAR_DEVICE = '3';
  /** Block device. */
  public static final char BLOCK_DEVICE = '4';
  /** Directory. */
  public static final char DIRECTORY = '5';
  /** Named pipe. */
  public static final char FIFO = '6';

  /** Metadata headers in a row (long names, PAX) before a real entry must follow. */
  private static final int MAX_METADATA_RUN = 8;

  /**
   * One entry's header after long names and PAX records are applied.
   *
   * @param name the name as stored, e.g. {@code ./etc/passwd} or {@code bin/}
   * @param type one of the type constants (contiguous files {@code 7} and old {@code \0} are
   *     reported as {@link #FILE})
   * @param dataOffset where the entry's data starts, counted from the start of the stream
   */
  public record Header(String name, char type, int mode, long uid, long gid, long size, Instant mtime,
      String linkName, String userName, String groupName, long headerOffset, long dataOffset) {}

  private final InputStream in;
  private final String where;
  private final long maxMetadataBytes;
  private final byte[] block = new byte[512];
  private final Map<String, String> globalPax = new HashMap<>();
  private long position;
  private long remaining; // data bytes of the current entry not yet consumed
  private long padding; // padding after the current entry's data
  private boolean ended;

  /**
   * @param in the tar bytes; read in place, never closed here
   * @param where what is read, for messages, e.g. {@code layer sha256:... of /tmp/img}
   * @param maxMetadataBytes the largest GNU long name or PAX header accepted
   */
  public TarReader(InputStream in, String where, long maxMetadataBytes) {
    this.in = in;
    this.where = where;
    this.maxMetadataBytes = maxMetadataBytes;
  }

  /** {@return bytes consumed so far} */
  public long position() {
    return position;
  }

  /**
   * The next entry, skipping what is left of the current one.
   *
   * @return the header, or null at the end of the archive
   * @throws OciException when a header is malformed or claims more than the limits allow
   */
  public Header next() throws IOException {
    if (ended) {
      return null;
    }
    skipRest();
    String longName = null;
    String longLink = null;
    Map<String, String> pax = null;
    for (int run = 0; ; run++) {
      if (run > MAX_METADATA_RUN) {
        throw fail(position, "has more than " + MAX_METADATA_RUN + " long-name or PAX headers in a row");
      }
      long headerOffset = position;
      if (!readBlock()) {
        if (run > 0) {
          throw fail(headerOffset, "ends after a long-name or PAX header, before the entry it describes");
        }
        ended = true; // a tar cut at a block boundary without its end blocks: as GNU tar, accept it
        return null;
      }
      if (allZero(block)) {
        if (run > 0) {
          throw fail(headerOffset, "has an end-of-archive block right after a long-name or PAX header");
        }
        ended = true;
        return null;
      }
      verifyChecksum(headerOffset);
      char type = (char) (block[156] & 0xff);
      long size = number(124, 12, "size", headerOffset);
      if (type == 'L' || type == 'K' || type == 'x' || type == 'g') {
        if (size > maxMetadataBytes) {
          throw new OciException(where + ": the tar header at offset " + headerOffset + " ("
              + describeMetadata(type) + ") claims " + size + " bytes, more than the limit of " + maxMetadataBytes
              + " bytes (tarHeaderBytes); the archive is hostile or damaged. If you trust it, raise"
              + " OciImages.Limits.withTarHeaderBytes");
        }
        byte[] data = readData((int) size, headerOffset);
        switch (type) {
          case 'L' -> longName = cString(data, 0, data.length, "GNU long name", headerOffset);
          case 'K' -> longLink = cString(data, 0, data.length, "GNU long link name", headerOffset);
          case 'x' -> pax = parsePax(data, headerOffset, pax == null ? new HashMap<>() : pax);
          default -> parsePax(data, headerOffset, globalPax);
        }
        continue;
      }
      return entry(type, size, headerOffset, longName, longLink, pax);
    }
  }

  private Header entry(char rawType, long size, long headerOffset, String longName, String longLink,
      Map<String, String> localPax) throws IOException {
    Map<String, String> pax = Map.of();
    if (!globalPax.isEmpty() || localPax != null) {
      pax = new HashMap<>(globalPax);
      if (localPax != null) {
        pax.putAll(localPax);
      }
    }
    if (!pax.isEmpty() && pax.keySet().stream().anyMatch(k -> k.startsWith("GNU.sparse."))) {
      throw fail(headerOffset, "is a GNU sparse file, which image layers do not use");
    }
    char type = switch (rawType) {
      case '0', '\0', '7' -> FILE;
      case HARD_LINK, SYMLINK, CHAR_DEVICE, BLOCK_DEVICE, DIRECTORY, FIFO -> rawType;
      default -> throw fail(headerOffset, "has entry type '" + printable(rawType) + "', which is not a file,"
          + " directory, link, device or FIFO (e.g. a GNU sparse or multi-volume entry)");
    };
    boolean ustar = block[257] == 'u' && block[258] == 's' && block[259] == 't' && block[260] == 'a'
        && block[261] == 'r';
    boolean posix = ustar && block[262] == 0;
    String name = cString(block, 0, 100, "name", headerOffset);
    if (posix && block[345] != 0) {
      name = cString(block, 345, 155, "name prefix", headerOffset) + "/" + name;
    }
    if (longName != null) {
      name = longName;
    }
    if (pax.containsKey("path")) {
      name = pax.get("path");
    }
    String link = cString(block, 157, 100, "link name", headerOffset);
    if (longLink != null) {
      link = longLink;
    }
    if (pax.containsKey("linkpath")) {
      link = pax.get("linkpath");
    }
    if (name.isEmpty()) {
      throw fail(headerOffset, "has an entry with an empty name");
    }
    int mode = (int) (number(100, 8, "mode", headerOffset) & 07777);
    long uid = paxNumber(pax, "uid", number(108, 8, "uid", headerOffset), headerOffset);
    long gid = paxNumber(pax, "gid", number(116, 8, "gid", headerOffset), headerOffset);
    size = paxNumber(pax, "size", size, headerOffset);
    Instant mtime;
    if (pax.containsKey("mtime")) {
      mtime = paxTime(pax.get("mtime"), headerOffset);
    } else {
      long seconds = number(136, 12, "mtime", headerOffset);
      if (seconds > Instant.MAX.getEpochSecond()) {
        throw fail(headerOffset, "has an mtime of " + seconds + " seconds, beyond any representable time");
      }
      mtime = Instant.ofEpochSecond(seconds);
    }
    String user = pax.containsKey("uname") ? pax.get("uname") : ustar ? cString(block, 265, 32, "user name",
        headerOffset) : "";
    String group = pax.containsKey("gname") ? pax.get("gname") : ustar ? cString(block, 297, 32, "group name",
        headerOffset) : "";
    remaining = size;
    padding = (512 - size % 512) % 512;
    return new Header(name, type, mode, uid, gid, size, mtime, link, user, group, headerOffset, position);
  }

  /**
   * The current entry's data; reading past it returns end of stream. Closing it does nothing.
   *
   * @return a stream over the rest of the current entry's data
   */
  public InputStream content() {
    return new InputStream() {
      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (remaining <= 0) {
          return -1;
        }
        if (len == 0) {
          return 0;
        }
        int n = in.read(b, off, (int) Math.min(len, remaining));
        if (n < 0) {
          throw new OciException(where + ": the tar ends inside an entry's data (offset " + position
              + "); it is truncated or damaged");
        }
        remaining -= n;
        position += n;
        return n;
      }
    };
  }

  /** Skips the rest of the current entry's data and padding. */
  private void skipRest() throws IOException {
    long left = remaining + padding;
    remaining = 0;
    padding = 0;
    skipFully(left);
  }

  private void skipFully(long n) throws IOException {
    byte[] buffer = null;
    while (n > 0) {
      long skipped = in.skip(n);
      if (skipped <= 0) {
        if (buffer == null) {
          buffer = new byte[8192];
        }
        int r = in.read(buffer, 0, (int) Math.min(buffer.length, n));
        if (r < 0) {
          throw new OciException(where + ": the tar ends inside an entry's data (offset " + position
              + "); it is truncated or damaged");
        }
        skipped = r;
      }
      n -= skipped;
      position += skipped;
    }
  }

  private boolean readBlock() throws IOException {
    int n = in.readNBytes(block, 0, 512);
    position += n;
    if (n == 0) {
      return false;
    }
    if (n < 512) {
      throw fail(position - n, "ends inside a 512-byte header (" + n + " bytes); it is truncated");
    }
    return true;
  }

  private byte[] readData(int size, long headerOffset) throws IOException {
    byte[] data = new byte[size];
    int n = in.readNBytes(data, 0, size);
    position += n;
    if (n < size) {
      throw fail(headerOffset, "ends inside the data of its header (" + n + " of " + size + " bytes)");
    }
    skipFully((512 - size % 512) % 512);
    return data;
  }

  private void verifyChecksum(long headerOffset) {
    long stored = number(148, 8, "checksum", headerOffset);
    long unsigned = 0;
    int negative = 0;
    for (int i = 0; i < 512; i++) {
      int b = block[i];
      unsigned += b & 0xff;
      negative += b >>> 31;
    }
    for (int i = 148; i < 156; i++) { // the checksum field counts as spaces
      int b = block[i];
      unsigned += ' ' - (b & 0xff);
      negative -= b >>> 31;
    }
    long signed = unsigned - 256L * negative; // old writers summed signed bytes
    if (stored != unsigned && stored != signed) {
      throw fail(headerOffset, "has a header checksum of " + stored + " but its bytes sum to " + unsigned
          + "; it is not a tar or it is damaged");
    }
  }

  /** An octal (or GNU base-256) number field. */
  private long number(int offset, int length, String field, long headerOffset) {
    if ((block[offset] & 0x80) != 0) {
      if ((block[offset] & 0x40) != 0) {
        throw fail(headerOffset, "has a negative " + field);
      }
      long value = block[offset] & 0x3f;
      for (int i = 1; i < length; i++) {
        if (value > (Long.MAX_VALUE >> 8)) {
          throw fail(headerOffset, "has a " + field + " too large for 63 bits");
        }
        value = (value << 8) | (block[offset + i] & 0xff);
      }
      return value;
    }
    long value = 0;
    int i = offset;
    int end = offset + length;
    while (i < end && (block[i] == ' ' || block[i] == 0)) {
      i++;
    }
    boolean any = false;
    for (; i < end; i++) {
      byte b = block[i];
      if (b == 0 || b == ' ') {
        break;
      }
      if (b < '0' || b > '7') {
        throw fail(headerOffset, "has a " + field + " field that is not octal (\"" + printableField(offset, length)
            + "\"); it is not a tar or it is damaged");
      }
      if (value > (Long.MAX_VALUE >> 3)) {
        throw fail(headerOffset, "has a " + field + " too large for 63 bits");
      }
      value = value * 8 + (b - '0');
      any = true;
    }
    return any ? value : 0;
  }

  private long paxNumber(Map<String, String> pax, String key, long fallback, long headerOffset) {
    String text = pax.get(key);
    if (text == null) {
      return fallback;
    }
    if (text.isEmpty() || text.length() > 19 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw fail(headerOffset, "has a PAX " + key + " of \"" + printable(text) + "\", not a non-negative integer");
    }
    return Long.parseLong(text);
  }

  private Instant paxTime(String text, long headerOffset) {
    if (!text.matches("-?[0-9]{1,15}(\\.[0-9]{0,9})?")) {
      throw fail(headerOffset, "has a PAX mtime of \"" + printable(text) + "\", not seconds since 1970");
    }
    int dot = text.indexOf('.');
    long seconds = Long.parseLong(dot < 0 ? text : text.substring(0, dot));
    String fraction = dot < 0 ? "" : text.substring(dot + 1);
    long nanos = fraction.isEmpty() ? 0 : Long.parseLong((fraction + "000000000").substring(0, 9));
    return Instant.ofEpochSecond(seconds, text.startsWith("-") ? -nanos : nanos);
  }

  private Map<String, String> parsePax(byte[] data, long headerOffset, Map<String, String> into) {
    int i = 0;
    while (i < data.length) {
      if (data[i] == 0) {
        break; // some writers pad with NULs
      }
      int space = i;
      long length = 0;
      while (space < data.length && data[space] >= '0' && data[space] <= '9' && space - i < 10) {
        length = length * 10 + (data[space] - '0');
        space++;
      }
      if (space == i || space >= data.length || data[space] != ' ' || length <= space - i + 1
          || i + length > data.length || data[(int) (i + length - 1)] != '\n') {
        throw fail(headerOffset, "has a malformed PAX record at byte " + i + " of its extended header");
      }
      int end = (int) (i + length - 1);
      int eq = space + 1;
      while (eq < end && data[eq] != '=') {
        eq++;
      }
      if (eq >= end) {
        throw fail(headerOffset, "has a PAX record without '=' at byte " + i + " of its extended header");
      }
      String key = utf8(data, space + 1, eq - space - 1, "PAX key", headerOffset);
      String value = utf8(data, eq + 1, end - eq - 1, "PAX " + key, headerOffset);
      if (value.isEmpty()) {
        into.remove(key);
      } else {
        into.put(key, value);
      }
      i = end + 1;
    }
    return into;
  }

  private String cString(byte[] bytes, int offset, int length, String field, long headerOffset) {
    int end = offset;
    while (end < offset + length && bytes[end] != 0) {
      end++;
    }
    return utf8(bytes, offset, end - offset, field, headerOffset);
  }

  private String utf8(byte[] bytes, int offset, int length, String field, long headerOffset) {
    boolean ascii = true;
    for (int i = offset; i < offset + length && ascii; i++) {
      ascii = bytes[i] >= 0;
    }
    if (ascii) {
      return new String(bytes, offset, length, StandardCharsets.ISO_8859_1);
    }
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes, offset, length)).toString();
    } catch (CharacterCodingException e) {
      throw fail(headerOffset, "has a " + field + " that is not valid UTF-8 (\""
          + new String(bytes, offset, Math.min(length, 200), StandardCharsets.ISO_8859_1).replaceAll("[^ -~]", "?")
          + "\")");
    }
  }

  private String printableField(int offset, int length) {
    return printable(new String(block, offset, length, StandardCharsets.ISO_8859_1));
  }

  private static String printable(char c) {
    return c >= ' ' && c <= '~' ? String.valueOf(c) : String.format("\\x%02x", (int) c);
  }

  /** At most 200 characters, control characters replaced, for messages. */
  public static String printable(String s) {
    String cut = s.length() > 200 ? s.substring(0, 200) + "..." : s;
    return cut.replaceAll("[\\p{Cntrl}]", "?");
  }

  private static String describeMetadata(char type) {
    return switch (type) {
      case 'L' -> "a GNU long name";
      case 'K' -> "a GNU long link name";
      case 'x' -> "a PAX extended header";
      default -> "a PAX global header";
    };
  }

  private static boolean allZero(byte[] b) {
    for (byte x : b) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }

  private OciException fail(long headerOffset, String what) {
    return new OciException(where + ": the tar header at offset " + headerOffset + " " + what
        + "; the archive is damaged or was not written by a tar tool");
  }
}
