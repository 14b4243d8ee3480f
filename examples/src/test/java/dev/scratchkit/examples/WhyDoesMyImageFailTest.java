package dev.scratchkit.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.ScratchImage;
import dev.scratchkit.elf.Platform;
import dev.scratchkit.oci.ContainerConfig;
import dev.scratchkit.oci.DockerArchive;
import dev.scratchkit.oci.ImagePath;
import dev.scratchkit.oci.ImageSpec;
import dev.scratchkit.oci.LayerEntry;
import dev.scratchkit.oci.LayerSpec;
import dev.scratchkit.testkit.Tools;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The doctor examples as a user runs them: the program and the JShell script, on the classic
 * broken scratch image (a dynamically linked program copied alone, a user name without
 * /etc/passwd) and on a good one.
 */
class WhyDoesMyImageFailTest {

  @TempDir Path work;

  /** What {@code FROM scratch}, {@code COPY ls /app}, {@code USER nonroot} makes, as docker save writes it. */
  private Path brokenDockerSave() {
    Path ls = Tools.require("ls");
    ImageSpec spec = ImageSpec.of(Platform.LINUX_AMD64, Instant.EPOCH,
        ContainerConfig.empty().withEntrypoint(List.of("/app")).withUser("nonroot"),
        List.of(LayerSpec.of("COPY ls /app", LayerEntry.file(ImagePath.of("/app"), ls, 0755))));
    Path tar = work.resolve("broken.tar");
    DockerArchive.at(tar).tag("broken:1").write(spec);
    return tar;
  }

  @Test
  void theProgramPrintsEachFindingWithTheRuntimeErrorAndCountsErrors() throws IOException {
    Path tar = brokenDockerSave();
    Path junit = work.resolve("doctor.xml");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int errors = WhyDoesMyImageFail.run(new String[] {tar.toString(), "--junit", junit.toString()},
        new PrintStream(out, true, StandardCharsets.UTF_8));
    String printed = out.toString(StandardCharsets.UTF_8);
    assertThat(errors).isEqualTo(2);
    assertThat(printed).startsWith("broken:1 in " + tar + " (linux/amd64): 2 errors, 2 warnings")
        .contains("ERROR INTERPRETER_MISSING /lib64/ld-linux-x86-64.so.2")
        .contains("fails with: exec /app: no such file or directory")
        .contains("fails with: unable to find user nonroot: no matching entries in passwd file");
    assertThat(Files.readString(junit)).contains("<failure type=\"INTERPRETER_MISSING\"");

    ByteArrayOutputStream json = new ByteArrayOutputStream();
    WhyDoesMyImageFail.run(new String[] {tar.toString(), "broken:1", "--json"},
        new PrintStream(json, true, StandardCharsets.UTF_8));
    assertThat(json.toString(StandardCharsets.UTF_8)).startsWith("{\"image\":\"broken:1 in " + tar + "\"");
  }

  @Test
  void theScriptExplainsABrokenImageAndPassesAGoodOne() {
    String broken = jshell("-R-Dimage=" + brokenDockerSave());
    assertThat(broken).contains("INTERPRETER_MISSING: the container prints \"exec /app: no such file or directory\"")
        .contains("USER_UNKNOWN: the container prints \"unable to find user nonroot: no matching entries in passwd file\"");

    Path good = work.resolve("good.tar");
    ScratchImage.builder().entrypoint(Tools.require("busybox"), "/bin/busybox").args("true").build()
        .writeTo(DockerArchive.at(good).tag("good:1"));
    assertThat(jshell("-R-Dimage=" + good)).contains("no findings;");
  }

  private static String jshell(String... options) {
    Path examples = Path.of("").toAbsolutePath();
    Path jshell = Path.of(System.getProperty("java.home"), "bin", "jshell");
    String classPath;
    try {
      classPath = Files.readString(examples.resolve("target/classpath.txt")).trim();
    } catch (IOException e) {
      throw new AssertionError("target/classpath.txt is missing; run mvn package in examples first", e);
    }
    List<String> command = new ArrayList<>(List.of(jshell.toString(), "--class-path", classPath));
    command.addAll(List.of(options));
    command.add(examples.resolve("jshell/why-does-my-image-fail.jsh").toString());
    Tools.Result result = Tools.run(Duration.ofMinutes(3), examples, null, command);
    assertThat(result.exitCode()).as(result.describe()).isZero();
    assertThat(result.stderr()).as(result.describe()).doesNotContain("Exception");
    return result.stdout();
  }
}
