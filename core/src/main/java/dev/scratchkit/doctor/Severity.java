package dev.scratchkit.doctor;

/** How bad a {@link Finding} is. */
public enum Severity {
  /** The container cannot start, or fails as described every time. */
  ERROR,
  /** The container fails when it does what the finding names (a TLS call, a time zone, a user lookup). */
  WARNING
}
