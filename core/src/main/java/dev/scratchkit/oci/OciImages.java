package dev.scratchkit.oci;

import dev.scratchkit.elf.Platform;
import dev.scratchkit.internal.oci.Json;
import dev.scratchkit.internal.oci.MediaTypes;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarFile;

/**
 * Reads images back: from an OCI layout directory, an OCI archive or a docker-archive.
 * Lists tags, manifests and configs, and the entries of each layer, for tests and for users
 * inspecting what they built.
 *
 * <pre>{@code
 * OciImages images = OciImages.read(Path.of("build/image"));
 * OciImages.Image image = images.image("latest");
 * images.entries(image.layers().get(0)).forEach(System.out::println);
 * }</pre>
 *
 * <p>JSON documents are read whole (they are small); layers are streamed on request.
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
   * @param manifestJson the manifest as stored (for a docker-archive: {@code null})
   * @param configDigest the config's digest
   * @param configJson the config as stored
   * @param platform the config's os/architecture/variant
   * @param created the config's {@code created}, or {@code null}
   * @param config the config's runtime part
   * @param layers the layers in order
   */
  public record Image(String tag, Digest manifestDigest, String manifestJson, Digest configDigest, String configJson,
      Platform platform, Instant created, ContainerConfig config, List<Layer> layers) {
    /**
     * Copies the list of layers.
     *
     * @param tag the tag; empty string when untagged
     * @param manifestDigest the manifest's digest
     * @param manifestJson the manifest as stored, or {@code null} for a docker-archive
     * @param configDigest the config's digest
     * @param configJson the config as stored
     * @param platform the config's os/architecture/variant
     * @param created the config's {@code created}, or {@code null}
     * @param config the config's runtime part
     * @param layers the layers in order
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

  private final Path source;
  private final Kind kind;
  private final List<Image> images;

  private OciImages(Path source, Kind kind, List<Image> images) {
    this.source = source;
    this.kind = kind;
    this.images = List.copyOf(images);
  }

  /**
   * Reads a layout directory, an OCI archive or a docker-archive.
   *
   * @param layoutOrArchive a directory or a tar file
   * @return what it holds
   * @throws OciException naming the path when it is neither, or is damaged
   */
  public static OciImages read(Path layoutOrArchive) {
    Path path = layoutOrArchive.toAbsolutePath().normalize();
    try {
      if (Files.isDirectory(path)) {
        if (!Files.exists(path.resolve("index.json"))) {
          throw new OciException("cannot read images from " + path + ": it has no index.json, so it is not an OCI"
              + " image layout; give a layout directory or an archive file");
        }
        return new OciImages(path, Kind.OCI_LAYOUT, readOci(new DirSource(path), path));
      }
      if (!Files.isRegularFile(path)) {
        throw new OciException("cannot read images from " + path + ": it does not exist; check the path");
      }
      try (TarFile tar = new TarFile(path)) {
        ArchiveSource src = new ArchiveSource(path, tar);
        if (src.has("index.json")) {
          return new OciImages(path, Kind.OCI_ARCHIVE, readOci(src, path));
        }
        if (src.has("manifest.json")) {
          return new OciImages(path, Kind.DOCKER_ARCHIVE, readDocker(src, path));
        }
        throw new OciException("cannot read images from " + path + ": the tar has neither index.json (OCI archive)"
            + " nor manifest.json (docker-archive)");
      }
    } catch (IOException e) {
      throw new OciException("cannot read images from " + path + ": " + e + "; is it a layout or an image archive?", e);
    } catch (IllegalArgumentException | ClassCastException | NullPointerException e) {
      throw new OciException("cannot read images from " + path + ": a document is malformed (" + e.getMessage()
          + "); the layout or archive is damaged", e);
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
      throw new OciException("no image tagged \"" + tag + "\" in " + source + "; its tags are " + tags());
    }
    if (found.size() > 1) {
      throw new OciException("the tag \"" + tag + "\" in " + source + " is an index of " + found.size()
          + " platforms; pick one from images()");
    }
    return found.get(0);
  }

  /**
   * Lists a layer's tar entries in archive order, streaming the blob.
   *
   * @param layer a layer of one of {@link #images()}
   * @return the entries
   */
  public List<Entry> entries(Layer layer) {
    try {
      if (kind == Kind.OCI_LAYOUT) {
        try (InputStream in = Files.newInputStream(source.resolve(layer.blobPath()))) {
          return list(in);
        }
      }
      try (TarFile tar = new TarFile(source)) {
        ArchiveSource src = new ArchiveSource(source, tar);
        try (InputStream in = src.open(layer.blobPath())) {
          return list(in);
        }
      }
    } catch (IOException e) {
      throw new OciException("cannot list layer " + layer.digest() + " of " + source + ": " + e
          + "; the blob is missing or damaged", e);
    }
  }

  private static List<Entry> list(InputStream raw) throws IOException {
    InputStream in = new BufferedInputStream(raw, 64 * 1024);
    in.mark(2);
    int b1 = in.read();
    int b2 = in.read();
    in.reset();
    if (b1 == 0x1f && b2 == 0x8b) {
      in = new GZIPInputStream(in, 64 * 1024);
    }
    List<Entry> entries = new ArrayList<>();
    TarArchiveInputStream tar = new TarArchiveInputStream(in, StandardCharsets.UTF_8.name());
    TarArchiveEntry e;
    while ((e = tar.getNextEntry()) != null) {
      String name = e.getName();
      while (name.startsWith("./")) {
        name = name.substring(2);
      }
      String path = "/" + (name.endsWith("/") ? name.substring(0, name.length() - 1) : name);
      LayerEntry.Type type = e.isDirectory() ? LayerEntry.Type.DIRECTORY : e.isSymbolicLink() ? LayerEntry.Type.SYMLINK
          : e.isLink() ? LayerEntry.Type.HARD_LINK : LayerEntry.Type.FILE;
      String link = e.getLinkName() == null ? "" : e.getLinkName();
      if (type == LayerEntry.Type.HARD_LINK && !link.startsWith("/")) {
        link = "/" + (link.startsWith("./") ? link.substring(2) : link);
      }
      entries.add(new Entry(path, type, e.getMode() & 07777, e.getLongUserId(), e.getLongGroupId(),
          type == LayerEntry.Type.FILE ? e.getSize() : 0, link, e.getLastModifiedTime().toInstant(),
          e.getUserName(), e.getGroupName()));
    }
    return entries;
  }

  // ---- sources

  private interface BlobSource {
    boolean has(String name) throws IOException;

    InputStream open(String name) throws IOException;

    default String readString(String name) throws IOException {
      try (InputStream in = open(name)) {
        return new String(in.readNBytes(16 * 1024 * 1024), StandardCharsets.UTF_8);
      }
    }
  }

  private record DirSource(Path dir) implements BlobSource {
    @Override
    public boolean has(String name) {
      return Files.isRegularFile(dir.resolve(name));
    }

    @Override
    public InputStream open(String name) throws IOException {
      return Files.newInputStream(dir.resolve(name));
    }
  }

  private record ArchiveSource(Path file, TarFile tar) implements BlobSource {
    private Optional<TarArchiveEntry> find(String name) {
      return tar.getEntries().stream().filter(e -> strip(e.getName()).equals(name)).findFirst();
    }

    private static String strip(String n) {
      return n.startsWith("./") ? n.substring(2) : n;
    }

    @Override
    public boolean has(String name) {
      return find(name).isPresent();
    }

    @Override
    public InputStream open(String name) throws IOException {
      TarArchiveEntry e = find(name).orElseThrow(() -> new OciException("the archive " + file + " has no entry "
          + name + "; it is incomplete or damaged"));
      return tar.getInputStream(e);
    }
  }

  // ---- OCI

  @SuppressWarnings("unchecked")
  private static List<Image> readOci(BlobSource src, Path where) throws IOException {
    Map<String, Object> index = Json.parseObject(src.readString("index.json"));
    List<Image> images = new ArrayList<>();
    for (Object o : (List<Object>) index.getOrDefault("manifests", List.of())) {
      Map<String, Object> d = (Map<String, Object>) o;
      Map<String, Object> annotations = (Map<String, Object>) d.getOrDefault("annotations", Map.of());
      String tag = (String) annotations.getOrDefault(MediaTypes.REF_NAME, "");
      addOci(src, where, tag, d, images, 0);
    }
    return images;
  }

  @SuppressWarnings("unchecked")
  private static void addOci(BlobSource src, Path where, String tag, Map<String, Object> d, List<Image> images, int depth)
      throws IOException {
    Digest digest = Digest.of((String) d.get("digest"));
    String mediaType = (String) d.get("mediaType");
    String json = blob(src, where, digest);
    Map<String, Object> doc = Json.parseObject(json);
    if (mediaType == null) {
      mediaType = (String) doc.get("mediaType");
    }
    if (MediaTypes.INDEX.equals(mediaType) || MediaTypes.DOCKER_INDEX.equals(mediaType)) {
      if (depth > 4) {
        throw new OciException("indexes in " + where + " nest more than 4 deep; the layout is damaged");
      }
      for (Object o : (List<Object>) doc.getOrDefault("manifests", List.of())) {
        addOci(src, where, tag, (Map<String, Object>) o, images, depth + 1);
      }
      return;
    }
    Map<String, Object> configDescriptor = (Map<String, Object>) doc.get("config");
    Digest configDigest = Digest.of((String) configDescriptor.get("digest"));
    String configJson = blob(src, where, configDigest);
    List<Layer> layers = new ArrayList<>();
    List<Object> diffIds = diffIds(configJson);
    List<Object> layerDescriptors = (List<Object>) doc.getOrDefault("layers", List.of());
    for (int i = 0; i < layerDescriptors.size(); i++) {
      Map<String, Object> l = (Map<String, Object>) layerDescriptors.get(i);
      Digest ld = Digest.of((String) l.get("digest"));
      layers.add(new Layer(ld, i < diffIds.size() ? Digest.of((String) diffIds.get(i)) : null,
          ((Number) l.get("size")).longValue(), (String) l.get("mediaType"), "blobs/sha256/" + ld.hex()));
    }
    images.add(image(tag, digest, json, configDigest, configJson, layers));
  }

  private static String blob(BlobSource src, Path where, Digest digest) throws IOException {
    String name = "blobs/sha256/" + digest.hex();
    if (!src.has(name)) {
      throw new OciException("blob " + digest + " is missing from " + where + " (" + name
          + "); the layout or archive is incomplete");
    }
    return src.readString(name);
  }

  @SuppressWarnings("unchecked")
  private static List<Object> diffIds(String configJson) {
    Map<String, Object> config = Json.parseObject(configJson);
    Map<String, Object> rootfs = (Map<String, Object>) config.getOrDefault("rootfs", Map.of());
    return (List<Object>) rootfs.getOrDefault("diff_ids", List.of());
  }

  @SuppressWarnings("unchecked")
  private static Image image(String tag, Digest manifestDigest, String manifestJson, Digest configDigest,
      String configJson, List<Layer> layers) {
    Map<String, Object> c = Json.parseObject(configJson);
    Platform platform = new Platform((String) c.get("os"), (String) c.get("architecture"), (String) c.get("variant"));
    Instant created = c.get("created") == null ? null : Instant.parse((String) c.get("created"));
    Map<String, Object> r = (Map<String, Object>) c.getOrDefault("config", Map.of());
    ContainerConfig config = new ContainerConfig((String) r.get("User"), strings(r.get("Env")),
        strings(r.get("Entrypoint")), strings(r.get("Cmd")), emptyToNull((String) r.get("WorkingDir")),
        r.get("ExposedPorts") instanceof Map<?, ?> p ? List.copyOf((java.util.Set<String>) p.keySet()) : List.of(),
        r.get("Labels") instanceof Map<?, ?> l ? (Map<String, String>) l : Map.of(), (String) r.get("StopSignal"));
    return new Image(tag, manifestDigest, manifestJson, configDigest, configJson, platform, created, config, layers);
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  @SuppressWarnings("unchecked")
  private static List<String> strings(Object o) {
    return o instanceof List<?> l ? (List<String>) l : List.of();
  }

  // ---- docker-archive

  @SuppressWarnings("unchecked")
  private static List<Image> readDocker(BlobSource src, Path where) throws IOException {
    List<Object> manifest = (List<Object>) Json.parse(src.readString("manifest.json"));
    List<Image> images = new ArrayList<>();
    for (Object o : manifest) {
      Map<String, Object> m = (Map<String, Object>) o;
      String configName = (String) m.get("Config");
      String configJson = src.readString(configName);
      Digest configDigest = sha256(configJson.getBytes(StandardCharsets.UTF_8));
      List<Object> diffIds = diffIds(configJson);
      List<Layer> layers = new ArrayList<>();
      List<Object> names = (List<Object>) m.getOrDefault("Layers", List.of());
      List<Object> descriptors = new ArrayList<>();
      for (int i = 0; i < names.size(); i++) {
        String name = (String) names.get(i);
        Digest blobDigest;
        long size = 0;
        byte[] buffer = new byte[64 * 1024];
        java.security.MessageDigest sha = dev.scratchkit.internal.oci.DigestingOutputStream.newSha256();
        try (InputStream in = src.open(name)) {
          int n;
          while ((n = in.read(buffer)) > 0) {
            sha.update(buffer, 0, n);
            size += n;
          }
        }
        blobDigest = Digest.ofSha256(sha.digest());
        String mediaType = isGzip(src, name) ? MediaTypes.LAYER_GZIP : MediaTypes.LAYER_TAR;
        layers.add(new Layer(blobDigest, i < diffIds.size() ? Digest.of((String) diffIds.get(i)) : null, size,
            mediaType, name));
        Map<String, Object> d = Json.object();
        d.put("mediaType", mediaType);
        d.put("digest", blobDigest.toString());
        d.put("size", size);
        descriptors.add(d);
      }
      // The OCI manifest scratchkit would write for this config and these layers.
      Map<String, Object> oci = Json.object();
      oci.put("schemaVersion", 2);
      oci.put("mediaType", MediaTypes.MANIFEST);
      Map<String, Object> cd = Json.object();
      cd.put("mediaType", MediaTypes.CONFIG);
      cd.put("digest", configDigest.toString());
      cd.put("size", (long) configJson.getBytes(StandardCharsets.UTF_8).length);
      oci.put("config", cd);
      oci.put("layers", descriptors);
      Digest manifestDigest = sha256(Json.write(oci).getBytes(StandardCharsets.UTF_8));
      List<Object> tags = (List<Object>) m.get("RepoTags");
      for (Object tag : tags == null || tags.isEmpty() ? List.of("") : tags) {
        images.add(image((String) tag, manifestDigest, null, configDigest, configJson, layers));
      }
    }
    return images;
  }

  private static boolean isGzip(BlobSource src, String name) throws IOException {
    try (InputStream in = src.open(name)) {
      return in.read() == 0x1f && in.read() == 0x8b;
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

  // readLayer: minimal version

  /** Receives a layer's entries in tar order. */
  @FunctionalInterface
  public interface LayerReader {
    /**
     * One entry.
     *
     * @param entry the entry
     * @param content the file's content (empty for anything but a regular file); valid only
     *     during the call
     * @throws IOException to stop reading
     */
    void entry(Entry entry, InputStream content) throws IOException;
  }

  /**
   * Streams one layer's entries in tar order, each with its content; the blob's digest is
   * checked once it has been read to its end.
   *
   * @param layer a layer of one of {@link #images()}
   * @param reader receives each entry
   * @throws OciException if the blob is missing, damaged or does not match its digest
   */
  public void readLayer(Layer layer, LayerReader reader) {
    try {
      if (kind == Kind.OCI_LAYOUT) {
        try (InputStream in = Files.newInputStream(source.resolve(layer.blobPath()))) {
          streamLayer(layer, in, reader);
        }
        return;
      }
      try (TarFile tar = new TarFile(source)) {
        try (InputStream in = new ArchiveSource(source, tar).open(layer.blobPath())) {
          streamLayer(layer, in, reader);
        }
      }
    } catch (IOException e) {
      throw new OciException("cannot read layer " + layer.digest() + " of " + source + ": " + e
          + "; the blob is missing or damaged", e);
    }
  }

  private void streamLayer(Layer layer, InputStream raw, LayerReader reader) throws IOException {
    java.security.MessageDigest sha = dev.scratchkit.internal.oci.DigestingOutputStream.newSha256();
    InputStream hashed = new java.security.DigestInputStream(raw, sha);
    InputStream in = new BufferedInputStream(hashed, 64 * 1024);
    in.mark(2);
    int b1 = in.read();
    int b2 = in.read();
    in.reset();
    InputStream body = b1 == 0x1f && b2 == 0x8b ? new GZIPInputStream(in, 64 * 1024) : in;
    TarArchiveInputStream tar = new TarArchiveInputStream(body, StandardCharsets.UTF_8.name());
    TarArchiveEntry e;
    while ((e = tar.getNextEntry()) != null) {
      String name = e.getName();
      while (name.startsWith("./")) {
        name = name.substring(2);
      }
      String path = "/" + (name.endsWith("/") ? name.substring(0, name.length() - 1) : name);
      LayerEntry.Type type = e.isDirectory() ? LayerEntry.Type.DIRECTORY : e.isSymbolicLink() ? LayerEntry.Type.SYMLINK
          : e.isLink() ? LayerEntry.Type.HARD_LINK : LayerEntry.Type.FILE;
      String link = e.getLinkName() == null ? "" : e.getLinkName();
      if (type == LayerEntry.Type.HARD_LINK && !link.startsWith("/")) {
        link = "/" + (link.startsWith("./") ? link.substring(2) : link);
      }
      Entry entry = new Entry(path, type, e.getMode() & 07777, e.getLongUserId(), e.getLongGroupId(),
          type == LayerEntry.Type.FILE ? e.getSize() : 0, link, e.getLastModifiedTime().toInstant(),
          e.getUserName(), e.getGroupName());
      InputStream content = new java.io.FilterInputStream(tar) {
        @Override
        public void close() {
          // the next entry follows in the same stream
        }
      };
      reader.entry(entry, type == LayerEntry.Type.FILE ? content : InputStream.nullInputStream());
    }
    in.transferTo(java.io.OutputStream.nullOutputStream());
    Digest actual = Digest.ofSha256(sha.digest());
    if (!actual.equals(layer.digest())) {
      throw new OciException("layer " + layer.digest() + " of " + source + " has digest " + actual
          + "; the blob is damaged or was replaced");
    }
  }
}
