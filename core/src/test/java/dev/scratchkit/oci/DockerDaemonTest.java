package dev.scratchkit.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scratchkit.testkit.DockerEngine;
import dev.scratchkit.testkit.Tools;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Docker engine target against a real engine, and clear errors where none answers. */
class DockerDaemonTest {

  @TempDir Path work;

  /** A real engine (testkit starts its own dockerd when none runs): load, run, and the engine's own view of the layers. */
  @Test
  void loadsIntoARealEngineThatRunsItWithOurExactLayers() {
    DockerEngine engine = DockerEngine.require();
    Path busybox = TestImages.busybox();
    String tag = "scratchkit-daemon-test:" + ProcessHandle.current().pid();
    WriteResult result = DockerDaemon.image(tag).environment("DOCKER_HOST", engine.host())
        .write(TestImages.busyboxImage(busybox));
    try {
      assertThat(result.target()).isEqualTo("docker-daemon " + tag);
      String id = engine.dockerOk("image", "inspect", "--format", "{{.Id}}", tag).stdout().trim();
      assertThat(id).isEqualTo(result.configDigest().toString());
      String diffIds = engine.dockerOk("image", "inspect", "--format", "{{range .RootFS.Layers}}{{println .}}{{end}}",
          tag).stdout().trim();
      assertThat(diffIds.split("\n")).containsExactlyElementsOf(
          result.layers().stream().map(l -> l.diffId().toString()).toList());
      Tools.Result run = engine.docker("run", "--rm", "--network", "none", tag, "from docker");
      assertThat(run.stdout()).as(run.describe()).isEqualTo("hello from docker\n");
      assertThat(run.exitCode()).isZero();
      Tools.Result hardLink = engine.docker("run", "--rm", "--network", "none", "--entrypoint", "/bin/echo", tag,
          "through", "the", "hard", "link");
      assertThat(hardLink.stdout()).as(hardLink.describe()).isEqualTo("through the hard link\n");
    } finally {
      engine.docker("rmi", tag);
    }
    assertThat(engine.docker("image", "inspect", tag).exitCode()).isNotZero();
  }

  @Test
  void anEngineThatDoesNotAnswerIsNamedInTheError() {
    Path busybox = TestImages.busybox();
    Tools.require("docker");
    String host = "unix://" + work.resolve("no-engine.sock");
    assertThatThrownBy(() -> DockerDaemon.image("app:1").environment("DOCKER_HOST", host)
        .write(TestImages.busyboxImage(busybox)))
        .isInstanceOf(OciException.class)
        .hasMessageContaining("docker-daemon app:1: docker load failed (exit 1)")
        .hasMessageContaining("Is the Docker engine running? (docker info, DOCKER_HOST=" + host + ")");
    assertThatThrownBy(() -> DockerDaemon.image("app:1").environment("A=B", "c"))
        .isInstanceOf(OciException.class)
        .hasMessageContaining("\"A=B\" is not an environment variable name");
  }

  @Test
  void withoutAnEngineTheErrorSaysWhatIsMissing() {
    // A bare name is looked up in PATH when the image is written.
    Path fakeClient = Path.of("scratchkit-no-such-docker");
    Path busybox = TestImages.busybox();
    assertThatThrownBy(() -> DockerDaemon.image("app:1").command(fakeClient).write(TestImages.busyboxImage(busybox)))
        .isInstanceOf(OciException.class)
        .hasMessageContaining("docker-daemon app:1: cannot run " + fakeClient)
        .hasMessageContaining("write an OCI layout or docker-archive instead");
  }

  @Test
  void aClientPathThatIsNoExecutableFileIsRefusedWhenGiven() {
    Path missing = work.resolve("no-such-docker");
    assertThatThrownBy(() -> DockerDaemon.image("app:1").command(missing))
        .isInstanceOf(OciException.class)
        .hasMessage("The client command " + missing.toAbsolutePath() + " does not exist. Give the program that"
            + " loads the image, e.g. /usr/bin/podman, or a bare name such as docker to look up in PATH");
    assertThatThrownBy(() -> DockerDaemon.image("app:1").command(work))
        .isInstanceOf(OciException.class)
        .hasMessageStartingWith("The client command " + work.toAbsolutePath() + " is a directory.");
  }

  @Test
  void anIndexIsRefused() {
    assertThatThrownBy(() -> DockerDaemon.image("app:1").writeIndex(List.of(), ProgressListener.NONE))
        .isInstanceOf(OciException.class)
        .hasMessageContaining("cannot hold a multi-platform index");
  }

  @Test
  void tagMustBeRepoColonTag() {
    assertThatThrownBy(() -> DockerDaemon.image("no tag here"))
        .isInstanceOf(OciException.class);
  }
}
