package dev.scratchkit.registry.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The overall deadline of one push. Per-read timeouts do not bound a server that sends one
 * byte every few seconds, so when the deadline passes a watchdog closes whatever the push may
 * be blocked on (HTTP connections, the TLS probe's socket, a credential helper process); the
 * blocked call then fails and {@link #expired()} tells why.
 */
final class Deadline implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Deadline.class);

  private final Duration timeout;
  private final long end;
  private final ScheduledExecutorService watchdog;
  private final List<AutoCloseable> resources = new ArrayList<>();
  private boolean expired;

  Deadline(Duration timeout, String where) {
    this.timeout = timeout;
    this.end = System.nanoTime() + timeout.toNanos();
    ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "scratchkit-push-deadline " + where);
      t.setDaemon(true);
      return t;
    });
    executor.setRemoveOnCancelPolicy(true);
    this.watchdog = executor;
    executor.schedule(this::expire, timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Closes {@code resource} when the deadline passes (at once if it has passed). */
  void register(AutoCloseable resource) {
    boolean now;
    synchronized (this) {
      now = expired;
      if (!now) {
        resources.add(resource);
      }
    }
    if (now) {
      closeQuietly(resource);
    }
  }

  /** {@return whether the deadline has passed} */
  synchronized boolean expired() {
    return expired || System.nanoTime() - end >= 0;
  }

  /** {@return the time left, never negative} */
  Duration remaining() {
    return Duration.ofNanos(Math.max(0, end - System.nanoTime()));
  }

  /** {@return the whole time allowed} */
  Duration timeout() {
    return timeout;
  }

  private void expire() {
    List<AutoCloseable> toClose;
    synchronized (this) {
      expired = true;
      toClose = new ArrayList<>(resources);
      resources.clear();
    }
    LOG.debug("push deadline of {} passed; closing {} connections and processes", timeout, toClose.size());
    toClose.forEach(Deadline::closeQuietly);
  }

  private static void closeQuietly(AutoCloseable resource) {
    try {
      resource.close();
    } catch (Exception e) {
      LOG.debug("closing {} at the push deadline: {}", resource.getClass().getName(), e.toString());
    }
  }

  /** Stops the watchdog; resources are the caller's to close. */
  @Override
  public void close() {
    watchdog.shutdownNow();
    synchronized (this) {
      resources.clear();
    }
  }

  /** E.g. {@code 15 minutes}, {@code 3 s}, {@code 1500 ms}. */
  static String describe(Duration d) {
    if (d.toMillis() % 60_000 == 0 && d.toMinutes() > 0) {
      return d.toMinutes() + (d.toMinutes() == 1 ? " minute" : " minutes");
    }
    if (d.toMillis() % 1000 == 0) {
      return d.toSeconds() + " s";
    }
    return d.toMillis() + " ms";
  }
}
