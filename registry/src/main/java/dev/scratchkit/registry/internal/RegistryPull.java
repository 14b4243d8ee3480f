package dev.scratchkit.registry.internal;

import dev.scratchkit.elf.Platform;
import dev.scratchkit.internal.oci.BlobStore;
import dev.scratchkit.internal.oci.ImageJson;
import dev.scratchkit.internal.oci.Json;
import dev.scratchkit.internal.oci.MediaTypes;
import dev.scratchkit.internal.oci.read.JsonDoc;
import dev.scratchkit.oci.Digest;
import dev.scratchkit.oci.OciException;
import dev.scratchkit.oci.OciImages;
import dev.scratchkit.oci.ProgressListener;
import dev.scratchkit.registry.RegistryException;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pulls one image from a registry into a new OCI layout, through the same connection code as
 * {@link RegistryPush} ({@link DistributionClient}, our TLS, credentials, redaction, retries and
 * {@link Deadline}).
 *
 * <p>A layout needs a manifest's exact bytes: every manifest reply is read whole, bounded to
 * {@link #MAX_JSON_BYTES}; those bytes are hashed here and must have the digest the
 * registry names ({@code Docker-Content-Digest}) or the index's descriptor gives. Config and
 * layer blobs are streamed to temp files, bounded by their descriptor's size and checked against
 * its digest, then renamed to their digest ({@link BlobStore}). The layout is written into a
 * hidden sibling directory and renamed into place when complete, so the target holds a whole
 * image or nothing.
 */
public final class RegistryPull {

  private static final Logger LOG = LoggerFactory.getLogger(RegistryPull.class);

  /** The largest manifest, index or config accepted: the reader's default JSON limit. */
  static final long MAX_JSON_BYTES = OciImages.Limits.defaults().jsonBytes();
  /** The most layers one manifest may list. */
  static final int MAX_LAYERS = 10_000;

  private static final Set<String> INDEX_TYPES = Set.of(MediaTypes.INDEX, MediaTypes.DOCKER_INDEX);
  private static final Set<String> MANIFEST_TYPES = Set.of(MediaTypes.MANIFEST, MediaTypes.DOCKER_MANIFEST);

  private RegistryPull() {}

  /**
   * Pulls the reference's (first) tag into {@code layoutDir}, tagged with that tag.
   *
   * @param settings the registry target's settings (compression and cache are not used)
   * @param platform the platform to take from an index, or null for this machine's
   * @param layoutDir a directory that does not exist yet, or is empty
   * @return the layout directory, absolute
   */
  public static Path pull(RegistryPush.Settings settings, Platform platform, Path layoutDir) {
    RegistryRef ref = settings.reference();
    String tag = ref.tags().get(0);
    String name = ref.registry() + "/" + ref.repository() + ":" + tag;
    Path target = layoutDir.toAbsolutePath().normalize();
    checkTarget(name, target);
    Path parent = target.getParent();
    Path staging = parent.resolve("." + target.getFileName() + ".pull-" + java.util.UUID.randomUUID());
    RegistryPush.Session session = new RegistryPush.Session(settings, null, new ProgressListener() { }, true);
    session.startDeadline();
    try {
      Files.createDirectories(parent);
      Files.createDirectory(staging);
      BlobStore store = new BlobStore(staging.resolve("blobs").resolve("sha256"), staging.resolve(".tmp"),
          "the pull of " + name + " into " + target);
      DistributionClient client = session.connect();
      Pulled pulled = new Pulling(session, client, store, name, platform).pull(tag);
      Map<String, Object> descriptor = ImageJson.descriptor(pulled.mediaType(), pulled.digest(), pulled.size(),
          pulled.platform(), Map.of(MediaTypes.REF_NAME, tag));
      Map<String, Object> index = Json.object();
      index.put("schemaVersion", 2);
      index.put("mediaType", MediaTypes.INDEX);
      index.put("manifests", List.of(descriptor));
      Path tmp = staging.resolve(".tmp");
      BlobStore.replaceAtomically(staging.resolve("oci-layout"), ImageJson.ociLayout(), tmp);
      BlobStore.replaceAtomically(staging.resolve("index.json"), ImageJson.bytes(index), tmp);
      RegistryPush.deleteTree(tmp);
      BlobStore.syncDirectory(store.dir());
      moveIntoPlace(name, staging, target);
      LOG.info("pulled {} ({}) into {}", name, pulled.digest(), target);
      return target;
    } catch (IOException e) {
      throw explain(session, name, e);
    } catch (RegistryException e) {
      throw e;
    } catch (OciException e) { // a document that is not JSON, or a field of the wrong kind
      throw new RegistryException(session.redactor().scrub(session.what() + ": " + e.getMessage()
          + "; the registry's reply is damaged or hostile, so nothing is pulled"), e);
    } catch (RuntimeException e) {
      if (!RegistryPush.Session.thrownByTheHttpStack(e)) {
        throw e;
      }
      throw session.translate(e);
    } finally {
      session.disconnect();
      if (settings.password() != null) {
        Arrays.fill(settings.password(), '\0');
      }
      try {
        RegistryPush.deleteTree(staging);
      } catch (IOException e) {
        LOG.warn("cannot delete the staging directory {}: {}", staging, e.toString());
      }
    }
  }

  /** Our own refusals (tampered, too large, not found) keep their message; the rest is translated. */
  private static RegistryException explain(RegistryPush.Session session, String name, Exception e) {
    Refused refused = RegistryPush.Session.findCause(e, Refused.class);
    if (refused != null && !session.deadline.expired()) {
      return new RegistryException(session.redactor().scrub(session.what() + ": " + refused.getMessage()), e);
    }
    String text = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
    DistributionClient.StatusException response = RegistryPush.Session.findCause(e,
        DistributionClient.StatusException.class);
    boolean notFound = (response != null && response.status() == 404) || text.contains("manifest unknown")
        || text.contains("manifest_unknown") || text.contains("name unknown") || text.contains("repository name not");
    if (notFound && session.step.startsWith("pulling the manifest of tag")) {
      RegistryRef ref = session.ref();
      return new RegistryException(session.redactor().scrub(session.what() + ": the registry has no manifest for"
          + " tag " + ref.tags().get(0) + " of " + ref.repository() + " (HTTP 404, " + oneLine(e.getMessage())
          + "); check the repository and tag (skopeo list-tags docker://" + ref.registry() + "/" + ref.repository()
          + " lists the tags), or push the image first"), e);
    }
    return session.translate(e);
  }

  private static void checkTarget(String name, Path target) {
    if (target.getParent() == null) {
      throw new RegistryException("cannot pull " + name + " into " + target + ": a layout cannot be the root"
          + " directory; give a new directory such as /tmp/app-layout");
    }
    if (Files.exists(target)) {
      if (!Files.isDirectory(target)) {
        throw new RegistryException("cannot pull " + name + " into " + target + ": it is a file, not a directory;"
            + " give a new or empty directory");
      }
      try (Stream<Path> list = Files.list(target)) {
        List<String> some = list.limit(3).map(p -> p.getFileName().toString()).sorted().toList();
        if (!some.isEmpty()) {
          throw new RegistryException("cannot pull " + name + " into " + target + ": the directory is not empty ("
              + String.join(", ", some) + ", ...); a pull writes a new layout, give a new or empty directory (or"
              + " delete this one)");
        }
      } catch (IOException e) {
        throw new RegistryException("cannot pull " + name + " into " + target + ": cannot list it (" + e
            + "); check its permissions", e);
      }
    }
  }

  /** Renames the complete layout onto the target (which is absent, or an empty directory it replaces). */
  private static void moveIntoPlace(String name, Path staging, Path target) throws IOException {
    try {
      Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (DirectoryNotEmptyException | FileAlreadyExistsException e) {
      throw new RegistryException("cannot pull " + name + " into " + target + ": something was written there while"
          + " the image was pulled; give a new or empty directory", e);
    } catch (AtomicMoveNotSupportedException e) {
      throw new RegistryException("cannot pull " + name + " into " + target + ": cannot rename " + staging
          + " to it atomically (" + e.getMessage() + "); give a directory on a local file system", e);
    }
    BlobStore.syncDirectory(target.getParent());
  }

  /** What was pulled: the manifest (of one platform) that index.json points at. */
  private record Pulled(String mediaType, Digest digest, long size, Platform platform) {}

  /** One pull's walk: the tag's manifest or index, then the chosen manifest, its config and layers. */
  private static final class Pulling {
    private final RegistryPush.Session session;
    private final DistributionClient client;
    private final BlobStore store;
    private final String name;
    private final Platform wanted;
    private final JsonDoc json = new JsonDoc(OciImages.Limits.defaults().jsonDepth());

    Pulling(RegistryPush.Session session, DistributionClient client, BlobStore store, String name,
        Platform wanted) {
      this.session = session;
      this.client = client;
      this.store = store;
      this.name = name;
      this.wanted = wanted;
    }

    Pulled pull(String tag) throws IOException {
      session.step = "pulling the manifest of tag " + tag;
      Reply top = manifest(tag, null, -1);
      String what = "the manifest of " + name;
      JsonDoc.Node doc = json.parse(top.bytes(), what).requireObject();
      String type = mediaType(doc, top.contentType());
      if (INDEX_TYPES.contains(type)) {
        JsonDoc.Node chosen = choose(doc, top.digest());
        Digest digest = chosen.digest("digest");
        long size = chosen.size("size");
        String childType = chosen.optString("mediaType");
        JsonDoc.Node p = chosen.object("platform");
        Platform platform;
        try {
          platform = new Platform(p.string("os"), p.string("architecture"), p.optString("variant"));
        } catch (dev.scratchkit.elf.ElfException e) {
          throw new Refused("the index " + top.digest() + " names a platform that is not one (" + e.getMessage()
              + "); the index is damaged");
        }
        session.step = "pulling the manifest " + digest + " (" + platform + ") of the index " + top.digest();
        Reply child = manifest(digest.toString(), digest, size);
        JsonDoc.Node manifest = json.parse(child.bytes(), "the manifest " + digest + " of " + name)
            .requireObject();
        String manifestType = mediaType(manifest, childType != null ? childType : child.contentType());
        if (!MANIFEST_TYPES.contains(manifestType)) {
          throw new Refused("the index " + top.digest() + " points at " + digest + " for " + platform + ", which is "
              + manifestType + ", not an image manifest; the index is damaged or nested, which a pull does not"
              + " follow: pull that platform's manifest by its own tag");
        }
        blobs(manifest, digest);
        store.put(child.bytes());
        return new Pulled(manifestType, digest, size, platform);
      }
      if (!MANIFEST_TYPES.contains(type)) {
        throw new Refused("the registry sent a " + type + " for tag " + tag + ", not an image manifest or index"
            + " (OCI or Docker schema 2); scratchkit pulls images only");
      }
      blobs(doc, top.digest());
      store.put(top.bytes());
      return new Pulled(type, top.digest(), top.bytes().length, null);
    }

    /** The media type of a manifest document: its own field, else the reply's, else from its shape. */
    private static String mediaType(JsonDoc.Node doc, String contentType) {
      String own = doc.optString("mediaType");
      if (own != null) {
        return own;
      }
      if (contentType != null && (INDEX_TYPES.contains(contentType) || MANIFEST_TYPES.contains(contentType))) {
        return contentType;
      }
      return doc.has("manifests") ? MediaTypes.INDEX : MediaTypes.MANIFEST;
    }

    /** The index entry of the wanted platform (this machine's when none was given). */
    private JsonDoc.Node choose(JsonDoc.Node index, Digest indexDigest) throws Refused {
      Platform want = wanted != null ? wanted : hostPlatform();
      List<String> offered = new ArrayList<>();
      for (JsonDoc.Node d : index.optArray("manifests")) {
        d.requireObject();
        String type = d.optString("mediaType");
        JsonDoc.Node p = d.optObject("platform");
        if ((type != null && !MANIFEST_TYPES.contains(type)) || p == null) {
          continue; // an artifact, a nested index, or an entry without a platform
        }
        String os = p.string("os");
        String arch = p.string("architecture");
        String variant = p.optString("variant");
        offered.add(os + "/" + arch + (variant == null ? "" : "/" + variant));
        if (os.equals(want.os()) && arch.equals(want.architecture())
            && (want.variant() == null || want.variant().equals(variant))) {
          return d;
        }
      }
      throw new Refused("the tag is an index (" + indexDigest + ") without an image for " + want
          + (wanted == null ? " (this machine's platform)" : "") + "; it offers " + (offered.isEmpty() ? "none"
          : String.join(", ", offered)) + ". Pull one of those with pullTo(dir, Platform.parse(\"os/arch\"))");
    }

    /** The config and the layers of a manifest, each verified and stored. */
    private void blobs(JsonDoc.Node manifest, Digest manifestDigest)
        throws IOException {
      JsonDoc.Node config = manifest.object("config");
      Digest configDigest = config.digest("digest");
      long configSize = config.size("size");
      if (configSize > MAX_JSON_BYTES) {
        throw new Refused("the manifest " + manifestDigest + " declares its config " + configDigest + " as "
            + configSize + " bytes, more than the " + MAX_JSON_BYTES + " bytes any image config needs; the manifest"
            + " is hostile or damaged, so nothing is pulled");
      }
      List<JsonDoc.Node> layers = manifest.array("layers");
      if (layers.size() > MAX_LAYERS) {
        throw new Refused("the manifest " + manifestDigest + " lists " + layers.size() + " layers, more than the "
            + MAX_LAYERS + " an image can have; it is hostile or damaged");
      }
      blob(configDigest, configSize, "the config");
      int i = 0;
      for (JsonDoc.Node layer : layers) {
        Digest digest = layer.digest("digest");
        long size = layer.size("size");
        String type = layer.string("mediaType");
        i++;
        if (type.contains("nondistributable") || type.contains("foreign")) {
          LOG.debug("{}: not pulling the foreign layer {}", name, digest);
          continue; // not in the registry; the reader accepts its absence
        }
        blob(digest, size, "layer " + i + " of " + layers.size());
      }
    }

    private void blob(Digest digest, long size, String what)
        throws IOException {
      if (Files.isRegularFile(store.path(digest))) {
        return; // a layer the image lists twice
      }
      session.step = "pulling " + what + " " + digest + " (" + size + " bytes)";
      LOG.debug("{}: {}", name, session.step);
      session.retries.run(() -> session.step, () -> store.put(out -> {
        Checked checked = new Checked(out, digest, size, what);
        try {
          client.pullBlob(digest, checked);
        } catch (IOException e) {
          checked.failIfTampered();
          throw e;
        }
        checked.finish();
        return null;
      }, digest));
    }

    /** A manifest by tag or digest, its bytes as received, checked against the digest it must have. */
    private Reply manifest(String reference, Digest expected, long expectedSize)
        throws IOException {
      DistributionClient.Manifest body = session.retries.run(() -> session.step, () -> client.pullManifest(reference,
          MAX_JSON_BYTES, () -> new Refused("the registry's manifest reply is larger than " + MAX_JSON_BYTES
              + " bytes, more than any image manifest or index needs; it is hostile or damaged, so nothing is"
              + " pulled")));
      Digest actual = Digest.ofSha256(RegistryPush.newSha256().digest(body.bytes()));
      if (expected != null && (!actual.equals(expected) || body.bytes().length != expectedSize)) {
        throw new Refused("the registry sent other bytes for the manifest " + expected + " (" + expectedSize
            + " bytes): they are " + body.bytes().length + " bytes with digest " + actual + ", so the manifest was"
            + " tampered with or damaged and nothing is pulled; check the registry (and any proxy) and push the"
            + " image again");
      }
      if (body.digestHeader() != null && !body.digestHeader().equals(actual.toString())) {
        throw new Refused("the registry says the manifest of " + reference + " has the digest " + body.digestHeader()
            + " (Docker-Content-Digest) but the bytes it sent have the digest " + actual + ", so the manifest was"
            + " tampered with or damaged and nothing is pulled; check the registry (and any proxy) and push the"
            + " image again");
      }
      return new Reply(body.bytes(), actual, body.contentType());
    }
  }

  /** A manifest reply: its bytes, their digest and the Content-Type. */
  private record Reply(byte[] bytes, Digest digest, String contentType) {}

  /** This machine's platform, as an index names it. */
  static Platform hostPlatform() {
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    String oci = switch (arch) {
      case "amd64", "x86_64" -> "amd64";
      case "aarch64", "arm64" -> "arm64";
      case "x86", "i386", "i486", "i586", "i686" -> "386";
      case "arm" -> "arm";
      case "ppc64le" -> "ppc64le";
      case "s390x" -> "s390x";
      case "riscv64" -> "riscv64";
      default -> arch;
    };
    return Platform.of("linux", oci);
  }

  /** A blob's bytes on their way to disk: never more than its size, and its digest checked at the end. */
  private static final class Checked extends FilterOutputStream {
    private final Digest digest;
    private final long size;
    private final String what;
    private final java.security.MessageDigest sha = RegistryPush.newSha256();
    private long count;

    Checked(OutputStream out, Digest digest, long size, String what) {
      super(out);
      this.digest = digest;
      this.size = size;
      this.what = what;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (count + len > size) {
        throw new Refused("the registry sent more than the " + size + " bytes of " + what + " " + digest
            + " that the manifest declares, so the blob was tampered with or damaged and nothing is pulled; check the"
            + " registry (and any proxy) and push the image again");
      }
      sha.update(b, off, len);
      count += len;
      out.write(b, off, len);
    }

    /** The file is the blob store's to sync and close. */
    @Override
    public void close() throws IOException {
      out.flush();
    }

    /** Called when the download failed: if the bytes so far are whole but wrong, say so rather than the I/O error. */
    void failIfTampered() throws Refused {
      if (count == size) {
        finish();
      }
    }

    void finish() throws Refused {
      Digest actual = Digest.ofSha256(sha.digest());
      if (count != size || !actual.equals(digest)) {
        throw new Refused("the registry sent other bytes for " + what + " " + digest + " (" + size + " bytes): they"
            + " are " + count + " bytes with digest " + actual + ", so the blob was tampered with or damaged and"
            + " nothing is pulled; check the registry (and any proxy) and push the image again");
      }
    }
  }

  /** A pull refused for what the registry sent; the message is complete after "cannot pull X: ". */
  static final class Refused extends IOException {
    private static final long serialVersionUID = 1L;

    Refused(String message) {
      super(message);
    }
  }

  private static String oneLine(String text) {
    String s = String.valueOf(text).strip().replaceAll("\\s*[\\r\\n]+\\s*", " ");
    return s.length() > 300 ? s.substring(0, 300) + "..." : s;
  }
}
