package dev.scratchkit.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.oci.Digest;
import dev.scratchkit.oci.OciImages;
import dev.scratchkit.testing.ContainerSpec;
import dev.scratchkit.testing.Engine;
import dev.scratchkit.testing.ImageRunner;
import dev.scratchkit.testing.RunResult;
import dev.scratchkit.testkit.Fixtures;
import dev.scratchkit.testkit.Tools;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every example runs here, as a user would run it: the quick start, the build-tool embedding
 * and the JShell scripts (through the real {@code jshell}), with their output asserted.
 */
class ExamplesTest {

  static final Path EXAMPLES = Path.of("").toAbsolutePath();
  static final Path README = EXAMPLES.getParent().resolve("README.md");

  @TempDir Path work;

  @Test
  void quickStartWritesAValidLayoutThatRuns() throws Exception {
    Path layout = work.resolve("quickstart");
    PrintStream previous = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      QuickStart.main(new String[] {"/usr/bin/ls", layout.toString()});
    } finally {
      System.setOut(previous);
    }
    String printed = out.toString(StandardCharsets.UTF_8);
    Matcher digest = Pattern.compile("Digest (sha256:[0-9a-f]{64})").matcher(printed);
    assertThat(digest.find()).as(printed).isTrue();
    assertThat(printed).contains("shared libraries").contains("umoci unpack --image " + layout + ":latest");

