package dev.scratchkit.oci;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The runtime part of an image config ({@code config} in OCI image-spec v1.1): how a container
 * of the image starts. Empty lists and {@code null} strings are left out of the JSON.
 *
 * @param user {@code User}, e.g. {@code 65532:65532}, or {@code null}
 * @param env {@code Env}, each {@code NAME=value}
 * @param entrypoint {@code Entrypoint}, exec form
 * @param cmd {@code Cmd}, exec form (arguments to the entrypoint)
 * @param workingDir {@code WorkingDir}, absolute, or {@code null}
 * @param exposedPorts {@code ExposedPorts}, each {@code port/protocol} such as {@code 8080/tcp}
 * @param labels {@code Labels}, kept sorted by key
 * @param stopSignal {@code StopSignal}, e.g. {@code SIGTERM}, or {@code null}
 */
public record ContainerConfig(String user, List<String> env, List<String> entrypoint, List<String> cmd,
    String workingDir, List<String> exposedPorts, Map<String, String> labels, String stopSignal) {

  private static final Pattern PORT = Pattern.compile("[0-9]{1,5}(/(tcp|udp|sctp))?");
  private static final ContainerConfig EMPTY =
      new ContainerConfig(null, List.of(), List.of(), List.of(), null, List.of(), Map.of(), null);

  /**
   * Validates and copies: the lists become unmodifiable copies, the labels a copy sorted by key.
   *
   * @param user {@code User}, e.g. {@code 65532:65532}, or {@code null}
   * @param env {@code Env}, each {@code NAME=value} with a non-empty name
   * @param entrypoint {@code Entrypoint}, exec form
   * @param cmd {@code Cmd}, exec form (arguments to the entrypoint)
   * @param workingDir {@code WorkingDir}, absolute, or {@code null}
   * @param exposedPorts {@code ExposedPorts}, each a port up to 65535 with an optional
   *     {@code /tcp}, {@code /udp} or {@code /sctp}, e.g. {@code 8080/tcp}
   * @param labels {@code Labels}, non-empty keys and non-null values
   * @param stopSignal {@code StopSignal}, e.g. {@code SIGTERM}, or {@code null}
   * @throws OciException naming the value, if an environment entry is not {@code NAME=value},
   *     a port is not as above, a label key is empty or the working directory is relative
   * @throws NullPointerException if a list, the labels or a label value is {@code null}
   */
  public ContainerConfig {
    env = List.copyOf(env);
    entrypoint = List.copyOf(entrypoint);
    cmd = List.copyOf(cmd);
    exposedPorts = List.copyOf(exposedPorts);
    labels = Collections.unmodifiableMap(new TreeMap<>(labels));
    for (String e : env) {
      int eq = e.indexOf('=');
      if (eq <= 0) {
        throw new OciException("invalid environment entry \"" + e + "\": expected NAME=value, e.g. PATH=/bin");
      }
    }
    for (String p : exposedPorts) {
      if (!PORT.matcher(p).matches() || Integer.parseInt(p.replaceAll("/.*", "")) > 65535) {
        throw new OciException("invalid exposed port \"" + p + "\": expected port/protocol such as 8080/tcp");
      }
    }
    labels.forEach((k, v) -> {
      Objects.requireNonNull(v, "label " + k);
      if (k.isEmpty()) {
        throw new OciException("a label has an empty key; give it a name such as org.opencontainers.image.title");
      }
    });
    if (workingDir != null && !workingDir.startsWith("/")) {
      throw new OciException("invalid working directory \"" + workingDir + "\": it must be absolute, e.g. /" + workingDir);
    }
  }

  /** {@return a config without anything set: empty lists and maps, {@code null} strings} */
  public static ContainerConfig empty() {
    return EMPTY;
  }

  /**
   * With another user.
   *
   * @param user e.g. {@code 65532:65532}, or {@code null} for none
   * @return a new config
   */
  public ContainerConfig withUser(String user) {
    return new ContainerConfig(user, env, entrypoint, cmd, workingDir, exposedPorts, labels, stopSignal);
  }

  /**
   * With another environment.
   *
   * @param env entries {@code NAME=value}
   * @return a new config
   */
  public ContainerConfig withEnv(List<String> env) {
    return new ContainerConfig(user, env, entrypoint, cmd, workingDir, exposedPorts, labels, stopSignal);
  }

  /**
   * With another entrypoint.
   *
   * @param entrypoint the program and its first arguments
   * @return a new config
   */
  public ContainerConfig withEntrypoint(List<String> entrypoint) {
    return new ContainerConfig(user, env, entrypoint, cmd, workingDir, exposedPorts, labels, stopSignal);
  }

  /**
   * With another command.
   *
   * @param cmd arguments passed after the entrypoint
   * @return a new config
   */
  public ContainerConfig withCmd(List<String> cmd) {
    return new ContainerConfig(user, env, entrypoint, cmd, workingDir, exposedPorts, labels, stopSignal);
  }

  /**
   * With another working directory.
   *
   * @param workingDir absolute, or {@code null}
   * @return a new config
   */
  public ContainerConfig withWorkingDir(String workingDir) {
    return new ContainerConfig(user, env, entrypoint, cmd, workingDir, exposedPorts, labels, stopSignal);
  }

  /**
   * With other exposed ports.
   *
   * @param exposedPorts e.g. {@code 8080/tcp}
   * @return a new config
   */
  public ContainerConfig withExposedPorts(List<String> exposedPorts) {
    return new ContainerConfig(user, env, entrypoint, cmd, workingDir, exposedPorts, labels, stopSignal);
  }

  /**
   * With other labels.
   *
   * @param labels key to value
   * @return a new config
   */
  public ContainerConfig withLabels(Map<String, String> labels) {
    return new ContainerConfig(user, env, entrypoint, cmd, workingDir, exposedPorts, labels, stopSignal);
  }

  /**
   * With another stop signal.
   *
   * @param stopSignal e.g. {@code SIGTERM}, or {@code null}
   * @return a new config
   */
  public ContainerConfig withStopSignal(String stopSignal) {
    return new ContainerConfig(user, env, entrypoint, cmd, workingDir, exposedPorts, labels, stopSignal);
  }
}
