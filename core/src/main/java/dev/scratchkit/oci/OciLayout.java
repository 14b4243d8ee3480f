package dev.scratchkit.oci;

import dev.scratchkit.internal.oci.ImageWriter;
import dev.scratchkit.internal.oci.Layouts;
import dev.scratchkit.internal.oci.Tags;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An OCI image layout directory ({@code oci-layout}, {@code index.json}, {@code blobs/sha256/})
 * as target. Writing adds the image and points each tag at it: other tags and images stay,
 * a tag that pointed elsewhere moves (only that reference is dropped; no blob is deleted).
 *
 * <p>Safe against crashes and concurrent writers: blobs are written to temp files and renamed
 * to their digest; {@code index.json} is replaced atomically at the very end; writers of one
 * layout (threads or processes) take turns through a file lock on {@code .scratchkit-lock}.
 * A directory that exists, is not empty and is not a layout is refused. The new blobs and the
 * next {@code index.json} are synced to disk together before the index is renamed into place;
 * an index that already says what the write would say is not rewritten.
 *
 * <pre>{@code
 * WriteResult r = OciLayout.at(Path.of("build/image")).tag("latest", "1.0").write(image);
 * }</pre>
 */
public final class OciLayout implements ImageTarget {

  private static final Logger LOG = LoggerFactory.getLogger(OciLayout.class);

  private final Path directory;
  private final List<String> tags;
  private final LayerSettings layers;

  private OciLayout(Path directory, List<String> tags, LayerSettings layers) {
    this.directory = directory;
    this.tags = tags;
    this.layers = layers;
  }

  /**
   * A layout at {@code directory} (created when missing), tag {@code latest}.
   *
   * @param directory the layout directory
   * @return the target
   */
  public static OciLayout at(Path directory) {
    return new OciLayout(Objects.requireNonNull(directory, "directory").toAbsolutePath().normalize(),
        List.of("latest"), LayerSettings.DEFAULT);
  }

  /**
   * The tags to point at the image, replacing the default {@code latest}.
   *
   * @param tags one or more names such as {@code latest} or {@code 1.0}
   * @return a new target
   * @throws OciException if none is given or one is not a valid reference name
   */
  public OciLayout tag(String... tags) {
    return new OciLayout(directory, Tags.layoutTags(tags, "OCI layout " + directory), layers);
  }

  /**
   * The gzip level of new layers: 1 is fastest, 9 smallest, default 6. Another level gives
   * other layer digests.
   *
   * @param level 1 to 9
   * @return a new target
   */
  public OciLayout compressionLevel(int level) {
    return new OciLayout(directory, tags, layers.withGzipLevel(level));
  }

  /**
   * How layers are compressed: {@link LayerCompression#gzip()} (the default) or
   * {@link LayerCompression#zstd()} (faster; not every tool reads zstd layers). Replaces
   * {@link #compressionLevel(int)}.
   *
   * @param compression the algorithm and level
   * @return a new target
   */
  public OciLayout compression(LayerCompression compression) {
    return new OciLayout(directory, tags, layers.withCompression(compression));
  }

  /**
   * How layers are compressed.
   *
   * @return the compression, gzip level 6 unless set
   */
  public LayerCompression compression() {
    return layers.compression();
  }

  /**
   * Where compressed layers are reused from and kept; {@link LayerCache#defaults()} unless
   * set (resolved when writing), {@link LayerCache#disabled()} to compress every layer anew.
   *
   * @param cache the layer cache
   * @return a new target
   */
  public OciLayout cache(LayerCache cache) {
    return new OciLayout(directory, tags, layers.withCache(cache));
  }

  /** {@return the layout directory, absolute and normalised} */
  public Path directory() {
    return directory;
  }

  /** {@return the tags pointed at the image, {@code latest} unless set} */
  public List<String> tags() {
    return tags;
  }

  @Override
  public WriteResult write(ImageSpec image, ProgressListener listener) {
    return write(List.of(Objects.requireNonNull(image, "image")), false, listener);
  }

  @Override
  public WriteResult writeIndex(List<ImageSpec> images, ProgressListener listener) {
    return write(Targets.indexImages(images, description()), true, listener);
  }

  private WriteResult write(List<ImageSpec> images, boolean index, ProgressListener listener) {
    Objects.requireNonNull(listener, "listener");
    String where = description();
    ImageWriter.Written written = Layouts.write(directory, tags, images, index, layers.compressor(), listener, where,
        layers.cacheOrDefault());
    return Targets.finished(written, listener, where, LOG);
  }

  /** E.g. {@code oci-layout /tmp/img:latest,1.0}. */
  @Override
  public String description() {
    return "oci-layout " + directory + ":" + String.join(",", tags);
  }

  @Override
  public String toString() {
    return description();
  }
}
