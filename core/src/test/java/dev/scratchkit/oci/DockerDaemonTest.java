package dev.scratchkit.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scratchkit.testkit.Tools;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Docker engine target: real {@code docker load} where an engine runs, clear errors where none does. */
class DockerDaemonTest {

  @TempDir Path work;

  @Test
  void loadsIntoARunningEngine() {
    Optional<Path> docker = Tools.find("docker");
    boolean engine = docker.isPresent() && Tools.run(docker.get().toString(), "info").ok();
    // Not a missing tool but a missing service: these machines have the docker client and no engine.
    Assumptions.assumeTrue(engine, "skipped: no Docker engine runs here (docker info fails), so docker load cannot be tried");
    Path busybox = TestImages.busybox();
    WriteResult result = DockerDaemon.image("scratchkit-test:1").write(TestImages.busyboxImage(busybox));
    String id = Tools.runOk(docker.get().toString(), "image", "inspect", "--format", "{{.Id}}", "scratchkit-test:1")
        .stdout().trim();
    assertThat(id).isIn(result.configDigest().toString(), result.digest().toString());
  }

  @Test
  void withoutAnEngineTheErrorSaysWhatIsMissing() {
    Path fakeClient = work.resolve("no-such-docker");
    Path busybox = TestImages.busybox();
    assertThatThrownBy(() -> DockerDaemon.image("app:1").command(fakeClient).write(TestImages.busyboxImage(busybox)))
        .isInstanceOf(OciException.class)
        .hasMessageContaining("docker-daemon app:1: cannot run " + fakeClient)
        .hasMessageContaining("write an OCI layout or docker-archive instead");
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
