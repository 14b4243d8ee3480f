package dev.scratchkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scratchkit.oci.DockerArchive;
import dev.scratchkit.oci.ImageTarget;
import dev.scratchkit.oci.LayerCache;
import dev.scratchkit.oci.LayerEntry;
import dev.scratchkit.oci.OciArchive;
import dev.scratchkit.oci.OciException;
import dev.scratchkit.oci.OciLayout;
import dev.scratchkit.oci.ProgressListener;
import dev.scratchkit.testkit.Fixtures;
import dev.scratchkit.testkit.Tools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No host file leaks into an image: a file replaced, changed or redirected after {@code build()}
 * is refused at write time, and the canary standing in for {@code /etc/shadow} is in no written
 * blob (each gzip layer decompressed by the real {@code gzip}); symbolic links are judged on
 * where they resolve, not on their text.
 */
class HostFileLeakTest {

  @TempDir static Path work;
  static Path staticHello;

  @TempDir Path tmp;
  Path canary;
  Path cache;
  static final String CANARY = "CANARY-root:$6$not-a-real-shadow-line$";
  static final String ORIGINAL = "ORIGINAL-app-config-line-that-was-checked";

  @BeforeAll
  static void binaries() {
    staticHello = Fixtures.gcc(work.resolve("c"), "hello",
        "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n", "-static");
  }

  @BeforeEach
  void canary() throws IOException {
    Path secret = Files.createDirectories(tmp.resolve("etc-standin"));
    // Same length as the original, so a size check alone cannot be what catches a swap.
    canary = Files.writeString(secret.resolve("shadow"), pad(CANARY, ORIGINAL.length() + 1));
    cache = tmp.resolve("cache");
  }

  private static String pad(String s, int length) {
    return (s + "x".repeat(length)).substring(0, length - 1) + "\n";
  }

  private ScratchImage.Builder builder() {
    return ScratchImage.builder().entrypoint(staticHello);
  }

  private OciLayout layout(String name) {
    return OciLayout.at(tmp.resolve(name)).tag("latest").cache(LayerCache.at(cache));
  }

  // --- the canary check ----------------------------------------------------------------------

  /**
   * Every file under {@code dirs} (blobs, staging files, the layer cache), raw and, when it is
   * gzip, as {@code gzip -dc} decompresses it: none holds the canary. Returns how many gzip
   * layers were decompressed, so a test can show the check saw layers.
   */
  private static int assertNoCanaryIn(Path... dirs) throws IOException {
    Path gzip = Tools.require("gzip");
    int layers = 0;
    for (Path dir : dirs) {
      if (!Files.exists(dir)) {
        continue;
      }
      List<Path> files;
      try (Stream<Path> walk = Files.walk(dir)) {
        files = walk.filter(Files::isRegularFile).toList();
      }
      for (Path f : files) {
        byte[] raw = Files.readAllBytes(f);
        assertThat(new String(raw, StandardCharsets.ISO_8859_1)).as("raw bytes of %s", f).doesNotContain("CANARY");
        if (raw.length > 2 && (raw[0] & 0xff) == 0x1f && (raw[1] & 0xff) == 0x8b) {
          String plain = Tools.run(Duration.ofMinutes(1), null, null, List.of(gzip.toString(), "-dc", f.toString()))
              .assertOk().stdout();
          assertThat(plain).as("decompressed %s", f).doesNotContain("CANARY");
          layers++;
        }
      }
    }
    return layers;
  }

