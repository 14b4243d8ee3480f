package dev.scratchkit.oci;

import dev.scratchkit.internal.oci.Archives;
import dev.scratchkit.internal.oci.BlobStore;
import dev.scratchkit.internal.oci.ImageJson;
import dev.scratchkit.internal.oci.ImageWriter;
import dev.scratchkit.internal.oci.Json;
import dev.scratchkit.internal.oci.Tags;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A docker-archive (what {@code docker save} writes and {@code docker load}, {@code podman
 * load} and {@code skopeo ... docker-archive:FILE} read) as target: {@code manifest.json} with
 * {@code Config}, {@code RepoTags} and {@code Layers}, the config and the gzip-compressed layers
 * under {@code blobs/sha256/} (the names Docker 25+ uses), and beside them the OCI manifest blob,
 * which loaders ignore and {@link OciImages} finds, so the archive reads back with the digest the
 * write reported. Like {@link OciArchive} the file is
 * replaced as a whole at the end. It holds one image per file, so it refuses an index.
 */
public final class DockerArchive implements ImageTarget {

  private static final Logger LOG = LoggerFactory.getLogger(DockerArchive.class);

  private final Path file;
  private final List<String> tags;
  private final LayerSettings layers;

  private DockerArchive(Path file, List<String> tags, LayerSettings layers) {
    this.file = file;
    this.tags = tags;
    this.layers = layers;
  }

  /**
   * A docker-archive at {@code file}; give its tag with {@link #tag(String...)}.
   *
   * @param file the archive file; its directory must exist
   * @return the target
   */
  public static DockerArchive at(Path file) {
    return new DockerArchive(Objects.requireNonNull(file, "file").toAbsolutePath().normalize(), List.of(),
        LayerSettings.DEFAULT);
  }

  /**
   * The repository tags ({@code RepoTags}) {@code docker load} gives the image.
   *
   * @param tags one or more {@code repo:tag} such as {@code app:1}
   * @return a new target
   * @throws OciException if none is given or one is not {@code repo:tag}
   */
  public DockerArchive tag(String... tags) {
    return new DockerArchive(file, Tags.repoTags(tags, "docker-archive " + file), layers);
  }

  /**
   * The gzip level of the layers: 1 fastest, 9 smallest, default 6.
   *
   * @param level 1 to 9
   * @return a new target
   */
  public DockerArchive compressionLevel(int level) {
    return new DockerArchive(file, tags, layers.withGzipLevel(level));
  }

  /**
   * Where compressed layers are reused from and kept; {@link LayerCache#defaults()} unless
   * set (resolved when writing), {@link LayerCache#disabled()} to compress every layer anew.
   *
   * @param cache the layer cache
   * @return a new target
   */
  public DockerArchive cache(LayerCache cache) {
    return new DockerArchive(file, tags, layers.withCache(cache));
  }

  /** {@return the archive file, absolute and normalised} */
  public Path file() {
    return file;
  }

  /** {@return the repository tags ({@code RepoTags}), empty until {@link #tag(String...)} is called} */
  public List<String> tags() {
    return tags;
  }

  @Override
  public WriteResult write(ImageSpec image, ProgressListener listener) {
    Objects.requireNonNull(image, "image");
    Objects.requireNonNull(listener, "listener");
    String where = description();
    if (tags.isEmpty()) {
      throw new OciException("no tag given for " + where + "; a docker-archive needs repo:tag,"
          + " e.g. DockerArchive.at(file).tag(\"app:latest\")");
    }
    ImageWriter.preflight(List.of(image));
    ImageWriter.Written written = Archives.write(file, image.created(), "docker-archive", staging -> {
      // Not durable blob by blob: the archive is synced as a whole before its rename.
      BlobStore store = new BlobStore(staging.resolve("blobs").resolve("sha256"), staging.resolve(".tmp"), where, false);
      ImageWriter.Written w = new ImageWriter(store, layers.compressor(), listener, where, layers.cacheOrDefault())
          .writeImage(image);
      Map<String, Object> entry = Json.object();
      entry.put("Config", "blobs/sha256/" + w.config().hex());
      entry.put("RepoTags", tags);
      // One name per layer of the config, a repeated layer repeated: loaders match them to diff_ids one to one.
      entry.put("Layers", w.layers().stream().map(l -> "blobs/sha256/" + l.digest().hex()).toList());
      Files.write(staging.resolve("manifest.json"), ImageJson.bytes(List.of(entry)));
      // The manifest blob stays beside the config and layers (as Docker 25+ keeps it): loaders
      // ignore it, and reading the archive back finds the digest this write reports.
      dev.scratchkit.internal.oci.Layouts.deleteTree(staging.resolve(".tmp"));
      return w;
    });
    return Targets.finished(written, listener, where, LOG);
  }

  /**
   * Refuses: a docker-archive holds images of one platform only.
   *
   * @throws OciException always, pointing to {@link OciLayout} and {@link OciArchive}
   */
  @Override
  public WriteResult writeIndex(List<ImageSpec> images, ProgressListener listener) {
    throw new OciException("cannot write a multi-platform image index to " + description()
        + ": the docker-archive format holds single-platform images only; write the index to an OciLayout or"
        + " OciArchive, or write one docker-archive per platform");
  }

  /** E.g. {@code docker-archive /tmp/img.tar:app:1}. */
  @Override
  public String description() {
    return "docker-archive " + file + (tags.isEmpty() ? "" : ":" + String.join(",", tags));
  }

  @Override
  public String toString() {
    return description();
  }
}
