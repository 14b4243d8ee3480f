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
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A real Docker engine for the tests: the one {@code DOCKER_HOST} names (or the default socket)
 * when it answers, else one started for this test run on a private socket in a temp directory
 * (DESIGN.md, "Testing": vfs storage, no iptables, no bridge) and stopped by its own pid when the
 * JVM exits. Containers must use {@code --network none} or {@code --network host}.
 */
public final class DockerEngine {

  private static final String DEFAULT_SOCKET = "/var/run/docker.sock";
  private static DockerEngine shared;
  private static String unavailable;

  private final String host;
  private final Path docker;

  private DockerEngine(String host, Path docker) {
    this.host = host;
    this.docker = docker;
  }

  /**
   * The engine, started if needed; skips (fails in strict mode) the calling test when neither
   * an engine answers nor one can be started, saying why.
   */
  public static synchronized DockerEngine require() {
    if (shared != null) {
      return shared;
    }
    if (unavailable == null) {
      try {
        shared = find();
        return shared;
      } catch (IllegalStateException e) {
        unavailable = e.getMessage();
      }
    }
    if (Tools.strict()) {
      Assertions.fail(unavailable + " -- strict mode (" + Tools.STRICT_ENV + ") turns a missing engine into a failure");
    }
    Assumptions.abort("skipped: " + unavailable);
    throw new AssertionError("unreachable");
  }

  /** {@return the engine's address as {@code DOCKER_HOST} takes it, e.g. {@code unix:///tmp/x/docker.sock}} */
  public String host() {
    return host;
  }

  /** {@return {@code DOCKER_HOST} for a client of this engine} */
  public Map<String, String> environment() {
    return Map.of("DOCKER_HOST", host);
  }

  /** Runs {@code docker ARGS} against this engine (two minutes at most). */
  public Tools.Result docker(String... args) {
    List<String> command = new ArrayList<>(List.of(docker.toString()));
    command.addAll(List.of(args));
    return Tools.run(Duration.ofMinutes(2), null, environment(), command);
  }

  /** Runs {@code docker ARGS} and fails the test unless it exits 0. */
  public Tools.Result dockerOk(String... args) {
    return docker(args).assertOk();
  }

  private static DockerEngine find() {
    Path docker = Tools.find("docker").orElseThrow(() -> new IllegalStateException(
        "docker is not installed (Debian package: docker.io); `bash .ci/run` installs it"));
    List<String> tried = new ArrayList<>();
    String env = System.getenv("DOCKER_HOST");
    if (env != null && !env.isBlank()) {
      if (answers(docker, env)) {
        return new DockerEngine(env, docker);
      }
      tried.add("DOCKER_HOST=" + env + " does not answer");
    } else if (Files.exists(Path.of(DEFAULT_SOCKET))) {
      if (answers(docker, "unix://" + DEFAULT_SOCKET)) {
        return new DockerEngine("unix://" + DEFAULT_SOCKET, docker);
      }
      tried.add(DEFAULT_SOCKET + " does not answer");
    } else {
      tried.add("DOCKER_HOST is not set and " + DEFAULT_SOCKET + " does not exist");
    }
    Optional<Path> dockerd = Tools.find("dockerd");
    if (dockerd.isEmpty()) {
      throw new IllegalStateException("no Docker engine: " + String.join("; ", tried)
          + "; dockerd is not installed (Debian package: docker.io) to start one");
    }
    if (!"root".equals(System.getProperty("user.name"))) {
      throw new IllegalStateException("no Docker engine: " + String.join("; ", tried)
          + "; starting dockerd needs root");
    }
    return start(docker, dockerd.get(), tried);
  }

  private static boolean answers(Path docker, String host) {
    return Tools.run(Duration.ofSeconds(20), null, Map.of("DOCKER_HOST", host),
        List.of(docker.toString(), "version", "--format", "{{.Server.Version}}")).ok();
  }

  private static DockerEngine start(Path docker, Path dockerd, List<String> tried) {
    try {
      // /tmp, not java.io.tmpdir: a unix socket path must stay under 108 bytes.
      Path dir = Files.createTempDirectory(Path.of("/tmp"), "skdocker-");
      String host = "unix://" + dir.resolve("docker.sock");
      Path log = dir.resolve("dockerd.log");
      Process process = new ProcessBuilder(dockerd.toString(),
          "--data-root", dir.resolve("data").toString(), "--exec-root", dir.resolve("exec").toString(),
          "--pidfile", dir.resolve("pid").toString(), "-H", host, "--storage-driver", "vfs",
          "--iptables=false", "--ip6tables=false", "--bridge=none")
          .redirectErrorStream(true).redirectOutput(log.toFile()).start();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(process, dir), "dockerd-stop"));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (System.nanoTime() < deadline) {
        if (!process.isAlive()) {
          throw new IllegalStateException("no Docker engine: " + String.join("; ", tried) + "; " + dockerd
              + " exited " + process.exitValue() + " at start: " + tail(log));
        }
        if (answers(docker, host)) {
          return new DockerEngine(host, docker);
        }
        Thread.sleep(250);
      }
      throw new IllegalStateException("no Docker engine: " + String.join("; ", tried) + "; " + dockerd
          + " did not answer on " + host + " within 60 s: " + tail(log));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start dockerd", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while dockerd started", e);
    }
  }

  /** Stops the engine this JVM started, by its pid, and removes its directory. */
  private static void stop(Process process, Path dir) {
    process.destroy(); // SIGTERM to that pid: dockerd stops its containers and containerd
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
      unmountUnder(dir);
      try (Stream<Path> paths = Files.walk(dir)) {
        paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException | UncheckedIOException e) {
      System.err.println("could not remove " + dir + ": " + e);
    }
  }

  /** dockerd leaves its default network namespace bind-mounted under the exec root: unmount what is under dir. */
  private static void unmountUnder(Path dir) throws IOException, InterruptedException {
    List<String> mounts = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String[] fields = line.split(" ");
      if (fields.length > 4 && fields[4].startsWith(dir + "/")) {
        mounts.add(fields[4]);
      }
    }
    mounts.sort(Comparator.reverseOrder());
    for (String mount : mounts) {
      new ProcessBuilder("umount", "--lazy", mount).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static String tail(Path log) {
    try {
      String text = Files.readString(log);
      return text.length() > 2000 ? text.substring(text.length() - 2000) : text;
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }
}
