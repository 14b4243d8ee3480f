package dev.scratchkit.oci;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.internal.compress.TestData;
import dev.scratchkit.testkit.Fixtures;
import dev.scratchkit.testkit.Tools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acceptance 4 of the rebuild issue: the same inputs give the same image digest whatever the
 * layer cache holds (none, empty, warm, entries written by a run with another number of
 * compression threads) and whatever the number of threads (1, 2 or 4 processors, set with
 * {@code -XX:ActiveProcessorCount} in new JVMs; with more than one, small layers are compressed
 * ahead, beside another layer), in an OCI layout and an OCI archive; skopeo
 * and umoci read the result as a valid image with the input's bytes.
 */
class ReproducibilityTest {

  @TempDir static Path work;
  static Path binary;
  static Path data;
  static Path site;

  @BeforeAll
  static void inputs() throws IOException {
    binary = Fixtures.gcc(work.resolve("c"), "hello",
        "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n", "-static");
    // Over 1 MiB, so it enters the cache key by identity, and several parallel gzip blocks.
    data = work.resolve("data.bin");
    // Machine code (compresses like a program) behind a text header: a data file, not an ELF file.
    Files.write(data, "scratchkit data\n".getBytes(StandardCharsets.US_ASCII));
    Files.write(data, TestData.machineCode(3 << 20), java.nio.file.StandardOpenOption.APPEND);
    site = Files.createDirectories(work.resolve("site"));
    Files.writeString(site.resolve("index.html"), "<p>hi</p>\n");
    Files.createDirectories(site.resolve("img"));
    Files.write(site.resolve("img/logo.bin"), TestData.random(300_000, 7));
  }

  /**
   * What one child wrote: both digests, how many layers the layout took from the cache, and how
   * many layers both writes compressed ahead (beside another layer, on the background thread).
   */
  private record Run(String layout, String archive, int cacheHits, int compressedAhead, String log) {}

  private static Run child(int processors, String cache, String name) throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Path log = work.resolve(name + ".log");
    Process p = new ProcessBuilder(java.toString(), "-XX:ActiveProcessorCount=" + processors, "-cp",
        System.getProperty("java.class.path"), ReproducibleMain.class.getName(), binary.toString(), data.toString(),
        site.toString(), work.resolve(name).toString(), work.resolve(name + ".tar").toString(), cache)
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("%s finishes", name).isTrue();
    String out = Files.readString(log, StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as("exit of %s: %s", name, out).isZero();
    assertThat(out).as(name).contains("threads " + processors + "\n");
    String layoutPart = out.substring(0, out.indexOf("\nlayout "));
    int hits = 0;
    for (int at = layoutPart.indexOf(", from the layer cache"); at >= 0;
        at = layoutPart.indexOf(", from the layer cache", at + 1)) {
      hits++;
    }
    return new Run(digest(out, "layout"), digest(out, "archive"), hits, count(out, ", compressed ahead)"), out);
  }

  private static int count(String text, String what) {
    int n = 0;
    for (int at = text.indexOf(what); at >= 0; at = text.indexOf(what, at + 1)) {
      n++;
    }
    return n;
  }

  private static String digest(String out, String what) {
    Matcher m = Pattern.compile("(?m)^" + what + " (sha256:[0-9a-f]{64})$").matcher(out);
    assertThat(m.find()).as("%s digest in: %s", what, out).isTrue();
    return m.group(1);
  }

