package dev.scratchkit.internal.checks;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * glibc's {@code locale-archive} (what {@code localedef} writes unless told {@code --no-archive}):
 * the names it holds, and one locale taken out as the files of a locale directory. The file is
 * untrusted: every offset and length is checked against its size, the tables against bounds.
 */
public final class LocaleArchive {

  static final int MAGIC = 0xde020109;
  static final int HEADER = 14 * 4;
  static final int MAX_NAMES = 1 << 16;
  static final int MAX_CATEGORY = 16 << 20;
  /** glibc's category numbers, as its records are indexed; 6 is LC_ALL, the whole span. */
  static final List<String> CATEGORIES = List.of("LC_CTYPE", "LC_NUMERIC", "LC_TIME", "LC_COLLATE",
      "LC_MONETARY", "LC_MESSAGES", "LC_ALL", "LC_PAPER", "LC_NAME", "LC_ADDRESS", "LC_TELEPHONE",
      "LC_MEASUREMENT", "LC_IDENTIFICATION");

  private final FileChannel channel;
  private final long size;
  private final ByteOrder order;
  private final Map<String, Long> records = new LinkedHashMap<>();

  private LocaleArchive(FileChannel channel) throws IOException {
    this.channel = channel;
    this.size = channel.size();
    ByteBuffer head = read(0, HEADER, ByteOrder.LITTLE_ENDIAN);
    if (head.getInt(0) == MAGIC) {
      order = ByteOrder.LITTLE_ENDIAN;
    } else if (head.order(ByteOrder.BIG_ENDIAN).getInt(0) == MAGIC) {
      order = ByteOrder.BIG_ENDIAN;
    } else {
      throw new IOException("not a glibc locale-archive (magic " + Integer.toHexString(head.getInt(0)) + ")");
    }
    head.order(order);
    long hashOffset = Integer.toUnsignedLong(head.getInt(8));
    long hashSize = Integer.toUnsignedLong(head.getInt(16));
    if (hashSize > MAX_NAMES) {
      throw new IOException("locale-archive name table of " + hashSize + " entries, more than " + MAX_NAMES);
    }
    ByteBuffer table = read(hashOffset, (int) hashSize * 12, order);
    for (int i = 0; i < hashSize; i++) {
      long nameOffset = Integer.toUnsignedLong(table.getInt(i * 12 + 4));
      long recordOffset = Integer.toUnsignedLong(table.getInt(i * 12 + 8));
      if (nameOffset != 0 && recordOffset != 0) {
        records.put(string(nameOffset), recordOffset);
      }
    }
  }

  /**
   * Reads an archive's name table.
   *
   * @param file the archive
   * @return the archive
   * @throws IOException if it cannot be read or is not a locale archive
   */
  public static LocaleArchive open(Path file) throws IOException {
    FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
    try {
      return new LocaleArchive(channel);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /** {@return the locale names it holds, as localedef normalised them, e.g. en_US.utf8} */
  public java.util.Set<String> names() {
    return records.keySet();
  }

  /**
   * {@return the locale's files as a directory locale has them ({@code LC_CTYPE}, …,
   * {@code LC_MESSAGES/SYS_LC_MESSAGES}), or empty if the archive lacks it}
   *
   * @param name a name as {@link #names()} gives it
   * @throws IOException if a record points outside the file
   */
  public Optional<Map<String, byte[]>> extract(String name) throws IOException {
    Long record = records.get(name);
    if (record == null) {
      return Optional.empty();
    }
    ByteBuffer rec = read(record, 4 + CATEGORIES.size() * 8, order);
    Map<String, byte[]> files = new LinkedHashMap<>();
    for (int c = 0; c < CATEGORIES.size(); c++) {
      if (c == 6) {
        continue;
      }
      long offset = Integer.toUnsignedLong(rec.getInt(4 + c * 8));
      long length = Integer.toUnsignedLong(rec.getInt(8 + c * 8));
      if (length > MAX_CATEGORY) {
        throw new IOException(name + " " + CATEGORIES.get(c) + " is " + length + " bytes, more than " + MAX_CATEGORY);
      }
      byte[] bytes = new byte[(int) length];
      read(offset, (int) length, order).get(bytes);
      String category = CATEGORIES.get(c);
      files.put(category.equals("LC_MESSAGES") ? "LC_MESSAGES/SYS_LC_MESSAGES" : category, bytes);
    }
    return Optional.of(files);
  }

  private ByteBuffer read(long offset, int length, ByteOrder byteOrder) throws IOException {
    if (offset < 0 || length < 0 || offset + length > size) {
      throw new IOException("locale-archive: " + length + " bytes at " + offset + " lie outside its " + size);
    }
    ByteBuffer buffer = ByteBuffer.allocate(length).order(byteOrder);
    while (buffer.hasRemaining()) {
      if (channel.read(buffer, offset + buffer.position()) < 0) {
        throw new IOException("locale-archive ends at " + (offset + buffer.position()));
      }
    }
    return buffer.flip();
  }

  private String string(long offset) throws IOException {
    int length = (int) Math.min(256, size - offset);
    ByteBuffer b = read(offset, Math.max(0, length), order);
    int end = 0;
    while (end < length && b.get(end) != 0) {
      end++;
    }
    return new String(b.array(), 0, end, StandardCharsets.UTF_8);
  }

  /**
   * Closes the file.
   *
   * @throws IOException as the channel does
   */
  public void close() throws IOException {
    channel.close();
  }
}
