package dev.scratchkit.oci.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.oci.DockerArchive;
import dev.scratchkit.oci.LayerCache;
import dev.scratchkit.oci.OciImages;
import dev.scratchkit.oci.WriteResult;
import dev.scratchkit.testkit.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real {@code docker save} output reads back verified: our docker-archive is loaded into a
 * Docker engine started here on a private socket, a second image sharing its layers is built
 * from it, and both are saved into one archive (where Docker writes a shared layer as a symlink
 * member); every config digest and diff ID must be what we wrote.
 */
class DockerSaveTest {

  @TempDir
  Path tmp;

  @Test
  void twoImagesSavedTogetherByDockerReadBackWithTheDigestsWeWrote() throws Exception {
    Path dockerd = Tools.require("dockerd");
    Path docker = Tools.require("docker");
    Tools.requireRoot();
    Path d = Files.createTempDirectory("sk-dockerd"); // short: the socket path must fit in 108 bytes
    Map<String, String> env = Map.of("DOCKER_HOST", "unix://" + d.resolve("docker.sock"));
    Process daemon = new ProcessBuilder(dockerd.toString(), "--data-root", d.resolve("data").toString(),
        "--exec-root", d.resolve("exec").toString(), "--pidfile", d.resolve("pid").toString(),
        "-H", "unix://" + d.resolve("docker.sock"), "--storage-driver", "vfs", "--iptables=false",
        "--ip6tables=false", "--bridge=none").redirectErrorStream(true)
        .redirectOutput(d.resolve("log").toFile()).start();
    try {
      waitForEngine(docker, env, d);
      Path ours = tmp.resolve("ours.tar");
      WriteResult written = DockerArchive.at(ours).tag("sk-save:1").cache(LayerCache.disabled())
          .write(RoundTripTest.image("amd64", "hello\n"));
      run(env, docker.toString(), "load", "-i", ours.toString());
      Path context = Files.createDirectories(tmp.resolve("context"));
      Files.writeString(context.resolve("more.txt"), "more\n");
      Files.writeString(context.resolve("Dockerfile"), "FROM sk-save:1\nCOPY more.txt /srv/more.txt\n");
      run(Map.of("DOCKER_HOST", env.get("DOCKER_HOST"), "DOCKER_BUILDKIT", "0"), docker.toString(), "build", "-q",
          "-t", "sk-more:1", context.toString());
      Path saved = tmp.resolve("saved.tar");
      run(env, docker.toString(), "save", "-o", saved.toString(), "sk-save:1", "sk-more:1");

      OciImages images = OciImages.read(saved);
      assertThat(images.kind()).isEqualTo(OciImages.Kind.DOCKER_ARCHIVE);
      OciImages.Image first = images.image("sk-save:1");
      assertThat(first.configDigest()).isEqualTo(written.configDigest());
      assertThat(first.layers()).extracting(OciImages.Layer::diffId)
          .containsExactlyElementsOf(written.layers().stream().map(dev.scratchkit.oci.LayerDescriptor::diffId).toList());
      OciImages.Image second = images.image("sk-more:1");
      assertThat(second.layers()).hasSize(3);
      assertThat(second.layers().subList(0, 2)).extracting(OciImages.Layer::diffId)
          .containsExactlyElementsOf(first.layers().stream().map(OciImages.Layer::diffId).toList());
      for (OciImages.Image image : List.of(first, second)) {
        for (OciImages.Layer layer : image.layers()) {
          assertThat(images.entries(layer)).isNotEmpty(); // verifies digest and diff ID
        }
      }
      assertThat(images.entries(second.layers().get(2))).extracting(OciImages.Entry::path).contains("/srv/more.txt");
    } finally {
      daemon.destroy();
      if (!daemon.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
        daemon.destroyForcibly();
      }
      Tools.run(Duration.ofMinutes(1), null, null, List.of("rm", "-rf", d.toString()));
    }
  }

  private static void waitForEngine(Path docker, Map<String, String> env, Path d) throws Exception {
    for (int i = 0; i < 60; i++) {
      if (Files.exists(d.resolve("docker.sock"))
          && Tools.run(Duration.ofSeconds(20), null, env, List.of(docker.toString(), "info")).ok()) {
        return;
      }
      Thread.sleep(500);
    }
    throw new IllegalStateException("dockerd did not start: " + readLog(d));
  }

  private static String readLog(Path d) throws IOException {
    Path log = d.resolve("log");
    return Files.exists(log) ? Files.readString(log) : "(no log)";
  }

  private static void run(Map<String, String> env, String... command) {
    Tools.run(Duration.ofMinutes(2), null, env, List.of(command)).assertOk();
  }
}
