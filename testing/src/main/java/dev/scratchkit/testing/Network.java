package dev.scratchkit.testing;

/** The network a container gets. Neither needs a bridge or reaches beyond the machine by itself. */
public enum Network {
  /**
   * No network: its own network namespace with only a loopback device (on runc the loopback
   * device is down). The default.
   */
  NONE,
  /** The host's network: the container reaches and serves {@code 127.0.0.1} like a local process. */
  HOST
}
