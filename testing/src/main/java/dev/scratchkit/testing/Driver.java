package dev.scratchkit.testing;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One engine's command lines: prepare a container, the command that runs it, exec, removal, leftovers. */
abstract class Driver {

  private static final Logger LOG = LoggerFactory.getLogger(Driver.class);

  /** What {@link #prepare} made: the foreground command, and how to undo everything. */
  interface Launch {
    /** The command that runs the container in the foreground, its output on stdout/stderr. */
    List<String> command();

    /** The command that runs {@code args} in the running container. */
    List<String> exec(List<String> args);

    /** Kills and removes the container and everything prepared for it; never throws. */
    void remove();
  }

  abstract Engine engine();

  /** The environment of every command of this engine (e.g. {@code DOCKER_HOST}). */
  abstract Map<String, String> environment();

  /** Loads or unpacks the image; on failure nothing prepared remains. */
  abstract Launch prepare(ContainerSpec spec, String name, Path work);

  /** Removes containers, images and directories whose creating process is gone. */
  abstract void removeLeftovers(Path stateDirectory);

  /** The result of a short command. */
  record Done(int exitCode, String output) {
    boolean ok() {
      return exitCode == 0;
    }
  }

  /** Runs a short command (stdout and stderr together), killing it after {@code seconds}. */
  Done call(List<String> command, long seconds) {
    try {
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
      builder.environment().putAll(environment());
      Process process = builder.start();
      process.getOutputStream().close();
      Output out = Output.drain(process.getInputStream(), 64 << 10, "scratchkit-call");
      if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
        return new Done(-1, String.join(" ", command) + " did not finish within " + seconds + " s");
      }
      out.awaitEnd(System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
      return new Done(process.exitValue(), out.text().trim());
    } catch (IOException e) {
      return new Done(-1, "cannot run " + command.get(0) + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Done(-1, "interrupted while " + String.join(" ", command) + " ran");
    }
  }

  /** Like {@link #call}, but a failure throws, naming the command, its output and {@code fix}. */
  Done callOk(List<String> command, long seconds, String what, String fix) {
    Done done = call(command, seconds);
    if (!done.ok()) {
      throw new ImageRunnerException(what + ": " + String.join(" ", command) + " failed (exit " + done.exitCode()
          + "): " + Output.tail(done.output(), 10, 2000) + ". " + fix);
    }
    return done;
  }

  /** Removes a directory tree without following symlinks; logs what it could not remove. */
  static void deleteTree(Path dir) {
    if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          LOG.warn("could not delete {}: {}", p, e.toString());
        }
      });
    } catch (IOException | java.io.UncheckedIOException e) {
      LOG.warn("could not delete {}: {}", dir, e.toString());
    }
  }

  /** A command on the PATH, or in the sbin directories a root-only tool such as runc lives in. */
  static Optional<Path> find(String command) {
    List<String> dirs = new ArrayList<>();
    String path = System.getenv("PATH");
    if (path != null) {
      dirs.addAll(List.of(path.split(File.pathSeparator)));
    }
    dirs.addAll(List.of("/usr/local/sbin", "/usr/sbin", "/sbin"));
    for (String dir : dirs) {
      if (!dir.isEmpty()) {
        Path candidate = Path.of(dir, command);
        if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
          return Optional.of(candidate);
        }
      }
    }
    return Optional.empty();
  }

  static String read(InputStream in) throws IOException {
    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
  }
}
