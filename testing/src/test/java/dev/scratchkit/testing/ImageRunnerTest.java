package dev.scratchkit.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scratchkit.ScratchImage;
import dev.scratchkit.oci.DockerArchive;
import dev.scratchkit.oci.OciArchive;
import dev.scratchkit.oci.OciImages;
import dev.scratchkit.oci.OciLayout;
import dev.scratchkit.testkit.Fixtures;
import dev.scratchkit.testkit.Tools;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The runner on the real engines: Docker (its own dockerd if none runs), podman and runc. */
class ImageRunnerTest {

  @TempDir static Path shared;
  @TempDir Path work;

  private static ScratchImage busybox() {
    return ScratchImage.builder().entrypoint(Tools.require("busybox"), "/bin/busybox").args("echo", "image cmd").build();
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void runsTheImageAndCapturesOutputAndExitCode(Engine engine) {
    try (ImageRunner runner = TestEngines.runner(engine)) {
      assertThat(runner.engine()).isEqualTo(engine);
      RunResult own = runner.run(busybox());
      assertThat(own.stdout()).as(own.toString()).isEqualTo("image cmd\n");

      RunResult r = runner.run(ContainerSpec.of(busybox()).args("sh", "-c", "echo out; echo err >&2; exit 3"));
      assertThat(r.exitCode()).as(r.toString()).isEqualTo(3);
      assertThat(r.stdout()).isEqualTo("out\n");
      assertThat(r.stderr()).contains("err\n");
      assertThat(r.engine()).isEqualTo(engine);
      assertThat(r.toString()).contains("exited 3 after").contains("--- stdout (tail) ---\nout")
          .contains(String.join(" ", r.command()));
    }
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void optionsReachTheContainer(Engine engine) {
    try (ImageRunner runner = TestEngines.runner(engine)) {
      ContainerSpec base = ContainerSpec.of(busybox());
      RunResult user = runner.run(base.user("0:0").args("id", "-u"));
      assertThat(user.stdout()).as(user.toString()).isEqualTo("0\n");
      RunResult imageUser = runner.run(base.args("id"));
      assertThat(imageUser.stdout()).as(imageUser.toString()).startsWith("uid=65532(nonroot) gid=65532(nonroot)");
      RunResult env = runner.run(base.env("GREETING", "hi there").args("sh", "-c", "echo $GREETING; echo $SSL_CERT_FILE"));
      assertThat(env.stdout()).as(env.toString()).isEqualTo("hi there\n/etc/ssl/certs/ca-certificates.crt\n");
      RunResult cwd = runner.run(base.workingDirectory("/etc").args("pwd"));
      assertThat(cwd.stdout()).as(cwd.toString()).isEqualTo("/etc\n");
      RunResult tmp = runner.run(base.args("touch", "/tmp/x"));
      assertThat(tmp.exitCode()).as(tmp.toString()).isZero();
      RunResult readOnly = runner.run(base.readOnlyRoot().args("touch", "/tmp/x"));
      assertThat(readOnly.exitCode()).as(readOnly.toString()).isEqualTo(1);
      assertThat(readOnly.stderr()).contains("Read-only file system");
      RunResult noNet = runner.run(base.args("wget", "-q", "-T", "2", "-O-", "http://127.0.0.1:9/"));
      assertThat(noNet.exitCode()).as(noNet.toString()).isNotZero();
    }
  }

  @ParameterizedTest
  @EnumSource(value = Engine.class, names = {"DOCKER", "RUNC"})
  void outputIsBoundedToItsLastBytes(Engine engine) {
    try (ImageRunner runner = TestEngines.runner(engine)) {
      RunResult r = runner.run(ContainerSpec.of(busybox()).outputLimit(4096)
          .args("sh", "-c", "seq 1 200000; echo end"));
      assertThat(r.exitCode()).as(r.toString()).isZero();
      assertThat(r.isTruncated()).isTrue();
      assertThat(r.stdout()).hasSize(4096).endsWith("199999\n200000\nend\n");
    }
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void aTimeoutKillsAndRemovesTheContainer(Engine engine) {
    try (ImageRunner runner = TestEngines.runner(engine)) {
      long start = System.nanoTime();
      assertThatThrownBy(() -> runner.run(ContainerSpec.of(busybox()).timeout(Duration.ofSeconds(3))
          .args("sh", "-c", "echo started; sleep 120")))
          .isInstanceOf(ImageRunnerException.class)
          .hasMessageContaining("did not finish within PT3S; the container was killed and removed")
          .hasMessageContaining("--- stdout (tail) ---\nstarted");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(60));
      Leftovers.assertNoneOfThisProcess(engine);
    }
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void aServerIsStartedWaitedForAnsweredAndStopped(Engine engine) throws Exception {
    Path server = Fixtures.go(shared, "http-server", Fixtures.GO_HTTP_SERVER, Map.of("CGO_ENABLED", "0"));
    ScratchImage image = ScratchImage.builder().entrypoint(server, "/usr/local/bin/server").build();
    int port = freePort();
    try (ImageRunner runner = TestEngines.runner(engine)) {
      RunningContainer container = runner.start(ContainerSpec.of(image).network(Network.HOST)
          .args(String.valueOf(port)));
      try (container) {
        container.waitForPort(port, Duration.ofSeconds(60));
        assertThat(container.waitForLogLine(Pattern.compile("listening on 127\\.0\\.0\\.1:" + port),
            Duration.ofSeconds(10))).isEqualTo("listening on 127.0.0.1:" + port);
        HttpResponse<String> response = HttpClient.newHttpClient().send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("hello from scratch\n");
        assertThat(container.isRunning()).isTrue();
        assertThat(container.toString()).contains(container.name()).contains("running");
      }
      assertThat(container.isRunning()).isFalse();
      assertThat(portIsClosed(port)).as("port %d after close", port).isTrue();
      Leftovers.assertNoneOfThisProcess(engine);
    }
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void execRunsInTheRunningContainer(Engine engine) {
    try (ImageRunner runner = TestEngines.runner(engine);
        RunningContainer container = runner.start(ContainerSpec.of(busybox())
            .args("sh", "-c", "echo ready; echo state > /tmp/state; sleep 120"))) {
      container.waitForLogLine(Pattern.compile("^ready$"), Duration.ofSeconds(60));
      RunResult exec = container.exec("/bin/busybox", "cat", "/tmp/state");
      assertThat(exec.stdout()).as(exec.toString()).isEqualTo("state\n");
      RunResult id = container.exec("/bin/busybox", "id", "-u");
      assertThat(id.stdout()).as(id.toString()).isEqualTo("65532\n");
    }
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void waitingForALineThatNeverComesSaysWhatWasPrinted(Engine engine) {
    try (ImageRunner runner = TestEngines.runner(engine);
        RunningContainer container = runner.start(ContainerSpec.of(busybox()).args("echo", "only this"))) {
      assertThatThrownBy(() -> container.waitForLogLine(Pattern.compile("never"), Duration.ofSeconds(60)))
          .isInstanceOf(ImageRunnerException.class)
          .hasMessageContaining("before printing a line matching /never/")
          .hasMessageContaining("only this");
      assertThatThrownBy(() -> container.waitForPort(8080, Duration.ofSeconds(1)))
          .isInstanceOf(ImageRunnerException.class)
          .hasMessageContaining("runs with network NONE")
          .hasMessageContaining("network(Network.HOST)");
    }
  }

  /** Images read back with OciImages: a layout, an OCI archive and a docker-archive, where each engine takes it. */
  @ParameterizedTest
  @EnumSource(Engine.class)
  void runsImagesReadBackFromLayoutsAndArchives(Engine engine) {
    ScratchImage image = busybox();
    Path layout = work.resolve("layout");
    image.writeTo(OciLayout.at(layout).tag("v1"));
    Path ociArchive = work.resolve("oci.tar");
    image.writeTo(OciArchive.at(ociArchive).tag("v1"));
    Path dockerArchive = work.resolve("docker.tar");
    image.writeTo(DockerArchive.at(dockerArchive).tag("app:v1"));
    try (ImageRunner runner = TestEngines.runner(engine)) {
      for (ContainerSpec spec : new ContainerSpec[] {ContainerSpec.of(OciImages.read(layout), "v1"),
          ContainerSpec.of(OciImages.read(ociArchive), "v1")}) {
        RunResult r = runner.run(spec);
        assertThat(r.stdout()).as(r.toString()).isEqualTo("image cmd\n");
      }
      ContainerSpec fromDocker = ContainerSpec.of(OciImages.read(dockerArchive), "app:v1").args("echo", "docker");
      if (engine == Engine.RUNC) {
        assertThatThrownBy(() -> runner.run(fromDocker))
            .isInstanceOf(ImageRunnerException.class)
            .hasMessageContaining("cannot run " + dockerArchive + ":app:v1 with runc")
            .hasMessageContaining("write the image as an OciLayout or OciArchive");
      } else {
        RunResult r = runner.run(fromDocker);
        assertThat(r.stdout()).as(r.toString()).isEqualTo("docker\n");
      }
      Leftovers.assertNoneOfThisProcess(engine);
    }
    assertThat(OciImages.read(layout).tags()).containsExactly("v1"); // the user's layout is left as it was
  }

  @Test
  void anEngineThatDoesNotAnswerIsNamedWithWhatWasTried() {
    Path socket = work.resolve("no-engine.sock");
    assertThatThrownBy(() -> ImageRunner.of(Engine.DOCKER, Map.of("DOCKER_HOST", "unix://" + socket)))
        .isInstanceOf(ImageRunnerException.class)
        .hasMessageContaining("cannot run images on DOCKER: ")
        .hasMessageMatching("(?s).*(Docker: the engine at unix://" + Pattern.quote(socket.toString())
            + " does not answer|Docker: no docker command on the PATH).*");
  }

  @Test
  void detectTakesDockerFirstAndPodmanWhenNoDockerEngineAnswers() {
    try (ImageRunner runner = ImageRunner.detect(TestEngines.environment(Engine.DOCKER))) {
      assertThat(runner.engine()).isEqualTo(Engine.DOCKER);
      assertThat(runner.toString()).startsWith("ImageRunner[docker (");
    }
    Map<String, String> podman = new java.util.HashMap<>(TestEngines.environment(Engine.PODMAN));
    podman.put("DOCKER_HOST", "unix://" + work.resolve("no-engine.sock"));
    try (ImageRunner runner = ImageRunner.detect(podman)) {
      assertThat(runner.engine()).isEqualTo(Engine.PODMAN);
      RunResult r = runner.run(busybox(), "echo", "on podman");
      assertThat(r.stdout()).as(r.toString()).isEqualTo("on podman\n");
    }
  }

  /** A JVM whose PATH has no engine (runc alone is in /usr/sbin, without umoci) is told what was looked for. */
  @Test
  void withoutAnyEngineDetectSaysWhatItLookedFor() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeFalse(java.nio.file.Files.exists(Path.of("/var/run/docker.sock")),
        "skipped: this machine has a Docker engine at the default socket");
    ProcessBuilder child = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-cp",
        System.getProperty("java.class.path"), "-D" + ImageRunner.STATE_DIRECTORY_PROPERTY + "="
        + ImageRunner.stateDirectory(), DetectMain.class.getName()).redirectErrorStream(true);
    child.environment().remove("DOCKER_HOST");
    child.environment().put("PATH", work.resolve("empty-path").toString());
    Process process = child.start();
    String printed = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    assertThat(printed).contains("no container engine to run images on. Looked for, in order: "
        + "Docker: no docker command on the PATH; podman: no podman command on the PATH; runc: ")
        .contains("no umoci command on the PATH")
        .contains("Start a Docker engine and set DOCKER_HOST, or install podman, or run as root with runc and umoci"
            + " (Debian: docker.io, podman, runc, umoci)");
  }

  @Test
  void loadingByNameIsForEnginesThatKeepImages() {
    Tools.requireRoot();
    Tools.require("runc");
    Tools.require("umoci");
    try (ImageRunner runner = ImageRunner.of(Engine.RUNC)) {
      assertThatThrownBy(() -> runner.load(busybox(), "app:1"))
          .isInstanceOf(ImageRunnerException.class)
          .hasMessageContaining("on RUNC: runc keeps no images by name. Use ImageRunner.of(Engine.DOCKER)");
    }
  }

  @Test
  void aStartThatFailsLeavesNothing() {
    Tools.requireRoot();
    Tools.require("runc");
    Tools.require("umoci");
    try (ImageRunner runner = ImageRunner.of(Engine.RUNC)) {
      assertThatThrownBy(() -> runner.start(ContainerSpec.of(busybox()).user("nosuchuser")))
          .isInstanceOf(ImageRunnerException.class)
          .hasMessageContaining("the user \"nosuchuser\" is not in /etc/passwd of")
          .hasMessageContaining("give a numeric uid:gid");
      Leftovers.assertNoneOfThisProcess(Engine.RUNC);
    }
  }

  @Test
  void theIndexImageForThisMachineIsPicked() {
    ScratchImage image = busybox();
    ContainerSpec spec = ContainerSpec.of(dev.scratchkit.ImageIndex.of(image));
    assertThat(spec.imageConfig()).isEqualTo(image.config());
    assertThatThrownBy(() -> ContainerSpec.of(busybox()).timeout(Duration.ZERO))
        .isInstanceOf(ImageRunnerException.class).hasMessageContaining("is not positive");
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  static boolean portIsClosed(int port) {
    try (java.net.Socket s = new java.net.Socket()) {
      s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 500);
      return false;
    } catch (IOException e) {
      return true;
    }
  }
}
