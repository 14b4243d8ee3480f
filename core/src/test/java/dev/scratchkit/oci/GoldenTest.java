package dev.scratchkit.oci;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.testkit.Tools;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acceptance 2: the same input gives the same bytes, on every run and on JDK 17 and 25; GNU tar
 * (an independent reader) shows sorted entries, numeric owners, the fixed mtime and exact modes.
 *
 * <p>The golden listings below were produced by
 * {@code TZ=UTC tar --full-time -tvzf BLOB} on a layer of {@link TestImages#busyboxImage}.
 */
class GoldenTest {

  static final String BASE_LAYER = """
      drwxr-xr-x 0/0 0 2024-01-02 03:04:05 etc/
      -rw-r--r-- 0/0 27 2024-01-02 03:04:05 etc/group
      -rw-r--r-- 0/0 94 2024-01-02 03:04:05 etc/passwd
      drwxr-xr-x 0/0 0 2024-01-02 03:04:05 home/
      drwx------ 65532/65532 0 2024-01-02 03:04:05 home/nonroot/
      drwxrwxrwt 0/0 0 2024-01-02 03:04:05 tmp/
      """;

  static final String APP_LAYER = """
      drwxr-xr-x 0/0 0 2024-01-02 03:04:05 bin/
      -rwxr-xr-x 0/0 BUSYBOX_SIZE 2024-01-02 03:04:05 bin/busybox
      hrwxr-xr-x 0/0 0 2024-01-02 03:04:05 bin/echo link to bin/busybox
      lrwxrwxrwx 0/0 0 2024-01-02 03:04:05 bin/sh -> busybox
      drwxr-xr-x 0/0 0 2024-01-02 03:04:05 srv/
      drwxr-xr-x 0/0 0 2024-01-02 03:04:05 srv/data/
      -rw-r----- 65532/65532 11 2024-01-02 03:04:05 srv/data/hello.txt
      """;

  @TempDir
  Path tmp;

  @Test
  void sameInputTwiceGivesTheSameBytesInEveryTarget() throws IOException {
    ImageSpec image = TestImages.busyboxImage(TestImages.busybox());
    WriteResult a = OciLayout.at(tmp.resolve("a")).cache(LayerCache.disabled()).write(image);
    WriteResult b = OciLayout.at(tmp.resolve("b")).cache(LayerCache.disabled()).write(image);
    assertThat(b.digest()).isEqualTo(a.digest());
    assertThat(b.layers()).isEqualTo(a.layers());
    assertThat(Files.readAllBytes(tmp.resolve("b/index.json"))).isEqualTo(Files.readAllBytes(tmp.resolve("a/index.json")));

    OciArchive.at(tmp.resolve("a.tar")).cache(LayerCache.disabled()).write(image);
    OciArchive.at(tmp.resolve("b.tar")).cache(LayerCache.disabled()).write(image);
    assertThat(Files.readAllBytes(tmp.resolve("b.tar"))).isEqualTo(Files.readAllBytes(tmp.resolve("a.tar")));

    DockerArchive.at(tmp.resolve("a-docker.tar")).cache(LayerCache.disabled()).tag("app:1").write(image);
    DockerArchive.at(tmp.resolve("b-docker.tar")).cache(LayerCache.disabled()).tag("app:1").write(image);
    assertThat(Files.readAllBytes(tmp.resolve("b-docker.tar")))
        .isEqualTo(Files.readAllBytes(tmp.resolve("a-docker.tar")));
  }

  @Test
  void temurin25WritesTheSameManifestDigestAsThisJdk() {
    Path java25 = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64/bin/java");
    if (!Files.isExecutable(java25)) {
      Tools.require("temurin-25-java"); // skips, or fails in strict mode, naming what is missing
    }
    Path busybox = TestImages.busybox();
    WriteResult here = OciLayout.at(tmp.resolve("here")).tag("golden").cache(LayerCache.disabled()).write(TestImages.busyboxImage(busybox));
    Tools.Result there = Tools.run(Duration.ofMinutes(2), null, null, List.of(java25.toString(), "-cp",
        System.getProperty("java.class.path"), GoldenMain.class.getName(), busybox.toString(),
        tmp.resolve("there").toString())).assertOk();
    assertThat(there.stdout().strip()).isEqualTo(here.digest().toString());
  }

  @Test
  void gnuTarListsSortedEntriesNumericOwnersFixedMtimeAndExactModes() throws IOException {
    Path busybox = TestImages.busybox();
    Path layout = tmp.resolve("layout");
    WriteResult result = OciLayout.at(layout).write(TestImages.busyboxImage(busybox));
    Path tar = Tools.require("tar");
    List<String> expected = List.of(BASE_LAYER,
        APP_LAYER.replace("BUSYBOX_SIZE", Long.toString(Files.size(busybox))));
    for (int i = 0; i < 2; i++) {
      Path blob = layout.resolve("blobs/sha256/" + result.layers().get(i).digest().hex());
      // Names are empty, so even without --numeric-owner tar shows the numbers.
      for (List<String> flags : List.of(List.of("--numeric-owner"), List.<String>of())) {
        List<String> command = new java.util.ArrayList<>(List.of(tar.toString(), "--full-time", "-tvzf", blob.toString()));
        command.addAll(1, flags);
        String listing = Tools.run(Duration.ofMinutes(1), null, Map.of("TZ", "UTC"), command).assertOk().stdout();
        assertThat(normalise(listing)).isEqualTo(expected.get(i));
      }
      // Fixed gzip header: magic, deflate, no flags (no name/comment), mtime 0, XFL 0, OS 255.
      byte[] header;
      try (InputStream in = Files.newInputStream(blob)) {
        header = in.readNBytes(10);
      }
      assertThat(HexFormat.of().formatHex(header)).isEqualTo("1f8b08000000000000ff");
    }
  }

  @Test
  void ourReaderAgreesWithTheGoldenListing() {
    Path busybox = TestImages.busybox();
    Path layout = tmp.resolve("layout");
    OciLayout.at(layout).tag("latest").write(TestImages.busyboxImage(busybox));
    OciImages images = OciImages.read(layout);
    OciImages.Image image = images.image("latest");
    assertThat(image.config().entrypoint()).containsExactly("/bin/busybox", "echo", "hello");
    assertThat(image.created()).isEqualTo(TestImages.CREATED);
    List<String> base = images.entries(image.layers().get(0)).stream()
        .map(e -> e.path() + " " + Integer.toOctalString(e.mode()) + " " + e.uid() + ":" + e.gid() + " "
            + e.modified() + " [" + e.userName() + "/" + e.groupName() + "]")
        .toList();
    assertThat(base).containsExactly(
        "/etc 755 0:0 2024-01-02T03:04:05Z [/]",
        "/etc/group 644 0:0 2024-01-02T03:04:05Z [/]",
        "/etc/passwd 644 0:0 2024-01-02T03:04:05Z [/]",
        "/home 755 0:0 2024-01-02T03:04:05Z [/]",
        "/home/nonroot 700 65532:65532 2024-01-02T03:04:05Z [/]",
        "/tmp 1777 0:0 2024-01-02T03:04:05Z [/]");
  }

  private static String normalise(String listing) {
    return Arrays.stream(listing.split("\n")).map(l -> l.strip().replaceAll("\\s+", " "))
        .filter(l -> !l.isEmpty()).collect(Collectors.joining("\n", "", "\n"));
  }
}
