package dev.scratchkit.oci;

import dev.scratchkit.testkit.CapturedLog;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.scratchkit.DirectoryOptions;
import dev.scratchkit.ScratchImage;
import dev.scratchkit.ScratchImageException;
import dev.scratchkit.testkit.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * addDirectory's options: a link leaving the tree is kept when another call adds its target;
 * otherwise refused with a fix that names the options, and each option, followed, builds (copy
 * or leave out, logged at info); host modification times kept, read back with GNU tar.
 */
class DirectoryOptionsTest {

  static final Instant HOST_TIME = Instant.parse("2021-05-06T07:08:09Z");

  @TempDir Path tmp;
  Path www;
  Path shared;
  Path conf;

  @BeforeEach
  void tree() throws Exception {
    www = Files.createDirectories(tmp.resolve("www"));
    shared = Files.createDirectories(tmp.resolve("shared"));
    Files.writeString(www.resolve("index.html"), "hi\n");
    Files.writeString(shared.resolve("lib.txt"), "shared\n");
    Files.createDirectories(shared.resolve("assets"));
    Files.writeString(shared.resolve("assets/logo.txt"), "logo\n");
    conf = Files.writeString(tmp.resolve("app.conf"), "port=1\n");
    Files.createSymbolicLink(www.resolve("conf"), conf);                          // absolute, outside
    Files.createSymbolicLink(www.resolve("lib.txt"), Path.of("../shared/lib.txt")); // relative, outside
    Files.createSymbolicLink(www.resolve("assets"), Path.of("../shared/assets"));   // a directory, outside
  }

  private ScratchImage.Builder builder() {
    return ScratchImage.builder().entrypoint(Path.of("/bin/busybox"), "/bin/busybox");
  }

  private static Map<String, LayerEntry> entries(ScratchImage image) {
    Map<String, LayerEntry> out = new LinkedHashMap<>();
    for (LayerSpec layer : image.layers()) {
      for (LayerEntry e : layer.entries()) {
        out.put(e.path().path(), e);
      }
    }
    return out;
  }

  @Test
  void linksLeavingTheTreeAreKeptWhenOtherCallsAddTheirTargets() {
    ScratchImage image = builder().addDirectory(www, "/srv/www").addDirectory(shared, "/srv/shared")
        .addFile(conf, conf.toString()).build();
    Map<String, LayerEntry> e = entries(image);
    assertThat(e.get("/srv/www/conf").link()).contains(conf.toString());
    assertThat(e.get("/srv/www/lib.txt").link()).contains("../shared/lib.txt");
    assertThat(e.get("/srv/www/assets").link()).contains("../shared/assets");
  }

