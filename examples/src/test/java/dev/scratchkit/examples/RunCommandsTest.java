package dev.scratchkit.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.testkit.DockerEngine;
import dev.scratchkit.testkit.Podman;
import dev.scratchkit.testkit.Tools;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The run commands the quick start prints and the README's "Run the image" section shows, run
 * exactly as printed with {@code sh}, each twice (a second run must not trip over the first).
 */
class RunCommandsTest {

  @TempDir static Path work;
  static Map<String, List<String>> printed;
  static Path layout;

  @BeforeAll
  static void runTheQuickStart() {
    layout = work.resolve("target/image");
    PrintStream previous = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      QuickStart.main(new String[] {"/usr/bin/ls", layout.toString()});
    } finally {
      System.setOut(previous);
    }
    printed = groups(out.toString(StandardCharsets.UTF_8).lines().toList(), "Run it with", "or with", "or in");
  }

  /** Lines after each header that starts with one of {@code headers}, indented by two spaces, without it. */
  static Map<String, List<String>> groups(List<String> lines, String... headers) {
    Map<String, List<String>> groups = new LinkedHashMap<>();
    List<String> current = null;
    for (String line : lines) {
      boolean header = false;
      for (String h : headers) {
        header |= line.startsWith(h);
      }
      if (header) {
        current = new ArrayList<>();
        groups.put(line, current);
      } else if (current != null && line.startsWith("  ")) {
        current.add(line.substring(2));
      }
    }
    return groups;
  }

  private static List<String> group(Map<String, List<String>> groups, String word) {
    return groups.entrySet().stream().filter(e -> e.getKey().contains(word)).findFirst().orElseThrow().getValue();
  }

  private static Tools.Result sh(Path dir, Map<String, String> env, List<String> lines) {
    return Tools.run(Duration.ofMinutes(3), dir, env, List.of("sh", "-euc", String.join("\n", lines)));
  }

  @Test
  void theQuickStartsRuncCommandsWorkAsPrinted() {
    Tools.requireRoot();
    Tools.require("umoci");
    Tools.require("runc");
    Tools.require("jq");
    List<String> runc = group(printed, "runc");
    assertThat(runc).anyMatch(l -> l.startsWith("umoci unpack --image " + layout + ":latest"));
    for (int i = 0; i < 2; i++) {
      Tools.Result run = sh(work, null, runc);
      assertThat(run.exitCode()).as(run.describe()).isZero();
      assertThat(run.stdout()).contains("ca-certificates.crt").contains("passwd").contains("nsswitch.conf");
    }
  }

  @Test
  void theQuickStartsPodmanCommandWorksAsPrinted() {
    Podman.require();
    List<String> podman = group(printed, "podman");
    for (int i = 0; i < 2; i++) {
      Tools.Result run = sh(work, Podman.environment(), podman);
      assertThat(run.exitCode()).as(run.describe()).isZero();
      assertThat(run.stdout()).contains("ca-certificates.crt");
    }
    removePodmanImagesOf(layout);
  }

  @Test
  void theQuickStartsDockerCommandsWorkAsPrinted() {
    DockerEngine engine = DockerEngine.require();
    Tools.require("skopeo");
    List<String> docker = group(printed, "Docker");
    try {
      for (int i = 0; i < 2; i++) {
        Tools.Result run = sh(work, engine.environment(), docker);
        assertThat(run.exitCode()).as(run.describe()).isZero();
        assertThat(run.stdout()).contains("ca-certificates.crt");
      }
    } finally {
      engine.docker("rmi", "scratchkit-quickstart:latest");
    }
  }

  /** The README's block, from the directory that holds {@code target/image}: runc, podman and Docker groups. */
  @Test
  void theReadmesRunTheImageCommandsWorkAsPrinted() throws Exception {
    String readme = Files.readString(ExamplesTest.README);
    int marker = readme.indexOf("<!-- run-the-image -->");
    assertThat(marker).as("README marker").isPositive();
    int start = readme.indexOf("```sh\n", marker) + 6;
    List<String> block = readme.substring(start, readme.indexOf("```", start)).lines().toList();
    Map<String, List<String>> groups = groups(block, "# ");
    assertThat(groups).hasSize(3);

    Tools.requireRoot();
    Tools.require("umoci");
    Tools.require("runc");
    Tools.require("jq");
    Tools.Result runc = sh(work, null, rawGroup(block, "# runc"));
    assertThat(runc.exitCode()).as(runc.describe()).isZero();
    assertThat(runc.stdout()).contains("ca-certificates.crt");

    Podman.require();
    Tools.Result podman = sh(work, Podman.environment(), rawGroup(block, "# podman"));
    assertThat(podman.exitCode()).as(podman.describe()).isZero();
    removePodmanImagesOf(Path.of("target/image"));

    DockerEngine engine = DockerEngine.require();
    Tools.require("skopeo");
    try {
      Tools.Result docker = sh(work, engine.environment(), rawGroup(block, "# Docker"));
      assertThat(docker.exitCode()).as(docker.describe()).isZero();
      assertThat(docker.stdout()).contains("ca-certificates.crt");
    } finally {
      engine.docker("rmi", "app:latest");
    }
  }

  /** The lines after a comment line, up to the next comment. */
  private static List<String> rawGroup(List<String> block, String comment) {
    List<String> lines = new ArrayList<>();
    boolean in = false;
    for (String line : block) {
      if (line.startsWith("#")) {
        in = line.startsWith(comment);
      } else if (in) {
        lines.add(line);
      }
    }
    assertThat(lines).as("README group " + comment).isNotEmpty();
    return lines;
  }

  /** {@code podman run oci:DIR:latest} keeps the image under a name made from DIR; remove it. */
  private static void removePodmanImagesOf(Path dir) {
    Map<String, String> env = new HashMap<>(Podman.environment());
    String name = dir.toString().replaceFirst("^/", "");
    for (String ref : Podman.podman("images", "--format", "{{.Repository}}:{{.Tag}}").stdout().split("\n")) {
      if (!ref.isBlank() && ref.contains(name)) {
        Tools.run(Duration.ofMinutes(1), null, env, List.of(Podman.require().toString(), "rmi", ref.trim()));
      }
    }
  }
}
