package dev.scratchkit.testing;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names what a JVM creates so that a later run can tell whether its creator still lives:
 * {@code scratchkit-PID-STARTMILLIS-N}. The start time guards against a reused pid.
 */
final class Owner {

  static final String PREFIX = "scratchkit-";
  /** Repository of the images runners load: {@code scratchkit-testing:PID-STARTMILLIS-N}. */
  static final String IMAGE_REPOSITORY = "scratchkit-testing";
  static final String LABEL = "dev.scratchkit.testing.owner";
  private static final Pattern TOKEN = Pattern.compile("(\\d+)-(\\d+)(?:-\\d+)?");
  private static final AtomicLong COUNTER = new AtomicLong();

  static final String CURRENT = ProcessHandle.current().pid() + "-" + startMillis(ProcessHandle.current());

  private Owner() {}

  /** A new name for a container of this JVM. */
  static String nextName() {
    return PREFIX + CURRENT + "-" + COUNTER.incrementAndGet();
  }

  /** {@code scratchkit-testing:PID-START-N} for the container {@code scratchkit-PID-START-N}. */
  static String imageTag(String name) {
    return IMAGE_REPOSITORY + ":" + name.substring(PREFIX.length());
  }

  /**
   * Whether a name or tag made by {@link #nextName} belongs to a process that is gone. Names of
   * another form are never ours and never gone.
   */
  static boolean isLeftover(String nameOrToken) {
    String token = nameOrToken.startsWith(PREFIX) ? nameOrToken.substring(PREFIX.length()) : nameOrToken;
    Matcher m = TOKEN.matcher(token);
    if (!m.matches()) {
      return false;
    }
    long pid = Long.parseLong(m.group(1));
    long start = Long.parseLong(m.group(2));
    Optional<ProcessHandle> handle = ProcessHandle.of(pid);
    return handle.isEmpty() || !handle.get().isAlive() || startMillis(handle.get()) != start;
  }

  private static long startMillis(ProcessHandle handle) {
    return handle.info().startInstant().map(i -> i.toEpochMilli()).orElse(0L);
  }
}