  @Test
  void theRefusalNamesTheTargetInTheImageAndTheOptionsAndEachOptionFollowedBuilds() throws Exception {
    ScratchImageException refused = assertThrows(ScratchImageException.class,
        () -> builder().addDirectory(www, "/srv/www").build());
    assertThat(refused.problems()).hasSize(3);
    assertThat(refused.getMessage()).contains(www.resolve("lib.txt") + " is a symbolic link to ../shared/lib.txt,"
        + " which is outside " + www.toRealPath() + ". In the image it would point at /srv/shared/lib.txt, which the"
        + " image does not have, and following it here would copy a host file in unseen. Add its target too (e.g."
        + " addFile(Path.of(\"" + shared.toRealPath().resolve("lib.txt") + "\"), \"/srv/shared/lib.txt\")), or take"
        + " the tree with addDirectory(Path.of(\"" + www + "\"), \"/srv/www\","
        + " DirectoryOptions.defaults().copyOutsideLinkTargets()) to copy what such links point to, or with"
        + " DirectoryOptions.defaults().leaveOutOutsideLinks() to leave them out.")
        .contains(www.resolve("assets") + " is a symbolic link to ../shared/assets")
        .contains("(e.g. addDirectory(Path.of(\"" + shared.toRealPath().resolve("assets") + "\"), \"/srv/shared/assets\"))");

    // The first fix, as the message words it: add the target.
    Matcher m = Pattern.compile("\\(e\\.g\\. add(File|Directory)\\(Path\\.of\\(\"([^\"]+)\"\\), \"([^\"]+)\"\\)\\)")
        .matcher(refused.getMessage());
    ScratchImage.Builder added = builder().addDirectory(www, "/srv/www");
    int fixes = 0;
    while (m.find()) {
      if (m.group(1).equals("File")) {
        added.addFile(Path.of(m.group(2)), m.group(3));
      } else {
        added.addDirectory(Path.of(m.group(2)), m.group(3));
      }
      fixes++;
    }
    assertThat(fixes).isEqualTo(3);
    assertThat(entries(added.build()).get("/srv/www/lib.txt").type()).isEqualTo(LayerEntry.Type.SYMLINK);

    // Copy what they point to: files and a directory tree in their place, each logged.
    CapturedLog.Run<ScratchImage> copied = CapturedLog.during(() -> builder()
        .addDirectory(www, "/srv/www", DirectoryOptions.defaults().copyOutsideLinkTargets()).build());
    Map<String, LayerEntry> c = entries(copied.value());
    assertThat(c.get("/srv/www/conf").type()).isEqualTo(LayerEntry.Type.FILE);
    assertThat(c.get("/srv/www/conf").source()).contains(conf.toRealPath());
    assertThat(c.get("/srv/www/lib.txt").source()).contains(shared.toRealPath().resolve("lib.txt"));
    assertThat(c.get("/srv/www/assets").type()).isEqualTo(LayerEntry.Type.DIRECTORY);
    assertThat(c.get("/srv/www/assets/logo.txt").source()).contains(shared.toRealPath().resolve("assets/logo.txt"));
    assertThat(copied.log()).contains("copied " + conf.toRealPath() + " into the image at /srv/www/conf"
        + " (copyOutsideLinkTargets()): " + www.resolve("conf") + " was a symbolic link to " + conf)
        .contains("copied " + shared.toRealPath().resolve("assets") + " into the image at /srv/www/assets");

    // Leave them out, each logged.
    CapturedLog.Run<ScratchImage> left = CapturedLog.during(() -> builder()
        .addDirectory(www, "/srv/www", DirectoryOptions.defaults().leaveOutOutsideLinks()).build());
    Map<String, LayerEntry> l = entries(left.value());
    assertThat(l).containsKey("/srv/www/index.html").doesNotContainKeys("/srv/www/conf", "/srv/www/lib.txt",
        "/srv/www/assets");
    assertThat(left.log()).contains("left out " + www.resolve("conf") + " (leaveOutOutsideLinks()): a symbolic link to "
        + conf + ", which is outside " + www.toRealPath() + " (an absolute link), and the image has no " + conf);
  }

  @Test
  void aCopiedDirectoryThatHoldsTheTreeIsRefused() throws Exception {
    // A relative ".." leads to /srv in the image, which it has: a link kept. An absolute one to the host's parent:
    Files.createSymbolicLink(www.resolve("kept"), Path.of(".."));
    Files.createSymbolicLink(www.resolve("up"), tmp);
    ScratchImageException e = assertThrows(ScratchImageException.class, () -> builder()
        .addDirectory(www, "/srv/www", DirectoryOptions.defaults().copyOutsideLinkTargets()).build());
    assertThat(e.problems()).hasSize(1);
    assertThat(e.getMessage()).contains(www.resolve("up") + " is a symbolic link to " + tmp + ", which is "
        + tmp.toRealPath()
        + ", a directory that holds the tree " + www.toRealPath() + " itself");
  }

