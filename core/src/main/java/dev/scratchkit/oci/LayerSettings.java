package dev.scratchkit.oci;

import java.util.Objects;

/**
 * How a target makes its layers: the compression and the layer cache. Every target keeps one of
 * these, so the choices, their checks and their defaults live here once.
 *
 * @param compression how layers are compressed
 * @param cache the layer cache, or null for {@link LayerCache#defaults()} resolved when writing
 */
record LayerSettings(LayerCompression compression, LayerCache cache) {

  /** gzip level 6 and the default cache. */
  static final LayerSettings DEFAULT = new LayerSettings(LayerCompression.gzip(), null);

  /** The same with gzip at {@code level}. */
  LayerSettings withGzipLevel(int level) {
    return new LayerSettings(LayerCompression.gzip(level), cache);
  }

  /** The same with {@code compression}; refuses zstd where zstd-jni is missing. */
  LayerSettings withCompression(LayerCompression compression) {
    LayerCompression.checkAvailable(Objects.requireNonNull(compression, "compression"));
    return new LayerSettings(compression, cache);
  }

  /** The same with {@code cache}. */
  LayerSettings withCache(LayerCache cache) {
    return new LayerSettings(compression, Objects.requireNonNull(cache, "cache"));
  }

  /** The compressor the writers use. */
  dev.scratchkit.internal.oci.LayerCompression compressor() {
    return dev.scratchkit.internal.oci.LayerCompression.of(compression);
  }

  /** The cache to write through: the one given, else the default one (resolved now). */
  LayerCache cacheOrDefault() {
    return cache != null ? cache : LayerCache.defaults();
  }
}
