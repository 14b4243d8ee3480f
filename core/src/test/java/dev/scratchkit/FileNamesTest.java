package dev.scratchkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.testkit.Fixtures;
import dev.scratchkit.testkit.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tar entry names are the UTF-8 bytes the file system holds, whatever the JVM's locale (JDK 17
 * decodes file names with {@code sun.jnu.encoding}, which follows {@code LANG}); a name that is
 * not UTF-8 is refused, naming it, never turned into U+FFFD. Names are made with the shell, as
 * bytes, so this test does not depend on its own JVM's locale either.
 */
class FileNamesTest {

  @TempDir static Path work;
  static Path staticHello;

  @TempDir Path tmp;

  @BeforeAll
  static void binaries() {
    staticHello = Fixtures.gcc(work.resolve("c"), "hello",
        "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n", "-static");
  }

  /** Runs a shell script in {@code dir}; printf writes the exact bytes. */
  private static void sh(Path dir, String script) {
    Tools.run(Duration.ofMinutes(1), dir, null, List.of("sh", "-c", script)).assertOk();
  }

  private Tools.Result build(String locale, Path bin, Path tree, Path layout) {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    return Tools.run(Duration.ofMinutes(2), null, Map.of("LANG", locale, "LC_ALL", locale),
        List.of(java.toString(), "-Dscratchkit.cache.dir=off", "-cp", System.getProperty("java.class.path"),
            FileNamesMain.class.getName(), bin.toString(), tree.toString(), layout.toString())).assertOk();
  }

  @Test
  void nonAsciiNamesGiveTheSameImageUnderLangCAndCUtf8() throws IOException {
    Path bin = Files.createDirectories(tmp.resolve("bin"));
    Files.copy(staticHello, bin.resolve("app"));
    sh(bin, "mv app \"$(printf 'h\\303\\251llo')\"");
    Path tree = Files.createDirectories(tmp.resolve("tree"));
    sh(tree, "d=\"$(printf 'caf\\303\\251')\"; mkdir \"$d\"; printf x > \"$d/$(printf 'na\\303\\257ve.txt')\";"
        + " printf y > \"$(printf '\\346\\227\\245\\346\\234\\254.txt')\";"
        + " ln -s \"$d/$(printf 'na\\303\\257ve.txt')\" \"$(printf 'lien-\\303\\251')\"");

    String c = build("C", bin, tree, tmp.resolve("c")).stdout().strip();
    String utf8 = build("C.UTF-8", bin, tree, tmp.resolve("utf8")).stdout().strip();
    assertThat(c).startsWith("jnu=ANSI_X3.4-1968 entrypoint=[/app/h\\u00e9llo] digest=sha256:");
    assertThat(utf8).startsWith("jnu=UTF-8 entrypoint=[/app/h\\u00e9llo] digest=sha256:");
    assertThat(c.substring(c.indexOf("digest="))).isEqualTo(utf8.substring(utf8.indexOf("digest=")));

    // GNU tar, in the C locale, prints every non-ASCII byte as an octal escape: the exact bytes.
    Path layout = tmp.resolve("c");
    String manifest = Tools.runOk("jq", "-r", ".manifests[0].digest", layout.resolve("index.json").toString())
        .stdout().strip().substring("sha256:".length());
    // The added directory and the entrypoint are the last two layers (the automatic split).
    String listing = "";
    for (String last : List.of("-2", "-1")) {
      String layer = Tools.runOk("jq", "-r", ".layers[" + last + "].digest",
          layout.resolve("blobs/sha256/" + manifest).toString()).stdout().strip().substring("sha256:".length());
      listing += Tools.run(Duration.ofMinutes(1), null, Map.of("LC_ALL", "C"), List.of(
          Tools.require("tar").toString(), "--quoting-style=c", "-tvzf", layout.resolve("blobs/sha256/" + layer)
              .toString())).assertOk().stdout();
    }
    assertThat(listing)
        .contains("\"app/h\\303\\251llo\"")
        .contains("\"srv/caf\\303\\251/na\\303\\257ve.txt\"")
        .contains("\"srv/\\346\\227\\245\\346\\234\\254.txt\"")
        .contains("\"srv/lien-\\303\\251\" -> \"caf\\303\\251/na\\303\\257ve.txt\"")
        .doesNotContain("\\357\\277\\275"); // U+FFFD
  }

  @Test
  void namesThatAreNotUtf8AreRefusedEachByNameWithoutCollapsingIntoOne() {
    Path tree = tmp.resolve("latin1");
    sh(tmp, "mkdir latin1 && cd latin1 && printf a > \"$(printf 'bad\\377')\" && printf b > \"$(printf 'bad\\376')\""
        + " && ln -s \"$(printf 'caf\\351')\" link && printf c > ok.txt");
    ScratchImageException e = org.assertj.core.api.Assertions.catchThrowableOfType(
        () -> ScratchImage.builder().entrypoint(staticHello).addDirectory(tree, "/srv").build(),
        ScratchImageException.class);
    String fix = "); image file names are UTF-8, and decoding it would change it or make it collide with another"
        + " name. Rename it to UTF-8 (e.g. convmv -f latin1 -t utf8 --notest), or leave it out";
    assertThat(e.problems()).extracting(ScratchImageException.Problem::description).satisfiesExactlyInAnyOrder(
        p -> assertThat(p).endsWith(" has a name that is not valid UTF-8 (\"bad\\xFF\"" + fix),
        p -> assertThat(p).endsWith(" has a name that is not valid UTF-8 (\"bad\\xFE\"" + fix),
        p -> assertThat(p).startsWith(tree.resolve("link") + " has a name that is not valid UTF-8 (\"caf\\xE9\""));
  }
}
