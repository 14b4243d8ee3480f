package dev.scratchkit.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * podman as these machines need it (DESIGN.md, "Testing"): a {@code containers.conf} with
 * cgroupfs, file events and locks, runc, and default ulimits within the hard limits, and vfs
 * storage in a temp directory. {@code .ci/run} exports {@code CONTAINERS_CONF} and
 * {@code CONTAINERS_STORAGE_CONF}; without them the first test writes its own, for this JVM.
 */
public final class Podman {

  private static Map<String, String> environment;

  private Podman() {}

  /** The podman command, skipping (failing in strict mode) the test when it is missing. */
  public static Path require() {
    return Tools.require("podman");
  }

  /** {@return the environment podman's commands need here} */
  public static synchronized Map<String, String> environment() {
    if (environment != null) {
      return environment;
    }
    String conf = System.getenv("CONTAINERS_CONF");
    String storage = System.getenv("CONTAINERS_STORAGE_CONF");
    if (conf != null && storage != null) {
      environment = Map.of("CONTAINERS_CONF", conf, "CONTAINERS_STORAGE_CONF", storage);
      return environment;
    }
    try {
      Path dir = Files.createTempDirectory(Path.of("/tmp"), "skpodman-");
      Path containersConf = dir.resolve("containers.conf");
      Files.writeString(containersConf, containersConf());
      Path storageConf = dir.resolve("storage.conf");
      Files.writeString(storageConf, storageConf(dir));
      Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(dir), "podman-storage-cleanup"));
      environment = Map.of("CONTAINERS_CONF", containersConf.toString(),
          "CONTAINERS_STORAGE_CONF", storageConf.toString());
      return environment;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write a podman configuration", e);
    }
  }

  /** The {@code containers.conf} DESIGN.md gives. */
  public static String containersConf() {
    return """
        [containers]
        default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

        [engine]
        cgroup_manager = "cgroupfs"
        events_logger = "file"
        runtime = "runc"
        lock_type = "file"
        """;
  }

  /** A {@code storage.conf} with vfs storage under {@code dir}. */
  public static String storageConf(Path dir) {
    return "[storage]\ndriver = \"vfs\"\ngraphroot = \"" + dir.resolve("root") + "\"\nrunroot = \""
        + dir.resolve("run") + "\"\n";
  }

  /** Runs {@code podman ARGS} with {@link #environment()} (two minutes at most). */
  public static Tools.Result podman(String... args) {
    List<String> command = new ArrayList<>(List.of(require().toString()));
    command.addAll(List.of(args));
    return Tools.run(Duration.ofMinutes(2), null, environment(), command);
  }

  private static void delete(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      System.err.println("could not remove " + dir + ": " + e);
    }
  }
}