  @Test
  void theImageDigestDependsOnNeitherTheCacheStateNorTheThreadCount() throws Exception {
    // The reference: this JVM, no layer cache.
    String expected = ReproducibleMain.image(binary, data, site)
        .writeTo(OciLayout.at(work.resolve("reference")).cache(LayerCache.disabled())).digest().toString();
    int layers = ReproducibleMain.image(binary, data, site).layers().size();

    String a = work.resolve("cache-a").toString();
    String b = work.resolve("cache-b").toString();
    List<Run> runs = new ArrayList<>();
    Run noCache2 = child(2, "off", "none-2");
    Run coldA1 = child(1, a, "cold-a-1");
    Run fromOneThread4 = child(4, a, "a-by-1-read-by-4");
    Run coldB4 = child(4, b, "cold-b-4");
    Run fromFourThreads1 = child(1, b, "b-by-4-read-by-1");
    Run warmB2 = child(2, b, "warm-b-2");
    runs.addAll(List.of(noCache2, coldA1, fromOneThread4, coldB4, fromFourThreads1, warmB2));
    for (Run r : runs) {
      assertThat(r.layout()).as(r.log()).isEqualTo(expected);
      assertThat(r.archive()).as(r.log()).isEqualTo(expected);
    }
    // The warm runs really used entries the other thread count wrote, and the cold ones none.
    assertThat(List.of(noCache2.cacheHits(), coldA1.cacheHits(), coldB4.cacheHits())).containsOnly(0);
    assertThat(List.of(fromOneThread4.cacheHits(), fromFourThreads1.cacheHits(), warmB2.cacheHits()))
        .containsOnly(layers);
    // Small layers were compressed ahead where there is more than one processor and the cache
    // did not have them, never on one: the digest holds with and without that pipelining.
    assertThat(List.of(noCache2.compressedAhead(), coldB4.compressedAhead())).allMatch(n -> n > 0);
    assertThat(List.of(coldA1.compressedAhead(), fromFourThreads1.compressedAhead(), fromOneThread4.compressedAhead(),
        warmB2.compressedAhead())).containsOnly(0);

    // In this JVM too, with a cold and then a warm cache (and this JVM's remembered digests).
    LayerCache c = LayerCache.at(work.resolve("cache-c"));
    for (int i = 0; i < 2; i++) {
      assertThat(ReproducibleMain.image(binary, data, site).writeTo(OciLayout.at(work.resolve("in-jvm")).cache(c))
          .digest()).hasToString(expected);
      assertThat(ReproducibleMain.image(binary, data, site).writeTo(OciArchive.at(work.resolve("in-jvm.tar"))
          .cache(c)).digest()).hasToString(expected);
    }

    // Independent readers: skopeo finds the same manifest digest; umoci unpacks the input's bytes.
    Path layout = work.resolve("b-by-4-read-by-1");
    String inspect = Tools.run(Duration.ofMinutes(1), null, null, List.of(Tools.require("skopeo").toString(),
        "inspect", "oci:" + layout + ":latest")).assertOk().stdout();
    assertThat(inspect).contains("\"Digest\": \"" + expected + "\"");
    String archived = Tools.run(Duration.ofMinutes(1), null, null, List.of(Tools.require("skopeo").toString(),
        "inspect", "oci-archive:" + work.resolve("a-by-1-read-by-4.tar") + ":latest")).assertOk().stdout();
    assertThat(archived).contains("\"Digest\": \"" + expected + "\"");
    Path bundle = work.resolve("bundle");
    Tools.run(Duration.ofMinutes(2), null, null, List.of(Tools.require("umoci").toString(), "unpack", "--rootless",
        "--image", layout + ":latest", bundle.toString())).assertOk();
    Path rootfs = bundle.resolve("rootfs");
    assertThat(Files.readAllBytes(rootfs.resolve("srv/data.bin"))).isEqualTo(Files.readAllBytes(data));
    assertThat(Files.readAllBytes(rootfs.resolve("srv/www/img/logo.bin")))
        .isEqualTo(Files.readAllBytes(site.resolve("img/logo.bin")));
    assertThat(Files.readAllBytes(rootfs.resolve("app/hello"))).isEqualTo(Files.readAllBytes(binary));
    assertThat(Files.readString(rootfs.resolve("etc/app.conf"))).isEqualTo("port=8080\n");
    assertThat(Files.readSymbolicLink(rootfs.resolve("usr/bin/hello"))).isEqualTo(Path.of("/app/hello"));
  }
}
