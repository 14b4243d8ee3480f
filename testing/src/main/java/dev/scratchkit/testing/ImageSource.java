package dev.scratchkit.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.scratchkit.ScratchImage;
import dev.scratchkit.oci.ContainerConfig;
import dev.scratchkit.oci.Digest;
import dev.scratchkit.oci.OciImages;
import dev.scratchkit.oci.OciLayout;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarFile;

/** The image of a {@link ContainerSpec}: built with scratchkit, or read back with {@link OciImages}. */
final class ImageSource {

  private static final ObjectMapper JSON = new ObjectMapper();
  /** A bound on what an archive's entries may unpack to, against a hostile archive. */
  private static final long MAX_UNPACKED_BYTES = 16L << 30;

  private final ScratchImage scratch;
  private final OciImages images;
  private final OciImages.Image image;

  private ImageSource(ScratchImage scratch, OciImages images, OciImages.Image image) {
    this.scratch = scratch;
    this.images = images;
    this.image = image;
  }

  static ImageSource of(ScratchImage image) {
    return new ImageSource(image, null, null);
  }

  static ImageSource of(OciImages images, OciImages.Image image) {
    return new ImageSource(null, images, image);
  }

  /** {@return the built image, or null when it was read back} */
  ScratchImage scratch() {
    return scratch;
  }

  ContainerConfig config() {
    return scratch != null ? scratch.config() : image.config();
  }

  /** An OCI layout and tag for umoci: the source layout itself, or one written or unpacked under {@code work}. */
  LayoutRef layout(Path work) throws IOException {
    if (scratch != null) {
      Path dir = work.resolve("layout");
      scratch.writeTo(OciLayout.at(dir).tag("run"));
      return new LayoutRef(dir, "run");
    }
    switch (images.kind()) {
      case OCI_LAYOUT:
        return new LayoutRef(images.source(), image.tag());
      case OCI_ARCHIVE:
        Path dir = work.resolve("layout");
        unpack(images.source(), dir);
        return new LayoutRef(dir, image.tag());
      default:
        throw new ImageRunnerException("cannot run " + this + " with runc: umoci unpacks OCI layouts, and this is a"
            + " docker-archive. Run it on Docker or podman, or write the image as an OciLayout or OciArchive");
    }
  }

  /** Writes a docker-archive of this (read-back) image tagged {@code repoTag}, without recompressing anything. */
  void writeDockerArchive(Path file, String repoTag) throws IOException {
    Map<String, String> names = new HashMap<>(); // name in the new archive -> name in the source
    ObjectNode entry = JSON.createObjectNode();
    if (images.kind() == OciImages.Kind.DOCKER_ARCHIVE) {
      JsonNode manifests = JSON.readTree(readSmall(images.source(), "manifest.json"));
      JsonNode chosen = null;
      for (JsonNode m : manifests) {
        for (JsonNode t : m.path("RepoTags")) {
          if (t.asText().equals(image.tag())) {
            chosen = m;
          }
        }
        if (chosen == null && image.tag().isEmpty()) {
          chosen = m;
        }
      }
      if (chosen == null) {
        throw new ImageRunnerException(images.source() + " has no manifest.json entry tagged " + image.tag()
            + "; the archive is damaged");
      }
      entry.put("Config", chosen.path("Config").asText());
      names.put(chosen.path("Config").asText(), chosen.path("Config").asText());
      ArrayNode layers = entry.putArray("Layers");
      for (JsonNode l : chosen.path("Layers")) {
        layers.add(l.asText());
        names.put(l.asText(), l.asText());
      }
    } else {
      entry.put("Config", blobName(image.configDigest()));
      names.put(blobName(image.configDigest()), blobName(image.configDigest()));
      ArrayNode layers = entry.putArray("Layers");
      for (OciImages.Layer layer : image.layers()) {
        if (!layer.mediaType().endsWith("gzip") && !layer.mediaType().endsWith(".tar")) {
          throw new ImageRunnerException("layer " + layer.digest() + " of " + this + " is " + layer.mediaType()
              + ", which docker load does not take; write the image with gzip layers (the default)");
        }
        layers.add(blobName(layer.digest()));
        names.put(blobName(layer.digest()), blobName(layer.digest()));
      }
    }
    entry.putArray("RepoTags").add(repoTag);
    ArrayNode manifest = JSON.createArrayNode().add(entry);
    try (OutputStream out = Files.newOutputStream(file);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
      for (Map.Entry<String, String> name : names.entrySet()) {
        copyInto(tar, name.getKey(), name.getValue());
      }
      byte[] json = JSON.writeValueAsBytes(manifest);
      TarArchiveEntry e = new TarArchiveEntry("manifest.json");
      e.setSize(json.length);
      tar.putArchiveEntry(e);
      tar.write(json);
      tar.closeArchiveEntry();
      tar.finish();
    }
  }

