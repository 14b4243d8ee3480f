package dev.scratchkit.oci;

import dev.scratchkit.internal.oci.StagingListener;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Docker engine as target: the image is written as a {@link DockerArchive} and handed to
 * {@code docker load}, so the engine gets exactly the layers every other target gets. Needs the
 * {@code docker} command line (or another given with {@link #command(Path)}) and a running
 * engine; without them the write fails with a message saying which is missing.
 */
public final class DockerDaemon implements ImageTarget {

  private static final Logger LOG = LoggerFactory.getLogger(DockerDaemon.class);
  private static final long LOAD_TIMEOUT_MINUTES = 10;

  private final List<String> tags;
  private final Path command;
  private final Map<String, String> environment;

  private DockerDaemon(List<String> tags, Path command, Map<String, String> environment) {
    this.tags = tags;
    this.command = command;
    this.environment = environment;
  }

  /**
   * The engine's image {@code repo:tag}.
   *
   * @param tag e.g. {@code app:1}
   * @return the target
   * @throws OciException if the tag is not {@code repo:tag}
   */
  public static DockerDaemon image(String tag) {
    DockerArchive.at(Path.of("check")).tag(tag); // the same tag rules as docker-archive
    return new DockerDaemon(List.of(tag), Path.of("docker"), Map.of());
  }

  /**
   * Another client command, e.g. {@code /usr/bin/podman} (whose {@code load} is compatible).
   *
   * @param client the command to run as {@code client load -i FILE}: a bare name is looked up
   *     in {@code PATH} when the image is written, any other path must be an executable file
   * @return a new target
   * @throws OciException if {@code client} is a path that is not an executable file
   */
  public DockerDaemon command(Path client) {
    Objects.requireNonNull(client, "client");
    if (client.isAbsolute() || client.getNameCount() > 1) {
      String fact = !Files.exists(client) ? "does not exist"
          : Files.isDirectory(client) ? "is a directory"
          : !Files.isRegularFile(client) ? "is not a regular file"
          : !Files.isExecutable(client) ? "is not executable" : null;
      if (fact != null) {
        throw new OciException("The client command " + client.toAbsolutePath() + " " + fact + ". Give the"
            + " program that loads the image, e.g. /usr/bin/podman, or a bare name such as docker to look"
            + " up in PATH");
      }
    }
    return new DockerDaemon(tags, client, environment);
  }

  /**
   * An environment variable for the client command, e.g. {@code DOCKER_HOST} set to
   * {@code unix:///run/user/1000/docker.sock} for an engine on another socket, or
   * {@code CONTAINERS_CONF} for podman. The rest of the environment is this process's.
   *
   * @param name the variable's name
   * @param value its value
   * @return a new target
   */
  public DockerDaemon environment(String name, String value) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(value, "value");
    if (name.isEmpty() || name.contains("=")) {
      throw new OciException("\"" + name + "\" is not an environment variable name; give a name without '='");
    }
    Map<String, String> copy = new TreeMap<>(environment);
    copy.put(name, value);
    return new DockerDaemon(tags, command, Map.copyOf(copy));
  }

  /** {@return the tags the engine gives the image} */
  public List<String> tags() {
    return tags;
  }

  @Override
  public WriteResult write(ImageSpec image, ProgressListener listener) {
    Path archive;
    try {
      archive = Files.createTempFile("scratchkit-docker-load-", ".tar");
    } catch (IOException e) {
      throw new OciException("cannot create a temporary file for " + description() + ": " + e.getMessage()
          + "; check java.io.tmpdir", e);
    }
    try {
      WriteResult written = DockerArchive.at(archive).tag(tags.toArray(String[]::new))
          .write(image, new StagingListener(listener));
      load(archive);
      WriteResult result = new WriteResult(written.digest(), written.mediaType(), written.size(), description(),
          written.configDigest(), written.layers(), written.manifests());
      listener.targetWritten(result.digest(), description());
      LOG.info("{} loaded {} (config {})", description(), result.digest(), result.configDigest());
      return result;
    } finally {
      try {
        Files.deleteIfExists(archive);
      } catch (IOException e) {
        LOG.warn("could not delete {}: {}", archive, e.getMessage());
      }
    }
  }

  private void load(Path archive) {
    List<String> cmd = new ArrayList<>(List.of(command.toString(), "load", "-i", archive.toString()));
    Process process;
    try {
      ProcessBuilder builder = new ProcessBuilder(cmd).redirectErrorStream(true);
      builder.environment().putAll(environment);
      process = builder.start();
    } catch (IOException e) {
      throw new OciException(description() + ": cannot run " + command + " (" + e.getMessage() + "). Install the"
          + " Docker command line, or write an OCI layout or docker-archive instead.", e);
    }
    try {
      process.getOutputStream().close();
      // read on another thread, so that a hung client cannot outlast the timeout; at most 64 KiB kept
      java.util.concurrent.CompletableFuture<byte[]> output = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
        try (var in = process.getInputStream()) {
          byte[] kept = in.readNBytes(64 << 10);
          in.transferTo(java.io.OutputStream.nullOutputStream());
          return kept;
        } catch (IOException e) {
          return ("(output unreadable: " + e.getMessage() + ")").getBytes(StandardCharsets.UTF_8);
        }
      });
      if (!process.waitFor(LOAD_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        throw new OciException(description() + ": " + command + " load did not finish within "
            + LOAD_TIMEOUT_MINUTES + " minutes; is the engine at " + hostHint().replaceFirst("^, ", "")
            + " stuck? (docker info)");
      }
      String text;
      try {
        text = new String(output.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8).trim();
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        text = "(no output read: " + e + ")";
      }
      if (process.exitValue() != 0) {
        throw new OciException(description() + ": " + command + " load failed (exit " + process.exitValue() + "): "
            + text + (text.contains("daemon") ? ". Is the Docker engine running? (docker info" + hostHint() + ")" : ""));
      }
      LOG.debug("{} load: {}", command, text);
    } catch (IOException e) {
      throw new OciException(description() + ": " + command + " load failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new OciException(description() + ": interrupted while " + command + " load ran", e);
    }
  }

  private String hostHint() {
    String host = environment.getOrDefault("DOCKER_HOST", System.getenv("DOCKER_HOST"));
    return host == null ? ", the default socket" : ", DOCKER_HOST=" + host;
  }

  /** Refused: an engine stores one image per tag, not an index. */
  @Override
  public WriteResult writeIndex(List<ImageSpec> images, ProgressListener listener) {
    throw new OciException(description() + " cannot hold a multi-platform index: an engine keeps one platform"
        + " per tag. Load each platform's image under its own tag, or push the index to a registry.");
  }

  @Override
  public String description() {
    return "docker-daemon " + String.join(",", tags);
  }

  /** {@return the description, e.g. {@code docker-daemon app:1}} */
  @Override
  public String toString() {
    return description();
  }
}
