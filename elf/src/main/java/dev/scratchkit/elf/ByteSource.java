package dev.scratchkit.elf;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.nio.file.StandardOpenOption;

/**
 * Positioned reads of untrusted bytes. Every read is checked against the size first, so no
 * offset or count taken from the file can size an allocation past the file's own size; the
 * largest single allocation is recorded for tests.
 */
abstract class ByteSource implements Closeable {

  private final long size;
  private long largestAllocation;

  ByteSource(long size) {
    this.size = size;
  }

  /**
   * Opens a regular file (symbolic links followed). Anything else is refused before it is
   * opened: opening a FIFO blocks until a writer appears, and a device like {@code /dev/zero}
   * reports size 0 but never ends.
   *
   * @throws ElfFormatException for a directory, FIFO, device or socket
   */
  static ByteSource open(Path file) {
    BasicFileAttributes before;
    try {
      before = Files.readAttributes(file, BasicFileAttributes.class);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file.toAbsolutePath() + ": " + e, e);
    }
    if (!before.isRegularFile()) {
      throw new ElfFormatException(file, "it is " + kind(file, before) + ", not a regular file, and is not read"
          + " (it could block or never end); pass the program file itself");
    }
    try {
      FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
      try {
        BasicFileAttributes after = Files.readAttributes(file, BasicFileAttributes.class);
        if (!after.isRegularFile() || !Objects.equals(before.fileKey(), after.fileKey())) {
          throw new ElfFormatException(file, "it was replaced while being opened; read it again once nothing"
              + " changes it");
        }
        return new OfChannel(channel, channel.size());
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file.toAbsolutePath() + ": " + e, e);
    }
  }

  /** "a directory", "a FIFO (named pipe)", "a character device", ...: what a non-regular file is. */
  private static String kind(Path file, BasicFileAttributes attributes) {
    if (attributes.isDirectory()) {
      return "a directory";
    }
    try {
      int mode = (Integer) Files.getAttribute(file, "unix:mode");
      switch (mode & 0170000) {
        case 0010000: return "a FIFO (named pipe)";
        case 0020000: return "a character device";
        case 0060000: return "a block device";
        case 0140000: return "a socket";
        default: return "a special file";
      }
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return "a special file";
    }
  }

  static ByteSource of(byte[] bytes) {
    return new OfArray(bytes);
  }

  final long size() {
    return size;
  }

  /** The largest buffer this source handed out. */
  final long largestAllocation() {
    return largestAllocation;
  }

  /** True when [offset, offset + length) lies inside the file (unsigned-safe). */
  final boolean contains(long offset, long length) {
    return offset >= 0 && length >= 0 && offset <= size && length <= size - offset;
  }

  /** Fails with a defect naming {@code what} unless [offset, offset + length) is inside the file. */
  final void checkRange(String what, long offset, long length) {
    if (!contains(offset, length)) {
      throw new Defect(what + " (offset " + hex(offset) + ", " + unsigned(length)
          + " bytes) extends past the end of the file (" + size + " bytes)");
    }
  }

  /** Reads {@code length} bytes at {@code offset}, which must lie inside the file. */
  final byte[] bytes(String what, long offset, long length) {
    checkRange(what, offset, length);
    if (length > Integer.MAX_VALUE - 16) {
      throw new Defect(what + " is too large to read (" + length + " bytes)");
    }
    byte[] out = new byte[(int) length];
    largestAllocation = Math.max(largestAllocation, length);
    read(offset, ByteBuffer.wrap(out));
    return out;
  }

  /** Fills {@code buffer} from {@code offset}; the caller has checked the range. */
  final void read(long offset, ByteBuffer buffer) {
    try {
      readAt(offset, buffer);
    } catch (EOFException e) {
      throw new Defect("the file ended while reading at offset " + hex(offset) + " (it is changing while being read?)");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A scratch buffer for streaming a region: never larger than the region or 1 MiB. */
  final ByteBuffer scratch(long regionLength) {
    int n = (int) Math.max(1, Math.min(regionLength, 1 << 20));
    largestAllocation = Math.max(largestAllocation, n);
    return ByteBuffer.allocate(n);
  }

  abstract void readAt(long offset, ByteBuffer buffer) throws IOException;

  @Override
  public void close() {
  }

  static String hex(long value) {
    return "0x" + Long.toHexString(value);
  }

  static String unsigned(long value) {
    return Long.toUnsignedString(value);
  }

  private static final class OfChannel extends ByteSource {
    private final FileChannel channel;

    OfChannel(FileChannel channel, long size) {
      super(size);
      this.channel = channel;
    }

    @Override
    void readAt(long offset, ByteBuffer buffer) throws IOException {
      long position = offset;
      while (buffer.hasRemaining()) {
        int n = channel.read(buffer, position);
        if (n < 0) {
          throw new EOFException();
        }
        position += n;
      }
    }

    @Override
    public void close() {
      try {
        channel.close();
      } catch (IOException e) {
        // read-only channel: nothing was written, nothing to lose
      }
    }
  }

  private static final class OfArray extends ByteSource {
    private final byte[] bytes;

    OfArray(byte[] bytes) {
      super(bytes.length);
      this.bytes = bytes;
    }

    @Override
    void readAt(long offset, ByteBuffer buffer) throws IOException {
      int n = buffer.remaining();
      if (offset < 0 || offset > bytes.length - n) {
        throw new EOFException();
      }
      buffer.put(bytes, (int) offset, n);
    }
  }
}
