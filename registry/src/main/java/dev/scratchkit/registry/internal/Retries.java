package dev.scratchkit.registry.internal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.function.Supplier;
import org.apache.http.NoHttpResponseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retries a registry call that failed for a reason that passes: the connection reset or closed
 * under it (a broken pipe mid-upload, no reply at all), or HTTP 429, 502, 503 or 504. At most
 * {@link #MAX_ATTEMPTS} attempts, waiting {@link #FIRST_WAIT}, then twice as long each time (at
 * most {@link #MAX_WAIT}), or as long as the reply's {@code Retry-After} asks (seconds or an HTTP
 * date); never past the {@link Deadline}: a wait that would end after it is not begun. Each retry
 * is logged at info with the step and the reason (a status or an exception's message, scrubbed:
 * never a credential). A refused connection, TLS, authentication and any other status are not
 * retried: trying again does not change them.
 */
final class Retries {

  private static final Logger LOG = LoggerFactory.getLogger(Retries.class);

  static final int MAX_ATTEMPTS = 5;
  static final Duration FIRST_WAIT = Duration.ofMillis(500);
  static final Duration MAX_WAIT = Duration.ofSeconds(10);

  /** A registry call. */
  interface Call<T> {
    T run() throws IOException;
  }

  private final Deadline deadline;
  private final String where;
  private final Redactor redactor;
  /** The attempts of the last call that failed, and why no more were made; for the message. */
  private int attempts;
  private String gaveUp;

  Retries(Deadline deadline, String where, Redactor redactor) {
    this.deadline = deadline;
    this.where = where;
    this.redactor = redactor;
  }

  /** Runs {@code call}, again while it fails for a transient reason and attempts and time are left. */
  <T> T run(Supplier<String> step, Call<T> call) throws IOException {
    for (int attempt = 1; ; attempt++) {
      try {
        T result = call.run();
        attempts = 0;
        gaveUp = null;
        return result;
      } catch (IOException e) {
        String reason = transientReason(e);
        attempts = attempt;
        if (reason == null || deadline.expired()) {
          gaveUp = null;
          throw e;
        }
        if (attempt >= MAX_ATTEMPTS) {
          gaveUp = "no more attempts are made after " + MAX_ATTEMPTS;
          throw e;
        }
        Duration asked = retryAfter(e);
        Duration wait = asked != null ? asked : backoff(attempt);
        if (wait.compareTo(deadline.remaining()) >= 0) {
          gaveUp = (asked != null ? "the registry asked to wait " + Deadline.describe(asked) + " (Retry-After)"
              : "the next attempt would be in " + Deadline.describe(wait)) + ", past the deadline of "
              + Deadline.describe(deadline.timeout());
          throw e;
        }
        LOG.info("{}: {} failed ({}); retry {} of {} in {}", where, step.get(), redactor.scrub(reason), attempt,
            MAX_ATTEMPTS - 1, Deadline.describe(wait));
        try {
          Thread.sleep(Math.max(1, wait.toMillis()));
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          InterruptedIOException stop = new InterruptedIOException("interrupted while waiting to retry");
          stop.addSuppressed(e);
          throw stop;
        }
      }
    }
  }

  /** {@return how many attempts the last failed call made (0 after a success)} */
  int attempts() {
    return attempts;
  }

  /** {@return why retrying stopped although the failure was transient, or null} */
  String gaveUp() {
    return gaveUp;
  }

  /** The reason to retry, or null when the failure will not pass by trying again. */
  static String transientReason(IOException e) {
    if (e instanceof DistributionClient.StatusException s) {
      int status = s.status();
      return status == 429 || status == 502 || status == 503 || status == 504 ? "HTTP " + status : null;
    }
    Throwable cause = e;
    while (cause != null) {
      if (cause instanceof ConnectException || cause instanceof NoRouteToHostException) {
        return null;
      }
      if (cause instanceof SocketException || cause instanceof NoHttpResponseException) {
        return cause.getClass().getSimpleName() + ": " + cause.getMessage();
      }
      cause = cause.getCause() == cause ? null : cause.getCause();
    }
    return null;
  }

  /** {@code FIRST_WAIT * 2^(attempt-1)}, at most {@link #MAX_WAIT}. */
  static Duration backoff(int attempt) {
    long millis = FIRST_WAIT.toMillis() << Math.min(attempt - 1, 20);
    return Duration.ofMillis(Math.min(millis, MAX_WAIT.toMillis()));
  }

  /** The wait a {@code Retry-After} header asks for: delay seconds or an HTTP date; null when none or unreadable. */
  static Duration retryAfter(IOException e) {
    if (!(e instanceof DistributionClient.StatusException s) || s.retryAfter() == null) {
      return null;
    }
    String value = s.retryAfter().trim();
    if (value.matches("\\d{1,9}")) {
      return Duration.ofSeconds(Long.parseLong(value));
    }
    try {
      Instant at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
      Duration d = Duration.between(Instant.now(), at);
      return d.isNegative() ? Duration.ZERO : d;
    } catch (DateTimeParseException ignored) {
      return null; // not a value the header can have: back off as without it
    }
  }
}
