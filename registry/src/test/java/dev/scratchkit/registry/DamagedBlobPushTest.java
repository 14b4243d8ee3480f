package dev.scratchkit.registry;

import dev.scratchkit.testkit.CapturedLog;
import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.elf.Platform;
import dev.scratchkit.oci.ContainerConfig;
import dev.scratchkit.oci.Digest;
import dev.scratchkit.oci.ImagePath;
import dev.scratchkit.oci.ImageSpec;
import dev.scratchkit.oci.LayerCache;
import dev.scratchkit.oci.LayerEntry;
import dev.scratchkit.oci.LayerSpec;
import dev.scratchkit.oci.OciLayout;
import dev.scratchkit.registry.Registry;
import dev.scratchkit.registry.RegistryException;
import dev.scratchkit.oci.WriteResult;
import dev.scratchkit.testkit.LocalRegistry;
import dev.scratchkit.testkit.Tools;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A layer blob damaged in place (same size, mtime restored) in a layout written with the
 * layer cache: the push stages from the cache, whose entries are copies of their own and are
 * verified before use, so it succeeds with the correct digest, and the real registry never
 * holds bytes under a digest they do not have.
 */
class DamagedBlobPushTest {

  @TempDir
  Path tmp;

  private static ImageSpec image() {
    byte[] payload = new byte[256 * 1024];
    new java.util.Random(42).nextBytes(payload); // incompressible: damage lands in stored bytes
    LayerSpec layer = LayerSpec.of("scratchkit: data", LayerEntry.bytes(ImagePath.of("/data.bin"), payload, 0644));
    return ImageSpec.of(Platform.LINUX_AMD64, Instant.EPOCH,
        ContainerConfig.empty().withEntrypoint(List.of("/data.bin")), List.of(layer));
  }

  @Test
  void aBlobDamagedInPlaceIsNeverPushedUnderItsDigest() throws Exception {
    Path cacheDir = tmp.resolve("cache");
    LayerCache cache = LayerCache.at(cacheDir);
    Path layout = tmp.resolve("layout");
    WriteResult local = OciLayout.at(layout).cache(cache).write(image());
    Digest layer = local.layers().get(0).digest();
    Path blob = layout.resolve("blobs/sha256").resolve(layer.hex());
    damageInPlace(blob);
    assertThat(sha256(blob)).isNotEqualTo(layer.toString());

    try (LocalRegistry registry = LocalRegistry.start(tmp.resolve("registry"))) {
      Registry target = Registry.image(registry.host() + "/damaged:1").cache(cache);
      // The cache entry is a verified copy of its own, so the damage of the layout's blob does
      // not reach what the push stages from.
      WriteResult pushed = target.write(image());
      assertThat(pushed.digest()).isEqualTo(local.digest());
      assertThat(status(registry, "/v2/damaged/blobs/" + layer)).isEqualTo(200);
      // skopeo copies it back; every blob it got has the digest it is named by.
      Path pulled = tmp.resolve("pulled");
      Tools.run(Duration.ofMinutes(2), null, null, List.of(Tools.require("skopeo").toString(), "--insecure-policy",
          "copy", "--src-tls-verify=false", "docker://" + registry.host() + "/damaged:1", "oci:" + pulled + ":p"))
          .assertOk();
      try (Stream<Path> blobs = Files.list(pulled.resolve("blobs/sha256"))) {
        List<Path> all = blobs.toList();
        assertThat(all).hasSize(3);
        for (Path b : all) {
          assertThat(sha256(b)).isEqualTo("sha256:" + b.getFileName());
        }
      }
      assertThat(Files.exists(pulled.resolve("blobs/sha256").resolve(layer.hex()))).isTrue();
    }
  }

  @Test
  void aDamagedCacheEntryIsNamedDroppedAndTheLayoutsDigestPushed() throws Exception {
    Path cacheDir = tmp.resolve("cache");
    LayerCache cache = LayerCache.at(cacheDir);
    WriteResult local = OciLayout.at(tmp.resolve("layout")).cache(cache).write(image());
    Digest layer = local.layers().get(0).digest();
    Path entry = cachedBlob(cacheDir.resolve("layers-v1"), layer);
    damageInPlace(entry);

    try (LocalRegistry registry = LocalRegistry.start(tmp.resolve("registry"))) {
      CapturedLog.Run<WriteResult> push = CapturedLog.during(() ->
          Registry.image(registry.host() + "/damaged:1").cache(cache).write(image()));
      assertThat(push.value().digest()).isEqualTo(local.digest());
      assertThat(push.log()).contains("layer cache entry " + entry + " is damaged: it has digest sha256:")
          .contains(" instead of " + layer);
      Path pulled = tmp.resolve("pulled");
      Tools.runOk(Tools.require("skopeo").toString(), "--insecure-policy", "copy", "--src-tls-verify=false",
          "docker://" + registry.host() + "/damaged:1", "oci:" + pulled + ":latest");
      assertThat(Tools.runOk("skopeo", "inspect", "oci:" + pulled + ":latest").stdout())
          .contains("\"Digest\": \"" + local.digest() + "\"");
    }
    // The entry was rebuilt with good bytes.
    assertThat(sha256(entry)).isEqualTo(layer.toString());
  }

  /** The blob file of the cache entry that records {@code d}. */
  private static Path cachedBlob(Path cacheDir, Digest d) throws Exception {
    try (Stream<Path> s = Files.list(cacheDir)) {
      for (Path rec : s.filter(p -> p.toString().endsWith(".rec")).toList()) {
        if (Files.readString(rec).contains("digest=" + d + "\n")) {
          return Path.of(rec.toString().replace(".rec", ".blob"));
        }
      }
    }
    throw new AssertionError("no cache entry for " + d + " in " + cacheDir);
  }

  /** Flips bytes in the middle, keeping size and modification time. */
  static void damageInPlace(Path file) throws Exception {
    FileTime mtime = Files.getLastModifiedTime(file);
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      long middle = f.length() / 2;
      f.seek(middle);
      byte[] b = new byte[16];
      f.readFully(b);
      for (int i = 0; i < b.length; i++) {
        b[i] ^= (byte) 0xA5;
      }
      f.seek(middle);
      f.write(b);
    }
    Files.setLastModifiedTime(file, mtime);
  }

  private static int status(LocalRegistry registry, String path) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(registry.url() + path))
        .header("Accept", "application/vnd.oci.image.manifest.v1+json")
        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  static String sha256(Path file) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    sha.update(Files.readAllBytes(file));
    return "sha256:" + HexFormat.of().formatHex(sha.digest());
  }
}