  private void copyInto(TarArchiveOutputStream tar, String newName, String sourceName) throws IOException {
    if (images.kind() == OciImages.Kind.OCI_LAYOUT) {
      Path blob = images.source().resolve(sourceName).normalize();
      if (!blob.startsWith(images.source()) || !Files.isRegularFile(blob)) {
        throw new ImageRunnerException(images.source() + " lacks the blob " + sourceName + " of " + this
            + "; the layout is incomplete");
      }
      TarArchiveEntry e = new TarArchiveEntry(newName);
      e.setSize(Files.size(blob));
      tar.putArchiveEntry(e);
      Files.copy(blob, tar);
      tar.closeArchiveEntry();
      return;
    }
    try (TarFile source = new TarFile(images.source())) {
      for (TarArchiveEntry entry : source.getEntries()) {
        if (entry.isFile() && strip(entry.getName()).equals(sourceName)) {
          TarArchiveEntry e = new TarArchiveEntry(newName);
          e.setSize(entry.getSize());
          tar.putArchiveEntry(e);
          try (InputStream in = source.getInputStream(entry)) {
            in.transferTo(tar);
          }
          tar.closeArchiveEntry();
          return;
        }
      }
    }
    throw new ImageRunnerException(images.source() + " lacks the entry " + sourceName + " of " + this
        + "; the archive is incomplete");
  }

  private static byte[] readSmall(Path archive, String name) throws IOException {
    try (TarFile source = new TarFile(archive)) {
      for (TarArchiveEntry entry : source.getEntries()) {
        if (entry.isFile() && strip(entry.getName()).equals(name)) {
          if (entry.getSize() > 16 << 20) {
            throw new ImageRunnerException(archive + ": " + name + " is " + entry.getSize() + " bytes, more than a"
                + " manifest can be; the archive is damaged");
          }
          try (InputStream in = source.getInputStream(entry)) {
            return in.readAllBytes();
          }
        }
      }
    }
    throw new ImageRunnerException(archive + " has no " + name + "; it is not a docker-archive");
  }

  /** Unpacks an OCI archive's regular files and directories into {@code dir}, refusing paths that leave it. */
  private static void unpack(Path archive, Path dir) throws IOException {
    Files.createDirectories(dir);
    long total = 0;
    Set<String> seen = new LinkedHashSet<>();
    try (TarFile source = new TarFile(archive)) {
      for (TarArchiveEntry entry : source.getEntries()) {
        String name = strip(entry.getName());
        if (name.isEmpty()) {
          continue;
        }
        Path target = dir.resolve(name).normalize();
        if (!target.startsWith(dir) || name.contains("..")) {
          throw new ImageRunnerException(archive + ": the entry " + entry.getName() + " leaves the archive's root;"
              + " the archive is hostile or damaged, and was not unpacked");
        }
        if (entry.isDirectory()) {
          Files.createDirectories(target);
        } else if (entry.isFile()) {
          total += entry.getSize();
          if (total > MAX_UNPACKED_BYTES || !seen.add(name)) {
            throw new ImageRunnerException(archive + ": more than " + MAX_UNPACKED_BYTES + " bytes, or the entry "
                + name + " twice; the archive is damaged");
          }
          Files.createDirectories(target.getParent());
          try (InputStream in = source.getInputStream(entry)) {
            Files.copy(in, target);
          }
        }
        // links and devices have no place in an OCI archive's layout: skipped
      }
    }
  }

  private static String strip(String name) {
    String n = name;
    while (n.startsWith("./")) {
      n = n.substring(2);
    }
    return n.endsWith("/") ? n.substring(0, n.length() - 1) : n;
  }

  private static String blobName(Digest digest) {
    String text = digest.toString();
    int colon = text.indexOf(':');
    return "blobs/" + text.substring(0, colon) + "/" + text.substring(colon + 1);
  }

  /** The image's name for messages. */
  @Override
  public String toString() {
    return scratch != null ? scratch.toString() : images.source() + ":" + image.tag();
  }

  /** An OCI layout directory and the tag umoci unpacks. */
  record LayoutRef(Path dir, String tag) {}

}
