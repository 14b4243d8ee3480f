package dev.scratchkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.scratchkit.oci.LayerCache;
import dev.scratchkit.oci.LayerEntry;
import dev.scratchkit.oci.LayerSpec;
import dev.scratchkit.oci.OciLayout;
import dev.scratchkit.oci.WriteResult;
import dev.scratchkit.testkit.Fixtures;
import dev.scratchkit.testkit.Runc;
import dev.scratchkit.testkit.Tools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Layers the user names or leaves to the automatic split, in-memory files and symbolic links:
 * what the image history and the unpacked image show (skopeo, jq, umoci, GNU tar as oracles),
 * and what {@code build()} refuses, with the messages users see.
 */
class LayersTest {

  @TempDir static Path work;
  static Path hello;
  static Path site;

  @BeforeAll
  static void inputs() throws IOException {
    hello = Fixtures.gcc(work.resolve("c"), "hello",
        "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n", "-static");
    site = Files.createDirectories(work.resolve("site"));
    Files.writeString(site.resolve("index.html"), "<p>hi</p>\n");
  }

  private static ScratchImage.Builder named() {
    return ScratchImage.builder().noCaCertificates().withoutTimeZoneData()
        .layer("assets").addDirectory(site, "/srv/www")
        .layer("config").addFile("/etc/app.conf", FileContent.utf8("port=8080\n"))
        .layer("program").entrypoint(hello);
  }

  @Test
  void namedLayersAreInCallOrderAndNamedInTheConfigHistory() {
    Path layout = work.resolve("named");
    named().build().writeTo(OciLayout.at(layout).tag("latest"));
    Path config = work.resolve("named-config.json");
    Tools.Result inspect = Tools.run(Duration.ofMinutes(1), null, null, List.of(Tools.require("skopeo").toString(),
        "inspect", "--config", "oci:" + layout + ":latest"));
    writeString(config, inspect.assertOk().stdout());
    String jq = Tools.require("jq").toString();
    assertThat(Tools.runOk(jq, "-r", ".history[].created_by", config.toString()).stdout()).isEqualTo("""
        scratchkit: base files (passwd, group, nsswitch.conf, /tmp)
        scratchkit: layer assets
        scratchkit: layer config
        scratchkit: layer program
        """);
    assertThat(Tools.runOk(jq, ".rootfs.diff_ids | length", config.toString()).stdout().trim()).isEqualTo("4");
  }

  @Test
  void withoutLayerCallsDirectoriesFilesAndTheEntrypointGetALayerEach() throws IOException {
    Path conf = Files.writeString(work.resolve("host.conf"), "a=1\n");
    ScratchImage image = ScratchImage.builder().noCaCertificates().withoutTimeZoneData()
        .entrypoint(hello)
        .addFile(conf, "/etc/host.conf")
        .addDirectory(site, "/srv/www")
        .addFile("/etc/app.conf", FileContent.utf8("port=8080\n"))
        .addSymlink("/usr/bin/hello", "/app/hello")
        .workingDirectory("/data")
        .build();
    assertThat(image.layers()).extracting(LayerSpec::createdBy).containsExactly(
        "scratchkit: base files (passwd, group, nsswitch.conf, /tmp)",
        "scratchkit: directories",
        "scratchkit: files",
        "scratchkit: app /app/hello");
    assertThat(paths(image.layers().get(1))).containsExactly("/srv", "/srv/www", "/srv/www/index.html");
    assertThat(paths(image.layers().get(2)))
        .containsExactly("/etc", "/etc/app.conf", "/etc/host.conf", "/usr", "/usr/bin", "/usr/bin/hello");
    assertThat(paths(image.layers().get(3))).containsExactly("/app", "/app/hello", "/data");
  }

