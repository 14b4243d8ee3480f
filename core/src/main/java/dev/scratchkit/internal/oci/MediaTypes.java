package dev.scratchkit.internal.oci;

/** OCI and Docker media types and well-known annotation keys. */
public final class MediaTypes {
  private MediaTypes() {}

  /** OCI image manifest. */
  public static final String MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  /** OCI image index. */
  public static final String INDEX = "application/vnd.oci.image.index.v1+json";
  /** OCI image config. */
  public static final String CONFIG = "application/vnd.oci.image.config.v1+json";
  /** gzip-compressed tar layer. */
  public static final String LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
  /** Uncompressed tar layer. */
  public static final String LAYER_TAR = "application/vnd.oci.image.layer.v1.tar";
  /** Docker schema 2 manifest (read only). */
  public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
  /** Docker manifest list (read only). */
  public static final String DOCKER_INDEX = "application/vnd.docker.distribution.manifest.list.v2+json";
  /** Tag name of a manifest in a layout's index.json. */
  public static final String REF_NAME = "org.opencontainers.image.ref.name";
}
