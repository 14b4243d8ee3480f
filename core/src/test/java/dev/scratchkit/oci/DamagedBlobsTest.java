package dev.scratchkit.oci;

import dev.scratchkit.testkit.CapturedLog;
import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.testkit.Runc;
import dev.scratchkit.testkit.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Blobs damaged in place (one byte flipped, size and modification time kept) in the layer cache
 * and in a target layout: the next writes name the damaged files in a warning and still produce
 * valid images, judged by skopeo, umoci, sha256sum and runc
 * (the registry push through a damaged cache entry: {@code DamagedBlobPushTest} of scratchkit-registry).
 */
class DamagedBlobsTest {

  @TempDir
  Path tmp;

  /** Every blob of a layout hashes (by sha256sum) to its file name. */
  private static void assertEveryBlobMatchesItsName(Path layout) throws Exception {
    List<Path> blobs;
    try (Stream<Path> s = Files.list(layout.resolve("blobs/sha256"))) {
      blobs = s.sorted().toList();
    }
    assertThat(blobs).hasSizeGreaterThanOrEqualTo(4);
    for (Path blob : blobs) {
      assertThat(LayerCacheTest.sha256sum(blob)).as("blob %s", blob).isEqualTo("sha256:" + blob.getFileName());
    }
  }

  @Test
  void damagedCacheEntriesAndLayoutBlobsAreNamedAndNeverServed() throws Exception {
    String skopeo = Tools.require("skopeo").toString();
    String umoci = Tools.require("umoci").toString();
    ImageSpec image = TestImages.busyboxImage(TestImages.busybox());
    LayerCache cache = LayerCache.at(tmp.resolve("cache"));
    Path layout = tmp.resolve("layout");
    WriteResult first = OciLayout.at(layout).cache(cache).write(image);
    LayerDescriptor base = first.layers().get(0);
    LayerDescriptor app = first.layers().get(1);
    Path cacheDir = tmp.resolve("cache/layers-v1");
    Path cachedApp = cachedBlob(cacheDir, app.digest());
    Path cachedBase = cachedBlob(cacheDir, base.digest());
    Path layoutApp = layout.resolve("blobs/sha256").resolve(app.digest().hex());

    // The app layer damaged in the cache and in the layout; the base layer in the cache only.
    LayerCacheTest.damageInPlace(cachedApp);
    LayerCacheTest.damageInPlace(layoutApp);
    LayerCacheTest.damageInPlace(cachedBase);
    assertThat(Files.size(layoutApp)).isEqualTo(app.size());

    CapturedLog.Run<WriteResult> rewrite = CapturedLog.during(() -> OciLayout.at(layout).cache(cache).write(image));
    assertThat(rewrite.value().digest()).isEqualTo(first.digest());
    assertThat(rewrite.log())
        .contains("blob " + layoutApp + " of oci-layout " + layout + ":latest is damaged: it has digest sha256:")
        .contains("layer cache entry " + cachedApp + " is damaged: it has digest sha256:")
        .contains(" instead of " + app.digest() + "; dropped it");
    assertEveryBlobMatchesItsName(layout);

    // Real tools accept the layout: skopeo copies it (checking every digest), umoci unpacks it, runc runs it.
    Path archive = tmp.resolve("copy.tar");
    Tools.runOk(skopeo, "copy", "oci:" + layout + ":latest", "oci-archive:" + archive + ":latest");
    assertThat(Tools.runOk(skopeo, "inspect", "oci-archive:" + archive + ":latest").stdout())
        .contains("\"Digest\": \"" + first.digest() + "\"");
    Tools.run(Duration.ofMinutes(2), null, null, List.of(umoci, "unpack", "--rootless", "--image", layout + ":latest",
        tmp.resolve("bundle").toString())).assertOk();
    assertThat(Files.mismatch(tmp.resolve("bundle/rootfs/bin/busybox"), TestImages.busybox())).isEqualTo(-1);

    // The base entry is read only when a target lacks the blob: a new archive drops it and is valid.
    Path ociArchive = tmp.resolve("image.tar");
    CapturedLog.Run<WriteResult> toArchive = CapturedLog.during(() -> OciArchive.at(ociArchive).cache(cache).write(image));
    assertThat(toArchive.value().digest()).isEqualTo(first.digest());
    assertThat(toArchive.log()).contains("layer cache entry " + cachedBase + " is damaged: it has digest sha256:")
        .contains(" instead of " + base.digest());
    Path unpacked = tmp.resolve("from-archive");
    Tools.runOk(skopeo, "copy", "oci-archive:" + ociArchive + ":latest", "oci:" + unpacked + ":latest");
    assertEveryBlobMatchesItsName(unpacked);

    // The entries now hold good bytes again.
    assertThat(LayerCacheTest.sha256sum(cachedBlob(cacheDir, app.digest()))).isEqualTo(app.digest().toString());
    assertThat(LayerCacheTest.sha256sum(cachedBlob(cacheDir, base.digest()))).isEqualTo(base.digest().toString());
    // Last, since it needs root: runc runs the rewritten layout.
    assertThat(Runc.run(layout, "latest", tmp.resolve("runc")).assertOk().stdout()).isEqualTo("hello\n");
  }

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
}
