package dev.scratchkit.internal.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The blob file stream that starts the disk writes while it is still being written. */
class DurableFileOutputTest {

  @TempDir
  Path tmp;

  @Test
  void holdsExactlyWhatWasWrittenAcrossSeveralWritebacks() throws IOException {
    byte[] content = new byte[(int) (2.5 * DurableFileOutput.WRITEBACK_INTERVAL) + 123];
    new Random(7).nextBytes(content);
    Path file = tmp.resolve("blob");
    try (DurableFileOutput out = DurableFileOutput.create(file)) {
      Random sizes = new Random(8);
      int off = 0;
      while (off < content.length) {
        int n = Math.min(content.length - off, 1 + sizes.nextInt(3 << 20)); // uneven writes
        if (n == 1) {
          out.write(content[off]);
        } else {
          out.write(content, off, n);
        }
        off += n;
      }
      out.sync();
      assertThat(out.written()).isEqualTo(content.length);
    }
    Path reference = tmp.resolve("reference");
    Files.write(reference, content);
    assertThat(Files.mismatch(file, reference)).isEqualTo(-1L);
  }

  @Test
  void refusesAnExistingFile() throws IOException {
    Path file = Files.writeString(tmp.resolve("taken"), "old");
    assertThatThrownBy(() -> DurableFileOutput.create(file)).isInstanceOf(FileAlreadyExistsException.class);
    assertThat(Files.readString(file)).isEqualTo("old");
  }

  @Test
  void writebackStartsDuringTheWriteAndItsErrorIsThrownBySync() throws IOException {
    Path file = tmp.resolve("blob");
    AtomicInteger backgroundSyncs = new AtomicInteger();
    FileChannel real = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    // The disk reports an error to the first background sync only, as Linux does: a later
    // fsync of the same open file succeeds, so the error must not be lost on the way.
    FileChannel failingOnce = new ForwardingChannel(real) {
      @Override
      public void force(boolean metaData) throws IOException {
        if (!metaData && backgroundSyncs.incrementAndGet() == 1) {
          throw new IOException("Input/output error");
        }
        super.force(metaData);
      }
    };
    try (DurableFileOutput out = DurableFileOutput.on(failingOnce, file)) {
      byte[] chunk = new byte[1 << 20];
      for (long i = 0; i < 3 * DurableFileOutput.WRITEBACK_INTERVAL; i += chunk.length) {
        out.write(chunk);
      }
      assertThatThrownBy(out::sync)
          .isInstanceOf(IOException.class)
          .hasMessage("writing " + file + " to disk failed: Input/output error");
    }
    assertThat(backgroundSyncs.get()).isGreaterThanOrEqualTo(1);
    assertThat(real.isOpen()).isFalse();
  }

  @Test
  void closeWithoutSyncKeepsTheBytesAndIsIdempotent() throws IOException {
    Path file = tmp.resolve("partial");
    DurableFileOutput out = DurableFileOutput.create(file);
    out.write(new byte[] {1, 2, 3});
    out.close();
    out.close();
    assertThat(Files.readAllBytes(file)).containsExactly(1, 2, 3);
    assertThatThrownBy(() -> out.write(4)).isInstanceOf(ClosedChannelException.class);
  }

  /** A file channel that passes everything to another one. */
  private static class ForwardingChannel extends FileChannel {
    private final FileChannel delegate;

    ForwardingChannel(FileChannel delegate) {
      this.delegate = delegate;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      return delegate.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
      return delegate.read(dsts, offset, length);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      return delegate.write(src);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
      return delegate.write(srcs, offset, length);
    }

    @Override
    public long position() throws IOException {
      return delegate.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
      delegate.position(newPosition);
      return this;
    }

    @Override
    public long size() throws IOException {
      return delegate.size();
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
      delegate.truncate(size);
      return this;
    }

    @Override
    public void force(boolean metaData) throws IOException {
      delegate.force(metaData);
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
      return delegate.transferTo(position, count, target);
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
      return delegate.transferFrom(src, position, count);
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
      return delegate.read(dst, position);
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
      return delegate.write(src, position);
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
      return delegate.map(mode, position, size);
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
      return delegate.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
      return delegate.tryLock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
      delegate.close();
    }
  }
}
