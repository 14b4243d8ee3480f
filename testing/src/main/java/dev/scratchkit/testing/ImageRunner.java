package dev.scratchkit.testing;

import dev.scratchkit.ScratchImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs images from test code on a real engine: a Docker engine, podman, or runc.
 *
 * <pre>{@code
 * try (ImageRunner runner = ImageRunner.detect()) {
 *   RunResult r = runner.run(image, "--version");
 *   assertThat(r.exitCode()).as(r.toString()).isZero();
 * }
 * }</pre>
 *
 * <p>{@link #detect()} tries, in this order: a Docker engine at {@code DOCKER_HOST} (or, when
 * it is unset, at {@code /var/run/docker.sock}) through the {@code docker} command line;
 * {@code podman}; {@code runc} with {@code umoci}, as root. {@link #of(Engine)} names one.
 *
 * <p>Everything a runner creates is named {@code scratchkit-PID-START-N} (containers, with the
 * label {@code dev.scratchkit.testing.owner}), {@code scratchkit-testing:PID-START-N} (images)
 * or lives in {@code STATE/PID-START/} (runc bundles and state; {@code STATE} is
 * {@link #stateDirectory()}). A run removes its container and image when it ends, also after a
 * failed start or a timeout; a new runner removes what a process that is gone left behind, so a
 * killed test JVM's leftovers go on the next run.
 */
public final class ImageRunner implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ImageRunner.class);
  /** System property naming the state directory; default {@code java.io.tmpdir/scratchkit-testing}. */
  public static final String STATE_DIRECTORY_PROPERTY = "scratchkit.testing.stateDir";
  private static final String DEFAULT_SOCKET = "/var/run/docker.sock";

  private final Driver driver;
  private final Path stateDirectory;
  private final Set<RunningContainer> open = ConcurrentHashMap.newKeySet();

  private ImageRunner(Driver driver, Path stateDirectory) {
    this.driver = driver;
    this.stateDirectory = stateDirectory;
    driver.removeLeftovers(stateDirectory);
  }

  /**
   * The first usable engine: Docker ({@code DOCKER_HOST}, else the default socket), podman,
   * runc as root.
   *
   * @return a runner
   * @throws ImageRunnerException if none is usable, saying what was looked for and found
   */
  public static ImageRunner detect() {
    return detect(Map.of());
  }

  /**
   * Like {@link #detect()}, with environment variables for the engines' commands, e.g.
   * {@code DOCKER_HOST} or podman's {@code CONTAINERS_CONF}.
   *
   * @param environment variables set for every engine command, over this process's
   * @return a runner
   * @throws ImageRunnerException if no engine is usable, saying what was looked for and found
   */
  public static ImageRunner detect(Map<String, String> environment) {
    List<String> tried = new ArrayList<>();
    for (Engine engine : Engine.values()) {
      Optional<Driver> driver = driver(engine, environment, tried);
      if (driver.isPresent()) {
        LOG.info("running images on {}", driver.get());
        return new ImageRunner(driver.get(), stateDirectory());
      }
    }
    throw new ImageRunnerException("no container engine to run images on. Looked for, in order: "
        + String.join("; ", tried) + ". Start a Docker engine and set DOCKER_HOST, or install podman, or run as root"
        + " with runc and umoci (Debian: docker.io, podman, runc, umoci)");
  }

  /**
   * A runner on the named engine.
   *
   * @param engine the engine
   * @return a runner
   * @throws ImageRunnerException if that engine is not usable here, saying why
   */
  public static ImageRunner of(Engine engine) {
    return of(engine, Map.of());
  }

  /**
   * A runner on the named engine, with environment variables for its commands.
   *
   * @param engine the engine
   * @param environment e.g. {@code DOCKER_HOST=unix:///tmp/d/docker.sock}, or podman's
   *     {@code CONTAINERS_CONF} and {@code CONTAINERS_STORAGE_CONF}
   * @return a runner
   * @throws ImageRunnerException if that engine is not usable here, saying why
   */
  public static ImageRunner of(Engine engine, Map<String, String> environment) {
    Objects.requireNonNull(engine, "engine");
    List<String> tried = new ArrayList<>();
    return new ImageRunner(driver(engine, environment, tried).orElseThrow(() -> new ImageRunnerException(
        "cannot run images on " + engine + ": " + String.join("; ", tried))), stateDirectory());
  }

  private static Optional<Driver> driver(Engine engine, Map<String, String> given, List<String> tried) {
    Map<String, String> environment = new HashMap<>(given);
    switch (engine) {
      case DOCKER: {
        Optional<Path> docker = Driver.find("docker");
        if (docker.isEmpty()) {
          tried.add("Docker: no docker command on the PATH");
          return Optional.empty();
        }
        String host = environment.getOrDefault("DOCKER_HOST", System.getenv("DOCKER_HOST"));
        if (host == null || host.isBlank()) {
          if (!Files.exists(Path.of(DEFAULT_SOCKET))) {
            tried.add("Docker: DOCKER_HOST is not set and " + DEFAULT_SOCKET + " does not exist");
            return Optional.empty();
          }
          host = "unix://" + DEFAULT_SOCKET;
        }
        environment.put("DOCKER_HOST", host);
        Driver driver = new CliDriver(Engine.DOCKER, docker.get(), environment);
        Driver.Done version = driver.call(List.of(docker.get().toString(), "version", "--format",
            "{{.Server.Version}}"), 30);
        if (!version.ok()) {
          tried.add("Docker: the engine at " + host + " does not answer (" + Output.tail(version.output(), 2, 300) + ")");
          return Optional.empty();
        }
        return Optional.of(driver);
      }
      case PODMAN: {
        Optional<Path> podman = Driver.find("podman");
        if (podman.isEmpty()) {
          tried.add("podman: no podman command on the PATH");
          return Optional.empty();
        }
        Driver driver = new CliDriver(Engine.PODMAN, podman.get(), environment);
        Driver.Done info = driver.call(List.of(podman.get().toString(), "version", "--format", "{{.Version}}"), 60);
        if (!info.ok()) {
          tried.add("podman: " + podman.get() + " version fails (" + Output.tail(info.output(), 2, 300) + ")");
          return Optional.empty();
        }
        return Optional.of(driver);
      }
      default: {
        Optional<Path> runc = Driver.find("runc");
        Optional<Path> umoci = Driver.find("umoci");
        boolean root = "root".equals(System.getProperty("user.name"));
        if (runc.isEmpty() || umoci.isEmpty() || !root) {
          tried.add("runc: " + (runc.isEmpty() ? "no runc command on the PATH" : "runc at " + runc.get()) + ", "
              + (umoci.isEmpty() ? "no umoci command on the PATH" : "umoci at " + umoci.get()) + ", "
              + (root ? "running as root" : "not running as root (runc here needs root)"));
          return Optional.empty();
        }
        return Optional.of(new RuncDriver(runc.get(), umoci.get(), stateDirectory()));
      }
    }
  }

  /**
   * {@return where runners keep runc bundles and state, one directory per process:
   * {@code -Dscratchkit.testing.stateDir}, else {@code java.io.tmpdir/scratchkit-testing}}
   */
  public static Path stateDirectory() {
    String dir = System.getProperty(STATE_DIRECTORY_PROPERTY);
    return (dir != null ? Path.of(dir) : Path.of(System.getProperty("java.io.tmpdir"), "scratchkit-testing"))
        .toAbsolutePath();
  }

  /** {@return the engine this runner uses} */
  public Engine engine() {
    return driver.engine();
  }

  /**
   * Runs an image with its own entrypoint and these arguments, and waits for it (two minutes at
   * most, network {@link Network#NONE}).
   *
   * @param image the image
   * @param args arguments in place of the image's command; none keeps the image's
   * @return exit code and output
   * @throws ImageRunnerException if it cannot start, or does not finish in time (it is removed)
   */
  public RunResult run(ScratchImage image, String... args) {
    ContainerSpec spec = ContainerSpec.of(image);
    return run(args.length == 0 ? spec : spec.args(args));
  }

  /**
   * Runs a container and waits for it, at most the spec's {@link ContainerSpec#timeout()}; the
   * container and the image loaded for it are removed when it ends.
   *
   * @param spec the image and options
   * @return exit code and output
   * @throws ImageRunnerException if it cannot start, or does not finish in time (it is removed)
   */
  public RunResult run(ContainerSpec spec) {
    try (RunningContainer container = start(spec)) {
      return container.waitForExit(spec.timeout());
    }
  }

  /**
   * Starts a container and returns while it runs; close it to kill and remove it.
   *
   * @param spec the image and options
   * @return the running container
   * @throws ImageRunnerException if it cannot be prepared or started (nothing is left then)
   */
  public RunningContainer start(ContainerSpec spec) {
    Objects.requireNonNull(spec, "spec");
    String name = Owner.nextName();
    Path work = stateDirectory.resolve(Owner.CURRENT).resolve(name);
    try {
      Files.createDirectories(work);
    } catch (IOException e) {
      throw new ImageRunnerException("cannot create " + work + " for " + name + ": " + e.getMessage() + "; set -D"
          + STATE_DIRECTORY_PROPERTY + " to a writable directory", e);
    }
    RunningContainer[] self = new RunningContainer[1];
    RunningContainer container = RunningContainer.start(driver, spec, name, work, () -> {
      open.remove(self[0]);
      Driver.deleteTree(work);
    });
    self[0] = container;
    open.add(container);
    return container;
  }

  /**
   * Loads an image into the engine under a name, for tools that take image names, such as
   * Testcontainers' {@code GenericContainer}; close the result to remove the name.
   *
   * @param image the image
   * @param name {@code repo:tag}, e.g. {@code my-service:test}
   * @return the loaded image
   * @throws ImageRunnerException on runc, which keeps no images
   */
  public LoadedImage load(ScratchImage image, String name) {
    if (!(driver instanceof CliDriver cli)) {
      throw new ImageRunnerException("cannot load " + image + " as " + name + " on " + driver.engine() + ": runc keeps"
          + " no images by name. Use ImageRunner.of(Engine.DOCKER) or Engine.PODMAN");
    }
    return new LoadedImage(cli, name, cli.load(image, name));
  }

  /**
   * Kills and removes every container of this runner still running, and this process's state
   * directory once nothing of it is left.
   */
  @Override
  public void close() {
    for (RunningContainer container : List.copyOf(open)) {
      container.close();
    }
    Path mine = stateDirectory.resolve(Owner.CURRENT);
    if (isEmptyOrMissing(mine.resolve("runc"))) {
      try (var entries = Files.list(mine)) {
        if (entries.allMatch(p -> p.getFileName().toString().equals("runc"))) {
          Driver.deleteTree(mine);
        }
      } catch (IOException e) {
        // nothing of this process there
      }
    }
  }

  private static boolean isEmptyOrMissing(Path dir) {
    try (var entries = Files.list(dir)) {
      return entries.findAny().isEmpty();
    } catch (IOException e) {
      return true;
    }
  }

  /** E.g. {@code ImageRunner[docker (/usr/bin/docker, DOCKER_HOST=unix:///tmp/d/docker.sock)]}. */
  @Override
  public String toString() {
    return "ImageRunner[" + driver + "]";
  }
}
