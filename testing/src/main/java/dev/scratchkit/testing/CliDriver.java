package dev.scratchkit.testing;

import dev.scratchkit.oci.DockerDaemon;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Docker and podman through their command lines: the image goes in with {@code load} (through
 * {@link DockerDaemon} for built images), the container runs attached with {@code run}.
 */
final class CliDriver extends Driver {

  private static final Logger LOG = LoggerFactory.getLogger(CliDriver.class);

  private final Engine engine;
  private final Path client;
  private final Map<String, String> environment;

  CliDriver(Engine engine, Path client, Map<String, String> environment) {
    this.engine = engine;
    this.client = client;
    this.environment = Map.copyOf(environment);
  }

  Path client() {
    return client;
  }

  /** Loads a built image under {@code tag} through {@link DockerDaemon}. */
  dev.scratchkit.oci.WriteResult load(dev.scratchkit.ScratchImage image, String tag) {
    DockerDaemon target = DockerDaemon.image(tag).command(client);
    for (Map.Entry<String, String> e : environment.entrySet()) {
      target = target.environment(e.getKey(), e.getValue());
    }
    return image.writeTo(target);
  }

  @Override
  Engine engine() {
    return engine;
  }

  @Override
  Map<String, String> environment() {
    return environment;
  }

  @Override
  Launch prepare(ContainerSpec spec, String name, Path work) {
    String tag = Owner.imageTag(name);
    try {
      load(spec, tag, work);
    } catch (RuntimeException e) {
      call(List.of(client.toString(), "rmi", tag), 60);
      throw e;
    }
    List<String> command = new ArrayList<>(List.of(client.toString(), "run", "--name", name,
        "--label", Owner.LABEL + "=" + Owner.CURRENT, "--network", spec.network() == Network.HOST ? "host" : "none"));
    if (engine == Engine.PODMAN) {
      // podman's default limits exceed the hard limits of many machines; these are Docker's defaults
      command.addAll(List.of("--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"));
    }
    if (spec.isReadOnlyRoot()) {
      command.add("--read-only");
      if (engine == Engine.PODMAN) {
        command.add("--read-only-tmpfs=false"); // podman would mount writable /tmp, /run, /var/tmp
      }
    }
    if (spec.user() != null) {
      command.addAll(List.of("--user", spec.user()));
    }
    if (spec.workingDirectory() != null) {
      command.addAll(List.of("--workdir", spec.workingDirectory()));
    }
    for (String env : spec.envList()) {
      command.addAll(List.of("--env", env));
    }
    command.add(tag);
    if (spec.args() != null) {
      command.addAll(spec.args());
    }
    List<String> run = List.copyOf(command);
    return new Launch() {
      @Override
      public List<String> command() {
        return run;
      }

      @Override
      public List<String> exec(List<String> args) {
        List<String> exec = new ArrayList<>(List.of(client.toString(), "exec", name));
        exec.addAll(args);
        return exec;
      }

      @Override
      public void remove() {
        Done rm = call(List.of(client.toString(), "rm", "--force", name), 60);
        if (!rm.ok() && !rm.output().toLowerCase(java.util.Locale.ROOT).contains("no such container")) {
          LOG.warn("{} rm --force {}: {}", client, name, rm.output());
        }
        Done rmi = call(List.of(client.toString(), "rmi", tag), 60);
        if (!rmi.ok()) {
          LOG.warn("{} rmi {}: {}", client, tag, rmi.output());
        }
      }
    };
  }

  private void load(ContainerSpec spec, String tag, Path work) {
    if (spec.image().scratch() != null) {
      load(spec.image().scratch(), tag);
      return;
    }
    Path archive = work.resolve("image.tar");
    try {
      Files.createDirectories(work);
      spec.image().writeDockerArchive(archive, tag);
      callOk(List.of(client.toString(), "load", "-i", archive.toString()), 600, "loading " + spec.image() + " into "
          + engine, "Is the engine running? (" + client + " info)");
    } catch (IOException e) {
      throw new ImageRunnerException("cannot write " + spec.image() + " as a docker-archive to " + archive + ": "
          + e.getMessage(), e);
    } finally {
      deleteTree(work);
    }
  }

  @Override
  void removeLeftovers(Path stateDirectory) {
    Done containers = call(List.of(client.toString(), "ps", "--all", "--filter", "label=" + Owner.LABEL,
        "--format", "{{.Names}}"), 60);
    if (containers.ok()) {
      for (String name : containers.output().split("\n")) {
        String n = name.trim();
        if (n.startsWith(Owner.PREFIX) && Owner.isLeftover(n)) {
          LOG.info("removing the container {} a test run left behind", n);
          call(List.of(client.toString(), "rm", "--force", n), 60);
        }
      }
    }
    Done images = call(List.of(client.toString(), "images", "--format", "{{.Repository}}:{{.Tag}}"), 60);
    if (images.ok()) {
      for (String image : images.output().split("\n")) {
        String ref = image.trim();
        int colon = ref.lastIndexOf(':');
        if (colon > 0 && (ref.substring(0, colon).equals(Owner.IMAGE_REPOSITORY)
            || ref.substring(0, colon).endsWith("/" + Owner.IMAGE_REPOSITORY))
            && Owner.isLeftover(ref.substring(colon + 1))) {
          LOG.info("removing the image {} a test run left behind", ref);
          call(List.of(client.toString(), "rmi", ref), 60);
        }
      }
    }
  }

  @Override
  public String toString() {
    String host = environment.get("DOCKER_HOST");
    return engine.name().toLowerCase(java.util.Locale.ROOT) + " (" + client + (host == null ? "" : ", DOCKER_HOST="
        + host) + ")";
  }
}
