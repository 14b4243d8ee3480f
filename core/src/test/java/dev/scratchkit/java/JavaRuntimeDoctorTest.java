package dev.scratchkit.java;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scratchkit.ScratchImage;
import dev.scratchkit.ScratchImageException;
import dev.scratchkit.doctor.Diagnosis;
import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.ImageDoctor;
import dev.scratchkit.oci.OciImages;
import dev.scratchkit.oci.OciLayout;
import dev.scratchkit.testkit.Runc;
import dev.scratchkit.testkit.Tools;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A Java runtime put into an image by hand, checked for real: a runtime jlinked during the test
 * (java.base of the running JDK) copied with a file left out. {@code build()} refuses it; the
 * doctor finds the same in an image whose layer umoci removed the file from, and runc shows that
 * the launcher fails with the run-time error the finding names.
 */
class JavaRuntimeDoctorTest {

  @TempDir static Path work;
  static Path runtime;

  @BeforeAll
  static void link() {
    runtime = work.resolve("runtime");
    ToolProvider jlink = ToolProvider.findFirst("jlink").orElseThrow();
    StringWriter out = new StringWriter();
    int exit = jlink.run(new PrintWriter(out), new PrintWriter(out), "--add-modules", "java.base", "--strip-debug",
        "--no-header-files", "--no-man-pages", "--output", runtime.toString());
    assertThat(exit).as(out.toString()).isZero();
  }

  /** A copy of the runtime without {@code lib/<name>}. */
  static Path without(String name) {
    Path copy = work.resolve("without-" + name.replace('/', '-'));
    if (Files.isDirectory(copy)) {
      return copy;
    }
    try (Stream<Path> files = Files.walk(runtime)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Path target = copy.resolve(runtime.relativize(p).toString());
        if (p.equals(runtime.resolve("lib").resolve(name))) {
          continue;
        }
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return copy;
  }

  static ScratchImage.Builder byHand(Path home) {
    return ScratchImage.builder().entrypoint(home.resolve("bin/java"), "/opt/java/bin/java")
        .addDirectory(home.resolve("lib"), "/opt/java/lib").bundleSharedLibraries().args("-version");
  }

  /** The complete runtime by hand, in an OCI layout as tag {@code complete}. */
  static Path complete() {
    Path layout = work.resolve("layout");
    if (!Files.isDirectory(layout)) {
      // The whole runtime by hand passes: no rule mistakes a complete jlinked runtime for a broken one.
      byHand(runtime).build().writeTo(OciLayout.at(layout).tag("complete"));
    }
    return layout;
  }

  /** A new tag of the layout: the complete image with umoci's layer that deletes {@code lib/<name>}. */
  static String removedByUmoci(Path layout, String name) {
    Path umoci = Tools.require("umoci");
    Tools.requireRoot();
    String tag = "without-" + name.replace('/', '-');
    Path bundle = work.resolve("bundle-" + tag);
    Tools.run(Duration.ofMinutes(2), null, null, List.of(umoci.toString(), "unpack", "--image",
        layout + ":complete", bundle.toString())).assertOk();
    try {
      Files.delete(bundle.resolve("rootfs/opt/java/lib").resolve(name));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Tools.run(Duration.ofMinutes(2), null, null, List.of(umoci.toString(), "repack", "--image",
        layout + ":" + tag, bundle.toString())).assertOk();
    return tag;
  }

  /**
   * For each file the launcher loads: the launcher of a runtime without it, run on this machine,
   * prints the run-time error of the finding (with the runtime's home as in the image); the
   * doctor finds exactly that error in an image whose last layer (umoci's) deletes the file, and
   * the launcher in that image, run by runc, prints it.
   */
  @ParameterizedTest
  @CsvSource({"libjava.so, JAVA_LIBJAVA_MISSING", "jvm.cfg, JAVA_JVM_CFG_MISSING",
      "server/libjvm.so, JAVA_LIBJVM_MISSING", "modules, JAVA_MODULES_MISSING"})
  void eachMissingFileIsFoundWithWhatTheLauncherPrints(String name, String code) {
    Path home = without(name);
    Tools.Result onHost = Tools.run(Duration.ofMinutes(1), null, null,
        List.of(home.resolve("bin/java").toString(), "-version"));
    assertThat(onHost.exitCode()).as(onHost.describe()).isNotZero();
    String printed = (onHost.stdout() + onHost.stderr()).strip().replace(home.toString(), "/opt/java");

    Path layout = complete();
    String tag = removedByUmoci(layout, name);
    Diagnosis diagnosis = ImageDoctor.examine(OciImages.read(layout).image(tag));
    assertThat(diagnosis.errors()).as(diagnosis.toString()).extracting(Finding::code).containsExactly(code);
    Finding f = diagnosis.errors().get(0);
    assertThat(f.path()).isEqualTo("/opt/java/lib/" + name);
    assertThat(f.runtimeError()).isEqualTo(printed);
    assertThat(f.fix()).startsWith("COPY the whole runtime directory (a jlink output or the JDK's home) to /opt/java");

    Tools.Result ran = Runc.run(layout, tag, work.resolve("run"));
    assertThat(ran.exitCode()).as(ran.describe()).isEqualTo(onHost.exitCode());
    assertThat(ran.stdout() + ran.stderr()).as(ran.describe()).contains(printed); // the VM prints to stdout
  }

  @Test
  void theCompleteRuntimeByHandIsCleanAndRuns() {
    Path layout = complete();
    assertThat(ImageDoctor.examine(OciImages.read(layout).image("complete")).errors()).isEmpty();
    Tools.Result good = Runc.run(layout, "complete", work.resolve("run"));
    assertThat(good.stderr()).as(good.describe()).contains("OpenJDK 64-Bit Server VM");
  }

  /** The failing story of issue 16: the launcher alone passed build() and failed in the container. */
  @Test
  void theLauncherAloneIsRefusedNamingWhatItLoads() {
    assertThatThrownBy(() -> ScratchImage.builder().entrypoint(runtime.resolve("bin/java"), "/opt/java/bin/java")
        .bundleSharedLibraries().args("-version").build())
        .isInstanceOf(ScratchImageException.class)
        .hasMessageContaining("would fail with \"Error: could not find libjava.so")
        .hasMessageContaining("Error: Could not find Java SE Runtime Environment.\"")
        .hasMessageContaining("Error: could not open `/opt/java/lib/jvm.cfg'")
        .hasMessageContaining("/opt/java/bin/java is a JDK launcher; its VM loads every class from the module image"
            + " /opt/java/lib/modules, but /opt/java/lib/modules does not exist in the image.")
        .hasMessageContaining("Build the image with javaApplication(jar)");
  }

  /** A runtime directory without lib/modules (or lib/jvm.cfg), its libraries bundled: refused by build(). */
  @ParameterizedTest
  @ValueSource(strings = {"modules", "jvm.cfg"})
  void aRuntimeWithoutItsModulesOrJvmCfgIsRefusedByBuild(String name) {
    assertThatThrownBy(() -> byHand(without(name)).build())
        .isInstanceOf(ScratchImageException.class)
        .hasMessageContaining("/opt/java/lib/" + name + " does not exist in the image")
        .hasMessageContaining(name.equals("modules") ? "Failed setting boot class path."
            : "Error: could not open `/opt/java/lib/jvm.cfg'")
        .satisfies(e -> assertThat(((ScratchImageException) e).problems()).as(e.getMessage()).hasSize(1));
  }
}
