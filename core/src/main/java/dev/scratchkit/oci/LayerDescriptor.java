package dev.scratchkit.oci;

import java.util.Objects;

/**
 * A written layer: the compressed blob's digest and size, and the digest (diff ID) and size
 * of the uncompressed tar.
 *
 * @param digest the blob digest (of the compressed bytes)
 * @param diffId the digest of the uncompressed tar, listed in the config's {@code rootfs.diff_ids}
 * @param size the blob size in bytes
 * @param uncompressedSize the tar size in bytes
 * @param mediaType the blob's media type, e.g. {@code application/vnd.oci.image.layer.v1.tar+gzip}
 */
public record LayerDescriptor(Digest digest, Digest diffId, long size, long uncompressedSize, String mediaType) {

  /**
   * Validates.
   *
   * @param digest the blob digest (of the compressed bytes)
   * @param diffId the digest of the uncompressed tar
   * @param size the blob size in bytes, not negative
   * @param uncompressedSize the tar size in bytes, not negative
   * @param mediaType the blob's media type
   * @throws NullPointerException if a digest or the media type is {@code null}
   * @throws IllegalArgumentException if a size is negative
   */
  public LayerDescriptor {
    Objects.requireNonNull(digest, "digest");
    Objects.requireNonNull(diffId, "diffId");
    Objects.requireNonNull(mediaType, "mediaType");
    if (size < 0 || uncompressedSize < 0) {
      throw new IllegalArgumentException("negative layer size");
    }
  }

  /** E.g. {@code layer sha256:ab12... (1234 bytes, diff sha256:cd34..., 10240 bytes)}. */
  @Override
  public String toString() {
    return "layer " + digest + " (" + size + " bytes, diff " + diffId + ", " + uncompressedSize + " bytes)";
  }
}
