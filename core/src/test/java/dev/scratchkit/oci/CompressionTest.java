package dev.scratchkit.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scratchkit.internal.compress.TestData;
import dev.scratchkit.testkit.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Layer compression through the whole writer: gzip layers are identical whatever the number
 * of processors, valid for {@code gzip -t} and decompress to the diff ID; zstd layers have
 * their media type, pass {@code zstd -t} and skopeo copies them.
 */
class CompressionTest {

  @TempDir
  static Path shared;

  static Path source;

  @BeforeAll
  static void makeSource() throws IOException {
    source = shared.resolve("code.bin");
    Files.write(source, TestData.machineCode(12 << 20)); // 12 blocks of 1 MiB
  }

  private static String[] run(int processors, String algorithm, Path layout) {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Tools.Result r = Tools.run(Duration.ofMinutes(2), null, null, List.of(java.toString(),
        "-XX:ActiveProcessorCount=" + processors, "-cp", System.getProperty("java.class.path"),
        CompressionMain.class.getName(), algorithm, source.toString(), layout.toString())).assertOk();
    return r.stdout().strip().split(" ");
  }

  private static String sha256Of(String decompress, Path blob) {
    String out = Tools.run(Duration.ofMinutes(1), null, null, List.of("sh", "-c", decompress + " '" + blob
        + "' | sha256sum")).assertOk().stdout();
    return "sha256:" + out.split(" ")[0];
  }

  @Test
  void gzipLayersAreTheSameWith1And2And8ProcessorsAndPassGzipT() {
    Tools.require("gzip");
    List<String> digests = new ArrayList<>();
    String[] first = null;
    for (int n : new int[] {1, 2, 8}) {
      Path layout = shared.resolve("gzip-" + n);
      String[] out = run(n, "gzip", layout);
      first = first == null ? out : first;
      digests.add(out[0]);
      Path blob = layout.resolve("blobs/sha256").resolve(Digest.of(out[0]).hex());
      Tools.runOk("gzip", "-t", blob.toString());
      assertThat(sha256Of("gzip -dc", blob)).isEqualTo(out[1]);
    }
    assertThat(digests).containsOnly(first[0]);
    assertThat(first[3]).isEqualTo("application/vnd.oci.image.layer.v1.tar+gzip");
  }

  @Test
  void zstdLayersHaveTheirMediaTypeAndAreReadBySkopeoAndZstd() {
    Tools.require("zstd");
    Path skopeo = Tools.require("skopeo");
    Path a = shared.resolve("zstd-1");
    Path b = shared.resolve("zstd-2");
    String[] one = run(1, "zstd", a);
    String[] two = run(2, "zstd", b);
    assertThat(two[0]).isEqualTo(one[0]);
    assertThat(one[3]).isEqualTo("application/vnd.oci.image.layer.v1.tar+zstd");
    Path blob = a.resolve("blobs/sha256").resolve(Digest.of(one[0]).hex());
    Tools.runOk("zstd", "-q", "-t", blob.toString());
    assertThat(sha256Of("zstd -q -dc", blob)).isEqualTo(one[1]);
    // skopeo (containers/image) reads zstd layers: it copies and verifies every blob.
    Tools.runOk(skopeo.toString(), "--insecure-policy", "copy", "oci:" + a + ":latest",
        "oci:" + shared.resolve("zstd-copy") + ":latest");
    assertThat(shared.resolve("zstd-copy/blobs/sha256").resolve(Digest.of(one[0]).hex())).exists();
    String inspect = Tools.runOk(skopeo.toString(), "inspect", "--raw", "oci:" + a + ":latest").stdout();
    assertThat(inspect).contains("tar+zstd");
    // umoci 0.4.7 does not: README.md ("Layer compression") says so; update it when this changes.
    Tools.find("umoci").ifPresent(umoci -> {
      Tools.Result r = Tools.run(Duration.ofMinutes(1), null, null, List.of(umoci.toString(), "unpack", "--rootless",
          "--image", a + ":latest", shared.resolve("zstd-bundle").toString()));
      assertThat(r.exitCode() + r.stdout() + r.stderr()).contains("blob is not correct mediatype");
    });
  }

  @Test
  void zstdWithAGzipLevelIsRefusedWithTheRange() {
    assertThatThrownBy(() -> LayerCompression.zstd(20)).isInstanceOf(OciException.class)
        .hasMessage("invalid zstd level 20: use 1 (fastest) to 19 (smallest)");
    assertThatThrownBy(() -> LayerCompression.gzip(0)).isInstanceOf(OciException.class)
        .hasMessage("invalid gzip level 0: use 1 (fastest) to 9 (smallest)");
    assertThat(LayerCompression.zstd()).hasToString("zstd level 3");
    assertThat(LayerCompression.gzip().mediaType()).isEqualTo("application/vnd.oci.image.layer.v1.tar+gzip");
    assertThat(OciArchive.at(shared.resolve("x.tar")).compression(LayerCompression.zstd(5)).compression())
        .isEqualTo(new LayerCompression(LayerCompression.Algorithm.ZSTD, 5));
  }

  @Test
  void withoutZstdJniChoosingZstdNamesTheMissingDependency() {
    String cp = String.join(java.io.File.pathSeparator, java.util.Arrays.stream(
        System.getProperty("java.class.path").split(java.io.File.pathSeparator))
        .filter(p -> !p.contains("zstd-jni")).toList());
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Tools.Result r = Tools.run(Duration.ofMinutes(1), null, null, List.of(java.toString(), "-cp", cp,
        CompressionMain.class.getName(), "zstd", source.toString(), shared.resolve("nozstd").toString()));
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.stderr()).contains("OciException: zstd layer compression is not available:"
        + " com.github.luben:zstd-jni is not on the class path. Add the dependency com.github.luben:zstd-jni");
    assertThat(shared.resolve("nozstd")).doesNotExist();
  }
}
