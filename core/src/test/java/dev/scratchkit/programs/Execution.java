package dev.scratchkit.programs;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * What one run of a command left: exit code and both streams as bytes (programs such as
 * {@code gzip -c} write binary output), with its stdin and environment given exactly.
 */
record Execution(List<String> command, int exitCode, byte[] stdout, byte[] stderr) {

  /** Each stream gets a thread: a shared pool could leave one stream unread and the program stuck. */
  private static final Executor OWN_THREAD = task -> {
    Thread thread = new Thread(task, "program-matrix-stream");
    thread.setDaemon(true);
    thread.start();
  };

  /** Output shown in a report: text as it is, binary as its size and SHA-256. */
  static String show(byte[] bytes) {
    String text = new String(bytes, StandardCharsets.UTF_8);
    boolean binary = !java.util.Arrays.equals(text.getBytes(StandardCharsets.UTF_8), bytes)
        || text.chars().anyMatch(c -> c < 0x20 && c != '\n' && c != '\t' && c != '\r');
    if (binary) {
      return "<" + bytes.length + " bytes, sha256 " + Staging.sha256(bytes) + ">";
    }
    return text;
  }

  String describe() {
    return String.join(" ", command) + " exited " + exitCode + "\n--- stdout ---\n" + show(stdout)
        + "\n--- stderr ---\n" + show(stderr);
  }

  /**
   * Runs {@code command} in {@code directory} with exactly {@code env} (nothing inherited) and
   * {@code stdin} (empty input when null), killing it after {@code timeout}.
   */
  static Execution run(List<String> command, Path directory, Map<String, String> env, byte[] stdin,
      Duration timeout) {
    ProcessBuilder builder = new ProcessBuilder(command);
    if (directory != null) {
      builder.directory(directory.toFile());
    }
    if (env != null) {
      builder.environment().clear();
      builder.environment().putAll(env);
    }
    try {
      Process process = builder.start();
      CompletableFuture<byte[]> out = drain(process.getInputStream());
      CompletableFuture<byte[]> err = drain(process.getErrorStream());
      CompletableFuture<Void> in = CompletableFuture.runAsync(() -> {
        try (OutputStream s = process.getOutputStream()) {
          if (stdin != null) {
            s.write(stdin);
          }
        } catch (IOException e) {
          // the program did not read all of its input: its output says what it did
        }
      }, OWN_THREAD);
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
        throw new AssertionError(String.join(" ", command) + " did not finish within " + timeout);
      }
      in.join();
      return new Execution(List.copyOf(command), process.exitValue(), out.join(), err.join());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + String.join(" ", command), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + command, e);
    }
  }

  private static CompletableFuture<byte[]> drain(InputStream stream) {
    return CompletableFuture.supplyAsync(() -> {
      try (stream) {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, OWN_THREAD);
  }
}
