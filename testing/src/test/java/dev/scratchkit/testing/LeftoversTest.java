package dev.scratchkit.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A test JVM killed while its container runs leaves it behind; the next runner removes it. */
class LeftoversTest {

  @ParameterizedTest
  @EnumSource(Engine.class)
  void theNextRunnerRemovesWhatAKilledJvmLeft(Engine engine) throws Exception {
    Map<String, String> env = TestEngines.environment(engine);
    List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
        "-cp", System.getProperty("java.class.path"),
        "-D" + ImageRunner.STATE_DIRECTORY_PROPERTY + "=" + ImageRunner.stateDirectory(),
        "-Dscratchkit.cache.dir=" + System.getProperty("scratchkit.cache.dir", "off"),
        KilledRunner.class.getName(), engine.name()));
    env.forEach((k, v) -> command.addAll(List.of(k, v)));
    Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String name;
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      do {
        line = out.readLine();
      } while (line != null && !line.startsWith("started "));
      assertThat(line).as("the child JVM's container start").isNotNull();
      name = line.substring("started ".length());
    } finally {
      child.destroyForcibly(); // SIGKILL: no shutdown hook, no close()
      child.waitFor(30, TimeUnit.SECONDS);
    }
    String owner = name.substring(Owner.PREFIX.length(), name.lastIndexOf('-'));
    assertThat(owner).isNotEqualTo(Owner.CURRENT);
    assertThat(Leftovers.of(engine, owner)).as("left by the killed JVM").isNotEmpty();

    try (ImageRunner next = TestEngines.runner(engine)) {
      assertThat(Leftovers.of(engine, owner)).as("after the next runner started").isEmpty();
      assertThat(next.run(ContainerSpec.of(dev.scratchkit.ScratchImage.builder()
          .entrypoint(java.nio.file.Path.of("/bin/busybox"), "/bin/busybox").args("true").build())).exitCode())
          .isZero();
    }
    Leftovers.assertNoneOfThisProcess(engine);
  }
}
