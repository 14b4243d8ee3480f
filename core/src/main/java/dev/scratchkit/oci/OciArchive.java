package dev.scratchkit.oci;

import dev.scratchkit.internal.oci.Archives;
import dev.scratchkit.internal.oci.ImageWriter;
import dev.scratchkit.internal.oci.Layouts;
import dev.scratchkit.internal.oci.Tags;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An OCI archive (a tar of an OCI image layout, what {@code skopeo copy ... oci-archive:FILE}
 * reads) as target. The file is replaced as a whole: written beside the destination under a
 * temp name and renamed at the end, so a failed write leaves any previous file intact. The
 * tar itself is reproducible (sorted names, root-owned, mtime = the image's creation time).
 *
 * <p>Layers found in the layer cache are copied from it straight into the archive, their digest
 * checked on the way (a damaged entry makes the write start again from verified copies). An
 * archive this JVM wrote, still the same file (device and inode, size, modification and change
 * time), that would get exactly the same members is left as it is: rebuilding an unchanged image
 * costs no copy and no sync.
 */
public final class OciArchive implements ImageTarget {

  private static final Logger LOG = LoggerFactory.getLogger(OciArchive.class);

  private final Path file;
  private final List<String> tags;
  private final LayerSettings layers;

  private OciArchive(Path file, List<String> tags, LayerSettings layers) {
    this.file = file;
    this.tags = tags;
    this.layers = layers;
  }

  /**
   * An archive at {@code file}, tag {@code latest}.
   *
   * @param file the archive file; its directory must exist
   * @return the target
   */
  public static OciArchive at(Path file) {
    return new OciArchive(Objects.requireNonNull(file, "file").toAbsolutePath().normalize(), List.of("latest"),
        LayerSettings.DEFAULT);
  }

  /**
   * The tags of the image in the archive's index, replacing the default {@code latest}.
   *
   * @param tags one or more names such as {@code latest}
   * @return a new target
   */
  public OciArchive tag(String... tags) {
    return new OciArchive(file, Tags.layoutTags(tags, "OCI archive " + file), layers);
  }

  /**
   * The gzip level of the layers: 1 fastest, 9 smallest, default 6.
   *
   * @param level 1 to 9
   * @return a new target
   */
  public OciArchive compressionLevel(int level) {
    return new OciArchive(file, tags, layers.withGzipLevel(level));
  }

  /**
   * How layers are compressed: {@link LayerCompression#gzip()} (the default) or
   * {@link LayerCompression#zstd()} (faster; not every tool reads zstd layers). Replaces
   * {@link #compressionLevel(int)}.
   *
   * @param compression the algorithm and level
   * @return a new target
   */
  public OciArchive compression(LayerCompression compression) {
    return new OciArchive(file, tags, layers.withCompression(compression));
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
  public OciArchive cache(LayerCache cache) {
    return new OciArchive(file, tags, layers.withCache(cache));
  }

  /** {@return the archive file, absolute and normalised} */
  public Path file() {
    return file;
  }

  /** {@return the tags the image gets in the archive's index, {@code latest} unless set} */
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
    // Layouts.write checks the source files, once, before its staging layout gets anything.
    String where = description();
    Instant mtime = images.stream().map(ImageSpec::created).max(Comparator.naturalOrder()).orElseThrow();
    ImageWriter.Written written;
    try {
      written = write(images, index, listener, where, mtime, true);
    } catch (Archives.DamagedReferenceException e) {
      LOG.warn("layer cache entry {}; writing {} again from verified copies", e.getMessage(), where);
      written = write(images, index, listener, where, mtime, false);
    }
    return Targets.finished(written, listener, where, LOG);
  }

  /**
   * One attempt. With {@code reference}, layer cache hits are not copied into the staging
   * layout but straight into the archive, checked on the way; a damaged one fails the attempt.
   */
  private ImageWriter.Written write(List<ImageSpec> images, boolean index, ProgressListener listener, String where,
      Instant mtime, boolean reference) {
    java.util.Map<Digest, dev.scratchkit.internal.oci.BlobStore.Reference> references = new java.util.HashMap<>();
    return Archives.write(file, mtime, "OCI archive", staging -> {
      // Not durable blob by blob: the archive is synced as a whole before its rename.
      ImageWriter.Written w = Layouts.write(staging, tags, images, index, layers.compressor(), listener, where,
          layers.cacheOrDefault(), false, reference ? references : null);
      // Only the layout's own files go into the archive, not its lock file.
      Layouts.deleteTree(staging.resolve(Layouts.LOCK_FILE));
      return w;
    }, references);
  }

  /** E.g. {@code oci-archive /tmp/img.tar:latest}. */
  @Override
  public String description() {
    return "oci-archive " + file + ":" + String.join(",", tags);
  }

  @Override
  public String toString() {
    return description();
  }
}