  @Test
  void keptModificationTimesAreTheHostsInTheLayerAndChangeTheDigest() throws Exception {
    Path tree = Files.createDirectories(tmp.resolve("times/sub"));
    Files.writeString(tree.resolve("a.py"), "x = 1\n");
    Files.setLastModifiedTime(tree.resolve("a.py"), FileTime.from(HOST_TIME));
    Files.createSymbolicLink(tree.resolve("b.py"), Path.of("a.py"));
    Tools.runOk("touch", "-h", "-d", "@" + HOST_TIME.plusSeconds(120).getEpochSecond(), tree.resolve("b.py").toString());
    Files.setLastModifiedTime(tree, FileTime.from(HOST_TIME.plusSeconds(60)));

    ScratchImage kept = builder().addDirectory(tree, "/opt/t", DirectoryOptions.defaults().keepModificationTimes())
        .build();
    ScratchImage plain = builder().addDirectory(tree, "/opt/t").build();
    Path keptLayout = tmp.resolve("kept");
    Path plainLayout = tmp.resolve("plain");
    String keptDigest = kept.writeTo(OciLayout.at(keptLayout).tag("t")).digest().toString();
    String plainDigest = plain.writeTo(OciLayout.at(plainLayout).tag("t")).digest().toString();
    assertThat(keptDigest).isNotEqualTo(plainDigest);
    assertThat(builder().addDirectory(tree, "/opt/t", DirectoryOptions.defaults().keepModificationTimes()).build()
        .writeTo(OciLayout.at(tmp.resolve("again")).tag("t")).digest().toString()).isEqualTo(keptDigest);

    String listing = listing(keptLayout, "opt/t/a.py");
    assertThat(listing).contains("2021-05-06 07:08:09 opt/t/a.py")
        .contains("2021-05-06 07:09:09 opt/t/")
        .contains("2021-05-06 07:10:09 opt/t/b.py -> a.py");
    assertThat(listing(plainLayout, "opt/t/a.py")).contains("1970-01-01 00:00:00 opt/t/a.py");
  }

  /** GNU tar's verbose listing (UTC, full times) of the layer that has {@code member}. */
  private static String listing(Path layout, String member) throws Exception {
    try (var blobs = Files.list(layout.resolve("blobs/sha256"))) {
      for (Path blob : blobs.toList()) {
        Tools.Result r = Tools.run(java.time.Duration.ofSeconds(30), null, Map.of("TZ", "UTC"),
            List.of("tar", "--full-time", "-tvzf", blob.toString()));
        if (r.exitCode() == 0 && r.stdout().contains(member)) {
          return r.stdout();
        }
      }
    }
    throw new AssertionError("no layer has " + member);
  }
  @Test
  void underSourceDateEpochKeptTimesAreClampedToTheCreationTime() throws Exception {
    Path tree = Files.createDirectories(tmp.resolve("clamp"));
    Files.writeString(tree.resolve("old.py"), "");
    Files.writeString(tree.resolve("new.py"), "");
    Files.setLastModifiedTime(tree.resolve("old.py"), FileTime.from(HOST_TIME));
    Files.setLastModifiedTime(tree.resolve("new.py"), FileTime.from(Instant.parse("2030-01-01T00:00:00Z")));
    Files.setLastModifiedTime(tree, FileTime.from(HOST_TIME));
    Instant epoch = Instant.parse("2025-01-01T00:00:00Z");
    Path launcher = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> command = List.of(launcher.toString(), "-cp", System.getProperty("java.class.path"),
        KeptTimesMain.class.getName(), tree.toString());
    Tools.Result clamped = Tools.run(java.time.Duration.ofMinutes(2), null,
        Map.of("SOURCE_DATE_EPOCH", Long.toString(epoch.getEpochSecond())), command).assertOk();
    assertThat(clamped.stdout()).contains("created " + epoch, "/opt/t/old.py " + HOST_TIME,
        "/opt/t/new.py " + epoch, "/opt/t " + HOST_TIME);
    ProcessBuilder unset = new ProcessBuilder(command).redirectErrorStream(true);
    unset.environment().remove("SOURCE_DATE_EPOCH");
    Process p = unset.start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(out).isZero();
    assertThat(out).contains("/opt/t/new.py 2030-01-01T00:00:00Z");
  }
}
