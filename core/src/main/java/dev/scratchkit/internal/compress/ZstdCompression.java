package dev.scratchkit.internal.compress;

import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Locale;

/**
 * Opens zstd streams (RFC 8878) for {@code application/vnd.oci.image.layer.v1.tar+zstd} layers,
 * with the reference libzstd through {@code com.github.luben:zstd-jni}, an optional dependency:
 * only users who choose zstd need it on the class path.
 *
 * <p>Reproducible: libzstd's multithreaded mode cuts its input into jobs whose size depends on
 * the level only, so the output is the same for 1, 2 or 64 workers. (Its single-threaded mode,
 * {@code workers = 0}, would give other bytes, so it is never used.) Frames carry a content
 * checksum (XXH64), as the {@code zstd} command writes by default. The bytes may change with
 * the libzstd version, which is pinned with the zstd-jni version.
 *
 * @param level zstd level, 1 (fastest) to 19 (smallest); {@link #DEFAULT_LEVEL} as the
 *     {@code zstd} command
 * @param workers compression threads, at least 1; does not change the output
 */
public record ZstdCompression(int level, int workers) {

  /** The OCI media type of a zstd-compressed tar layer. */
  public static final String MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar+zstd";

  /** The level of the {@code zstd} command and of libzstd's default. */
  public static final int DEFAULT_LEVEL = 3;

  /** The Maven coordinates that bring the native zstd library. */
  static final String DEPENDENCY = "com.github.luben:zstd-jni";

  /** Validates the level and the number of workers. */
  public ZstdCompression {
    if (level < 1 || level > 19) {
      throw new IllegalArgumentException("zstd level " + level
          + " is out of range: use 1 (fastest) to 19 (smallest); " + DEFAULT_LEVEL + " is the default");
    }
    if (workers < 1) {
      throw new IllegalArgumentException("zstd compression needs at least 1 worker thread, got " + workers);
    }
  }

  /** Level {@value #DEFAULT_LEVEL} with one worker per available processor. */
  public static ZstdCompression defaults() {
    return new ZstdCompression(DEFAULT_LEVEL, Runtime.getRuntime().availableProcessors());
  }

  /**
   * Whether zstd can be used here: zstd-jni is on the class path and has a native library for
   * this platform.
   */
  public static boolean available() {
    return unavailableReason() == null;
  }

  /**
   * Wraps {@code target} in a zstd stream; closing it ends the frame and closes the target.
   *
   * @param target where the compressed bytes go
   * @return the stream to write the uncompressed bytes to
   * @throws IllegalStateException if zstd-jni is missing or has no native library for this
   *     platform; the message says what to add or to use gzip instead
   * @throws IOException if libzstd rejects the parameters
   */
  public OutputStream open(OutputStream target) throws IOException {
    String reason = unavailableReason();
    if (reason != null) {
      throw new IllegalStateException("zstd layer compression is not available: " + reason);
    }
    return Jni.open(target, level, workers);
  }

  @Override
  public String toString() {
    return "zstd level " + level + ", " + workers + (workers == 1 ? " worker" : " workers");
  }

  /**
   * Why zstd cannot be used here and how to fix it, or null when it can.
   *
   * @return the reason, naming the missing dependency, or null
   */
  public static String unavailableReason() {
    return Availability.REASON;
  }

  /**
   * Every use of zstd-jni's types, so that loading (and verifying) {@link ZstdCompression}
   * works without zstd-jni and the missing dependency is reported with its fix.
   */
  private static final class Jni {
    private Jni() {}

    static OutputStream open(OutputStream target, int level, int workers) throws IOException {
      ZstdOutputStreamNoFinalizer zstd = new ZstdOutputStreamNoFinalizer(target, level);
      try {
        zstd.setWorkers(workers);
        zstd.setChecksum(true);
      } catch (IOException | RuntimeException e) {
        zstd.close();
        throw e;
      }
      return zstd;
    }

    static void load() {
      com.github.luben.zstd.util.Native.load();
    }
  }

  /** Checked once, on first use. */
  private static final class Availability {
    static final String REASON = check();

    private static String check() {
      try {
        Class.forName("com.github.luben.zstd.util.Native", false, ZstdCompression.class.getClassLoader());
      } catch (ClassNotFoundException | LinkageError e) {
        if (ZstdCompression.class.getModule().isNamed()) {
          // On the module path an optional (requires static) module is resolved only when asked for.
          return DEPENDENCY + " is not in the module graph. Put it on the module path and add"
              + " \"requires com.github.luben.zstd_jni;\" to the application's module-info.java (or"
              + " --add-modules com.github.luben.zstd_jni), or choose gzip layers.";
        }
        return DEPENDENCY + " is not on the class path. Add the dependency " + DEPENDENCY
            + " (the version scratchkit is built with is in its parent pom), or choose gzip layers.";
      }
      try {
        Jni.load();
        return null;
      } catch (LinkageError | RuntimeException e) {
        String platform = System.getProperty("os.name").toLowerCase(Locale.ROOT) + "/"
            + System.getProperty("os.arch");
        return DEPENDENCY + " could not load its native library for " + platform + " (" + e
            + "). It unpacks the library into java.io.tmpdir ("
            + System.getProperty("java.io.tmpdir") + "), which must allow executing files;"
            + " otherwise use gzip layers on this machine.";
      }
    }
  }
}
