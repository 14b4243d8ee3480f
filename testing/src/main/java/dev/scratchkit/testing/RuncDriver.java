package dev.scratchkit.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * runc as root: {@code umoci unpack} of an OCI layout into a fresh bundle, its {@code config.json}
 * set for a captured run (no terminal) and the spec's options, then {@code runc --root STATE run}.
 * Each JVM keeps its bundles and runc state under {@code STATE_DIRECTORY/PID-START/}.
 */
final class RuncDriver extends Driver {

  private static final Logger LOG = LoggerFactory.getLogger(RuncDriver.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path runc;
  private final Path umoci;
  private final Path stateDirectory;

  RuncDriver(Path runc, Path umoci, Path stateDirectory) {
    this.runc = runc;
    this.umoci = umoci;
    this.stateDirectory = stateDirectory;
  }

  @Override
  Engine engine() {
    return Engine.RUNC;
  }

  @Override
  Map<String, String> environment() {
    return Map.of();
  }

  private Path runcRoot(String owner) {
    return stateDirectory.resolve(owner).resolve("runc");
  }

  @Override
  Launch prepare(ContainerSpec spec, String name, Path work) {
    Path root = runcRoot(Owner.CURRENT);
    Path bundle = work.resolve("bundle");
    try {
      Files.createDirectories(root);
      ImageSource.LayoutRef layout = spec.image().layout(work);
      callOk(List.of(umoci.toString(), "unpack", "--image", layout.dir() + ":" + layout.tag(), bundle.toString()),
          600, "unpacking " + spec.image() + " for runc", "umoci unpacks gzip layers only: write the image with"
          + " gzip (the default) for runc");
      if (!layout.dir().startsWith(work)) {
        // the user's own layout: umoci left it as it was
      } else {
        deleteTree(layout.dir());
      }
      configure(bundle, spec);
    } catch (IOException | RuntimeException e) {
      deleteTree(work);
      if (e instanceof ImageRunnerException r) {
        throw r;
      }
      throw new ImageRunnerException("cannot prepare a runc bundle of " + spec.image() + " in " + bundle + ": " + e,
          e);
    }
    List<String> run = List.of(runc.toString(), "--root", root.toString(), "run", "--bundle", bundle.toString(),
        name);
    return new Launch() {
      @Override
      public List<String> command() {
        return run;
      }

      @Override
      public List<String> exec(List<String> args) {
        List<String> exec = new ArrayList<>(List.of(runc.toString(), "--root", root.toString(), "exec", name));
        exec.addAll(args);
        return exec;
      }

      @Override
      public void remove() {
        Done delete = call(List.of(runc.toString(), "--root", root.toString(), "delete", "--force", name), 60);
        if (!delete.ok() && !delete.output().contains("does not exist")) {
          LOG.warn("runc delete --force {}: {}", name, delete.output());
        }
        deleteTree(work);
      }
    };
  }

  /** Sets {@code config.json} for a captured run and the spec's options. */
  private void configure(Path bundle, ContainerSpec spec) throws IOException {
    Path file = bundle.resolve("config.json");
    ObjectNode config = (ObjectNode) JSON.readTree(file.toFile());
    ObjectNode process = (ObjectNode) config.get("process");
    process.put("terminal", false);
    if (spec.args() != null) {
      ArrayNode args = process.putArray("args");
      spec.imageConfig().entrypoint().forEach(args::add);
      spec.args().forEach(args::add);
      if (args.isEmpty()) {
        throw new ImageRunnerException(spec.image() + " has no entrypoint and no arguments were given: nothing to run");
      }
    }
    if (!spec.env().isEmpty()) {
      List<String> env = new ArrayList<>();
      process.path("env").forEach(e -> env.add(e.asText()));
      for (String added : spec.envList()) {
        String prefix = added.substring(0, added.indexOf('=') + 1);
        env.removeIf(e -> e.startsWith(prefix));
        env.add(added);
      }
      ArrayNode array = process.putArray("env");
      env.forEach(array::add);
    }
    if (spec.workingDirectory() != null) {
      process.put("cwd", spec.workingDirectory());
    }
    if (spec.user() != null) {
      long[] ids = ids(bundle.resolve("rootfs"), spec.user(), spec);
      ObjectNode user = process.putObject("user");
      user.put("uid", ids[0]);
      user.put("gid", ids[1]);
    }
    if (spec.isReadOnlyRoot()) {
      ((ObjectNode) config.get("root")).put("readonly", true);
    }
    if (spec.network() == Network.HOST) {
      JsonNode namespaces = config.path("linux").path("namespaces");
      for (Iterator<JsonNode> it = namespaces.iterator(); it.hasNext(); ) {
        if ("network".equals(it.next().path("type").asText())) {
          it.remove();
        }
      }
    }
    JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), config);
  }

  /** {@code uid[:gid]} or a name in the image's {@code /etc/passwd} (as a regular file, not a link). */
  private static long[] ids(Path rootfs, String user, ContainerSpec spec) throws IOException {
    String[] parts = user.split(":", 2);
    if (parts[0].matches("\\d+")) {
      long uid = Long.parseLong(parts[0]);
      long gid = parts.length > 1 && parts[1].matches("\\d+") ? Long.parseLong(parts[1]) : uid;
      return new long[] {uid, gid};
    }
    Path passwd = rootfs.resolve("etc/passwd");
    if (Files.isRegularFile(passwd, LinkOption.NOFOLLOW_LINKS) && Files.size(passwd) < (1 << 20)) {
      for (String line : Files.readAllLines(passwd)) {
        String[] f = line.split(":");
        if (f.length > 3 && f[0].equals(parts[0]) && f[2].matches("\\d+") && f[3].matches("\\d+")) {
          return new long[] {Long.parseLong(f[2]), Long.parseLong(f[3])};
        }
      }
    }
    throw new ImageRunnerException("the user \"" + user + "\" is not in /etc/passwd of " + spec.image()
        + "; give a numeric uid:gid, or a user the image defines");
  }

  @Override
  void removeLeftovers(Path stateDirectory) {
    if (!Files.isDirectory(stateDirectory)) {
      return;
    }
    try (DirectoryStream<Path> owners = Files.newDirectoryStream(stateDirectory)) {
      for (Path dir : owners) {
        String owner = dir.getFileName().toString();
        if (!Owner.isLeftover(owner)) {
          continue;
        }
        Path root = dir.resolve("runc");
        // runc commands the dead JVM started may still run (a kill mid-start): stop them first
        ProcessHandle.allProcesses()
            .filter(p -> p.info().arguments().map(a -> String.join(" ", a).contains(root.toString())).orElse(false))
            .forEach(p -> {
              LOG.info("stopping {} (pid {}), left running by a test run", p.info().command().orElse("?"), p.pid());
              p.destroyForcibly();
              try {
                p.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
              } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                LOG.warn("pid {} did not exit: {}", p.pid(), e.toString());
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
        for (int attempt = 0; attempt < 5 && Files.exists(dir); attempt++) {
          Done list = call(List.of(runc.toString(), "--root", root.toString(), "list", "--quiet"), 60);
          for (String id : list.output().split("\n")) {
            String name = id.trim();
            if (name.startsWith(Owner.PREFIX + owner + "-") && !name.contains(" ")) {
              LOG.info("removing the runc container {} a test run left behind", name);
              call(List.of(runc.toString(), "--root", root.toString(), "delete", "--force", name), 60);
            }
          }
          // a container whose start was cut short has state runc cannot load: its directory goes with the rest
          deleteTree(dir);
          if (Files.exists(dir)) {
            sleep(200L << attempt);
          }
        }
        LOG.info("removed {}, left behind by a test run", dir);
      }
    } catch (IOException e) {
      LOG.warn("could not list {}: {}", stateDirectory, e.toString());
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "runc (" + runc + ", umoci " + umoci + ", state " + stateDirectory + ")";
  }
}
