package dev.scratchkit.oci;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Where compressed layers are kept between builds, so that a layer whose inputs did not change
 * is not compressed again. Every target uses {@link #defaults()} unless told otherwise.
 *
 * <p>A layer's cache key is a digest over its normalised entries (paths, types, modes, owners,
 * link texts, and each file's content identity: the SHA-256 of in-memory bytes; for a host file
 * its absolute path, size, modification and change times and inode, or its content hash where
 * the file system has no inode), the image creation time and the compression settings. A file
 * changed in any way that updates its times or size misses the cache.
 *
 * <p>Never serves unverified bytes: an entry is a copy of its own (never a hard link shared
 * with a target, so damage to a cached blob cannot reach an image already written, nor the
 * reverse), and a hit is hashed while it is copied into the target, unless this JVM hashed
 * that very file before and its identity (device and inode, size, modification and change time)
 * is unchanged since: any write to it moves its change time, which user space cannot set back.
 * An entry that fails (its record checksum, its blob's size and identity, or its digest) is
 * dropped with a warning naming the entry and what was found, and the layer is compressed
 * again: the build still writes correct bytes. A hit costs one read and one write of the
 * compressed layer, far less than compressing it; a target that already holds the blob (a
 * layout written before) costs one {@code stat}.
 *
 * <p>Safe for concurrent builds (threads or processes): entries are written under temp names
 * and renamed. The cache is bounded: least recently used entries are deleted once it exceeds
 * {@link #maxSize()}.
 *
 * <pre>{@code
 * OciLayout.at(dir).cache(LayerCache.at(Path.of("build/layer-cache")).maxSize(512L << 20));
 * OciLayout.at(dir).cache(LayerCache.disabled());
 * }</pre>
 */
public final class LayerCache {

  /** The default bound: 2 GiB of compressed layers. */
  public static final long DEFAULT_MAX_SIZE = 2L << 30;

  /** System property naming the cache directory, or {@code off} to disable caching. */
  public static final String DIRECTORY_PROPERTY = "scratchkit.cache.dir";

  /** Environment variable naming the cache directory, or {@code off}; the property wins. */
  public static final String DIRECTORY_ENV = "SCRATCHKIT_CACHE_DIR";

  private static final LayerCache DISABLED = new LayerCache(null, DEFAULT_MAX_SIZE);

  private final Path directory;
  private final long maxSize;

  private LayerCache(Path directory, long maxSize) {
    this.directory = directory;
    this.maxSize = maxSize;
  }

  /**
   * The cache of this user: the directory in the system property {@value #DIRECTORY_PROPERTY},
   * else in the environment variable {@value #DIRECTORY_ENV}, else
   * {@code $XDG_CACHE_HOME/scratchkit}, else {@code ~/.cache/scratchkit}. The value
   * {@code off} in the property or variable disables caching.
   *
   * @return the cache, or the disabled cache
   */
  public static LayerCache defaults() {
    return resolve(System.getProperty(DIRECTORY_PROPERTY), System.getenv(), System.getProperty("user.home"));
  }

  /** {@link #defaults()} from explicit inputs; for tests. */
  static LayerCache resolve(String property, Map<String, String> env, String home) {
    for (String value : new String[] {property, env.get(DIRECTORY_ENV)}) {
      if (value != null && !value.isBlank()) {
        String v = value.strip();
        if (v.toLowerCase(Locale.ROOT).equals("off")) {
          return DISABLED;
        }
        return at(Path.of(v));
      }
    }
    String xdg = env.get("XDG_CACHE_HOME");
    if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
      return at(Path.of(xdg, "scratchkit"));
    }
    if (home == null || home.isBlank()) {
      return DISABLED;
    }
    return at(Path.of(home, ".cache", "scratchkit"));
  }

  /**
   * A cache in {@code directory} (created when first used), bounded to
   * {@link #DEFAULT_MAX_SIZE}.
   *
   * @param directory the cache directory
   * @return the cache
   * @throws OciException if {@code directory} exists and is not a directory
   */
  public static LayerCache at(Path directory) {
    Path dir = Objects.requireNonNull(directory, "directory").toAbsolutePath().normalize();
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new OciException("The layer cache directory " + dir + " is "
          + (Files.isRegularFile(dir) ? "a regular file" : "not a directory") + ". Give a directory (a missing"
          + " one is created when first used), or LayerCache.disabled()");
    }
    return new LayerCache(dir, DEFAULT_MAX_SIZE);
  }

  /**
   * No cache: every layer is compressed on every write.
   *
   * @return the disabled cache
   */
  public static LayerCache disabled() {
    return DISABLED;
  }

  /**
   * The bound on the compressed layers kept; least recently used entries go first.
   *
   * @param bytes at least 0 (0 keeps nothing)
   * @return a new cache setting for the same directory
   * @throws OciException when negative
   */
  public LayerCache maxSize(long bytes) {
    if (bytes < 0) {
      throw new OciException("invalid layer cache size " + bytes + " for " + this + ": give 0 or more bytes");
    }
    return directory == null ? this : new LayerCache(directory, bytes);
  }

  /**
   * The cache directory, empty when disabled.
   *
   * @return the absolute directory
   */
  public Optional<Path> directory() {
    return Optional.ofNullable(directory);
  }

  /**
   * The bound on the compressed layers kept, in bytes.
   *
   * @return the maximum size
   */
  public long maxSize() {
    return maxSize;
  }

  /**
   * Whether layers are cached.
   *
   * @return false for {@link #disabled()}
   */
  public boolean enabled() {
    return directory != null;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LayerCache c && Objects.equals(directory, c.directory) && maxSize == c.maxSize;
  }

  @Override
  public int hashCode() {
    return Objects.hash(directory, maxSize);
  }

  /** E.g. {@code layer cache /home/me/.cache/scratchkit (max 2048 MiB)} or {@code layer cache disabled}. */
  @Override
  public String toString() {
    return directory == null ? "layer cache disabled"
        : "layer cache " + directory + " (max " + (maxSize >> 20) + " MiB)";
  }
}
