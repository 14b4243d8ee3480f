package dev.scratchkit.internal.compress;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * A gzip stream that deflates fixed-size blocks of its input on several threads and joins
 * them, in order, into one gzip member (RFC 1952) that any gzip reader accepts.
 *
 * <p>How (the scheme of pigz): the input is cut into blocks of {@code blockSize} bytes; each
 * block is deflated by its own raw {@link Deflater} primed with the previous 32 KiB of input as
 * dictionary, so matches may reach back across the boundary just as in a serial stream; every
 * block but the last ends with a {@link Deflater#SYNC_FLUSH} (byte-aligned, the deflate stream
 * continues), the last with {@link Deflater#FINISH}. Each worker also computes its block's
 * CRC-32; the caller combines them ({@link Crc32Combine}) for the trailer.
 *
 * <p>Reproducible: block boundaries depend only on {@code blockSize} (never on the number of
 * threads, on how the caller slices its writes, or on {@link #flush()}), so the output bytes
 * are a function of the input, the level and the block size alone (and of the zlib build the
 * JDK uses, as with {@link java.util.zip.GZIPOutputStream}). The header is fixed: no file
 * name, mtime 0, XFL from the level, OS byte {@link #OS_UNKNOWN}.
 *
 * <p>Bounded memory: at most {@code 2 × parallelism} blocks are compressed or waiting to be
 * written at any time; a {@code write} that would exceed this waits for the oldest block and
 * writes it to the target (backpressure). Buffers are recycled, so the heap needed is about
 * {@code (4 × parallelism + 2) × blockSize} whatever the length of the input.
 *
 * <p>Compressed blocks are written to the target by the calling thread, in order. Not safe
 * for use by several threads at once (like any {@link OutputStream}). A failure in a worker or
 * in the target is thrown from the next {@code write}, {@code flush}, {@link #finish()} or
 * {@link #close()}; the stream is then unusable and the target holds an incomplete gzip
 * stream, which the caller must discard (write to a temporary file and rename on success).
 */
public final class ParallelGzipOutputStream extends OutputStream {

  /** Default block size: 1 MiB, large enough that the per-block overhead is negligible. */
  public static final int DEFAULT_BLOCK_SIZE = 1 << 20;

  /** The smallest block size: one deflate window, so each dictionary comes from one block. */
  public static final int MIN_BLOCK_SIZE = 32 * 1024;

  /** The OS byte of every header this class writes: 255, "unknown" (RFC 1952). */
  public static final int OS_UNKNOWN = 0xff;

  private static final int DICTIONARY_SIZE = 32 * 1024;
  private static final int GZIP_MAGIC_1 = 0x1f;
  private static final int GZIP_MAGIC_2 = 0x8b;
  private static final int METHOD_DEFLATE = 8;

  private static final AtomicInteger POOL_NUMBER = new AtomicInteger();

  private final OutputStream target;
  private final int level;
  private final int blockSize;
  private final int maxInFlight;
  private final Executor executor;
  /** Non-null when this stream created its executor and must shut it down. */
  private final ExecutorService ownExecutor;
  private final BlockCompressor compressor;

  /** Blocks submitted and not yet written, oldest first. Touched by the caller thread only. */
  private final ArrayDeque<FutureTask<Block>> inFlight = new ArrayDeque<>();
  /** Recycled buffers; touched by the caller thread only. */
  private final ArrayDeque<byte[]> freeInputs = new ArrayDeque<>();
  private final ArrayDeque<byte[]> freeOutputs = new ArrayDeque<>();

  private byte[] current;
  private int currentLength;
  /** The last up-to-32 KiB of the input before {@code current}; null before the first block. */
  private byte[] dictionary;
  private long blockIndex;

  private int crc;
  private long totalIn;
  private long totalOut;

  private boolean headerWritten;
  private boolean finished;
  private boolean closed;
  private IOException failure;

  /**
   * A stream on its own pool of {@code threads} daemon worker threads (shut down by
   * {@link #close()}), with blocks of {@link #DEFAULT_BLOCK_SIZE}.
   *
   * @param target where the gzip bytes go; closed by {@link #close()}
   * @param level deflate level, 0 (store) to 9 (best), or -1 for zlib's default (6)
   * @param threads number of worker threads, at least 1
   */
  public ParallelGzipOutputStream(OutputStream target, int level, int threads) {
    this(target, level, null, threads, DEFAULT_BLOCK_SIZE, Deflating::compress);
  }

  /**
   * A stream whose blocks are compressed on the caller's executor (which it never shuts down).
   *
   * @param target where the gzip bytes go; closed by {@link #close()}
   * @param level deflate level, 0 (store) to 9 (best), or -1 for zlib's default (6)
   * @param executor runs the block compressions; should have {@code parallelism} threads free
   * @param parallelism how many blocks to compress at once; at most twice as many are in flight
   * @param blockSize bytes per block, at least {@link #MIN_BLOCK_SIZE}; part of the output's
   *     identity, so keep it fixed (normally {@link #DEFAULT_BLOCK_SIZE}) for reproducible bytes
   */
  public ParallelGzipOutputStream(
      OutputStream target, int level, Executor executor, int parallelism, int blockSize) {
    this(target, level, Objects.requireNonNull(executor, "executor"), parallelism, blockSize,
        Deflating::compress);
  }

  /** For tests: a compressor that can fail on purpose. */
  ParallelGzipOutputStream(OutputStream target, int level, Executor executor, int parallelism,
      int blockSize, BlockCompressor compressor) {
    this.target = Objects.requireNonNull(target, "target");
    if (level < -1 || level > 9) {
      throw new IllegalArgumentException(
          "gzip compression level " + level + " is out of range: use 0 (store) to 9 (best), or -1 for the default (6)");
    }
    if (parallelism < 1) {
      throw new IllegalArgumentException(
          "gzip compression needs at least 1 thread, got " + parallelism);
    }
    if (blockSize < MIN_BLOCK_SIZE) {
      throw new IllegalArgumentException("gzip block size " + blockSize
          + " is too small: use at least " + MIN_BLOCK_SIZE + " bytes (one deflate window)");
    }
    this.level = level == Deflater.DEFAULT_COMPRESSION ? 6 : level;
    this.blockSize = blockSize;
    this.maxInFlight = 2 * parallelism;
    this.compressor = compressor;
    if (executor == null) {
      this.ownExecutor = newDaemonPool(parallelism);
      this.executor = ownExecutor;
    } else {
      this.ownExecutor = null;
      this.executor = executor;
    }
  }

  /** The block size this stream cuts its input into. */
  public int blockSize() {
    return blockSize;
  }

  /** Bytes written to this stream so far (uncompressed). */
  public long bytesIn() {
    return totalIn;
  }

  /** Bytes written to the target so far (compressed, header and trailer included). */
  public long bytesOut() {
    return totalOut;
  }

  @Override
  public void write(int b) throws IOException {
    ensureOpen();
    if (current == null) {
      current = takeInput();
    } else if (currentLength == blockSize) {
      submitCurrent(false);
      current = takeInput();
    }
    current[currentLength++] = (byte) b;
    totalIn++;
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    ensureOpen();
    while (len > 0) {
      if (current == null) {
        current = takeInput();
      } else if (currentLength == blockSize) {
        // A full block is handed off only once more input arrives, so that the last block of
        // the stream is always the one that gets FINISH (no empty trailing deflate block).
        submitCurrent(false);
        current = takeInput();
      }
      int n = Math.min(len, blockSize - currentLength);
      System.arraycopy(b, off, current, currentLength, n);
      currentLength += n;
      totalIn += n;
      off += n;
      len -= n;
    }
  }

  /**
   * Writes every block that is already compressed and flushes the target. Does not cut the
   * current block short, so flushing never changes the output bytes. After {@link #finish()}
   * it only flushes the target, after {@link #close()} it does nothing (wrappers flush on close).
   */
  @Override
  public void flush() throws IOException {
    if (failure == null && closed) {
      return;
    }
    if (failure == null && finished) {
      target.flush();
      return;
    }
    ensureOpen();
    try {
      writeDoneBlocks();
      target.flush();
    } catch (IOException | RuntimeException | Error e) {
      throw fail(e);
    }
  }

  /**
   * Compresses what remains, writes the last block and the gzip trailer, and waits for all
   * of it to reach the target, without closing the target. Later writes fail.
   *
   * @throws IOException if a worker or the target failed
   */
  public void finish() throws IOException {
    if (finished) {
      return;
    }
    ensureOpen();
    if (current == null) {
      current = takeInput(); // empty input: one empty final deflate block
    }
    submitCurrent(true);
    try {
      while (!inFlight.isEmpty()) {
        writeBlock(awaitOldest());
      }
      writeTrailer();
      target.flush();
    } catch (IOException | RuntimeException | Error e) {
      throw fail(e);
    }
    finished = true;
    shutdownOwnExecutor();
  }

  /**
   * Finishes the gzip stream, closes the target and stops the worker threads this stream
   * created. Calling it again does nothing; after a failure it still releases everything.
   */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    IOException thrown = null;
    try {
      if (failure == null) {
        finish();
      }
    } catch (IOException e) {
      thrown = e;
    } finally {
      closed = true;
      cancelInFlight();
      shutdownOwnExecutor();
      try {
        target.close();
      } catch (IOException e) {
        if (thrown == null) {
          thrown = e;
        } else {
          thrown.addSuppressed(e);
        }
      }
    }
    if (thrown != null) {
      throw thrown;
    }
  }

  @Override
  public String toString() {
    return "ParallelGzipOutputStream[level " + level + ", block " + blockSize + " bytes, "
        + totalIn + " bytes in, " + totalOut + " bytes out"
        + (failure != null ? ", failed" : closed ? ", closed" : finished ? ", finished" : "") + "]";
  }

  // ---- the pipeline, all on the caller thread ----

  private void ensureOpen() throws IOException {
    if (failure != null) {
      throw new IOException("gzip stream failed earlier: " + failure.getMessage(), failure);
    }
    if (closed || finished) {
      throw new IOException("gzip stream is already " + (closed ? "closed" : "finished")
          + "; no more data can be written to it");
    }
  }

  private void submitCurrent(boolean last) throws IOException {
    try {
      while (inFlight.size() >= maxInFlight) {
        writeBlock(awaitOldest());
      }
      byte[] input = current;
      int length = currentLength;
      byte[] dict = dictionary;
      // The next block's dictionary: the last 32 KiB of input, copied so that the input
      // buffer can be recycled as soon as its own block is written.
      if (!last) {
        int dictLength = Math.min(DICTIONARY_SIZE, length);
        byte[] next = new byte[dictLength];
        System.arraycopy(input, length - dictLength, next, 0, dictLength);
        dictionary = next;
      }
      current = null;
      currentLength = 0;
      long index = blockIndex++;
      byte[] output = takeOutput();
      FutureTask<Block> task = new FutureTask<>(
          () -> compressor.compress(index, level, dict, input, length, output, last));
      try {
        executor.execute(task);
      } catch (RejectedExecutionException e) {
        throw new IOException("gzip compression of block " + index
            + " could not start: the executor refused the task (" + e.getMessage()
            + "); it was probably shut down while this stream was still open", e);
      }
      inFlight.addLast(task);
      writeDoneBlocks();
    } catch (IOException | RuntimeException | Error e) {
      throw fail(e);
    }
  }

  /** Writes the oldest blocks that are already done, without waiting. */
  private void writeDoneBlocks() throws IOException {
    while (!inFlight.isEmpty() && inFlight.peekFirst().isDone()) {
      writeBlock(awaitOldest());
    }
  }

  private Block awaitOldest() throws IOException {
    FutureTask<Block> task = inFlight.removeFirst();
    try {
      return task.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      task.cancel(false);
      InterruptedIOException ie = new InterruptedIOException(
          "interrupted while waiting for a gzip block to be compressed");
      ie.initCause(e);
      throw ie;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      throw new IOException("gzip compression failed in a worker thread: " + cause, cause);
    }
  }

  private void writeBlock(Block block) throws IOException {
    if (!headerWritten) {
      writeHeader();
    }
    target.write(block.output(), 0, block.outputLength());
    totalOut += block.outputLength();
    crc = Crc32Combine.combine(crc, block.crc(), block.inputLength());
    recycle(freeInputs, block.input(), blockSize);
    recycle(freeOutputs, block.output(), outputCapacity(blockSize));
  }

  private void writeHeader() throws IOException {
    // XFL as zlib sets it: 2 = best compression, 4 = fastest.
    int xfl = level == 9 ? 2 : level <= 1 ? 4 : 0;
    byte[] header = {
      (byte) GZIP_MAGIC_1, (byte) GZIP_MAGIC_2, METHOD_DEFLATE, 0, // no flags: no name, comment, extra
      0, 0, 0, 0, // mtime 0: reproducible
      (byte) xfl, (byte) OS_UNKNOWN
    };
    target.write(header);
    totalOut += header.length;
    headerWritten = true;
  }

  private void writeTrailer() throws IOException {
    byte[] trailer = new byte[8];
    putIntLe(trailer, 0, crc);
    putIntLe(trailer, 4, (int) totalIn); // ISIZE: the length modulo 2^32
    target.write(trailer);
    totalOut += trailer.length;
  }

  private static void putIntLe(byte[] b, int off, int v) {
    b[off] = (byte) v;
    b[off + 1] = (byte) (v >>> 8);
    b[off + 2] = (byte) (v >>> 16);
    b[off + 3] = (byte) (v >>> 24);
  }

  private byte[] takeInput() {
    byte[] b = freeInputs.pollFirst();
    return b != null ? b : new byte[blockSize];
  }

  private byte[] takeOutput() {
    byte[] b = freeOutputs.pollFirst();
    return b != null ? b : new byte[outputCapacity(blockSize)];
  }

  private void recycle(ArrayDeque<byte[]> pool, byte[] buffer, int expectedLength) {
    // Keep only standard-size buffers, and no more than can be in use at once.
    if (buffer.length == expectedLength && pool.size() < maxInFlight + 1) {
      pool.addLast(buffer);
    }
  }

  /** Room for a block in the worst case (stored blocks), plus the sync marker. */
  static int outputCapacity(int inputLength) {
    return inputLength + (inputLength >>> 12) + (inputLength >>> 14) + (inputLength >>> 25) + 64;
  }

  private IOException fail(Throwable e) {
    IOException io = e instanceof IOException ? (IOException) e
        : new IOException("gzip compression failed: " + e, e);
    if (failure == null) {
      failure = io;
    }
    cancelInFlight();
    shutdownOwnExecutor();
    return io;
  }

  private void cancelInFlight() {
    for (FutureTask<Block> task : inFlight) {
      task.cancel(false);
    }
    inFlight.clear();
  }

  private void shutdownOwnExecutor() {
    if (ownExecutor != null) {
      ownExecutor.shutdown();
    }
  }

  private static ExecutorService newDaemonPool(int threads) {
    int pool = POOL_NUMBER.incrementAndGet();
    AtomicInteger thread = new AtomicInteger();
    ThreadFactory factory = r -> {
      Thread t = new Thread(r, "scratchkit-gzip-" + pool + "-" + thread.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
    ThreadPoolExecutor executor = new ThreadPoolExecutor(
        threads, threads, 5, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), factory);
    // Threads of a stream that is never closed still go away.
    executor.allowCoreThreadTimeOut(true);
    return executor;
  }

  // ---- the work of one block, on a worker thread ----

  /** A compressed block, ready to be written in order. */
  record Block(byte[] input, int inputLength, int crc, byte[] output, int outputLength) {}

  /** Compresses one block; a seam for tests that need a worker to fail. */
  @FunctionalInterface
  interface BlockCompressor {
    Block compress(long index, int level, byte[] dictionary, byte[] input, int length,
        byte[] output, boolean last);
  }

  /** The real block compressor. */
  static final class Deflating {
    private Deflating() {}

    static Block compress(long index, int level, byte[] dictionary, byte[] input, int length,
        byte[] output, boolean last) {
      CRC32 crc32 = new CRC32();
      crc32.update(input, 0, length);
      Deflater deflater = new Deflater(level, true);
      try {
        if (dictionary != null) {
          deflater.setDictionary(dictionary);
        }
        deflater.setInput(input, 0, length);
        if (last) {
          deflater.finish();
        }
        int flush = last ? Deflater.NO_FLUSH : Deflater.SYNC_FLUSH;
        byte[] out = output;
        int outLength = 0;
        while (true) {
          if (outLength == out.length) {
            out = Arrays.copyOf(out, out.length + (out.length >>> 1) + 64);
          }
          int n = deflater.deflate(out, outLength, out.length - outLength, flush);
          outLength += n;
          // SYNC_FLUSH is complete once deflate leaves output space unused (Deflater's contract).
          if (last ? deflater.finished() : outLength < out.length) {
            break;
          }
        }
        return new Block(input, length, (int) crc32.getValue(), out, outLength);
      } finally {
        deflater.end();
      }
    }
  }
}
