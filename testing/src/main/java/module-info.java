/**
 * Runs images from test code on a Docker engine, podman or runc
 * ({@link dev.scratchkit.testing.ImageRunner}) and loads them by name for Testcontainers.
 */
module dev.scratchkit.testing {
  // ContainerSpec.of takes a ScratchImage, an ImageIndex or OciImages.
  requires transitive dev.scratchkit.core;
  requires com.fasterxml.jackson.databind;
  requires org.apache.commons.compress;
  requires org.slf4j;

  exports dev.scratchkit.testing;
}
