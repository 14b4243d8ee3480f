package dev.scratchkit.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A container started by {@link ImageRunner#start}: its output as it comes, waits for a log line
 * or a TCP port, {@link #exec}, and {@link #close()}, which kills it and removes the container,
 * its bundle and the image loaded for it.
 *
 * <pre>{@code
 * try (RunningContainer server = runner.start(ContainerSpec.of(image).network(Network.HOST))) {
 *   server.waitForPort(8080, Duration.ofSeconds(30));
 *   // talk to http://127.0.0.1:8080/
 * }
 * }</pre>
 */
public final class RunningContainer implements AutoCloseable {

  private final Driver driver;
  private final Driver.Launch launch;
  private final ContainerSpec spec;
  private final String name;
  private final Process process;
  private final Output stdout;
  private final Output stderr;
  private final Instant started;
  private volatile boolean removed;
  private final Runnable onClose;

  private RunningContainer(Driver driver, Driver.Launch launch, ContainerSpec spec, String name, Process process,
      Runnable onClose) {
    this.driver = driver;
    this.launch = launch;
    this.spec = spec;
    this.name = name;
    this.process = process;
    this.onClose = onClose;
    this.started = Instant.now();
    this.stdout = Output.drain(process.getInputStream(), spec.outputLimit(), name + "-stdout");
    this.stderr = Output.drain(process.getErrorStream(), spec.outputLimit(), name + "-stderr");
  }

  /** Prepares and starts; on any failure whatever was prepared is removed. */
  static RunningContainer start(Driver driver, ContainerSpec spec, String name, java.nio.file.Path work,
      Runnable onClose) {
    Driver.Launch launch = driver.prepare(spec, name, work);
    try {
      ProcessBuilder builder = new ProcessBuilder(launch.command());
      builder.environment().putAll(driver.environment());
      Process process = builder.start();
      process.getOutputStream().close();
      return new RunningContainer(driver, launch, spec, name, process, onClose);
    } catch (IOException | RuntimeException e) {
      launch.remove();
      throw new ImageRunnerException("cannot start " + String.join(" ", launch.command()) + ": " + e.getMessage(), e);
    }
  }

  /** {@return the container's name in the engine, {@code scratchkit-PID-START-N}} */
  public String name() {
    return name;
  }

  /** {@return the engine's command line that runs the container} */
  public List<String> command() {
    return launch.command();
  }

  /** {@return whether the container still runs} */
  public boolean isRunning() {
    return process.isAlive();
  }

  /** {@return what the container printed on stdout so far (the last bytes)} */
  public String stdout() {
    return stdout.text();
  }

  /** {@return what the container printed on stderr so far (the last bytes)} */
  public String stderr() {
    return stderr.text();
  }

  /** {@return stdout then stderr, as printed so far} */
  public String logs() {
    return stdout.text() + stderr.text();
  }

  /**
   * Waits until a line of stdout or stderr contains a match of {@code pattern}.
   *
   * @param pattern e.g. {@code Pattern.compile("listening on :\\d+")}
   * @param timeout the longest to wait
   * @return the first matching line
   * @throws ImageRunnerException if the container exits or the time passes first, with its output
   */
  public String waitForLogLine(Pattern pattern, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      while (true) {
        long seen = stdout.total() + stderr.total();
        for (String text : List.of(stdout.text(), stderr.text())) {
          for (String line : text.split("\n")) {
            if (pattern.matcher(line).find()) {
              return line;
            }
          }
        }
        if (stdout.isClosed() && stderr.isClosed()) {
          throw failure("exited (" + exitText() + ") before printing a line matching /" + pattern + "/");
        }
        if (System.nanoTime() >= deadline) {
          throw failure("printed no line matching /" + pattern + "/ within " + timeout);
        }
        if (stdout.total() + stderr.total() == seen) {
          stdout.awaitChange(stdout.total(), Math.min(deadline, System.nanoTime() + 50_000_000));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw failure("was interrupted while waiting for /" + pattern + "/");
    }
  }

  /**
   * Waits until {@code 127.0.0.1:port} accepts a TCP connection. Needs {@link Network#HOST}.
   *
   * @param port the port the container listens on
   * @param timeout the longest to wait
   * @throws ImageRunnerException if the container exits or the time passes first, with its output
   */
  public void waitForPort(int port, Duration timeout) {
    if (spec.network() != Network.HOST) {
      throw new ImageRunnerException("cannot wait for port " + port + " of " + name + ": it runs with network "
          + spec.network() + ", which this machine cannot reach; start it with network(Network.HOST)");
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
        return;
      } catch (IOException notYet) {
        // not listening yet
      }
      if (!process.isAlive()) {
        throw failure("exited (" + exitText() + ") before listening on 127.0.0.1:" + port);
      }
      if (System.nanoTime() >= deadline) {
        throw failure("did not listen on 127.0.0.1:" + port + " within " + timeout);
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw failure("was interrupted while waiting for port " + port);
      }
    }
  }

  /**
   * Runs a program in the running container, as the container's user.
   *
   * @param args the program (a path in the image) and its arguments
   * @return what it printed and its exit code
   */
  public RunResult exec(String... args) {
    List<String> command = launch.exec(List.of(args));
    Instant start = Instant.now();
    try {
      ProcessBuilder builder = new ProcessBuilder(command);
      builder.environment().putAll(driver.environment());
      Process p = builder.start();
      p.getOutputStream().close();
      Output out = Output.drain(p.getInputStream(), spec.outputLimit(), name + "-exec-stdout");
      Output err = Output.drain(p.getErrorStream(), spec.outputLimit(), name + "-exec-stderr");
      if (!p.waitFor(spec.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new ImageRunnerException(RunResult.describe(command, "did not finish within " + spec.timeout()
            + " and was killed", out.text(), err.text()));
      }
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      out.awaitEnd(end);
      err.awaitEnd(end);
      return new RunResult(driver.engine(), command, p.exitValue(), out.text(), err.text(),
          out.truncated() || err.truncated(), Duration.between(start, Instant.now()));
    } catch (IOException e) {
      throw new ImageRunnerException("cannot run " + String.join(" ", command) + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ImageRunnerException("interrupted while " + String.join(" ", command) + " ran", e);
    }
  }

  /**
   * Waits for the container to exit by itself.
   *
   * @param timeout the longest to wait; the container is then killed and removed
   * @return the result
   * @throws ImageRunnerException if it did not exit in time (it is removed then)
   */
  public RunResult waitForExit(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        String out = stdout.text();
        String err = stderr.text();
        close();
        throw new ImageRunnerException(RunResult.describe(launch.command(), "did not finish within " + timeout
            + "; the container was killed and removed", out, err));
      }
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      stdout.awaitEnd(end);
      stderr.awaitEnd(end);
      return new RunResult(driver.engine(), launch.command(), process.exitValue(), stdout.text(), stderr.text(),
          stdout.truncated() || stderr.truncated(), Duration.between(started, Instant.now()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      throw new ImageRunnerException("interrupted while waiting for " + name + "; it was removed", e);
    }
  }

  /** Kills the container and removes it, its bundle and the image loaded for it. Idempotent. */
  @Override
  public void close() {
    if (removed) {
      return;
    }
    removed = true;
    try {
      launch.remove();
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    } finally {
      onClose.run();
    }
  }

  private String exitText() {
    return process.isAlive() ? "still running" : "exit " + process.exitValue();
  }

  private ImageRunnerException failure(String what) {
    return new ImageRunnerException(RunResult.describe(launch.command(), "(container " + name + ") " + what,
        stdout.text(), stderr.text()));
  }

  /** E.g. {@code scratchkit-123-456-1 on DOCKER, running}. */
  @Override
  public String toString() {
    return name + " on " + driver.engine() + ", " + (process.isAlive() ? "running" : "exit " + process.exitValue());
  }
}