  private static boolean anyLayerHolds(Path dir, String text) throws IOException {
    Path gzip = Tools.require("gzip");
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path f : walk.filter(Files::isRegularFile).toList()) {
        byte[] raw = Files.readAllBytes(f);
        if (raw.length > 2 && (raw[0] & 0xff) == 0x1f && (raw[1] & 0xff) == 0x8b && Tools.run(Duration.ofMinutes(1),
            null, null, List.of(gzip.toString(), "-dc", f.toString())).assertOk().stdout().contains(text)) {
          return true;
        }
      }
    }
    return false;
  }

  @Test
  void theCanaryCheckFindsContentInAWrittenLayer() throws IOException {
    Path conf = Files.writeString(tmp.resolve("app.conf"), pad(ORIGINAL, ORIGINAL.length() + 1));
    builder().addFile(conf, "/etc/app.conf").build().writeTo(layout("ok"));
    assertThat(anyLayerHolds(tmp.resolve("ok"), ORIGINAL)).isTrue();
    // the same check, pointed at a layer holding the canary, fails
    builder().addFile(canary, "/etc/app.conf").build().writeTo(layout("control"));
    assertThat(anyLayerHolds(tmp.resolve("control"), "CANARY")).isTrue();
    assertThatThrownBy(() -> assertNoCanaryIn(tmp.resolve("control"))).isInstanceOf(AssertionError.class);
  }

  // --- TOCTOU: replaced or changed between build() and writeTo --------------------------------

  private String expected(Path file, String inImage, String what, long size) {
    return "source file " + file + " for " + inImage + " changed after the image was built: " + what
        + "; build() saw a regular file of " + size + " bytes. The layer was not written. Build the image again"
        + " once the file is final, and keep it unchanged until writeTo returns";
  }

  /** Writes a good image first (so the layout has layers to grep), then the attacked one. */
  private void assertRefused(ScratchImage image, String layoutName, String message) throws IOException {
    builder().build().writeTo(layout(layoutName));
    assertThatThrownBy(() -> image.writeTo(layout(layoutName))).isInstanceOf(OciException.class).hasMessage(message);
    assertThat(assertNoCanaryIn(tmp.resolve(layoutName), cache)).isGreaterThan(0);
    assertThat(tmp.resolve(layoutName).resolve(".scratchkit-tmp")).doesNotExist();
  }

  @Test
  void addedFileReplacedBySymlinkToTheCanaryIsRefused() throws IOException {
    Path conf = Files.writeString(tmp.resolve("app.conf"), pad(ORIGINAL, ORIGINAL.length() + 1));
    ScratchImage image = builder().addFile(conf, "/etc/app.conf").build();
    Files.delete(conf);
    Files.createSymbolicLink(conf, canary);
    assertRefused(image, "l", expected(conf, "/etc/app.conf", "it is now a symbolic link to " + canary,
        ORIGINAL.length() + 1));
  }

  @Test
  void fileOfAnAddedDirectoryReplacedBySymlinkToTheCanaryIsRefusedForEveryTarget() throws IOException {
    Path site = Files.createDirectories(tmp.resolve("site/css"));
    Path page = Files.writeString(site.resolve("main.css"), pad(ORIGINAL, ORIGINAL.length() + 1));
    ScratchImage image = builder().addDirectory(tmp.resolve("site"), "/srv").build();
    Files.delete(page);
    Files.createSymbolicLink(page, Path.of("../../etc-standin/shadow"));
    String message = expected(page, "/srv/css/main.css", "it is now a symbolic link to ../../etc-standin/shadow",
        ORIGINAL.length() + 1);
    assertRefused(image, "l", message);
    Path out = Files.createDirectories(tmp.resolve("out"));
    for (ImageTarget target : List.<ImageTarget>of(OciArchive.at(out.resolve("oci.tar")).cache(LayerCache.at(cache)),
        DockerArchive.at(out.resolve("docker.tar")).tag("app:1").cache(LayerCache.at(cache)))) {
      assertThatThrownBy(() -> image.writeTo(target)).isInstanceOf(OciException.class).hasMessage(message);
    }
    try (Stream<Path> left = Files.list(out)) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void contentReplacedWithAnotherSizeIsRefused() throws IOException {
    Path conf = Files.writeString(tmp.resolve("app.conf"), pad(ORIGINAL, ORIGINAL.length() + 1));
    ScratchImage image = builder().addFile(conf, "/etc/app.conf").build();
    Files.writeString(conf, CANARY + "\nmore\n");
    assertRefused(image, "l", expected(conf, "/etc/app.conf", "its size changed from " + (ORIGINAL.length() + 1)
        + " to " + (CANARY.length() + 6) + " bytes", ORIGINAL.length() + 1));
  }

  @Test
  void contentReplacedWithTheSameSizeAndItsModificationTimePutBackIsRefused() throws IOException {
    Path conf = Files.writeString(tmp.resolve("app.conf"), pad(ORIGINAL, ORIGINAL.length() + 1));
    FileTime mtime = FileTime.fromMillis(1_600_000_000_000L);
    Files.setLastModifiedTime(conf, mtime);
    ScratchImage image = builder().addFile(conf, "/etc/app.conf").build();
    Files.write(conf, Files.readAllBytes(canary)); // same size, same inode
    Files.setLastModifiedTime(conf, mtime); // as cp -p or touch -r would
    builder().build().writeTo(layout("l"));
    assertThatThrownBy(() -> image.writeTo(layout("l"))).isInstanceOf(OciException.class)
        .hasMessageStartingWith("source file " + conf + " for /etc/app.conf changed after the image was built:"
            + " it was changed (change time ")
        .hasMessageContaining("rewritten with its modification time put back, renamed, linked or chmod-ed");
    assertThat(assertNoCanaryIn(tmp.resolve("l"), cache)).isGreaterThan(0);
  }

  @Test
  void fileReplacedByRenamingAnotherFileOverItIsRefused() throws IOException {
    Path conf = Files.writeString(tmp.resolve("app.conf"), pad(ORIGINAL, ORIGINAL.length() + 1));
    ScratchImage image = builder().addFile(conf, "/etc/app.conf").build();
    Path staged = Files.copy(canary, tmp.resolve("staged"));
    Files.setLastModifiedTime(staged, Files.getLastModifiedTime(conf));
    Files.move(staged, conf, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    builder().build().writeTo(layout("l"));
    assertThatThrownBy(() -> image.writeTo(layout("l"))).isInstanceOf(OciException.class)
        .hasMessageStartingWith("source file " + conf + " for /etc/app.conf changed after the image was built:"
            + " it was replaced by another file (");
    assertThat(assertNoCanaryIn(tmp.resolve("l"), cache)).isGreaterThan(0);
  }

  @Test
  void directoryOfAnAddedTreeReplacedBySymlinkIsRefused() throws IOException {
    Path site = Files.createDirectories(tmp.resolve("site/etc"));
    Files.writeString(site.resolve("shadow"), pad(ORIGINAL, ORIGINAL.length() + 1));
    ScratchImage image = builder().addDirectory(tmp.resolve("site"), "/srv").build();
    Files.move(site, tmp.resolve("site-etc-moved"));
    Files.createSymbolicLink(site, canary.getParent()); // site/etc -> the directory holding the canary "shadow"
    assertRefused(image, "l", expected(site.resolve("shadow"), "/srv/etc/shadow", "the directory " + site
        + " on its path is now a symbolic link to " + canary.getParent(), ORIGINAL.length() + 1));
  }

  @Test
  void entrypointReplacedAfterBuildIsRefused() throws IOException {
    Path app = Files.copy(staticHello, tmp.resolve("app"));
    ScratchImage image = ScratchImage.builder().entrypoint(app).build();
    long size = Files.size(app);
    Files.delete(app);
    Files.createSymbolicLink(app, canary);
    assertRefused(image, "l", expected(app, "/app/app", "it is now a symbolic link to " + canary, size));
  }

  @Test
  void aCachedLayerIsNotServedForAFileThatWasReplaced() throws IOException {
    Path conf = Files.writeString(tmp.resolve("app.conf"), pad(ORIGINAL, ORIGINAL.length() + 1));
    ScratchImage image = builder().addFile(conf, "/etc/app.conf").build();
    image.writeTo(layout("first")); // the layer is now in the cache, under the recorded identity
    Files.delete(conf);
    Files.createSymbolicLink(conf, canary);
    assertRefused(image, "second", expected(conf, "/etc/app.conf", "it is now a symbolic link to " + canary,
        ORIGINAL.length() + 1));
    assertThat(anyLayerHolds(tmp.resolve("first"), ORIGINAL)).isTrue();
  }

  @Test
  void fileChangedWhileItIsCopiedFailsTheLayerAndNothingIsStored() throws IOException {
    // Over 1 MiB, so the listener hears progress in the middle of the copy and changes the file then.
    Path big = tmp.resolve("big.bin");
    byte[] original = new byte[4 << 20];
    java.util.Arrays.fill(original, (byte) 'o');
    Files.write(big, original);
    ScratchImage image = builder().addFile(big, "/data/big.bin").build();
    byte[] canaryBytes = Files.readAllBytes(canary);
    List<Long> seen = new ArrayList<>();
    ProgressListener tamper = new ProgressListener() {
      @Override
      public void layerProgress(int index, long done, long total) {
        if (seen.isEmpty() && done < total) {
          seen.add(done);
          try (var ch = java.nio.channels.FileChannel.open(big, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(canaryBytes), (4 << 20) - canaryBytes.length); // not yet copied
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      }
    };
    builder().build().writeTo(layout("l"));
    assertThatThrownBy(() -> image.writeTo(layout("l"), tamper)).isInstanceOf(OciException.class)
        .hasMessageStartingWith("source file " + big + " for /data/big.bin changed after the image was built: it was"
            + " modified (modification time ")
        .hasMessageContaining("(while it was read); build() saw a regular file of " + (4 << 20) + " bytes.");
    assertThat(seen).hasSize(1);
    assertThat(assertNoCanaryIn(tmp.resolve("l"), cache)).isGreaterThan(0);
  }

  @Test
  void fileReplacedByAPipeADirectoryOrAHardLinkToTheCanaryIsRefusedWithoutOpeningIt() throws IOException {
    long size = ORIGINAL.length() + 1;
    Path fifo = Files.writeString(tmp.resolve("fifo.conf"), pad(ORIGINAL, ORIGINAL.length() + 1));
    Path dir = Files.writeString(tmp.resolve("dir.conf"), pad(ORIGINAL, ORIGINAL.length() + 1));
    Path hard = Files.writeString(tmp.resolve("hard.conf"), pad(ORIGINAL, ORIGINAL.length() + 1));
    ScratchImage pipeImage = builder().addFile(fifo, "/etc/app.conf").build();
    ScratchImage dirImage = builder().addFile(dir, "/etc/app.conf").build();
    ScratchImage hardImage = builder().addFile(hard, "/etc/app.conf").build();
    Files.delete(fifo);
    Tools.runOk("mkfifo", fifo.toString()); // opening it would block: it must not be opened at all
    Files.delete(dir);
    Files.createDirectory(dir);
    Files.delete(hard);
    Files.createLink(hard, canary);
    assertRefused(pipeImage, "pipe", expected(fifo, "/etc/app.conf",
        "it is now a special file (device, socket or pipe)", size));
    assertRefused(dirImage, "dir", expected(dir, "/etc/app.conf", "it is now a directory", size));
    builder().build().writeTo(layout("hard"));
    assertThatThrownBy(() -> hardImage.writeTo(layout("hard"))).isInstanceOf(OciException.class)
        .hasMessageStartingWith("source file " + hard + " for /etc/app.conf changed after the image was built:"
            + " it was replaced by another file (");
    assertThat(assertNoCanaryIn(tmp.resolve("hard"), cache)).isGreaterThan(0);
  }

  @Test
  void aLinkGivenToAddFileIsResolvedAtBuildAndItsTargetIsWhatIsCopied() throws IOException {
    Path real = Files.writeString(tmp.resolve("real.conf"), pad(ORIGINAL, ORIGINAL.length() + 1));
    Path link = Files.createSymbolicLink(tmp.resolve("current.conf"), real.getFileName());
    ScratchImage image = builder().addFile(link, "/etc/app.conf").build();
    LayerEntry entry = app(image).get("/etc/app.conf");
    assertThat(entry.source()).contains(real);
    // Re-pointing the link afterwards changes nothing: the recorded file is real.conf.
    Files.delete(link);
    Files.createSymbolicLink(link, canary);
    image.writeTo(layout("l"));
    assertThat(anyLayerHolds(tmp.resolve("l"), ORIGINAL)).isTrue();
    assertNoCanaryIn(tmp.resolve("l"), cache);
  }

  // --- symlinks judged on where they resolve -------------------------------------------------

  private Path tree(String name) throws IOException {
    Path dir = Files.createDirectories(tmp.resolve(name).resolve("sub"));
    Files.writeString(dir.getParent().resolve("index.html"), "hi");
    return dir.getParent();
  }

  private static String refused(Path root, String link, String text, String how) {
    return root.resolve(link) + " is a symbolic link to " + text + ", which " + how;
  }

  @Test
  void linkThatLeavesTheTreeThroughAnotherLinkIsRefusedAlthoughItsTextLooksInside() throws IOException {
    Path root = tree("www");
    Files.createSymbolicLink(root.resolve("sub/t"), Path.of("..")); // inside: the tree's root
    Files.createSymbolicLink(root.resolve("sneaky"), Path.of("sub/t/../etc/passwd")); // lexically sub/etc/passwd
    assertThatThrownBy(() -> builder().addDirectory(root, "/srv").build()).isInstanceOf(ScratchImageException.class)
        .hasMessageContaining(refused(root, "sneaky", "sub/t/../etc/passwd", "is outside " + root
            + " (resolved through sub/t -> ..). In the image it would point at /etc/passwd, which the image"
            + " does not have, and following it here would copy a host file in unseen. Add its target too"))
        .satisfies(e -> assertThat(((ScratchImageException) e).problems()).hasSize(1));
  }

  @Test
  void linkChainsAbsoluteTargetsAndLinksThroughAbsoluteLinksAreRefused() throws IOException {
    Path root = tree("chains");
    Files.createDirectories(root.resolve("deep/a/b"));
    Files.createSymbolicLink(root.resolve("deep/a/b/up"), Path.of("../../..")); // the tree's root: inside
    Files.createSymbolicLink(root.resolve("y"), Path.of("deep/a/b/up/../x")); // lexically deep/a/b/x
    Files.createSymbolicLink(root.resolve("a"), Path.of("b"));
    Files.createSymbolicLink(root.resolve("b"), Path.of("c"));
    Files.createSymbolicLink(root.resolve("c"), Path.of("sub/../../outside"));
    Files.createSymbolicLink(root.resolve("abs"), Path.of("/etc/passwd"));
    Files.createSymbolicLink(root.resolve("sub/etc"), Path.of("/etc"));
    Files.createSymbolicLink(root.resolve("through"), Path.of("sub/etc/shadow"));
    Files.createSymbolicLink(root.resolve("loop1"), Path.of("loop2"));
    Files.createSymbolicLink(root.resolve("loop2"), Path.of("sub/../loop1"));
    ScratchImageException e = org.assertj.core.api.Assertions.catchThrowableOfType(
        () -> builder().addDirectory(root, "/srv").build(), ScratchImageException.class);
    assertThat(e.getMessage())
        .contains(refused(root, "y", "deep/a/b/up/../x", "is outside " + root + " (resolved through deep/a/b/up -> ../../..)"))
        .contains(refused(root, "a", "b", "is outside " + root + " (resolved through b -> c, c -> sub/../../outside)"))
        .contains(refused(root, "b", "c", "is outside " + root + " (resolved through c -> sub/../../outside)"))
        .contains(refused(root, "c", "sub/../../outside", "is outside " + root + "."))
        .contains(refused(root, "abs", "/etc/passwd", "is outside " + root + " (an absolute link)"))
        .contains(refused(root, "sub/etc", "/etc", "is outside " + root + " (an absolute link)"))
        .contains(refused(root, "through", "sub/etc/shadow", "is outside " + root
            + " (resolved through sub/etc -> /etc, an absolute link)"))
        .contains(refused(root, "loop1", "loop2", "never resolves: the links form a loop (loop2 -> sub/../loop1,"
            + " loop1 -> loop2, loop2 -> sub/../loop1, loop1 -> loop2, ...)"))
        .contains(refused(root, "loop2", "sub/../loop1", "never resolves: the links form a loop"));
    assertThat(e.problems()).hasSize(9);
  }

  @Test
  void linksThatResolveInsideAreKeptAsLinks() throws IOException {
    Path root = tree("fine");
    Files.createSymbolicLink(root.resolve("sub/t"), Path.of(".."));
    Files.createSymbolicLink(root.resolve("home"), Path.of("sub/t/sub/t/index.html"));
    Files.createSymbolicLink(root.resolve("sub/up"), Path.of("../index.html"));
    Files.createSymbolicLink(root.resolve("later"), Path.of("not-built-yet")); // dangling, but inside
    Map<String, LayerEntry> app = app(builder().addDirectory(root, "/srv").build());
    assertThat(app.get("/srv/home").link()).contains("sub/t/sub/t/index.html");
    assertThat(app.get("/srv/sub/t").link()).contains("..");
    assertThat(app.get("/srv/sub/up").link()).contains("../index.html");
    assertThat(app.get("/srv/later").link()).contains("not-built-yet");
  }

  // --- addDirectory of a symbolic link -------------------------------------------------------

  @Test
  void addDirectoryOfALinkToADirectoryAddsTheDirectoryItLeadsTo() throws IOException {
    Path root = tree("release-1");
    Files.createSymbolicLink(root.resolve("sub/up"), Path.of("../index.html"));
    Path current = Files.createSymbolicLink(tmp.resolve("current"), root.getFileName());
    Map<String, LayerEntry> app = app(builder().addDirectory(current, "/srv").build());
    assertThat(app.get("/srv/index.html").source()).contains(root.resolve("index.html"));
    assertThat(app.get("/srv/sub").type()).isEqualTo(LayerEntry.Type.DIRECTORY);
    assertThat(app.get("/srv/sub/up").link()).contains("../index.html");
  }

  @Test
  void addDirectoryOfALinkToAFileOrToNothingIsRefusedWithTheFix() throws IOException {
    Path file = Files.writeString(tmp.resolve("f.txt"), "x");
    Path toFile = Files.createSymbolicLink(tmp.resolve("to-file"), file);
    Path dangling = Files.createSymbolicLink(tmp.resolve("dangling"), tmp.resolve("gone"));
    assertThatThrownBy(() -> builder().addDirectory(toFile, "/srv").build())
        .hasMessageContaining(toFile + " is not a directory; use addFile(" + toFile + ", \"/srv\") for a single file.");
    assertThatThrownBy(() -> builder().addDirectory(dangling, "/srv").build())
        .hasMessageContaining(dangling + " is a symbolic link to " + tmp.resolve("gone") + ", which does not exist"
            + " (to be added at /srv). Point it at the directory, or give that path instead.");
  }

  /** The entries of the layers made from added content (the automatic split puts them in several). */
  private static Map<String, LayerEntry> app(ScratchImage image) {
    return image.layers().stream().filter(l -> !l.createdBy().startsWith("scratchkit: base"))
        .flatMap(l -> l.entries().stream())
        .collect(java.util.stream.Collectors.toMap(e -> e.path().toString(), Function.identity(), (a, b) -> b));
  }
}
