package dev.scratchkit.internal.oci;

import dev.scratchkit.internal.compress.ParallelGzipOutputStream;
import dev.scratchkit.internal.compress.ZstdCompression;
import dev.scratchkit.oci.OciException;
import java.io.IOException;
import java.io.OutputStream;

/**
 * The seam where layer tars get compressed; one implementation per algorithm.
 *
 * <p>Implementations must be deterministic: the same tar and settings give the same bytes on
 * every run, JDK and number of cores. {@link #cacheId()} names everything that decides the
 * bytes, so that a cached blob is only reused for the same settings.
 */
public interface LayerCompression {

  /** The media type of compressed layers, e.g. {@code application/vnd.oci.image.layer.v1.tar+gzip}. */
  String mediaType();

  /**
   * Wraps {@code out}; closing the returned stream finishes the compressed stream and closes
   * {@code out}.
   */
  OutputStream compress(OutputStream out) throws IOException;

  /** Everything that decides the compressed bytes (algorithm, level, block size, format version). */
  String cacheId();

  /**
   * The same compression (same bytes) on the calling thread only, for a small layer compressed
   * beside another: no worker threads of its own.
   */
  default LayerCompression serial() {
    return this;
  }

  /** The default compression: gzip at level 6 (the level of {@code gzip} itself). */
  static LayerCompression defaultGzip() {
    return gzip(6);
  }

  /** The internal form of a target's public choice. */
  static LayerCompression of(dev.scratchkit.oci.LayerCompression choice) {
    return switch (choice.algorithm()) {
      case GZIP -> gzip(choice.level());
      case ZSTD -> zstd(choice.level());
    };
  }

  /**
   * Gzip on all cores ({@link ParallelGzipOutputStream}, 1 MiB blocks) with a fixed header:
   * modification time 0, no file name, OS byte 255, so nothing of the host enters the blob.
   * The bytes do not depend on the number of threads.
   *
   * @param level 1 (fastest) to 9 (smallest)
   */
  static LayerCompression gzip(int level) {
    if (level < 1 || level > 9) {
      throw new IllegalArgumentException("gzip level must be 1 to 9, not " + level);
    }
    int blockSize = ParallelGzipOutputStream.DEFAULT_BLOCK_SIZE;
    return new LayerCompression() {
      @Override
      public String mediaType() {
        return MediaTypes.LAYER_GZIP;
      }

      @Override
      public OutputStream compress(OutputStream out) {
        return new ParallelGzipOutputStream(out, level, threads(blockSize));
      }

      @Override
      public String cacheId() {
        return "pgzip/1 level=" + level + " block=" + blockSize;
      }

      @Override
      public LayerCompression serial() {
        LayerCompression parallel = this;
        return new LayerCompression() {
          @Override
          public String mediaType() {
            return parallel.mediaType();
          }

          @Override
          public OutputStream compress(OutputStream out) {
            // Blocks are deflated as they fill, on this thread: the same blocks, so the same bytes.
            return new ParallelGzipOutputStream(out, level, Runnable::run, 1, blockSize);
          }

          @Override
          public String cacheId() {
            return parallel.cacheId();
          }

          @Override
          public String toString() {
            return parallel + " on one thread";
          }
        };
      }

      @Override
      public String toString() {
        return "gzip level " + level;
      }
    };
  }

  /**
   * Zstd through zstd-jni (optional dependency), one worker per core; the bytes do not depend
   * on the number of workers.
   *
   * @param level 1 (fastest) to 19 (smallest)
   * @throws OciException when zstd-jni is missing, naming the dependency to add
   */
  static LayerCompression zstd(int level) {
    String reason = ZstdCompression.unavailableReason();
    if (reason != null) {
      throw new OciException("zstd layer compression is not available: " + reason);
    }
    ZstdCompression zstd = new ZstdCompression(level, Math.max(1, Runtime.getRuntime().availableProcessors()));
    return new LayerCompression() {
      @Override
      public String mediaType() {
        return ZstdCompression.MEDIA_TYPE;
      }

      @Override
      public OutputStream compress(OutputStream out) throws IOException {
        return zstd.open(out);
      }

      @Override
      public String cacheId() {
        return "zstd-jni/1 level=" + level + " checksum=1 mt=1";
      }

      @Override
      public String toString() {
        return "zstd level " + level;
      }
    };
  }

  /**
   * Worker threads for parallel gzip: one per core, but no more than a quarter of the heap
   * holds blocks (each thread keeps about four blocks in flight), so a small heap still works.
   */
  static int threads(int blockSize) {
    int cores = Math.max(1, Runtime.getRuntime().availableProcessors());
    long heap = Runtime.getRuntime().maxMemory();
    long byHeap = (heap / 4 - 2L * blockSize) / (4L * blockSize);
    return (int) Math.max(1, Math.min(cores, byHeap));
  }
}