    Tools.runOk(Tools.require("oci-image-tool").toString(), "validate", "--type", "image", "--ref", "name=latest",
        layout.toString());
    String inspected = Tools.runOk(Tools.require("skopeo").toString(), "inspect", "--format", "{{.Digest}}",
        "oci:" + layout + ":latest").stdout().trim();
    assertThat(inspected).isEqualTo(digest.group(1));
    Tools.requireRoot();
    Tools.require("runc");
    Tools.require("umoci");
    RunResult run;
    try (ImageRunner runner = ImageRunner.of(Engine.RUNC)) {
      run = runner.run(ContainerSpec.of(OciImages.read(layout), "latest"));
    }
    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(run.stdout()).contains("ca-certificates.crt").contains("passwd").contains("nsswitch.conf");
  }

  @Test
  void buildToolExampleReportsEachProblemAsABuildError() throws IOException {
    Path script = Files.writeString(work.resolve("app.sh"), "#!/bin/sh\necho hi\n");
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    Optional<Digest> digest = new BuildToolExample(new PrintStream(console, true, StandardCharsets.UTF_8))
        .execute(new BuildToolExample.Settings(script, work.resolve("out"), "latest", false));
    assertThat(digest).isEmpty();
    assertThat(console.toString(StandardCharsets.UTF_8)).startsWith("[ERROR] " + script + " is a script (#!/bin/sh)");
    assertThat(work.resolve("out")).doesNotExist();
  }

  @Test
  void buildToolExampleWritesTheImageAndShowsProgress() {
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    Optional<Digest> digest = new BuildToolExample(new PrintStream(console, true, StandardCharsets.UTF_8))
        .execute(new BuildToolExample.Settings(Path.of("/usr/bin/ls"), work.resolve("out"), "v1", true));
    assertThat(digest).isPresent();
    String shown = console.toString(StandardCharsets.UTF_8);
    assertThat(shown).contains("[INFO] layer 1/5").contains("[INFO] wrote oci-layout").contains(digest.get().toString());
    String inspected = Tools.runOk(Tools.require("skopeo").toString(), "inspect", "--format", "{{.Digest}}",
        "oci:" + work.resolve("out") + ":v1").stdout().trim();
    assertThat(inspected).isEqualTo(digest.get().toString());
  }

  @Test
  void buildToolExampleShowsTheProgressOfABigLayer() {
    // A static program with 48 MiB of initialised data: the app layer takes a while to compress.
    Path big = Fixtures.gcc(work, "big", """
        char blob[48 << 20] = {1};
        int main(int argc, char **argv) { return blob[argc + 1]; }
        """, "-static");
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    Optional<Digest> digest = new BuildToolExample(new PrintStream(console, true, StandardCharsets.UTF_8))
        .execute(new BuildToolExample.Settings(big, work.resolve("big-out"), "v1", false));
    assertThat(digest).isPresent();
    List<String> appLayer = console.toString(StandardCharsets.UTF_8).lines()
        .filter(l -> l.startsWith("[INFO] layer 4/4")).toList();
    long mib = big.toFile().length() >> 20;
    assertThat(appLayer).hasSize(4);
    assertThat(appLayer.subList(0, 3)).containsExactly(
        "[INFO] layer 4/4: 25% of " + mib + " MiB",
        "[INFO] layer 4/4: 50% of " + mib + " MiB",
        "[INFO] layer 4/4: 75% of " + mib + " MiB");
    assertThat(appLayer.get(3)).startsWith("[INFO] layer 4/4 sha256:");
  }

  @Test
  void explainBinaryScriptPrintsWhatLddFinds() {
    String out = jshell("explain-binary.jsh", "-R-Dbinary=/usr/bin/ls");
    assertThat(out).contains("/usr/bin/ls: linux/amd64, DYNAMIC").contains("interpreter /lib64/ld-linux-x86-64.so.2")
        .contains("libc.so.6").contains("missing []");
    String ldd = Tools.runOk(Tools.require("ldd").toString(), "/usr/bin/ls").stdout();
    for (String line : ldd.lines().filter(l -> l.contains("=>")).toList()) {
      String name = line.trim().split("\\s+")[0];
      assertThat(out).contains(name);
    }
  }

  @Test
  void buildImageScriptWritesAnImageSkopeoReads() {
    Path layout = work.resolve("jsh-image");
    String out = jshell("build-image.jsh", "-R-Dbinary=/usr/bin/ls", "-R-Dlayout=" + layout);
    Matcher digest = Pattern.compile("oci-layout \\S+ (sha256:[0-9a-f]{64})").matcher(out);
    assertThat(digest.find()).as(out).isTrue();
    String inspected = Tools.runOk(Tools.require("skopeo").toString(), "inspect", "--format", "{{.Digest}}",
        "oci:" + layout + ":latest").stdout().trim();
    assertThat(inspected).isEqualTo(digest.group(1));
  }

  @Test
  void exportCaBundleScriptWritesWhatOpensslReads() {
    Path pem = work.resolve("ca.crt");
    String out = jshell("export-ca-bundle.jsh", "-R-Dout=" + pem);
    Matcher count = Pattern.compile("wrote (\\d+) certificates").matcher(out);
    assertThat(count.find()).as(out).isTrue();
    String listed = Tools.runOk(Tools.require("openssl").toString(), "storeutl", "-noout", "-certs", pem.toString())
        .stdout();
    assertThat(listed).contains("Total found: " + count.group(1));
  }

  @Test
  void readmeJshellSnippetIsTheTestedScript() throws IOException {
    String readme = Files.readString(README);
    Matcher block = Pattern.compile("<!-- jshell: examples/jshell/([\\w.-]+) -->\\s*```java\\n(.*?)```", Pattern.DOTALL)
        .matcher(readme);
    assertThat(block.find()).as("README has a JShell snippet marked with its script").isTrue();
    assertThat(block.group(2)).isEqualTo(Files.readString(EXAMPLES.resolve("jshell").resolve(block.group(1))));
  }

  private static String jshell(String script, String... options) {
    Path jshell = Path.of(System.getProperty("java.home"), "bin", "jshell");
    String classPath;
    try {
      classPath = Files.readString(EXAMPLES.resolve("target/classpath.txt")).trim();
    } catch (IOException e) {
      throw new AssertionError("target/classpath.txt is missing; run mvn package in examples first", e);
    }
    List<String> command = new ArrayList<>(List.of(jshell.toString(), "--class-path", classPath));
    String cache = System.getProperty("scratchkit.cache.dir");
    if (cache != null) {
      command.add("-R-Dscratchkit.cache.dir=" + cache); // the test's cache, not the user's
    }
    command.addAll(List.of(options));
    command.add(EXAMPLES.resolve("jshell").resolve(script).toString());
    Tools.Result result = Tools.run(Duration.ofMinutes(3), EXAMPLES, null, command);
    assertThat(result.exitCode()).as(result.describe()).isZero();
    assertThat(result.stderr()).as(result.describe()).doesNotContain("Exception").doesNotContain("Error:");
    return result.stdout();
  }
}
