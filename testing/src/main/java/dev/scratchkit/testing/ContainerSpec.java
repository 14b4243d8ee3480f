package dev.scratchkit.testing;

import dev.scratchkit.ImageIndex;
import dev.scratchkit.ScratchImage;
import dev.scratchkit.elf.Platform;
import dev.scratchkit.oci.ContainerConfig;
import dev.scratchkit.oci.OciImages;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * What to run: an image and the options of one container. Immutable; every option returns a new
 * value, so one spec can be the base of several runs.
 *
 * <pre>{@code
 * ContainerSpec spec = ContainerSpec.of(image)
 *     .args("--port", "8080")
 *     .env("LOG_LEVEL", "debug")
 *     .network(Network.HOST)
 *     .timeout(Duration.ofSeconds(30));
 * }</pre>
 *
 * <p>The image is a {@link ScratchImage}, the host platform's image of an {@link ImageIndex}, or
 * an image read with {@link OciImages} from a layout, an OCI archive or a docker-archive.
 */
public final class ContainerSpec {

  /** The default bound of a run: two minutes. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(2);
  /** The default number of bytes kept of each of stdout and stderr: 1 MiB (the last ones). */
  public static final int DEFAULT_OUTPUT_LIMIT = 1 << 20;

  private final ImageSource image;
  private final List<String> args;
  private final Map<String, String> env;
  private final String user;
  private final String workingDirectory;
  private final Network network;
  private final boolean readOnlyRoot;
  private final Duration timeout;
  private final int outputLimit;

  private ContainerSpec(ImageSource image, List<String> args, Map<String, String> env, String user,
      String workingDirectory, Network network, boolean readOnlyRoot, Duration timeout, int outputLimit) {
    this.image = image;
    this.args = args;
    this.env = env;
    this.user = user;
    this.workingDirectory = workingDirectory;
    this.network = network;
    this.readOnlyRoot = readOnlyRoot;
    this.timeout = timeout;
    this.outputLimit = outputLimit;
  }

  /**
   * A container of an image built with scratchkit.
   *
   * @param image the image
   * @return the spec with default options: the image's own command, network {@link Network#NONE}
   */
  public static ContainerSpec of(ScratchImage image) {
    Objects.requireNonNull(image, "image");
    return new ContainerSpec(ImageSource.of(image), null, Map.of(), null, null, Network.NONE, false,
        DEFAULT_TIMEOUT, DEFAULT_OUTPUT_LIMIT);
  }

  /**
   * A container of the image an index holds for this machine's platform.
   *
   * @param index a multi-platform image
   * @return the spec
   * @throws ImageRunnerException if the index has no image for this machine, naming its platforms
   */
  public static ContainerSpec of(ImageIndex index) {
    Objects.requireNonNull(index, "index");
    Platform host = hostPlatform();
    for (ScratchImage image : index.images()) {
      Platform p = image.platform();
      if (p.os().equals(host.os()) && p.architecture().equals(host.architecture())) {
        return of(image);
      }
    }
    throw new ImageRunnerException("the index " + index + " has no image for this machine's platform " + host
        + "; its platforms are " + index.platforms() + ". Add an image built for " + host + ", or run on a machine"
        + " of one of those platforms");
  }

  /**
   * A container of an image read back from a layout, an OCI archive or a docker-archive.
   *
   * @param images what {@link OciImages#read} returned
   * @param tag the image's tag in it, e.g. {@code latest} or {@code app:1}
   * @return the spec
   * @throws dev.scratchkit.oci.OciException if the tag is missing or names several platforms
   */
  public static ContainerSpec of(OciImages images, String tag) {
    Objects.requireNonNull(images, "images");
    OciImages.Image image = images.image(tag);
    return new ContainerSpec(ImageSource.of(images, image), null, Map.of(), null, null, Network.NONE, false,
        DEFAULT_TIMEOUT, DEFAULT_OUTPUT_LIMIT);
  }

  /**
   * The arguments, in place of the image's command ({@code Cmd}); the entrypoint stays.
   *
   * @param args one string per argument (there is no shell)
   * @return a new spec
   */
  public ContainerSpec args(String... args) {
    List<String> list = List.of(args); // rejects null elements
    return new ContainerSpec(image, list, env, user, workingDirectory, network, readOnlyRoot, timeout, outputLimit);
  }

  /**
   * An environment variable, added to (or replacing one of) the image's.
   *
   * @param name the name, without {@code =}
   * @param value the value
   * @return a new spec
   */
  public ContainerSpec env(String name, String value) {
    Objects.requireNonNull(value, "value");
    if (name == null || name.isEmpty() || name.contains("=")) {
      throw new ImageRunnerException("\"" + name + "\" is not an environment variable name: give a non-empty name"
          + " without '='");
    }
    Map<String, String> copy = new LinkedHashMap<>(env);
    copy.put(name, value);
    return new ContainerSpec(image, args, copy, user, workingDirectory, network, readOnlyRoot, timeout, outputLimit);
  }

