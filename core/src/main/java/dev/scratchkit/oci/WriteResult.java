package dev.scratchkit.oci;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a target wrote: the digest, media type and size of the top-level manifest (or image
 * index), where it went, and the layers.
 *
 * @param digest the manifest (or index) digest, the image's identity
 * @param mediaType the manifest's (or index's) media type
 * @param size the manifest's (or index's) size in bytes
 * @param target where it was written, e.g. {@code oci-layout /tmp/img:latest}
 * @param configDigest the config blob digest; {@code null} for an index
 * @param layers the layers of the image in order (for an index: of every image in order)
 * @param manifests for an index, the result of each image in it; empty otherwise
 */
public record WriteResult(Digest digest, String mediaType, long size, String target, Digest configDigest,
    List<LayerDescriptor> layers, List<WriteResult> manifests) {

  /**
   * Validates and copies the lists.
   *
   * @param digest the manifest (or index) digest, the image's identity
   * @param mediaType the manifest's (or index's) media type
   * @param size the manifest's (or index's) size in bytes
   * @param target where it was written, e.g. {@code oci-layout /tmp/img:latest}
   * @param configDigest the config blob digest; {@code null} for an index
   * @param layers the layers of the image in order (for an index: of every image in order)
   * @param manifests for an index, the result of each image in it; empty otherwise
   * @throws NullPointerException if the digest, media type, target or a list is {@code null}
   */
  public WriteResult {
    Objects.requireNonNull(digest, "digest");
    Objects.requireNonNull(mediaType, "mediaType");
    Objects.requireNonNull(target, "target");
    layers = List.copyOf(layers);
    manifests = List.copyOf(manifests);
  }

  /** {@return the config blob digest, the same as {@link #configDigest()}; empty for an index} */
  public Optional<Digest> config() {
    return Optional.ofNullable(configDigest);
  }

  /** E.g. {@code sha256:ab12... (application/vnd.oci.image.manifest.v1+json, 512 bytes) -> oci-layout /tmp/img:latest, 3 layers}. */
  @Override
  public String toString() {
    return digest + " (" + mediaType + ", " + size + " bytes) -> " + target + ", " + layers.size() + " layers"
        + (manifests.isEmpty() ? "" : ", " + manifests.size() + " manifests");
  }
}
