package dev.scratchkit.oci.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.oci.LayerCache;
import dev.scratchkit.oci.LayerCompression;
import dev.scratchkit.oci.OciLayout;
import dev.scratchkit.testkit.Tools;
import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** zstd layers need zstd-jni, an optional dependency: without it the reader says what to add. */
class ZstdAbsentTest {

  @TempDir
  Path tmp;

  @Test
  void listingAZstdLayerWithoutZstdJniNamesTheArtifactToAdd() {
    Path layout = tmp.resolve("layout");
    OciLayout.at(layout).compression(LayerCompression.zstd()).cache(LayerCache.disabled())
        .write(RoundTripTest.image("amd64", "hello\n"));
    String classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(p -> !p.contains("zstd-jni")).collect(Collectors.joining(File.pathSeparator));
    assertThat(classPath).isNotEqualTo(System.getProperty("java.class.path"));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String without = Tools.run(Duration.ofMinutes(1), null, null, List.of(java, "-Xmx64m", "-cp", classPath,
        ListLayersMain.class.getName(), layout.toString())).assertOk().stdout();
    assertThat(without).startsWith("OciException: cannot read layer sha256:")
        .contains("zstd-compressed layer", "com.github.luben:zstd-jni is not on the class path",
            "Add the dependency com.github.luben:zstd-jni");
    String with = Tools.run(Duration.ofMinutes(1), null, null, List.of(java, "-Xmx64m", "-cp",
        System.getProperty("java.class.path"), ListLayersMain.class.getName(), layout.toString())).assertOk()
        .stdout();
    assertThat(with.lines()).hasSize(2).allMatch(l -> l.matches("sha256:[0-9a-f]{64} [0-9]+"));
  }
}