  @Test
  void theAutomaticSplitIsNamedInTheConfigHistoryInItsOrder() throws IOException {
    Path layout = work.resolve("automatic");
    Path conf = Files.writeString(work.resolve("auto.conf"), "a=1\n");
    ScratchImage.builder().noCaCertificates().withoutTimeZoneData()
        .entrypoint(hello)
        .addFile(conf, "/etc/auto.conf")
        .addDirectory(site, "/srv/www")
        .build().writeTo(OciLayout.at(layout).tag("latest"));
    Path config = work.resolve("automatic-config.json");
    writeString(config, Tools.run(Duration.ofMinutes(1), null, null, List.of(Tools.require("skopeo").toString(),
        "inspect", "--config", "oci:" + layout + ":latest")).assertOk().stdout());
    String jq = Tools.require("jq").toString();
    assertThat(Tools.runOk(jq, "-r", ".history[].created_by", config.toString()).stdout()).isEqualTo("""
        scratchkit: base files (passwd, group, nsswitch.conf, /tmp)
        scratchkit: directories
        scratchkit: files
        scratchkit: app /app/hello
        """);
    assertThat(Tools.runOk(jq, ".rootfs.diff_ids | length", config.toString()).stdout().trim()).isEqualTo("4");
  }

  @Test
  void theSameInputsInAnotherCheckoutGiveTheSameImage() throws IOException {
    // Two copies of the program and its tree at different host paths, with the same bytes and
    // times (a second clone of the same commit): no host path may reach the config or a layer.
    Path[] checkouts = {work.resolve("checkout-a/build"), work.resolve("elsewhere/checkout-b/out")};
    String[] digests = new String[2];
    for (int i = 0; i < 2; i++) {
      Path program = Files.createDirectories(checkouts[i]).resolve("hello");
      Files.copy(hello, program);
      Path www = Files.createDirectories(checkouts[i].resolve("www"));
      Files.writeString(www.resolve("index.html"), "<p>hi</p>\n");
      Path layout = work.resolve("checkout-" + i);
      digests[i] = ScratchImage.builder().entrypoint(program).addDirectory(www, "/srv/www")
          .bundleSharedLibraries().build().writeTo(OciLayout.at(layout).tag("latest")).digest().toString();
      String config = Tools.run(Duration.ofMinutes(1), null, null, List.of(Tools.require("skopeo").toString(),
          "inspect", "--config", "oci:" + layout + ":latest")).assertOk().stdout();
      assertThat(config).doesNotContain(checkouts[i].toString()).doesNotContain(work.toString());
    }
    assertThat(digests[1]).isEqualTo(digests[0]);
  }

  @Test
  void addsBeforeTheFirstLayerCallStayInTheAutomaticLayersBeforeTheNamedOnes() {
    ScratchImage image = ScratchImage.builder().noCaCertificates().withoutTimeZoneData()
        .entrypoint(hello)
        .addFile("/etc/early.conf", FileContent.utf8("x\n"))
        .layer("late").addFile("/etc/late.conf", FileContent.utf8("y\n"))
        .build();
    assertThat(image.layers()).extracting(LayerSpec::createdBy).containsExactly(
        "scratchkit: base files (passwd, group, nsswitch.conf, /tmp)",
        "scratchkit: files",
        "scratchkit: layer late",
        "scratchkit: app /app/hello");
  }

