package dev.scratchkit.doctor;

import java.util.Objects;

/**
 * One reason an image would not run as intended, found in the image's own files and config.
 *
 * @param rule the rule that found it, e.g. {@code entrypoint}; one JUnit test case per rule
 * @param code a stable code, e.g. {@code ENTRYPOINT_MISSING}
 * @param severity {@link Severity#ERROR} or {@link Severity#WARNING}
 * @param path the image path (or config field, e.g. {@code User}) the finding is about
 * @param message the fact found, in sentences
 * @param runtimeError what the container prints when it fails, verbatim as the runtime or the
 *     program prints it where known (e.g. {@code exec /app: no such file or directory}); empty if
 *     not known
 * @param fix how to fix it: for an image being built with scratchkit the builder call, for any
 *     other image what to add or change
 */
public record Finding(String rule, String code, Severity severity, String path, String message,
    String runtimeError, String fix) {

  /**
   * Checks that every part is given.
   *
   * @param rule the rule that found it
   * @param code a stable code
   * @param severity error or warning
   * @param path the image path or config field
   * @param message the fact found
   * @param runtimeError the run-time error text, or empty
   * @param fix how to fix it
   * @throws NullPointerException if a part is null
   */
  public Finding {
    Objects.requireNonNull(rule, "rule");
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(severity, "severity");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(runtimeError, "runtimeError");
    Objects.requireNonNull(fix, "fix");
  }

  /** {@return true for an {@link Severity#ERROR}} */
  public boolean isError() {
    return severity == Severity.ERROR;
  }

  /**
   * {@return the finding as one paragraph: message, the run-time error in quotes, the fix}
   */
  public String describe() {
    StringBuilder s = new StringBuilder(message);
    if (!runtimeError.isEmpty()) {
      s.append(" The container would fail with \"").append(runtimeError).append("\".");
    }
    return s.append(' ').append(fix).toString();
  }

  /** E.g. {@code ERROR ENTRYPOINT_MISSING /app/server: ...}. */
  @Override
  public String toString() {
    return severity + " " + code + " " + path + ": " + describe();
  }
}
