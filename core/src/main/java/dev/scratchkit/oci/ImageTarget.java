package dev.scratchkit.oci;

import java.util.List;

/**
 * Where an image goes: an OCI layout directory ({@link OciLayout}), an OCI archive
 * ({@link OciArchive}), a docker-archive ({@link DockerArchive}), a registry. Every target
 * writes an {@link ImageSpec} to the same bytes; a target either holds the finished image or,
 * on failure, is left as it was.
 */
public interface ImageTarget {

  /**
   * Writes one image.
   *
   * @param image the image
   * @param listener receives progress events
   * @return the manifest digest, media type, size and layers
   * @throws OciException if a source cannot be read or the target cannot be written; the
   *     target is then left as it was
   */
  WriteResult write(ImageSpec image, ProgressListener listener);

  /**
   * Writes one image without progress events.
   *
   * @param image the image
   * @return the manifest digest, media type, size and layers
   */
  default WriteResult write(ImageSpec image) {
    return write(image, ProgressListener.NONE);
  }

  /**
   * Writes several images, one per platform, under one OCI image index.
   *
   * @param images the images, each with its own platform
   * @param listener receives progress events
   * @return the index digest; {@link WriteResult#manifests()} holds each image
   * @throws OciException if the target cannot hold an index (a docker-archive), if two images
   *     share a platform, or as for {@link #write(ImageSpec, ProgressListener)}
   */
  WriteResult writeIndex(List<ImageSpec> images, ProgressListener listener);

  /** {@return a description for messages and logs, e.g. {@code oci-layout /tmp/img:latest}} */
  String description();
}
