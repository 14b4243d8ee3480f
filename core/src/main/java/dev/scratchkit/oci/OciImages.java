package dev.scratchkit.oci;

import dev.scratchkit.elf.Platform;
import dev.scratchkit.internal.compress.ZstdCompression;
import dev.scratchkit.internal.oci.Json;
import dev.scratchkit.internal.oci.MediaTypes;
import dev.scratchkit.internal.oci.read.ArchiveMembers;
import dev.scratchkit.internal.oci.read.Decompression;
import dev.scratchkit.internal.oci.read.HashingInputStream;
import dev.scratchkit.internal.oci.read.JsonDoc;
import dev.scratchkit.internal.oci.read.LayoutFiles;
import dev.scratchkit.internal.oci.read.TarReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads images back: from an OCI layout directory, an OCI archive or a docker-archive
 * ({@code docker save}, legacy or OCI-style). Lists tags, manifests and configs, and the entries
 * of each layer, for tests, for the doctor and for users inspecting what they built.
 *
 * <pre>{@code
 * OciImages images = OciImages.read(Path.of("build/image"));
 * OciImages.Image image = images.image("latest");
 * images.entries(image.layers().get(0)).forEach(System.out::println);
 * }</pre>
 *
 * <p><b>Every image is treated as hostile.</b> What is shown has been verified: each manifest
 * and config is read only up to its descriptor's size and must match its descriptor's digest
 * and size (a forged config is never shown under the original digest); each layer blob is
 * checked against its size when the image is read, and against its digest and the config's
 * diff ID while it is streamed. In a layout directory no path leaves the layout: {@code
 * blobs/}, {@code blobs/sha256/} and every blob must be a real directory or regular file, never
 * a symlink, and a FIFO, device or socket is refused before it is opened (so reading never
 * blocks). In an archive, a member that is a link or special file where content is expected is
 * refused, and so is a member name that appears twice; the one exception is a docker-archive
 * layer that is a relative symlink to another regular member, as {@code docker save} writes for
 * layers that several images share, resolved in the archive's own index (never on disk). Entry names with {@code ..} are refused.
 * All work is bounded by {@link Limits}: JSON size and depth, descriptors, index depth, tags,
 * entries, bytes decompressed, tar header sizes and archive members.
 *
 * <p><b>Errors.</b> Every failure is an {@link OciException} (unchecked, a {@link
 * dev.scratchkit.ScratchImageException}) whose message names the source, the document, blob or
 * entry, what was found and how to fix it; a limit's message names the limit (e.g. {@code limit
 * layerEntries}) and the {@link Limits} method that raises it. No other exception escapes for
 * bad input: not {@code IOException}, {@code ClassCastException}, {@code NullPointerException}
 * nor {@code DateTimeParseException}. A zstd layer read without {@code com.github.luben:zstd-jni}
 * on the class path fails with an {@link OciException} naming that artifact.
 *
 * <p>JSON documents are read whole (they are small and bounded); layers are streamed on request.
 * A layer's digest and diff ID are known only at its end, so {@link #readLayer} hands entries on
 * as they come and throws at the end when the blob does not match: discard what was read then.
 * {@link #entries(Layer)} returns only verified listings.
 */
public final class OciImages {

  /** The kind of source. */
  public enum Kind {
    /** An OCI image layout directory. */
    OCI_LAYOUT,
    /** A tar of an OCI image layout. */
    OCI_ARCHIVE,
    /** A {@code docker save} archive with {@code manifest.json}. */
    DOCKER_ARCHIVE
  }

  /**
   * One image (one platform) under a tag.
   *
   * @param tag the tag (layout ref name, or docker {@code repo:tag}); empty string when untagged
   * @param manifestDigest the manifest's digest (for a docker-archive: of the OCI manifest of
   *     the same config and layers, as scratchkit reports it; absent from the archive itself)
   * @param manifestJson the manifest as stored (for a docker-archive: the manifest blob kept beside the
   *     config and layers, as scratchkit and Docker 25+ write it, when one matches exactly; else
   *     {@code null})
   * @param configDigest the config's digest
   * @param configJson the config as stored
   * @param platform the config's os/architecture/variant
   * @param created the config's {@code created}, or {@code null}
   * @param config the config's runtime part
   * @param layers the layers in order
   * @param source the images this one was read from, whose {@link OciImages#readLayer} reads its
   *     layers ({@code null} only while the reader builds it)
   */
  public record Image(String tag, Digest manifestDigest, String manifestJson, Digest configDigest, String configJson,
      Platform platform, Instant created, ContainerConfig config, List<Layer> layers, OciImages source) {
    /**
     * Copies the list of layers.
     *
     * @param tag the tag; empty string when untagged
     * @param manifestDigest the manifest's digest
     * @param manifestJson the manifest as stored, or {@code null} for a docker-archive without one
     * @param configDigest the config's digest
     * @param configJson the config as stored
     * @param platform the config's os/architecture/variant
     * @param created the config's {@code created}, or {@code null}
     * @param config the config's runtime part
     * @param layers the layers in order
     * @param source the images this one was read from
     * @throws NullPointerException if the layers are {@code null}
     */
    public Image {
      layers = List.copyOf(layers);
    }

    /** E.g. {@code latest sha256:... linux/amd64, 2 layers}. */
    @Override
    public String toString() {
      return (tag.isEmpty() ? "<untagged>" : tag) + " " + manifestDigest + " " + platform + ", " + layers.size()
          + " layers";
    }
  }

  /**
   * A layer of an image.
   *
   * @param digest the blob digest
   * @param diffId the config's diff ID for this layer
   * @param size the blob size
   * @param mediaType the blob's media type
   * @param blobPath where the blob is: a file in a layout, or an entry name in an archive
   */
  public record Layer(Digest digest, Digest diffId, long size, String mediaType, String blobPath) {
    /** E.g. {@code sha256:... (1234 bytes)}. */
    @Override
    public String toString() {
      return digest + " (" + size + " bytes, " + mediaType + ")";
    }

    // Written out: the generated pair is linked through invokedynamic on first use, 10 to 50 ms of
    // every new JVM. RecordMethodsTest holds them to the generated answers and hashes.
    @Override
    public boolean equals(Object o) {
      return o instanceof Layer l && Objects.equals(digest, l.digest) && Objects.equals(diffId, l.diffId)
          && size == l.size && Objects.equals(mediaType, l.mediaType) && Objects.equals(blobPath, l.blobPath);
    }

    @Override
    public int hashCode() {
      int h = Objects.hashCode(digest);
      h = 31 * h + Objects.hashCode(diffId);
      h = 31 * h + Long.hashCode(size);
      h = 31 * h + Objects.hashCode(mediaType);
      return 31 * h + Objects.hashCode(blobPath);
    }
  }

  /**
   * One tar entry of a layer.
   *
   * @param path the absolute path in the image, e.g. {@code /etc/passwd}
   * @param type file, directory, symlink or hard link
   * @param mode permission bits
   * @param uid numeric owner
   * @param gid numeric group
   * @param size content size (0 except for files)
   * @param link the symlink text, or the hard link's target as an absolute path; empty otherwise
   * @param modified the modification time
   * @param userName the tar's user name (scratchkit writes it empty)
   * @param groupName the tar's group name (scratchkit writes it empty)
   */
  public record Entry(String path, LayerEntry.Type type, int mode, long uid, long gid, long size, String link,
      Instant modified, String userName, String groupName) {
    /**
     * {@return a line in the manner of {@code tar tv}: type, mode, owner, size and path, e.g.
     * {@code file 0755 0:0 1234 /bin/app}, {@code symlink 0777 0:0 0 /bin/sh -> busybox} or
     * {@code hard_link 0755 0:0 0 /bin/echo link to /bin/busybox}}
     */
    @Override
    public String toString() {
      return String.format("%s 0%o %d:%d %d %s%s", type.name().toLowerCase(java.util.Locale.ROOT), mode, uid, gid,
          size, path, link.isEmpty() ? "" : (type == LayerEntry.Type.HARD_LINK ? " link to " : " -> ") + link);
    }
  }


  /**
   * Bounds on the work of reading one source, so that a hostile image fails with a clear
   * message instead of exhausting memory or time. {@link #defaults()} fits every real image we
   * know of; raise a limit for a trusted image that exceeds it.
   *
   * @param jsonBytes the largest JSON document (index, manifest, config, manifest.json)
   * @param totalJsonBytes the JSON read from one source in all, over its distinct documents
   * @param jsonDepth the deepest nesting of arrays and objects in a document
   * @param descriptors descriptors (index entries, configs and layers) in one source in all,
   *     counting a document each time it is referenced
   * @param indexDepth image indexes nested below {@code index.json}
   * @param tags tags in one source
   * @param layerEntries tar entries in one layer
   * @param layerBytes bytes one layer decompresses to
   * @param imageBytes bytes decompressed by all reads of layers of this source together
   * @param tarHeaderBytes the largest GNU long name or PAX extended header
   * @param archiveMembers members of an archive file
   */
  public record Limits(long jsonBytes, long totalJsonBytes, int jsonDepth, int descriptors, int indexDepth, int tags,
      int layerEntries, long layerBytes, long imageBytes, long tarHeaderBytes, int archiveMembers) {

    /**
     * Validates the limits.
     *
     * @param jsonBytes the largest JSON document
     * @param totalJsonBytes the JSON read from one source in all
     * @param jsonDepth the deepest nesting in a document
     * @param descriptors descriptors in one source in all
     * @param indexDepth image indexes nested below {@code index.json}
     * @param tags tags in one source
     * @param layerEntries tar entries in one layer
     * @param layerBytes bytes one layer decompresses to
     * @param imageBytes bytes decompressed by all reads of this source's layers
     * @param tarHeaderBytes the largest GNU long name or PAX header
     * @param archiveMembers members of an archive file
     * @throws OciException if a limit is not positive (index depth: negative)
     */
    public Limits {
      if (jsonBytes < 1 || totalJsonBytes < 1 || jsonDepth < 1 || descriptors < 1 || indexDepth < 0 || tags < 1
          || layerEntries < 1 || layerBytes < 1 || imageBytes < 1 || tarHeaderBytes < 1 || archiveMembers < 1) {
        throw new OciException("invalid OciImages.Limits " + this + ": every limit must be positive (indexDepth may"
            + " be 0); start from Limits.defaults() and raise what you need");
      }
      if (jsonBytes > Integer.MAX_VALUE - 16) {
        throw new OciException("invalid OciImages.Limits: jsonBytes " + jsonBytes + " exceeds what one array holds");
      }
    }

    /**
     * The defaults: JSON 4 MiB per document, 32 MiB in all, 64 levels; 50,000 descriptors;
     * indexes 4 deep; 10,000 tags; 200,000 entries and 16 GiB per layer; 64 GiB decompressed per
     * source; 1 MiB tar headers; 100,000 archive members.
     *
     * @return the default limits
     */
    public static Limits defaults() {
      return new Limits(4L << 20, 32L << 20, 64, 50_000, 4, 10_000, 200_000, 16L << 30, 64L << 30, 1L << 20,
          100_000);
    }

    /**
     * The same with another JSON document size.
     *
     * @param bytes the largest JSON document
     * @return new limits
     */
    public Limits withJsonBytes(long bytes) {
      return new Limits(bytes, totalJsonBytes, jsonDepth, descriptors, indexDepth, tags, layerEntries, layerBytes,
          imageBytes, tarHeaderBytes, archiveMembers);
    }

    /**
     * The same with another number of descriptors.
     *
     * @param count descriptors in one source in all
     * @return new limits
     */
    public Limits withDescriptors(int count) {
      return new Limits(jsonBytes, totalJsonBytes, jsonDepth, count, indexDepth, tags, layerEntries, layerBytes,
          imageBytes, tarHeaderBytes, archiveMembers);
    }

    /**
     * The same with another number of tags.
     *
     * @param count tags in one source
     * @return new limits
     */
    public Limits withTags(int count) {
      return new Limits(jsonBytes, totalJsonBytes, jsonDepth, descriptors, indexDepth, count, layerEntries,
          layerBytes, imageBytes, tarHeaderBytes, archiveMembers);
    }

    /**
     * The same with another number of entries per layer.
     *
     * @param count tar entries in one layer
     * @return new limits
     */
    public Limits withLayerEntries(int count) {
      return new Limits(jsonBytes, totalJsonBytes, jsonDepth, descriptors, indexDepth, tags, count, layerBytes,
          imageBytes, tarHeaderBytes, archiveMembers);
    }

    /**
     * The same with other decompression bounds.
     *
     * @param perLayer bytes one layer decompresses to
     * @param perSource bytes decompressed by all reads of this source's layers
     * @return new limits
     */
    public Limits withDecompressedBytes(long perLayer, long perSource) {
      return new Limits(jsonBytes, totalJsonBytes, jsonDepth, descriptors, indexDepth, tags, layerEntries, perLayer,
          perSource, tarHeaderBytes, archiveMembers);
    }

    /**
     * The same with another JSON nesting depth.
     *
     * @param depth the deepest nesting of arrays and objects in a document
     * @return new limits
     */
    public Limits withJsonDepth(int depth) {
      return new Limits(jsonBytes, totalJsonBytes, depth, descriptors, indexDepth, tags, layerEntries, layerBytes,
          imageBytes, tarHeaderBytes, archiveMembers);
    }

    /**
     * The same with another total of JSON read from one source.
     *
     * @param bytes the JSON read from one source in all
     * @return new limits
     */
    public Limits withTotalJsonBytes(long bytes) {
      return new Limits(jsonBytes, bytes, jsonDepth, descriptors, indexDepth, tags, layerEntries, layerBytes,
          imageBytes, tarHeaderBytes, archiveMembers);
    }

    /**
     * The same with another index nesting depth.
     *
     * @param depth image indexes nested below {@code index.json}
     * @return new limits
     */
    public Limits withIndexDepth(int depth) {
      return new Limits(jsonBytes, totalJsonBytes, jsonDepth, descriptors, depth, tags, layerEntries, layerBytes,
          imageBytes, tarHeaderBytes, archiveMembers);
    }

    /**
     * The same with another number of archive members.
     *
     * @param count members of an archive file
     * @return new limits
     */
    public Limits withArchiveMembers(int count) {
      return new Limits(jsonBytes, totalJsonBytes, jsonDepth, descriptors, indexDepth, tags, layerEntries,
          layerBytes, imageBytes, tarHeaderBytes, count);
    }

    /**
     * The same with another tar header bound.
     *
     * @param bytes the largest GNU long name or PAX extended header
     * @return new limits
     */
    public Limits withTarHeaderBytes(long bytes) {
      return new Limits(jsonBytes, totalJsonBytes, jsonDepth, descriptors, indexDepth, tags, layerEntries,
          layerBytes, imageBytes, bytes, archiveMembers);
    }
  }

  /**
   * Receives a layer's entries in tar order, from {@link #readLayer(Layer, LayerReader)}.
   */
  @FunctionalInterface
  public interface LayerReader {
    /**
     * One entry.
     *
     * @param entry the entry
     * @param content the file's content (exactly {@link Entry#size()} bytes), or an empty stream
     *     for anything but a file; valid only during this call, need not be read or closed
     * @throws IOException to stop reading; it is passed on wrapped in an {@link OciException}
     */
    void entry(Entry entry, InputStream content) throws IOException;
  }

  private static final Pattern BLOB_NAME = Pattern.compile("blobs/sha256/([0-9a-f]{64})");
  private static final Pattern LEGACY_CONFIG_NAME = Pattern.compile("([0-9a-f]{64})\\.json");
  private static final Set<String> CONFIG_TYPES = Set.of(MediaTypes.CONFIG,
      "application/vnd.docker.container.image.v1+json");
  /** Names and link texts one {@link #entries(Layer)} listing keeps in memory. */
  private static final long MAX_LISTING_CHARS = 32L << 20;
  /** The longest entry name or hard link target: Linux's PATH_MAX. */
  private static final int MAX_PATH_BYTES = 4096;

  private final Path source;
  private final Kind kind;
  private final List<Image> images;
  private final Limits limits;
  private final ArchiveMembers members;
  private final Set<Layer> layers;
  private final AtomicLong decompressed = new AtomicLong();

  private OciImages(Path source, Kind kind, List<Image> images, Limits limits, ArchiveMembers members) {
    this.source = source;
    this.kind = kind;
    // Each image keeps its source, so that its layers can be read from the image alone.
    this.images = images.stream().map(i -> new Image(i.tag(), i.manifestDigest(), i.manifestJson(), i.configDigest(),
        i.configJson(), i.platform(), i.created(), i.config(), i.layers(), this)).toList();
    this.limits = limits;
    this.members = members;
    Set<Layer> all = new HashSet<>();
    images.forEach(i -> all.addAll(i.layers()));
    this.layers = Set.copyOf(all);
  }

  /**
   * Reads a layout directory, an OCI archive or a docker-archive, within {@link Limits#defaults()}.
   *
   * @param layoutOrArchive a directory or a tar file
   * @return what it holds
   * @throws OciException naming the path when it is neither, is damaged, does not match its
   *     digests, leaves the layout, or exceeds a limit
   */
  public static OciImages read(Path layoutOrArchive) {
    return read(layoutOrArchive, Limits.defaults());
  }

  /**
   * Reads a layout directory, an OCI archive or a docker-archive, within the given limits.
   *
   * @param layoutOrArchive a directory or a tar file
   * @param limits the bounds of the work
   * @return what it holds
   * @throws OciException naming the path when it is neither, is damaged, does not match its
   *     digests, leaves the layout, or exceeds a limit
   */
  public static OciImages read(Path layoutOrArchive, Limits limits) {
    Objects.requireNonNull(limits, "limits");
    Path path = layoutOrArchive.toAbsolutePath().normalize();
    try {
      BasicFileAttributes a;
      try {
        a = Files.readAttributes(path, BasicFileAttributes.class);
      } catch (NoSuchFileException e) {
        throw new OciException("cannot read images from " + path + ": it does not exist; check the path");
      }
      if (a.isDirectory()) {
        LayoutFiles files = new LayoutFiles(path);
        Source src = new DirSource(path, files);
        if (!files.exists("index.json")) {
          throw new OciException("cannot read images from " + path + ": it has no index.json, so it is not an OCI"
              + " image layout; give a layout directory or an archive file");
        }
        return new OciImages(path, Kind.OCI_LAYOUT, new OciReader(src, path, limits).read(), limits, null);
      }
      if (!a.isRegularFile()) {
        throw new OciException("cannot read images from " + path + ": it is a special file (FIFO, device or"
            + " socket), not a layout directory or an archive file; reading it could block forever");
      }
      ArchiveMembers archive = ArchiveMembers.scan(path, limits.archiveMembers(), limits.tarHeaderBytes());
      Source src = new ArchiveSource(path, archive);
      if (archive.regular("index.json", "the index").isPresent()) {
        return new OciImages(path, Kind.OCI_ARCHIVE, new OciReader(src, path, limits).read(), limits, archive);
      }
      if (archive.regular("manifest.json", "the docker manifest").isPresent()) {
        return new OciImages(path, Kind.DOCKER_ARCHIVE, new DockerReader(src, archive, path, limits).read(), limits,
            archive);
      }
      throw new OciException("cannot read images from " + path + ": the tar has neither index.json (OCI archive)"
          + " nor manifest.json (docker-archive)");
    } catch (IOException e) {
      throw new OciException("cannot read images from " + path + ": " + e + "; is it a layout or an image archive,"
          + " and readable?", e);
    }
  }

  /** {@return what was read: a layout directory or an archive file, absolute and normalised} */
  public Path source() {
    return source;
  }

  /** {@return the kind of source} */
  public Kind kind() {
    return kind;
  }

  /** {@return the limits this source is read within} */
  public Limits limits() {
    return limits;
  }

  /** {@return every image, in index order (one per tag and platform)} */
  public List<Image> images() {
    return images;
  }

  /** {@return the tags, in index order, without duplicates; untagged images add none} */
  public List<String> tags() {
    LinkedHashSet<String> tags = new LinkedHashSet<>();
    images.forEach(i -> {
      if (!i.tag().isEmpty()) {
        tags.add(i.tag());
      }
    });
    return List.copyOf(tags);
  }

  /**
   * The single image under a tag.
   *
   * @param tag e.g. {@code latest}
   * @return the image
   * @throws OciException if the tag is missing or names several platforms (use {@link #images()})
   */
  public Image image(String tag) {
    List<Image> found = images.stream().filter(i -> i.tag().equals(tag)).toList();
    if (found.isEmpty()) {
      List<String> tags = tags();
      throw new OciException("no image tagged \"" + TarReader.printable(tag) + "\" in " + source + "; its tags are "
          + (tags.size() > 20 ? tags.subList(0, 20) + " and " + (tags.size() - 20) + " more" : tags));
    }
    if (found.size() > 1) {
      throw new OciException("the tag \"" + tag + "\" in " + source + " is an index of " + found.size()
          + " platforms; pick one from images()");
    }
    return found.get(0);
  }

  /**
   * Lists a layer's tar entries in archive order, streaming the blob; returns only when the
   * blob matched its digest and size and the tar its diff ID.
   *
   * @param layer a layer of one of {@link #images()}
   * @return the entries
   * @throws OciException when the blob is missing, damaged or forged, a limit is exceeded, or
   *     the listing would keep more than 32 MiB of names (use {@link #readLayer} then)
   */
  public List<Entry> entries(Layer layer) {
    List<Entry> entries = new ArrayList<>();
    long[] chars = {0};
    readLayer(layer, (entry, content) -> {
      chars[0] += entry.path().length() + entry.link().length();
      if (chars[0] > MAX_LISTING_CHARS) {
        throw new OciException("cannot list layer " + layer.digest() + " of " + source + ": its names add up to more"
            + " than " + MAX_LISTING_CHARS + " characters, too many to keep in a list; stream it with readLayer");
      }
      entries.add(entry);
    });
    return List.copyOf(entries);
  }

  /**
   * Streams a layer's entries in tar order, each file with its content, verifying the blob's
   * size and digest and the tar's diff ID and keeping to the {@link #limits()}. The digest and
   * diff ID are known at the end: when they do not match, this throws after the last entry, and
   * whatever was read must be discarded.
   *
   * @param layer a layer of one of {@link #images()}
   * @param reader receives each entry and its content
   * @throws OciException when the blob is missing, damaged or forged, an entry is malformed or
   *     has a name with {@code ..}, a limit is exceeded, or {@code reader} throws an
   *     {@link IOException} (as the cause)
   */
  public void readLayer(Layer layer, LayerReader reader) {
    Objects.requireNonNull(layer, "layer");
    Objects.requireNonNull(reader, "reader");
    String where = "layer " + layer.digest() + " of " + source;
    if (!layers.contains(layer)) {
      throw new OciException(where + ": it is not a layer of this source; pass a layer from images()");
    }
    Decompression.Kind compression = Decompression.ofMediaType(layer.mediaType());
    if (compression == null) {
      throw new OciException(where + " has media type \"" + TarReader.printable(layer.mediaType())
          + "\", which is not a tar layer (tar, tar+gzip or tar+zstd); scratchkit cannot list it");
    }
    try (InputStream raw = openLayer(layer, where)) {
      HashingInputStream blob = new HashingInputStream(raw, (total, chunk) -> {
        if (total > layer.size()) {
          throw new OciException(where + " is larger than the " + layer.size() + " bytes its manifest declares;"
              + " the blob was changed or replaced, so it is not used. Restore it or rewrite the image");
        }
      });
      boolean verified = false;
      try {
        InputStream tarBytes = Decompression.open(blob, compression, layer.mediaType(), where);
        HashingInputStream tarStream = new HashingInputStream(tarBytes, (total, chunk) -> {
          if (total > limits.layerBytes()) {
            throw new OciException(where + " decompresses to more than " + limits.layerBytes() + " bytes (limit"
                + " layerBytes); it is a decompression bomb or a very large layer. If you trust it, raise"
                + " OciImages.Limits.withDecompressedBytes");
          }
          if (decompressed.addAndGet(chunk) > limits.imageBytes()) {
            throw new OciException("reading " + where + ": the layers of " + source + " have decompressed to more"
                + " than " + limits.imageBytes() + " bytes in all (limit imageBytes). If you trust the image,"
                + " raise OciImages.Limits.withDecompressedBytes");
          }
        });
        TarReader tar = new TarReader(new java.io.BufferedInputStream(tarStream, 64 * 1024), where,
            limits.tarHeaderBytes());
        int count = 0;
        TarReader.Header h;
        while ((h = tar.next()) != null) {
          if (++count > limits.layerEntries()) {
            throw new OciException(where + " has more than " + limits.layerEntries() + " entries (limit"
                + " layerEntries); it is hostile or unusually large. If you trust it, raise"
                + " OciImages.Limits.withLayerEntries");
          }
          Entry entry = entry(h, where);
          reader.entry(entry, entry.type() == LayerEntry.Type.FILE ? tar.content() : InputStream.nullInputStream());
        }
        tarStream.drain();
        blob.drain();
        verifyBlob(blob, layer, where);
        verified = true;
        if (layer.diffId() != null) {
          Digest diffId = tarStream.digest();
          if (!diffId.equals(layer.diffId())) {
            throw new OciException(where + ": its uncompressed tar has digest " + diffId + " but the config lists diff"
                + " ID " + layer.diffId() + " for it; the config or the layer was forged or damaged, so the layer"
                + " is not used. Rebuild or re-pull the image");
          }
        }
      } catch (OciException | IOException e) {
        if (!verified) {
          // A damaged blob explains most failures: say so rather than what it broke.
          try {
            blob.drain();
            verifyBlob(blob, layer, where);
          } catch (OciException damaged) {
            damaged.addSuppressed(e);
            throw damaged;
          } catch (IOException | RuntimeException ignored) {
            // the first failure is the one to report
          }
        }
        throw e;
      }
    } catch (IOException e) {
      throw new OciException("cannot read " + where + ": " + e + "; the blob is missing, unreadable or damaged", e);
    }
  }

  private static void verifyBlob(HashingInputStream blob, Layer layer, String where) {
    if (blob.count() != layer.size()) {
      throw new OciException(where + " has " + blob.count() + " bytes but its manifest declares " + layer.size()
          + "; the blob was changed or truncated, so it is not used. Restore it or rewrite the image");
    }
    Digest actual = blob.digest();
    if (!actual.equals(layer.digest())) {
      throw new OciException(where + ": its bytes have digest " + actual + ", not the " + layer.digest()
          + " its manifest names; the blob was changed or forged, so it is not used. Restore it or rewrite the"
          + " image");
    }
  }

  private InputStream openLayer(Layer layer, String where) throws IOException {
    if (kind == Kind.OCI_LAYOUT) {
      try {
        return new LayoutFiles(source).open(layer.blobPath()).stream();
      } catch (NoSuchFileException e) {
        throw new OciException(where + " is missing (" + source.resolve(layer.blobPath())
            + "); the layout is incomplete. Write or copy the image again");
      }
    }
    ArchiveMembers.Member m = (kind == Kind.DOCKER_ARCHIVE
        ? members.regularFollowingLinks(layer.blobPath(), "the layer " + layer.digest())
        : members.regular(layer.blobPath(), "the layer " + layer.digest()))
        .orElseThrow(() -> new OciException(where + " is missing: the archive has no member \"" + layer.blobPath()
            + "\"; it is incomplete"));
    return members.open(m);
  }

  private Entry entry(TarReader.Header h, String where) {
    String path = imagePath(h.name(), where, h.headerOffset(), "name");
    LayerEntry.Type type = switch (h.type()) {
      case TarReader.FILE -> LayerEntry.Type.FILE;
      case TarReader.DIRECTORY -> LayerEntry.Type.DIRECTORY;
      case TarReader.SYMLINK -> LayerEntry.Type.SYMLINK;
      case TarReader.HARD_LINK -> LayerEntry.Type.HARD_LINK;
      default -> throw new OciException(where + ": the entry " + path + " (tar offset " + h.headerOffset() + ") is a "
          + (h.type() == TarReader.FIFO ? "FIFO" : "device node") + "; scratchkit reads files, directories and"
          + " links only, and a scratch image needs no device nodes (the runtime creates /dev)");
    };
    String link = h.linkName();
    if (type == LayerEntry.Type.HARD_LINK) {
      link = imagePath(link, where, h.headerOffset(), "hard link target");
    } else if (type == LayerEntry.Type.SYMLINK) {
      if (link.indexOf('\0') >= 0 || link.getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
        throw new OciException(where + ": the symlink " + path + " has a target with a NUL or longer than "
            + MAX_PATH_BYTES + " bytes; the layer is damaged or hostile");
      }
    } else {
      link = "";
    }
    return new Entry(path, type, h.mode(), h.uid(), h.gid(), type == LayerEntry.Type.FILE ? h.size() : 0, link,
        h.mtime(), h.userName(), h.groupName());
  }

  /** {@code ./a/b/} to {@code /a/b}; refuses {@code ..}, NUL and names over PATH_MAX. */
  private static String imagePath(String name, String where, long offset, String what) {
    if (name.indexOf('\0') >= 0 || name.getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
      throw new OciException(where + ": the entry at tar offset " + offset + " has a " + what + " with a NUL or longer"
          + " than " + MAX_PATH_BYTES + " bytes (\"" + TarReader.printable(name) + "\"); it cannot be unpacked");
    }
    StringBuilder out = new StringBuilder(name.length() + 1);
    for (int start = 0, end; start <= name.length(); start = end + 1) {
      end = name.indexOf('/', start);
      if (end < 0) {
        end = name.length();
      }
      String part = name.substring(start, end);
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        throw new OciException(where + ": the entry at tar offset " + offset + " has the " + what + " \""
            + TarReader.printable(name) + "\", which climbs out of the image root with \"..\"; unpacking it would"
            + " write outside the root, so the layer is refused as hostile");
      }
      out.append('/').append(part);
    }
    return out.length() == 0 ? "/" : out.toString();
  }

  // ---- sources

  /** Where documents and blobs are read from. */
  private interface Source {
    /** The size of a regular file or member, or -1 when absent. */
    long size(String name, String what) throws IOException;

    /** Opens a regular file or member; absent → {@link NoSuchFileException}. */
    InputStream open(String name, String what) throws IOException;

    /** For messages, e.g. {@code /tmp/img/blobs/sha256/ab..} or {@code /tmp/img.tar member blobs/..}. */
    String describe(String name);
  }

  private record DirSource(Path dir, LayoutFiles files) implements Source {
    @Override
    public long size(String name, String what) throws IOException {
      try {
        LayoutFiles.Opened o = files.open(name);
        o.stream().close();
        return o.size();
      } catch (NoSuchFileException e) {
        return -1;
      }
    }

    @Override
    public InputStream open(String name, String what) throws IOException {
      return files.open(name).stream();
    }

    @Override
    public String describe(String name) {
      return dir.resolve(name).toString();
    }
  }

  private record ArchiveSource(Path file, ArchiveMembers members) implements Source {
    @Override
    public long size(String name, String what) {
      return members.regular(name, what).map(ArchiveMembers.Member::size).orElse(-1L);
    }

    @Override
    public InputStream open(String name, String what) throws IOException {
      ArchiveMembers.Member m = members.regular(name, what).orElseThrow(() -> new NoSuchFileException(name));
      return members.open(m);
    }

    @Override
    public String describe(String name) {
      return "the member " + name + " of " + file;
    }
  }

  /** What every reader shares: the budget of documents and descriptors, and parsed configs. */
  private abstract static class Reader {
    final Source src;
    final Path where;
    final Limits limits;
    final JsonDoc json;
    final Map<Digest, Config> configs = new HashMap<>();
    final Set<Digest> readDigests = new HashSet<>();
    long jsonRead;
    int descriptors;
    int tags;

    Reader(Source src, Path where, Limits limits) {
      this.src = src;
      this.where = where;
      this.limits = limits;
      this.json = new JsonDoc(limits.jsonDepth());
    }

    void countDescriptor(String at) {
      if (++descriptors > limits.descriptors()) {
        throw new OciException(where + " has more than " + limits.descriptors() + " descriptors in all (limit"
            + " descriptors; at " + at + "); an index that references the same documents over and over, or an"
            + " image this large, is refused. If you trust it, raise OciImages.Limits.withDescriptors");
      }
    }

    String tag(String tag, String at) {
      if (tag == null || tag.isEmpty()) {
        return "";
      }
      boolean traversal = List.of(tag.split("[/:]")).contains("..");
      if (tag.length() > 1024 || tag.startsWith("/") || tag.contains("\\") || traversal
          || tag.codePoints().anyMatch(c -> Character.isISOControl(c) || Character.isWhitespace(c))) {
        throw new OciException(where + ": the tag \"" + TarReader.printable(tag) + "\" (" + at + ") is not a valid"
            + " reference name: " + (traversal ? "it has a \"..\" path segment" : "it is absolute, too long, or has"
            + " a backslash, space or control character") + "; tools that use tags as file names could be led"
            + " astray, so the image is refused. Retag it");
      }
      if (++tags > limits.tags()) {
        throw new OciException(where + " has more than " + limits.tags() + " tags (limit tags). If you trust it,"
            + " raise OciImages.Limits.withTags");
      }
      return tag;
    }

    /** Reads a whole JSON document, checking the size first and, when known, the digest. */
    byte[] document(String name, String what, Digest digest, long declaredSize) throws IOException {
      long size = src.size(name, what);
      if (size < 0) {
        throw new OciException(what + " is missing from " + where + " (" + src.describe(name) + "); the layout or"
            + " archive is incomplete. Write or copy the image again");
      }
      if (declaredSize >= 0 && size != declaredSize) {
        throw new OciException(what + " (" + src.describe(name) + ") is " + size + " bytes but its descriptor says "
            + declaredSize + "; the blob was changed or the descriptor forged, so it is not used. Restore the blob or"
            + " rewrite the image");
      }
      if (size > limits.jsonBytes()) {
        throw new OciException(what + " (" + src.describe(name) + ") is " + size + " bytes, more than the limit of "
            + limits.jsonBytes() + " for a JSON document (limit jsonBytes); it is hostile or damaged. If you trust"
            + " it, raise OciImages.Limits.withJsonBytes");
      }
      boolean first = digest == null || readDigests.add(digest);
      if (first) {
        jsonRead += size;
        if (jsonRead > limits.totalJsonBytes()) {
          throw new OciException(where + " has more than " + limits.totalJsonBytes() + " bytes of JSON documents"
              + " in all (limit totalJsonBytes, reached at " + what + "); it is hostile or unusually large. If you"
              + " trust it, raise OciImages.Limits.withTotalJsonBytes");
        }
      }
      byte[] bytes;
      try (InputStream in = src.open(name, what)) {
        bytes = in.readNBytes((int) size + 1);
      } catch (NoSuchFileException e) {
        throw new OciException(what + " disappeared from " + where + " while it was read (" + src.describe(name)
            + "); read it again when nothing writes to it");
      }
      if (bytes.length != size) {
        throw new OciException(what + " (" + src.describe(name) + ") changed size while it was read; read it again"
            + " when nothing writes to it");
      }
      if (digest != null) {
        Digest actual = Digest.ofSha256(dev.scratchkit.internal.oci.DigestingOutputStream.newSha256().digest(bytes));
        if (!actual.equals(digest)) {
          throw new OciException(what + " (" + src.describe(name) + ") has digest " + actual + ", not the " + digest
              + " it is referenced by; it was changed or forged, so it is not shown. Restore the blob or rewrite the"
              + " image");
        }
      }
      return bytes;
    }

    Config config(Digest digest, byte[] bytes, String what) {
      Config known = configs.get(digest);
      if (known != null) {
        return known;
      }
      Config c = Config.parse(json.parse(bytes, what), new String(bytes, StandardCharsets.UTF_8), what);
      configs.put(digest, c);
      return c;
    }
  }

  /** A parsed image config. */
  private record Config(Platform platform, Instant created, ContainerConfig config, List<Digest> diffIds,
      String json, long size) {

    static Config parse(JsonDoc.Node c, String text, String what) {
      c.requireObject();
      String os = c.string("os");
      String architecture = c.string("architecture");
      String variant = c.optString("variant");
      Platform platform;
      try {
        platform = new Platform(os, architecture, variant);
      } catch (dev.scratchkit.elf.ElfException e) {
        throw new OciException(what + ": its os/architecture/variant are not an OCI platform (" + e.getMessage()
            + "); the config is damaged");
      }
      String createdText = c.optString("created");
      Instant created = null;
      if (createdText != null) {
        try {
          created = Instant.parse(createdText);
        } catch (DateTimeParseException e) {
          throw new OciException(what + ": the field created is \"" + TarReader.printable(createdText)
              + "\", not an RFC 3339 time such as 2024-01-02T03:04:05Z; the config is damaged", e);
        }
      }
      JsonDoc.Node r = c.optObject("config");
      ContainerConfig config = ContainerConfig.empty();
      if (r != null) {
        try {
          String workingDir = r.optString("WorkingDir");
          config = new ContainerConfig(r.optString("User"), r.optStrings("Env"), r.optStrings("Entrypoint"),
              r.optStrings("Cmd"), workingDir == null || workingDir.isEmpty() ? null : workingDir,
              r.optKeys("ExposedPorts"), r.optStringMap("Labels"), r.optString("StopSignal"));
        } catch (OciException e) {
          throw new OciException(what + ": " + e.getMessage(), e);
        }
      }
      List<Digest> diffIds = new ArrayList<>();
      JsonDoc.Node rootfs = c.optObject("rootfs");
      if (rootfs != null) {
        for (JsonDoc.Node d : rootfs.optArray("diff_ids")) {
          diffIds.add(d.asDigest());
        }
      }
      return new Config(platform, created, config, List.copyOf(diffIds), text,
          text.getBytes(StandardCharsets.UTF_8).length);
    }
  }

  /** A descriptor of an index's entry, kept so that a document referenced again is not parsed again. */
  private record Child(Digest digest, long size, String mediaType, String tag, String at) {}

  // ---- OCI layout and archive

  private static final class OciReader extends Reader {
    private final Map<Digest, List<Child>> indexes = new HashMap<>();
    private final Map<Digest, Optional<Image>> manifests = new HashMap<>();
    private final List<Image> images = new ArrayList<>();

    OciReader(Source src, Path where, Limits limits) {
      super(src, where, limits);
    }

    List<Image> read() throws IOException {
      String what = "the index index.json of " + where;
      JsonDoc.Node index = json.parse(document("index.json", what, null, -1), what).requireObject();
      schema(index);
      for (JsonDoc.Node d : index.optArray("manifests")) {
        countDescriptor("index.json " + d.path());
        Child child = child(d, "index.json " + d.path(), true);
        visit(child, child.tag(), 0, new ArrayDeque<>());
      }
      return images;
    }

    private static void schema(JsonDoc.Node doc) {
      Long version = doc.optLong("schemaVersion");
      if (version != null && version != 2) {
        throw new OciException(doc.document() + " has schemaVersion " + version + "; scratchkit reads version 2"
            + " (OCI image-spec 1.x and Docker schema 2) only");
      }
    }

    /** A descriptor; only those of index.json name tags (a nested index's images take its tag). */
    private Child child(JsonDoc.Node d, String at, boolean top) {
      d.requireObject();
      Digest digest = d.digest("digest");
      long size = d.size("size");
      String mediaType = d.optString("mediaType");
      JsonDoc.Node annotations = d.optObject("annotations");
      String tag = "";
      if (top && annotations != null) {
        tag = tag(annotations.optString(MediaTypes.REF_NAME), at);
      }
      return new Child(digest, size, mediaType, tag, at);
    }

    private void visit(Child d, String tag, int depth, Deque<Digest> chain) throws IOException {
      boolean index = MediaTypes.INDEX.equals(d.mediaType()) || MediaTypes.DOCKER_INDEX.equals(d.mediaType());
      boolean manifest = MediaTypes.MANIFEST.equals(d.mediaType()) || MediaTypes.DOCKER_MANIFEST.equals(d.mediaType());
      if (d.mediaType() != null && !index && !manifest) {
        return; // an artifact (signature, attestation, ...): not an image
      }
      if (chain.contains(d.digest())) {
        throw new OciException("the index " + d.digest() + " in " + where + " refers back to itself (at " + d.at()
            + ", through " + chain + "); an index cycle never ends, so the layout is refused as hostile or damaged");
      }
      checkSameSize(d);
      if (!index && manifests.containsKey(d.digest())) {
        manifests.get(d.digest()).ifPresent(i -> images.add(withTag(i, tag)));
        return;
      }
      List<Child> children = indexes.get(d.digest());
      if (children == null) {
        String what = "the " + (index ? "index" : manifest ? "manifest" : "document") + " " + d.digest() + " (" + d.at()
            + ") in " + where;
        if (d.size() > limits.jsonBytes()) {
          throw new OciException(what + " is declared as " + d.size() + " bytes, more than the limit of "
              + limits.jsonBytes() + " for a JSON document (limit jsonBytes). If you trust it, raise"
              + " OciImages.Limits.withJsonBytes");
        }
        byte[] bytes = document("blobs/sha256/" + d.digest().hex(), what, d.digest(), d.size());
        JsonDoc.Node doc = json.parse(bytes, what).requireObject();
        schema(doc);
        String docType = doc.optString("mediaType");
        if (d.mediaType() != null && docType != null && !d.mediaType().equals(docType)) {
          throw new OciException(what + " says it is " + docType + " but its descriptor says " + d.mediaType()
              + "; the two disagree, so the image is refused as damaged or forged");
        }
        String type = d.mediaType() != null ? d.mediaType() : docType != null ? docType
            : doc.has("manifests") ? MediaTypes.INDEX : MediaTypes.MANIFEST;
        if (MediaTypes.INDEX.equals(type) || MediaTypes.DOCKER_INDEX.equals(type)) {
          children = new ArrayList<>();
          for (JsonDoc.Node c : doc.optArray("manifests")) {
            countDescriptor(d.digest() + " " + c.path());
            children.add(child(c, "the index " + d.digest() + " " + c.path(), false));
          }
          indexes.put(d.digest(), children);
          sizes.put(d.digest(), d.size());
        } else if (MediaTypes.MANIFEST.equals(type) || MediaTypes.DOCKER_MANIFEST.equals(type)) {
          Optional<Image> image = Optional.ofNullable(manifestImage(d.digest(), bytes, doc, what));
          manifests.put(d.digest(), image);
          image.ifPresent(i -> images.add(withTag(i, tag)));
          sizes.put(d.digest(), d.size());
          return;
        } else {
          return;
        }
      } else {
        for (Child c : children) {
          countDescriptor(d.digest() + " " + c.at());
        }
      }
      if (depth + 1 > limits.indexDepth()) {
        throw new OciException("the index " + d.digest() + " (" + d.at() + ") in " + where + " nests indexes more than "
            + limits.indexDepth() + " deep (limit indexDepth); it is hostile or damaged. If you trust it, raise"
            + " OciImages.Limits.withIndexDepth");
      }
      chain.push(d.digest());
      for (Child c : children) {
        visit(c, tag, depth + 1, chain);
      }
      chain.pop();
    }

    private final Map<Digest, Long> sizes = new HashMap<>();

    private void checkSameSize(Child d) {
      Long size = sizes.get(d.digest());
      if (size != null && size != d.size()) {
        throw new OciException("the document " + d.digest() + " in " + where + " is " + size + " bytes but the"
            + " descriptor at " + d.at() + " says " + d.size() + "; the index is damaged or forged");
      }
    }

    private Image manifestImage(Digest digest, byte[] bytes, JsonDoc.Node doc, String what) throws IOException {
      JsonDoc.Node configDescriptor = doc.object("config");
      countDescriptor(digest + " config");
      String configType = configDescriptor.optString("mediaType");
      if (configType != null && !CONFIG_TYPES.contains(configType)) {
        return null; // an artifact manifest: not a runnable image
      }
      Digest configDigest = configDescriptor.digest("digest");
      long configSize = configDescriptor.size("size");
      String configWhat = "the config " + configDigest + " of the manifest " + digest + " in " + where;
      if (configSize > limits.jsonBytes()) {
        throw new OciException(configWhat + " is declared as " + configSize + " bytes, more than the limit of "
            + limits.jsonBytes() + " for a JSON document (limit jsonBytes). If you trust it, raise"
            + " OciImages.Limits.withJsonBytes");
      }
      Config config = configs.containsKey(configDigest) ? configs.get(configDigest)
          : config(configDigest, document("blobs/sha256/" + configDigest.hex(), configWhat, configDigest, configSize),
              configWhat);
      List<JsonDoc.Node> descriptors = doc.array("layers");
      if (descriptors.size() != config.diffIds().size()) {
        throw new OciException(what + " lists " + descriptors.size() + " layers but its config " + configDigest
            + " has " + config.diffIds().size() + " diff IDs; they must match one to one. The image is damaged");
      }
      List<Layer> layers = new ArrayList<>();
      for (int i = 0; i < descriptors.size(); i++) {
        JsonDoc.Node l = descriptors.get(i);
        countDescriptor(digest + " " + l.path());
        String mediaType = l.string("mediaType");
        Digest ld = l.digest("digest");
        long size = l.size("size");
        String name = "blobs/sha256/" + ld.hex();
        long actual = src.size(name, "the layer " + ld);
        boolean foreign = mediaType.contains("nondistributable") || mediaType.contains("foreign");
        if (actual < 0 && !foreign) {
          throw new OciException("the layer " + ld + " of the manifest " + digest + " is missing from " + where + " ("
              + src.describe(name) + "); the layout or archive is incomplete. Write or copy the image again");
        }
        if (actual >= 0 && actual != size) {
          throw new OciException("the layer " + ld + " (" + src.describe(name) + ") is " + actual + " bytes but the"
              + " manifest " + digest + " declares " + size + "; the blob was changed or the manifest forged, so it"
              + " is not used. Restore the blob or rewrite the image");
        }
        layers.add(new Layer(ld, config.diffIds().get(i), size, mediaType, name));
      }
      return new Image("", digest, new String(bytes, StandardCharsets.UTF_8), configDigest, config.json(),
          config.platform(), config.created(), config.config(), layers, null);
    }
  }

  private static Image withTag(Image i, String tag) {
    return new Image(tag, i.manifestDigest(), i.manifestJson(), i.configDigest(), i.configJson(), i.platform(),
        i.created(), i.config(), i.layers(), i.source());
  }

  // ---- docker-archive

  private static final class DockerReader extends Reader {
    private final ArchiveMembers archive;
    private final Map<String, Layer> hashed = new HashMap<>();

    DockerReader(Source src, ArchiveMembers archive, Path where, Limits limits) {
      super(src, where, limits);
      this.archive = archive;
    }

    List<Image> read() throws IOException {
      String what = "the docker manifest manifest.json of " + where;
      List<JsonDoc.Node> entries = json.parse(document("manifest.json", what, null, -1), what).requireArray();
      List<Image> images = new ArrayList<>();
      Set<String> referenced = new HashSet<>();
      for (JsonDoc.Node m : entries) {
        m.requireObject();
        referenced.add(memberName(m.string("Config"), what, m.path() + ".Config"));
        for (JsonDoc.Node n : m.array("Layers")) {
          referenced.add(memberName(n.asString(), what, n.path()));
        }
      }
      for (JsonDoc.Node m : entries) {
        countDescriptor("manifest.json " + m.path());
        String configName = memberName(m.string("Config"), what, m.path() + ".Config");
        Digest named = digestInName(configName);
        String configWhat = "the config " + configName + " (manifest.json " + m.path() + ") of " + where;
        Config config;
        Digest configDigest;
        if (named != null && configs.containsKey(named)) {
          configDigest = named; // read and verified already: a config listed again is not read again
          config = configs.get(named);
        } else {
          byte[] configBytes = document(configName, configWhat, named, -1);
          configDigest = named != null ? named : sha256(configBytes);
          config = config(configDigest, configBytes, configWhat);
        }
        List<JsonDoc.Node> names = m.array("Layers");
        if (names.size() != config.diffIds().size()) {
          throw new OciException(what + " lists " + names.size() + " layers at " + m.path() + " but the config "
              + configName + " has " + config.diffIds().size() + " diff IDs; they must match one to one. The archive"
              + " is damaged");
        }
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
          countDescriptor("manifest.json " + names.get(i).path());
          String name = memberName(names.get(i).asString(), what, names.get(i).path());
          ArchiveMembers.Member member = archive.regularFollowingLinks(name, "a layer").orElseThrow(
              () -> new OciException("the layer " + name + " listed in manifest.json is missing from " + where
                  + "; the archive is incomplete"));
          // Hashed once per member, however often it is listed or linked to.
          Layer blob = hashed.get(member.name());
          if (blob == null) {
            blob = hash(name, member);
            hashed.put(member.name(), blob);
          }
          layers.add(new Layer(blob.digest(), config.diffIds().get(i), blob.size(), blob.mediaType(), name));
        }
        long configSize = config.size();
        Optional<Map.Entry<Digest, String>> stored = storedManifest(configDigest, configSize, layers, referenced);
        Digest manifestDigest;
        String manifestJson = null;
        if (stored.isPresent()) {
          manifestDigest = stored.get().getKey();
          manifestJson = stored.get().getValue();
        } else {
          manifestDigest = sha256(synthesizedManifest(configDigest, configSize, layers));
        }
        List<String> repoTags = m.optStrings("RepoTags");
        Image image = new Image("", manifestDigest, manifestJson, configDigest, config.json(), config.platform(),
            config.created(), config.config(), layers, null);
        if (repoTags.isEmpty()) {
          images.add(image);
        }
        for (int t = 0; t < repoTags.size(); t++) {
          images.add(withTag(image, tag(repoTags.get(t), "manifest.json " + m.path() + ".RepoTags[" + t + "]")));
        }
      }
      return images;
    }

    private String memberName(String name, String what, String at) {
      String n = name;
      while (n.startsWith("./")) {
        n = n.substring(2);
      }
      if (n.isEmpty() || n.startsWith("/") || List.of(n.split("/")).contains("..") || n.indexOf('\0') >= 0) {
        throw new OciException(what + ": " + at + " is \"" + TarReader.printable(name) + "\", which is not a plain"
            + " relative member name (it is empty, absolute or climbs out with \"..\"); the archive is hostile or"
            + " damaged");
      }
      return n;
    }

    private static Digest digestInName(String name) {
      Matcher m = BLOB_NAME.matcher(name);
      if (m.matches()) {
        return Digest.of("sha256:" + m.group(1));
      }
      m = LEGACY_CONFIG_NAME.matcher(name);
      return m.matches() ? Digest.of("sha256:" + m.group(1)) : null;
    }

    /** Hashes a layer member once: digest, size and compression. */
    private Layer hash(String name, ArchiveMembers.Member m) throws IOException {
      HashingInputStream in;
      byte[] head;
      try (InputStream raw = archive.open(m)) {
        in = new HashingInputStream(raw, (total, chunk) -> { });
        head = in.readNBytes(4);
        in.drain();
      }
      Digest digest = in.digest();
      Matcher named = BLOB_NAME.matcher(m.name());
      if (named.matches() && !digest.hex().equals(named.group(1))) {
        throw new OciException("the layer " + m.name() + " of " + where + " has digest " + digest + ", not the one its"
            + " name says; it was changed or forged, so it is not used. Restore it or export the image again");
      }
      String mediaType = switch (Decompression.sniff(head, head.length)) {
        case GZIP -> MediaTypes.LAYER_GZIP;
        case ZSTD -> ZstdCompression.MEDIA_TYPE;
        case TAR -> MediaTypes.LAYER_TAR;
      };
      return new Layer(digest, null, m.size(), mediaType, name);
    }

    /** A small unreferenced blob that is an image manifest, as found once per archive. */
    private record Candidate(Digest digest, String json, Digest config, long configSize, List<Digest> layers,
        List<Long> sizes) {}

    private List<Candidate> candidates;

    /**
     * The manifest kept next to the config and layers (scratchkit's docker-archive and Docker
     * 25+ keep it as a blob), when one matches exactly; else empty. At most 16 small blobs that
     * manifest.json does not reference are looked at, each once.
     */
    private Optional<Map.Entry<Digest, String>> storedManifest(Digest config, long configSize, List<Layer> layers,
        Set<String> referenced) throws IOException {
      if (candidates == null) {
        candidates = new ArrayList<>();
        List<ArchiveMembers.Member> small = archive.all().values().stream()
            .filter(m -> BLOB_NAME.matcher(m.name()).matches() && !referenced.contains(m.name())
                && m.type() == TarReader.FILE && m.size() <= Math.min(limits.jsonBytes(), 1 << 20))
            .sorted(java.util.Comparator.comparing(ArchiveMembers.Member::name)).limit(16).toList();
        for (ArchiveMembers.Member m : small) {
          Digest digest = Digest.of("sha256:" + m.name().substring("blobs/sha256/".length()));
          String what = "the blob " + m.name() + " of " + where;
          byte[] bytes = document(m.name(), what, digest, m.size());
          try {
            JsonDoc.Node doc = json.parse(bytes, what).requireObject();
            String type = doc.optString("mediaType");
            if (!MediaTypes.MANIFEST.equals(type) && !MediaTypes.DOCKER_MANIFEST.equals(type)) {
              continue;
            }
            JsonDoc.Node c = doc.object("config");
            List<Digest> digests = new ArrayList<>();
            List<Long> sizes = new ArrayList<>();
            for (JsonDoc.Node l : doc.array("layers")) {
              digests.add(l.digest("digest"));
              sizes.add(l.size("size"));
            }
            candidates.add(new Candidate(digest, new String(bytes, StandardCharsets.UTF_8), c.digest("digest"),
                c.size("size"), digests, sizes));
          } catch (OciException notAManifest) {
            // another kind of blob: not a manifest we could match
          }
        }
      }
      List<Digest> digests = layers.stream().map(Layer::digest).toList();
      List<Long> sizes = layers.stream().map(Layer::size).toList();
      for (Candidate c : candidates) {
        if (c.config().equals(config) && c.configSize() == configSize && c.layers().equals(digests)
            && c.sizes().equals(sizes)) {
          return Optional.of(Map.entry(c.digest(), c.json()));
        }
      }
      return Optional.empty();
    }

    /** The OCI manifest scratchkit writes for this config and these layers. */
    private static byte[] synthesizedManifest(Digest config, long configSize, List<Layer> layers) {
      Map<String, Object> oci = Json.object();
      oci.put("schemaVersion", 2);
      oci.put("mediaType", MediaTypes.MANIFEST);
      Map<String, Object> cd = Json.object();
      cd.put("mediaType", MediaTypes.CONFIG);
      cd.put("digest", config.toString());
      cd.put("size", configSize);
      oci.put("config", cd);
      List<Object> descriptors = new ArrayList<>();
      for (Layer l : layers) {
        Map<String, Object> d = Json.object();
        d.put("mediaType", l.mediaType());
        d.put("digest", l.digest().toString());
        d.put("size", l.size());
        descriptors.add(d);
      }
      oci.put("layers", descriptors);
      return Json.write(oci).getBytes(StandardCharsets.UTF_8);
    }
  }

  private static Digest sha256(byte[] bytes) {
    return Digest.ofSha256(dev.scratchkit.internal.oci.DigestingOutputStream.newSha256().digest(bytes));
  }

  /** E.g. {@code oci-layout /tmp/img: [latest, 1.0]}. */
  @Override
  public String toString() {
    return kind.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-') + " " + source + ": " + tags();
  }
}
