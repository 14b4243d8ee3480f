package dev.scratchkit.oci;

import dev.scratchkit.internal.compress.ZstdCompression;
import java.util.Objects;

/**
 * How a target compresses its layers: gzip (the default, readable by every tool) or zstd
 * (several times faster, {@code application/vnd.oci.image.layer.v1.tar+zstd}, read by
 * skopeo, containerd and podman but refused by some tools, e.g. umoci 0.4.7).
 *
 * <p>Both are reproducible: the same layer gives the same bytes whatever the number of cores.
 * Another algorithm or level gives other layer digests.
 *
 * <pre>{@code
 * OciLayout.at(dir).compression(LayerCompression.zstd()).write(image);
 * }</pre>
 *
 * @param algorithm gzip or zstd
 * @param level gzip 1 (fastest) to 9 (smallest); zstd 1 (fastest) to 19 (smallest)
 */
public record LayerCompression(Algorithm algorithm, int level) {

  /** A compression algorithm for layers. */
  public enum Algorithm {
    /** gzip ({@code application/vnd.oci.image.layer.v1.tar+gzip}), compressed on all cores. */
    GZIP,
    /** zstd ({@code application/vnd.oci.image.layer.v1.tar+zstd}); needs {@code com.github.luben:zstd-jni}. */
    ZSTD
  }

  /**
   * Validates the level for the algorithm. It does not check that zstd can be used here; the
   * factory methods {@link #zstd()} and {@link #zstd(int)} do.
   *
   * @param algorithm gzip or zstd
   * @param level gzip 1 to 9; zstd 1 to 19
   * @throws OciException when the level is out of the algorithm's range
   */
  public LayerCompression {
    Objects.requireNonNull(algorithm, "algorithm");
    int max = algorithm == Algorithm.GZIP ? 9 : 19;
    if (level < 1 || level > max) {
      throw new OciException("invalid " + algorithm.name().toLowerCase(java.util.Locale.ROOT) + " level " + level
          + ": use 1 (fastest) to " + max + " (smallest)");
    }
  }

  /**
   * Gzip at level 6 (the level of the {@code gzip} command), the default.
   *
   * @return the compression
   */
  public static LayerCompression gzip() {
    return new LayerCompression(Algorithm.GZIP, 6);
  }

  /**
   * Gzip at a level.
   *
   * @param level 1 (fastest) to 9 (smallest)
   * @return the compression
   */
  public static LayerCompression gzip(int level) {
    return new LayerCompression(Algorithm.GZIP, level);
  }

  /**
   * Zstd at level 3 (the level of the {@code zstd} command).
   *
   * @return the compression
   * @throws OciException when {@code com.github.luben:zstd-jni} is not on the class path or
   *     cannot load its native library here; the message says what to add
   */
  public static LayerCompression zstd() {
    return zstd(ZstdCompression.DEFAULT_LEVEL);
  }

  /**
   * Zstd at a level.
   *
   * @param level 1 (fastest) to 19 (smallest)
   * @return the compression
   * @throws OciException when {@code com.github.luben:zstd-jni} is missing, as for {@link #zstd()}
   */
  public static LayerCompression zstd(int level) {
    LayerCompression c = new LayerCompression(Algorithm.ZSTD, level);
    checkAvailable(c);
    return c;
  }

  /**
   * The media type of layers compressed this way.
   *
   * @return e.g. {@code application/vnd.oci.image.layer.v1.tar+gzip}
   */
  public String mediaType() {
    return algorithm == Algorithm.GZIP ? "application/vnd.oci.image.layer.v1.tar+gzip" : ZstdCompression.MEDIA_TYPE;
  }

  /** Throws when zstd is chosen and cannot be used here. */
  static void checkAvailable(LayerCompression c) {
    if (c.algorithm() == Algorithm.ZSTD && !ZstdCompression.available()) {
      throw new OciException("zstd layer compression is not available: " + ZstdCompression.unavailableReason());
    }
  }

  /** E.g. {@code gzip level 6}. */
  @Override
  public String toString() {
    return algorithm.name().toLowerCase(java.util.Locale.ROOT) + " level " + level;
  }
}
