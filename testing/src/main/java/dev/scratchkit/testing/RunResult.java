package dev.scratchkit.testing;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * What a finished container left: its exit code and output. {@link #toString()} shows the
 * command, the exit code and the tail of both streams, so an assertion message says what ran.
 */
public final class RunResult {

  private final Engine engine;
  private final List<String> command;
  private final int exitCode;
  private final String stdout;
  private final String stderr;
  private final boolean truncated;
  private final Duration duration;

  RunResult(Engine engine, List<String> command, int exitCode, String stdout, String stderr, boolean truncated,
      Duration duration) {
    this.engine = engine;
    this.command = List.copyOf(command);
    this.exitCode = exitCode;
    this.stdout = stdout;
    this.stderr = stderr;
    this.truncated = truncated;
    this.duration = duration;
  }

  /** {@return the engine that ran the container} */
  public Engine engine() {
    return engine;
  }

  /** {@return the engine's command line that ran the container} */
  public List<String> command() {
    return command;
  }

  /** {@return the container's exit code (Docker: 125 when the engine itself failed)} */
  public int exitCode() {
    return exitCode;
  }

  /** {@return whether the exit code is 0} */
  public boolean isSuccess() {
    return exitCode == 0;
  }

  /** {@return what the container printed on stdout (the last bytes, up to the spec's output limit)} */
  public String stdout() {
    return stdout;
  }

  /** {@return what the container printed on stderr, with the engine's own errors (the last bytes)} */
  public String stderr() {
    return stderr;
  }

  /** {@return whether output was dropped to stay within the output limit} */
  public boolean isTruncated() {
    return truncated;
  }

  /** {@return how long the container ran, from start to exit} */
  public Duration duration() {
    return duration;
  }

  /** The command, exit code, duration and the last lines of stdout and stderr. */
  @Override
  public String toString() {
    return describe(command, "exited " + exitCode + " after " + String.format(Locale.ROOT, "%.2f s",
        duration.toMillis() / 1000.0), stdout, stderr);
  }

  static String describe(List<String> command, String what, String stdout, String stderr) {
    return String.join(" ", command) + " " + what
        + "\n--- stdout (tail) ---\n" + Output.tail(stdout, 20, 2000)
        + "\n--- stderr (tail) ---\n" + Output.tail(stderr, 20, 2000);
  }
}
