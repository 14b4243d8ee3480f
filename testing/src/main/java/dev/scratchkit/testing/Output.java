package dev.scratchkit.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** One output stream of a container: the last {@code limit} bytes, read as they come on a daemon thread. */
final class Output {

  private final int limit;
  private byte[] bytes = new byte[1024];
  private int length;
  private long total;
  private boolean closed;

  Output(int limit) {
    this.limit = limit;
  }

  /** Reads {@code in} to its end on a new daemon thread. */
  static Output drain(InputStream in, int limit, String name) {
    Output output = new Output(limit);
    Thread thread = new Thread(() -> {
      byte[] buffer = new byte[8192];
      try (in) {
        int n;
        while ((n = in.read(buffer)) > 0) {
          output.append(buffer, n);
        }
      } catch (IOException e) {
        // the process went away; what was read stays
      } finally {
        output.close();
      }
    }, name);
    thread.setDaemon(true);
    thread.start();
    return output;
  }

  synchronized void append(byte[] data, int n) {
    total += n;
    if (length + n > bytes.length) {
      int wanted = Math.min(Math.max(bytes.length * 2, length + n), 2 * limit + n);
      bytes = Arrays.copyOf(bytes, Math.max(wanted, length + n));
    }
    System.arraycopy(data, 0, bytes, length, n);
    length += n;
    if (length > 2 * limit) { // keep the tail: drop the oldest, amortised
      System.arraycopy(bytes, length - limit, bytes, 0, limit);
      length = limit;
    }
    notifyAll();
  }

  synchronized void close() {
    closed = true;
    notifyAll();
  }

  /** {@return the text kept: the last {@code limit} bytes, as UTF-8} */
  synchronized String text() {
    int from = Math.max(0, length - limit);
    return new String(bytes, from, length - from, StandardCharsets.UTF_8);
  }

  /** {@return how many bytes were read in all} */
  synchronized long total() {
    return total;
  }

  /** {@return whether bytes were dropped to stay within the limit} */
  synchronized boolean truncated() {
    return total > limit;
  }

  /** Waits until the stream ended (the process closed it) or the deadline passed. */
  synchronized boolean awaitEnd(long deadlineNanos) throws InterruptedException {
    while (!closed) {
      long left = deadlineNanos - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      wait(Math.max(1, left / 1_000_000));
    }
    return true;
  }

  /** Waits for new bytes or the end, at most until the deadline. */
  synchronized void awaitChange(long seenTotal, long deadlineNanos) throws InterruptedException {
    if (total == seenTotal && !closed) {
      long left = deadlineNanos - System.nanoTime();
      if (left > 0) {
        wait(Math.max(1, Math.min(left / 1_000_000, 100)));
      }
    }
  }

  synchronized boolean isClosed() {
    return closed;
  }

  /** The last {@code lines} lines of {@code text}, at most {@code chars} characters. */
  static String tail(String text, int lines, int chars) {
    String t = text.length() > chars ? "…" + text.substring(text.length() - chars) : text;
    int end = t.endsWith("\n") ? t.length() - 1 : t.length();
    int at = end;
    for (int i = 0; i < lines && at > 0; i++) {
      at = t.lastIndexOf('\n', at - 1);
      if (at < 0) {
        return t;
      }
    }
    return at <= 0 ? t : "…" + t.substring(at);
  }
}
