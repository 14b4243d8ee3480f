package dev.scratchkit.oci;

import dev.scratchkit.elf.Platform;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Everything that makes one image: platform, creation time, runtime config, layers (base
 * first) and manifest annotations. A value; every {@link ImageTarget} writes it the same way,
 * and the same value always gives the same bytes.
 *
 * @param platform the OCI platform, e.g. {@code linux/amd64}
 * @param created the creation time: the config's {@code created} and every tar entry's mtime
 *     (whole seconds); not before 1970
 * @param config how the container starts
 * @param layers the layers, least often changed first
 * @param annotations manifest annotations such as {@code org.opencontainers.image.created},
 *     kept sorted by key
 * @param author the config's {@code author}, or {@code null}
 */
public record ImageSpec(Platform platform, Instant created, ContainerConfig config, List<LayerSpec> layers,
    Map<String, String> annotations, String author) {

  /**
   * Validates and copies: the layers become an unmodifiable copy, the annotations a copy sorted
   * by key.
   *
   * @param platform the OCI platform, e.g. {@code linux/amd64}
   * @param created the creation time, from 1970-01-01T00:00:00Z to the end of year 9999
   * @param config how the container starts
   * @param layers the layers, least often changed first
   * @param annotations manifest annotations such as {@code org.opencontainers.image.created}
   * @param author the config's {@code author}, or {@code null}
   * @throws OciException if the creation time is before 1970 or after year 9999
   * @throws NullPointerException if the platform, time, config, layers or annotations are
   *     {@code null}
   */
  public ImageSpec {
    Objects.requireNonNull(platform, "platform");
    Objects.requireNonNull(created, "created");
    Objects.requireNonNull(config, "config");
    layers = List.copyOf(layers);
    annotations = Collections.unmodifiableMap(new TreeMap<>(annotations));
    if (created.isBefore(Instant.EPOCH)) {
      throw new OciException("creation time " + created + " is before 1970-01-01T00:00:00Z, which tar cannot"
          + " hold reproducibly; use 1970-01-01T00:00:00Z or later (e.g. SOURCE_DATE_EPOCH)");
    }
    if (created.isAfter(Instant.parse("9999-12-31T23:59:59Z"))) {
      throw new OciException("creation time " + created + " is after year 9999; give a real date");
    }
  }

  /**
   * An image without annotations or author.
   *
   * @param platform the platform
   * @param created the creation time
   * @param config the runtime config
   * @param layers the layers
   * @return the image
   */
  public static ImageSpec of(Platform platform, Instant created, ContainerConfig config, List<LayerSpec> layers) {
    return new ImageSpec(platform, created, config, layers, Map.of(), null);
  }

  /**
   * With other manifest annotations.
   *
   * @param annotations key to value
   * @return a new image
   */
  public ImageSpec withAnnotations(Map<String, String> annotations) {
    return new ImageSpec(platform, created, config, layers, annotations, author);
  }

  /**
   * With another author.
   *
   * @param author the author, or {@code null}
   * @return a new image
   */
  public ImageSpec withAuthor(String author) {
    return new ImageSpec(platform, created, config, layers, annotations, author);
  }

  /** E.g. {@code image linux/amd64 created 1970-01-01T00:00:00Z, 3 layers}. */
  @Override
  public String toString() {
    return "image " + platform + " created " + created + ", " + layers.size() + " layers";
  }
}
