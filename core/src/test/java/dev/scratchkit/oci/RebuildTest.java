package dev.scratchkit.oci;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.FileContent;
import dev.scratchkit.ScratchImage;
import dev.scratchkit.testkit.Fixtures;
import dev.scratchkit.testkit.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rebuilds in one JVM skip the work whose result is known (remembered by file identity), and
 * still notice every change: a file rewritten with its size and modification time put back, an
 * archive damaged in place. skopeo and sha256sum judge the results.
 */
class RebuildTest {

  @TempDir static Path work;
  static Path hello;

  @BeforeAll
  static void inputs() {
    hello = Fixtures.gcc(work.resolve("c"), "hello",
        "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n", "-static");
  }

  private static ScratchImage image(Path binary, String config) {
    return ScratchImage.builder().noCaCertificates().withoutTimeZoneData().creationTime(Instant.EPOCH)
        .layer("app").entrypoint(binary)
        .layer("config").addFile("/etc/app.conf", FileContent.utf8(config))
        .build();
  }

  private static Object identity(Path file) throws IOException {
    return Files.getAttribute(file, "unix:ino", LinkOption.NOFOLLOW_LINKS) + " "
        + Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS) + " "
        + Files.getAttribute(file, "unix:ctime", LinkOption.NOFOLLOW_LINKS);
  }

  @Test
  void anUnchangedRebuildLeavesTheIndexAndTheArchiveAsTheyAre() throws Exception {
    LayerCache cache = LayerCache.at(work.resolve("cache-1"));
    Path layout = work.resolve("layout");
    Path archive = work.resolve("image.tar");
    WriteResult first = image(hello, "a=1\n").writeTo(OciLayout.at(layout).cache(cache));
    image(hello, "a=1\n").writeTo(OciArchive.at(archive).cache(cache));
    Object index = identity(layout.resolve("index.json"));
    Object tar = identity(archive);

    assertThat(image(hello, "a=1\n").writeTo(OciLayout.at(layout).cache(cache)).digest()).isEqualTo(first.digest());
    assertThat(image(hello, "a=1\n").writeTo(OciArchive.at(archive).cache(cache)).digest())
        .isEqualTo(first.digest());
    assertThat(identity(layout.resolve("index.json"))).isEqualTo(index);
    assertThat(identity(archive)).isEqualTo(tar);

    // A change is written: the archive is replaced, and skopeo finds the new image in it.
    WriteResult changed = image(hello, "a=2\n").writeTo(OciArchive.at(archive).cache(cache));
    assertThat(changed.digest()).isNotEqualTo(first.digest());
    assertThat(identity(archive)).isNotEqualTo(tar);
    assertThat(Tools.runOk(Tools.require("skopeo").toString(), "inspect", "oci-archive:" + archive + ":latest")
        .stdout()).contains("\"Digest\": \"" + changed.digest() + "\"");
  }

  @Test
  void anArchiveDamagedInPlaceIsWrittenAgain() throws Exception {
    LayerCache cache = LayerCache.at(work.resolve("cache-2"));
    Path archive = work.resolve("damaged.tar");
    WriteResult first = image(hello, "b=1\n").writeTo(OciArchive.at(archive).cache(cache));
    byte[] good = Files.readAllBytes(archive);
    LayerCacheTest.damageInPlace(archive); // one byte flipped; size and modification time kept
    assertThat(Files.readAllBytes(archive)).isNotEqualTo(good);

    assertThat(image(hello, "b=1\n").writeTo(OciArchive.at(archive).cache(cache)).digest())
        .isEqualTo(first.digest());
    assertThat(Files.readAllBytes(archive)).isEqualTo(good);
    assertThat(Tools.runOk(Tools.require("skopeo").toString(), "inspect", "oci-archive:" + archive + ":latest")
        .stdout()).contains("\"Digest\": \"" + first.digest() + "\"");
  }

  @Test
  void aProgramRewrittenWithItsSizeAndTimeKeptIsHashedAgain() throws Exception {
    Path binary = work.resolve("program");
    Files.copy(hello, binary);
    LayerCache cache = LayerCache.at(work.resolve("cache-3"));
    Path layout = work.resolve("program-layout");
    WriteResult before = image(binary, "c=1\n").writeTo(OciLayout.at(layout).cache(cache));
    // A byte in the middle of the program changes; size and modification time stay as they were.
    LayerCacheTest.damageInPlace(binary);

    WriteResult after = image(binary, "c=1\n").writeTo(OciLayout.at(layout).cache(cache));
    assertThat(after.layers().get(1).digest()).isNotEqualTo(before.layers().get(1).digest());
    // The layer holds the program's new bytes: the tar's member equals the file (GNU tar as the reader).
    Path blob = layout.resolve("blobs/sha256").resolve(after.layers().get(1).digest().hex());
    Path out = Files.createDirectories(work.resolve("extracted"));
    Tools.runOk(Tools.require("tar").toString(), "-xzf", blob.toString(), "-C", out.toString());
    assertThat(Files.mismatch(out.resolve("app/program"), binary)).isEqualTo(-1);
    assertThat(LayerCacheTest.sha256sum(blob)).isEqualTo(after.layers().get(1).digest().toString());
  }

  @Test
  void aTimeZoneTreeChangedInPlaceIsCollectedAgain() throws Exception {
    // A tree of its own, as timezoneData(dir) takes it: a file, a link to it, a subdirectory.
    Path zoneinfo = Files.createDirectories(work.resolve("zoneinfo"));
    Files.createDirectories(zoneinfo.resolve("Europe"));
    Path berlin = Files.writeString(zoneinfo.resolve("Europe/Berlin"), "TZif berlin one\n");
    Files.writeString(zoneinfo.resolve("UTC"), "TZif utc\n");
    Files.createSymbolicLink(zoneinfo.resolve("Europe/Zurich"), Path.of("Berlin"));
    LayerCache cache = LayerCache.at(work.resolve("cache-4"));
    Path layout = work.resolve("zoneinfo-layout");
    WriteResult first = zoneImage(zoneinfo).writeTo(OciLayout.at(layout).cache(cache));
    assertThat(zoneImage(zoneinfo).writeTo(OciLayout.at(layout).cache(cache)).digest()).isEqualTo(first.digest());

    // Rewritten in place with the same size and its modification time put back: only the change
    // time (and the bytes) tell.
    java.nio.file.attribute.FileTime mtime = Files.getLastModifiedTime(berlin);
    Files.writeString(berlin, "TZif berlin two\n");
    Files.setLastModifiedTime(berlin, mtime);
    WriteResult changed = zoneImage(zoneinfo).writeTo(OciLayout.at(layout).cache(cache));
    assertThat(changed.digest()).isNotEqualTo(first.digest());
    assertThat(extracted(layout, changed, "usr/share/zoneinfo/Europe/Berlin")).isEqualTo("TZif berlin two\n");

    // A link pointed elsewhere (a new link, as links cannot be changed in place).
    Files.delete(zoneinfo.resolve("Europe/Zurich"));
    Files.createSymbolicLink(zoneinfo.resolve("Europe/Zurich"), Path.of("../UTC"));
    WriteResult relinked = zoneImage(zoneinfo).writeTo(OciLayout.at(layout).cache(cache));
    assertThat(relinked.digest()).isNotEqualTo(changed.digest());
    Path out = extractedLayer(layout, relinked);
    assertThat(Files.readSymbolicLink(out.resolve("usr/share/zoneinfo/Europe/Zurich"))).isEqualTo(Path.of("../UTC"));
  }

  private static ScratchImage zoneImage(Path zoneinfo) {
    return ScratchImage.builder().noCaCertificates().timezoneData(zoneinfo).creationTime(Instant.EPOCH)
        .entrypoint(hello).build();
  }

  /** The time zone layer of {@code image}, unpacked by GNU tar. */
  private static Path extractedLayer(Path layout, WriteResult image) throws IOException {
    LayerDescriptor zones = image.layers().get(1); // base files, then time zones
    Path blob = layout.resolve("blobs/sha256").resolve(zones.digest().hex());
    Path out = Files.createTempDirectory(work, "zones");
    Tools.runOk(Tools.require("tar").toString(), "-xzf", blob.toString(), "-C", out.toString());
    return out;
  }

  private static String extracted(Path layout, WriteResult image, String member) throws IOException {
    return Files.readString(extractedLayer(layout, image).resolve(member));
  }
}
