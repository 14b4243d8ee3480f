package dev.scratchkit.testkit;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * External tools as test oracles.
 *
 * <p>A test that needs a tool calls {@link #require(String)}. When the tool is missing the
 * test is skipped with a visible reason, unless strict mode is on (environment variable
 * {@value #STRICT_ENV}{@code =1}, or system property {@value #STRICT_PROPERTY}{@code =true}),
 * in which case the test fails: CI installs every tool and must never skip silently.
 */
public final class Tools {

  public static final String STRICT_ENV = "SCRATCHKIT_REQUIRE_TOOLS";
  public static final String STRICT_PROPERTY = "scratchkit.requireTools";

  private Tools() {}

  /** True when a missing tool must fail the test instead of skipping it. */
  public static boolean strict() {
    String env = System.getenv(STRICT_ENV);
    return "1".equals(env)
        || "true".equalsIgnoreCase(env)
        || Boolean.getBoolean(STRICT_PROPERTY);
  }

  /** The absolute path of {@code command} on the PATH (or /usr/sbin, /sbin), if any. */
  public static Optional<Path> find(String command) {
    List<String> dirs = new ArrayList<>();
    String path = System.getenv("PATH");
    if (path != null) {
      dirs.addAll(List.of(path.split(File.pathSeparator)));
    }
    dirs.addAll(List.of("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"));
    for (String dir : dirs) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, command);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /**
   * Returns the tool's path, or skips (fails in strict mode) the calling test naming the
   * Debian package that brings it.
   */
  public static Path require(String command) {
    Optional<Path> found = find(command);
    if (found.isPresent()) {
      return found.get();
    }
    String reason = command + " is not installed (Debian package: " + debianPackage(command)
        + "); `bash .ci/run` installs it";
    if (strict()) {
      Assertions.fail(reason + " -- strict mode (" + STRICT_ENV + ") turns a missing tool into a failure");
    }
    Assumptions.abort("skipped: " + reason);
    throw new AssertionError("unreachable");
  }

  /** Requires that the tests run as root (runc, umoci unpack without rootless mode). */
  public static void requireRoot() {
    boolean root = "root".equals(System.getProperty("user.name"));
    if (!root) {
      String reason = "this test runs containers with runc and needs root";
      if (strict()) {
        Assertions.fail(reason);
      }
      Assumptions.abort("skipped: " + reason);
    }
  }

  private static String debianPackage(String command) {
    switch (command) {
      case "readelf":
      case "objdump":
        return "binutils";
      case "ldd":
      case "ldconfig":
        return "libc-bin";
      case "go":
        return "golang-go";
      case "busybox":
        return "busybox-static";
      case "docker-registry":
        return "docker-registry";
      case "keytool":
        return "openjdk-17-jdk-headless";
      default:
        return command;
    }
  }

  /** What a finished process left behind. */
  public record Result(List<String> command, int exitCode, String stdout, String stderr) {
    public boolean ok() {
      return exitCode == 0;
    }

    /** Fails the test with the full command, exit code and both streams unless it exited 0. */
    public Result assertOk() {
      if (exitCode != 0) {
        Assertions.fail(describe());
      }
      return this;
    }

    public String describe() {
      return String.join(" ", command) + " exited " + exitCode
          + "\n--- stdout ---\n" + stdout + "\n--- stderr ---\n" + stderr;
    }
  }

  /** Runs a command with a bound on its time; the working directory may be null. */
  public static Result run(Duration timeout, Path workDir, Map<String, String> env, List<String> command) {
    ProcessBuilder builder = new ProcessBuilder(command);
    if (workDir != null) {
      builder.directory(workDir.toFile());
    }
    if (env != null) {
      builder.environment().putAll(env);
    }
    try {
      Process process = builder.start();
      process.getOutputStream().close();
      CompletableFuture<String> out = drain(process.getInputStream());
      CompletableFuture<String> err = drain(process.getErrorStream());
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
        Assertions.fail(String.join(" ", command) + " did not finish within " + timeout
            + "\n--- stdout ---\n" + out.getNow("") + "\n--- stderr ---\n" + err.getNow(""));
      }
      return new Result(List.copyOf(command), process.exitValue(), out.join(), err.join());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + String.join(" ", command), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + command, e);
    }
  }

  /** Runs a command (two minutes at most) and returns what it printed. */
  public static Result run(String... command) {
    return run(Duration.ofMinutes(2), null, null, List.of(command));
  }

  /** Runs a command and fails the test unless it exits 0. */
  public static Result runOk(String... command) {
    return run(command).assertOk();
  }

  private static CompletableFuture<String> drain(InputStream stream) {
    return CompletableFuture.supplyAsync(() -> {
      try (stream) {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return "<unreadable: " + e + ">";
      }
    });
  }
}
