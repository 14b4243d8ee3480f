package dev.scratchkit.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.ScratchImage;
import dev.scratchkit.testing.Engine;
import dev.scratchkit.testing.ImageRunner;
import dev.scratchkit.testing.LoadedImage;
import dev.scratchkit.testkit.DockerEngine;
import dev.scratchkit.testkit.Fixtures;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * A scratchkit image in Testcontainers: {@link ImageRunner#load} puts it into the Docker engine
 * under a name (through {@code DockerDaemon}, so the engine gets our exact layers), and
 * {@code GenericContainer} runs it like any other image. Nothing is pulled: Ryuk is off
 * ({@code TESTCONTAINERS_RYUK_DISABLED=true}, set by this module's surefire configuration) and
 * the container uses the host's network.
 */
class TestcontainersExampleTest {

  @TempDir Path work;

  @Test
  void aScratchImageRunsInGenericContainer() throws Exception {
    DockerEngine engine = DockerEngine.require();
    Path server = Fixtures.go(work, "server", Fixtures.GO_HTTP_SERVER, Map.of("CGO_ENABLED", "0"));
    ScratchImage image = ScratchImage.builder().entrypoint(server, "/usr/local/bin/server").build();
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }

    try (ImageRunner runner = ImageRunner.of(Engine.DOCKER, engine.environment());
        LoadedImage loaded = runner.load(image, "scratchkit-example/server:test");
        GenericContainer<?> container = new GenericContainer<>(loaded.name())
            .withNetworkMode("host")
            .withCommand(String.valueOf(port))
            .waitingFor(Wait.forLogMessage(".*listening on 127\\.0\\.0\\.1:" + port + ".*\\n", 1)
                .withStartupTimeout(Duration.ofSeconds(60)))) {
      container.start();
      HttpResponse<String> response = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body()).isEqualTo("hello from scratch\n");
      assertThat(container.getLogs()).contains("listening on 127.0.0.1:" + port);
      assertThat(engine.dockerOk("image", "inspect", "--format", "{{.Id}}", loaded.name()).stdout().trim())
          .isEqualTo(loaded.written().configDigest().toString());
    }
    assertThat(engine.docker("image", "inspect", "scratchkit-example/server:test").exitCode())
        .as("the name is removed with the LoadedImage").isNotZero();
  }
}