  /**
   * The user, in place of the image's: {@code uid}, {@code uid:gid} or a name in the image's
   * {@code /etc/passwd}.
   *
   * @param user e.g. {@code 0:0} or {@code nonroot}
   * @return a new spec
   */
  public ContainerSpec user(String user) {
    if (user == null || user.isBlank() || user.contains(" ")) {
      throw new ImageRunnerException("\"" + user + "\" is not a user: give uid, uid:gid or a user name");
    }
    return new ContainerSpec(image, args, env, user, workingDirectory, network, readOnlyRoot, timeout, outputLimit);
  }

  /**
   * The working directory, in place of the image's.
   *
   * @param directory an absolute path in the image
   * @return a new spec
   */
  public ContainerSpec workingDirectory(String directory) {
    if (directory == null || !directory.startsWith("/")) {
      throw new ImageRunnerException("the working directory \"" + directory + "\" is not an absolute path in the"
          + " image; give one starting with /");
    }
    return new ContainerSpec(image, args, env, user, directory, network, readOnlyRoot, timeout, outputLimit);
  }

  /**
   * The network; {@link Network#NONE} unless set.
   *
   * @param network none or host
   * @return a new spec
   */
  public ContainerSpec network(Network network) {
    Objects.requireNonNull(network, "network");
    return new ContainerSpec(image, args, env, user, workingDirectory, network, readOnlyRoot, timeout, outputLimit);
  }

  /**
   * Mounts the image's file system read-only: a write anywhere fails with a read-only file
   * system error.
   *
   * @return a new spec
   */
  public ContainerSpec readOnlyRoot() {
    return new ContainerSpec(image, args, env, user, workingDirectory, network, true, timeout, outputLimit);
  }

  /**
   * The longest a {@link ImageRunner#run run} may take; the container is then killed and
   * removed, and the run throws. Two minutes unless set.
   *
   * @param timeout a positive duration
   * @return a new spec
   */
  public ContainerSpec timeout(Duration timeout) {
    if (timeout == null || timeout.isNegative() || timeout.isZero()) {
      throw new ImageRunnerException("the timeout " + timeout + " is not positive; give e.g. Duration.ofSeconds(30)");
    }
    return new ContainerSpec(image, args, env, user, workingDirectory, network, readOnlyRoot, timeout, outputLimit);
  }

  /**
   * How many bytes of each of stdout and stderr are kept (the last ones); 1 MiB unless set.
   *
   * @param bytes at least 1024
   * @return a new spec
   */
  public ContainerSpec outputLimit(int bytes) {
    if (bytes < 1024) {
      throw new ImageRunnerException("the output limit " + bytes + " is too small; give at least 1024 bytes");
    }
    return new ContainerSpec(image, args, env, user, workingDirectory, network, readOnlyRoot, timeout, bytes);
  }

  /** {@return the arguments in place of the image's command, or {@code null} for the image's own} */
  public List<String> args() {
    return args;
  }

  /** {@return the environment variables added to the image's, in the order given} */
  public Map<String, String> env() {
    return Collections.unmodifiableMap(new LinkedHashMap<>(env));
  }

  /** {@return the user in place of the image's, or {@code null}} */
  public String user() {
    return user;
  }

  /** {@return the working directory in place of the image's, or {@code null}} */
  public String workingDirectory() {
    return workingDirectory;
  }

  /** {@return the network} */
  public Network network() {
    return network;
  }

  /** {@return whether the root file system is read-only} */
  public boolean isReadOnlyRoot() {
    return readOnlyRoot;
  }

  /** {@return the longest a run may take} */
  public Duration timeout() {
    return timeout;
  }

  /** {@return the bytes kept of each output stream} */
  public int outputLimit() {
    return outputLimit;
  }

  /** {@return the image's own config (entrypoint, command, user, environment)} */
  public ContainerConfig imageConfig() {
    return image.config();
  }

  ImageSource image() {
    return image;
  }

  List<String> envList() {
    List<String> list = new ArrayList<>();
    env.forEach((k, v) -> list.add(k + "=" + v));
    return list;
  }

  /** E.g. {@code ContainerSpec[image ..., args [--version], network NONE]}. */
  @Override
  public String toString() {
    return "ContainerSpec[image " + image + (args == null ? "" : ", args " + args)
        + (env.isEmpty() ? "" : ", env " + env.keySet()) + (user == null ? "" : ", user " + user)
        + (workingDirectory == null ? "" : ", workdir " + workingDirectory) + ", network " + network
        + (readOnlyRoot ? ", read-only root" : "") + ", timeout " + timeout + "]";
  }

  /** This machine's platform in OCI terms, from {@code os.arch}. */
  static Platform hostPlatform() {
    String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
    String oci = switch (arch) {
      case "amd64", "x86_64" -> "amd64";
      case "aarch64", "arm64" -> "arm64";
      case "x86", "i386", "i686" -> "386";
      case "ppc64le" -> "ppc64le";
      case "s390x" -> "s390x";
      case "riscv64" -> "riscv64";
      case "arm" -> "arm";
      default -> arch;
    };
    return Platform.of("linux", oci);
  }
}
