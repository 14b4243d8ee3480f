package dev.scratchkit.testing;

import dev.scratchkit.ScratchImage;
import java.nio.file.Path;
import java.util.Map;

/** A test JVM that starts a container and then waits to be killed: {@code KilledRunner ENGINE [DOCKER_HOST]}. */
public final class KilledRunner {

  private KilledRunner() {}

  public static void main(String[] args) throws InterruptedException {
    Engine engine = Engine.valueOf(args[0]);
    Map<String, String> env = new java.util.HashMap<>();
    for (int i = 1; i + 1 < args.length; i += 2) {
      env.put(args[i], args[i + 1]);
    }
    ScratchImage image = ScratchImage.builder().entrypoint(Path.of("/bin/busybox"), "/bin/busybox")
        .args("sh", "-c", "echo up; sleep 300").build();
    ImageRunner runner = ImageRunner.of(engine, env);
    RunningContainer container = runner.start(ContainerSpec.of(image));
    container.waitForLogLine(java.util.regex.Pattern.compile("^up$"), java.time.Duration.ofSeconds(60));
    System.out.println("started " + container.name());
    System.out.flush();
    Thread.sleep(600_000);
  }
}
