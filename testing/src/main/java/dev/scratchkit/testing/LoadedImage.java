package dev.scratchkit.testing;

import dev.scratchkit.oci.WriteResult;
import java.util.List;

/**
 * An image loaded into a Docker engine or podman under a name of your choice, for tools that take
 * an image name (Testcontainers' {@code GenericContainer}, {@code docker run}). {@link #close()}
 * removes the name again.
 *
 * <pre>{@code
 * try (ImageRunner runner = ImageRunner.of(Engine.DOCKER);
 *     LoadedImage loaded = runner.load(image, "my-service:test");
 *     GenericContainer<?> c = new GenericContainer<>(loaded.name())) { ... }
 * }</pre>
 */
public final class LoadedImage implements AutoCloseable {

  private final CliDriver driver;
  private final String name;
  private final WriteResult written;
  private volatile boolean removed;

  LoadedImage(CliDriver driver, String name, WriteResult written) {
    this.driver = driver;
    this.name = name;
    this.written = written;
  }

  /** {@return the name the engine knows the image by, e.g. {@code my-service:test}} */
  public String name() {
    return name;
  }

  /** {@return what was loaded: the manifest digest, the config digest (the engine's image ID) and the layers} */
  public WriteResult written() {
    return written;
  }

  /** Removes the name from the engine (and the image, when no other name or container uses it). */
  @Override
  public void close() {
    if (!removed) {
      removed = true;
      driver.call(List.of(driver.client().toString(), "rmi", name), 60);
    }
  }

  /** E.g. {@code my-service:test (sha256:...) in docker}. */
  @Override
  public String toString() {
    return name + " (" + written.configDigest() + ") in " + driver;
  }
}