  @Test
  void inMemoryFilesAndSymlinksAreInTheUnpackedImageWithTheirModes() throws IOException {
    byte[] key = {0, 1, 2, (byte) 0xff, '\n'};
    Path layout = work.resolve("memory");
    WriteResult result = ScratchImage.builder().noCaCertificates().withoutTimeZoneData()
        .entrypoint(hello)
        .layer("config")
        .addFile("/etc/app/app.conf", FileContent.utf8("name=naïve\nport=8080\n"))
        .addFile("/etc/app/key.bin", FileContent.of(key).withMode(0600))
        .addFile("/app/run", FileContent.utf8("data\n").withMode(0755))
        .addSymlink("/usr/bin/hello", "/app/hello")
        .addSymlink("/etc/app/current.conf", "app.conf")
        .build().writeTo(OciLayout.at(layout).tag("latest"));

    String listing = Tools.run(Duration.ofMinutes(1), null, Map.of("TZ", "UTC"), List.of(
        Tools.require("tar").toString(), "--numeric-owner", "-tvzf",
        layout.resolve("blobs/sha256").resolve(result.layers().get(1).digest().hex()).toString()))
        .assertOk().stdout();
    assertThat(listing)
        .containsPattern("-rw-r--r-- 0/0 +22 .* etc/app/app.conf\n")
        .containsPattern("-rw------- 0/0 +5 .* etc/app/key.bin\n")
        .containsPattern("-rwxr-xr-x 0/0 +5 .* app/run\n")
        .containsPattern("lrwxrwxrwx 0/0 +0 .* usr/bin/hello -> /app/hello\n")
        .containsPattern("lrwxrwxrwx 0/0 +0 .* etc/app/current.conf -> app.conf\n");

    Path bundle = work.resolve("memory-bundle");
    Tools.run(Duration.ofMinutes(2), null, null, List.of(Tools.require("umoci").toString(), "unpack", "--rootless",
        "--image", layout + ":latest", bundle.toString())).assertOk();
    Path rootfs = bundle.resolve("rootfs");
    assertThat(Files.readString(rootfs.resolve("etc/app/app.conf"), StandardCharsets.UTF_8))
        .isEqualTo("name=naïve\nport=8080\n");
    assertThat(Files.readAllBytes(rootfs.resolve("etc/app/key.bin"))).isEqualTo(key);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(rootfs.resolve("etc/app/key.bin"))))
        .isEqualTo("rw-------");
    assertThat(Files.readSymbolicLink(rootfs.resolve("usr/bin/hello"))).isEqualTo(Path.of("/app/hello"));
    assertThat(Files.readString(rootfs.resolve("etc/app/current.conf"))).startsWith("name=");
  }

  @Test
  void theProgramRunsThroughAnAddedSymlink() {
    Path layout = work.resolve("via-link");
    ScratchImage.builder().noCaCertificates().withoutTimeZoneData().entrypoint(hello)
        .addSymlink("/usr/bin/hello", "../../app/hello")
        .build().writeTo(OciLayout.at(layout).tag("latest"));
    assertThat(Runc.run(layout, "latest", work.resolve("runc"), List.of("/usr/bin/hello")).assertOk().stdout())
        .isEqualTo("hello\n");
  }

  @Test
  void anAddedSymlinkIsJudgedByTheRunChecksOnTheImage() {
    // /tmp is a directory of the base layer that programs rely on; a link over it is the view's
    // DIRECTORY_REPLACED error, found on the assembled image like any other entry.
    ScratchImageException e = catchThrowableOfType(ScratchImageException.class, () -> ScratchImage.builder()
        .noCaCertificates().withoutTimeZoneData().entrypoint(hello)
        .layer("links").addSymlink("/tmp", "/var/tmp")
        .build());
    assertThat(e.getMessage()).contains("Layer 2 puts a symlink at /tmp, which was a directory");
  }

  @Test
  void samePathInTwoLayersWithDifferentContentIsRefusedNamingBothLayers() {
    ScratchImageException e = catchThrowableOfType(ScratchImageException.class, () -> ScratchImage.builder()
        .entrypoint(hello)
        .layer("defaults").addFile("/etc/app.conf", FileContent.utf8("port=80\n"))
        .layer("site").addFile("/etc/app.conf", FileContent.utf8("port=8080\n"))
        .build());
    assertThat(e.problems()).hasSize(1);
    assertThat(e.problems().get(0).description()).isEqualTo("/etc/app.conf is in two layers with different content:"
        + " layer \"defaults\" has file /etc/app.conf 0644 0:0 (8 bytes), and layer \"site\" has file"
        + " /etc/app.conf 0644 0:0 (10 bytes); the later layer would hide the earlier file. Add /etc/app.conf in"
        + " one layer only (remove one of the add calls), or give both the same content and mode.");
  }

  @Test
  void aDirectoryReplacedByAFileOfAnotherLayerIsRefused() {
    ScratchImageException e = catchThrowableOfType(ScratchImageException.class, () -> ScratchImage.builder()
        .entrypoint(hello)
        .addDirectory(site, "/srv/www")
        .layer("oops").addFile("/srv/www", FileContent.utf8("x"))
        .build());
    assertThat(e.getMessage()).contains("/srv/www is in two layers with different content: the automatic layer of"
        + " added directories has directory /srv/www 0755 0:0, and layer \"oops\" has file /srv/www 0644 0:0 (1 bytes)");
  }

  @Test
  void samePathWithTheSameContentInTwoLayersIsAccepted() {
    ScratchImage image = ScratchImage.builder().noCaCertificates().withoutTimeZoneData().entrypoint(hello)
        .layer("a").addFile("/etc/app.conf", FileContent.utf8("same\n"))
        .layer("b").addFile("/etc/app.conf", FileContent.utf8("same\n"))
        .build();
    assertThat(image.layers()).hasSize(4);
  }

  @Test
  void emptyAndBlankLayerNamesAreRefused() {
    ScratchImageException e = catchThrowableOfType(ScratchImageException.class, () -> ScratchImage.builder()
        .entrypoint(hello)
        .layer("").addFile("/a", FileContent.utf8("a"))
        .layer("  ").addFile("/b", FileContent.utf8("b"))
        .layer("x\ny").addFile("/c", FileContent.utf8("c"))
        .build());
    assertThat(e.problems()).extracting(ScratchImageException.Problem::description).containsExactly(
        "layer(\"\"): the layer name is empty. The name is shown in the image history (docker history); give one"
            + " such as layer(\"assets\").",
        "layer(\"  \"): the layer name is blank (only white space). The name is shown in the image history"
            + " (docker history); give one such as layer(\"assets\").",
        "layer(\"x\\u000ay\"): the layer name contains a control character (such as a line break or NUL). The name"
            + " is shown in the image history (docker history); give one such as layer(\"assets\").");
  }

  @Test
  void aLayerNameCalledAgainAfterAnotherIsRefusedButAdjacentCallsAreOne() {
    ScratchImageException e = catchThrowableOfType(ScratchImageException.class, () -> ScratchImage.builder()
        .entrypoint(hello)
        .layer("assets").addFile("/a", FileContent.utf8("a"))
        .layer("config").addFile("/b", FileContent.utf8("b"))
        .layer("assets").addFile("/c", FileContent.utf8("c"))
        .build());
    assertThat(e.problems()).extracting(ScratchImageException.Problem::description).containsExactly(
        "layer(\"assets\") is called twice, as the 1st and the 3rd layer(...) call, with layer(\"config\") in"
            + " between, so the layer order would be ambiguous. Keep the calls that add to \"assets\" together"
            + " after one layer(\"assets\"), or give the later ones a name of their own.");

    ScratchImage adjacent = ScratchImage.builder().noCaCertificates().withoutTimeZoneData().entrypoint(hello)
        .layer("assets").addFile("/a", FileContent.utf8("a"))
        .layer("assets").addFile("/c", FileContent.utf8("c"))
        .build();
    assertThat(adjacent.layers()).extracting(LayerSpec::createdBy).contains("scratchkit: layer assets");
    assertThat(paths(adjacent.layers().get(1))).containsExactly("/a", "/c");
  }

  @Test
  void anEmptyNamedLayerIsLeftOutWithAWarningAndRefusedInStrictMode() {
    ScratchImage image = ScratchImage.builder().noCaCertificates().withoutTimeZoneData().entrypoint(hello)
        .layer("nothing")
        .layer("config").addFile("/etc/app.conf", FileContent.utf8("x"))
        .build();
    assertThat(image.layers()).extracting(LayerSpec::createdBy).doesNotContain("scratchkit: layer nothing");
    String warning = "layer(\"nothing\") gets no files, directories or links, so it is left out of the image. Add"
        + " entries after layer(\"nothing\"), or remove the call.";
    assertThat(image.warnings()).contains(warning);
    ScratchImageException e = catchThrowableOfType(ScratchImageException.class, () -> ScratchImage.builder()
        .noCaCertificates().withoutTimeZoneData().entrypoint(hello).layer("nothing").strict(true).build());
    assertThat(e.getMessage()).contains(warning + " (strict mode makes this an error)");
  }

  @Test
  void badInMemoryPathsAndLinkTargetsAreRefusedNamingTheCall() {
    ScratchImageException e = catchThrowableOfType(ScratchImageException.class, () -> ScratchImage.builder()
        .entrypoint(hello)
        .addFile("etc/app.conf", FileContent.utf8("x"))
        .addSymlink("/usr/bin/../x", "/app/hello")
        .addSymlink("/usr/bin/y", "a\0b")
        .addFile("/", FileContent.utf8("x"))
        .build());
    assertThat(e.problems()).hasSize(4);
    assertThat(e.problems().get(0).description()).startsWith("addFile(\"etc/app.conf\", content): ")
        .contains("etc/app.conf");
    assertThat(e.problems().get(1).description()).startsWith("addSymlink(\"/usr/bin/../x\", \"/app/hello\"): ");
    assertThat(e.problems().get(2).description()).startsWith("addSymlink(\"/usr/bin/y\", \"a\0b\"): invalid symlink"
        + " target for /usr/bin/y");
    assertThat(e.problems().get(3).description()).startsWith("addFile(\"/\", content): a layer entry cannot be the"
        + " root directory");
  }

  @Test
  void theSameInputsGiveTheSameDigestWhateverTheCache() {
    WriteResult first = named().creationTime(java.time.Instant.parse("2024-01-01T00:00:00Z")).build()
        .writeTo(OciLayout.at(work.resolve("same-1")).cache(LayerCache.disabled()));
    WriteResult second = named().creationTime(java.time.Instant.parse("2024-01-01T00:00:00Z")).build()
        .writeTo(OciLayout.at(work.resolve("same-2")));
    WriteResult third = named().creationTime(java.time.Instant.parse("2024-01-01T00:00:00Z")).build()
        .writeTo(OciLayout.at(work.resolve("same-3")));
    assertThat(second.digest()).isEqualTo(first.digest());
    assertThat(third.digest()).isEqualTo(first.digest());
    // A different layering of the same files is a different image.
    WriteResult merged = ScratchImage.builder().noCaCertificates().withoutTimeZoneData().creationTime(java.time.Instant.parse(
            "2024-01-01T00:00:00Z"))
        .layer("all").addDirectory(site, "/srv/www").addFile("/etc/app.conf", FileContent.utf8("port=8080\n"))
        .entrypoint(hello).build().writeTo(OciLayout.at(work.resolve("same-4")));
    assertThat(merged.digest()).isNotEqualTo(first.digest());
  }

  @Test
  void fileContentIsCopiedAndShowsItself() {
    byte[] bytes = {1, 2, 3};
    FileContent content = FileContent.of(bytes);
    bytes[0] = 9;
    assertThat(content.bytes()).containsExactly(1, 2, 3);
    assertThat(content).hasToString("FileContent[3 bytes, 0644]").isEqualTo(FileContent.of(new byte[] {1, 2, 3}));
    assertThat(content.withMode(0755)).hasToString("FileContent[3 bytes, 0755]");
    assertThat(catchThrowableOfType(IllegalArgumentException.class, () -> content.withMode(010000)))
        .hasMessage("invalid mode 010000: permission bits are 0 to 07777 (e.g. 0644, 0755, 0600)");
  }

  private static List<String> paths(LayerSpec layer) {
    return layer.entries().stream().map(LayerEntry::path).map(Object::toString).toList();
  }

  private static void writeString(Path file, String text) {
    try {
      Files.writeString(file, text);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
