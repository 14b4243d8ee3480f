/**
 * Builds {@code FROM scratch} images ({@link dev.scratchkit.ScratchImage}), checks they can run,
 * writes them as OCI layouts, OCI archives and docker-archives or into a Docker engine, and
 * examines any image ({@link dev.scratchkit.doctor.ImageDoctor}).
 *
 * <p>zstd layers need the optional module {@code com.github.luben.zstd_jni}: on the module path,
 * require it in the application's module or add it with {@code --add-modules}.
 */
// "module": the qualified exports name dev.scratchkit.registry, which is built after this module.
@SuppressWarnings("module")
module dev.scratchkit.core {
  // The API takes and returns ElfFile, Platform, CaBundle, and ScratchkitException subclasses.
  requires transitive dev.scratchkit.base;
  requires transitive dev.scratchkit.elf;
  requires transitive dev.scratchkit.certs;
  requires com.fasterxml.jackson.core;
  requires com.fasterxml.jackson.databind;
  requires org.apache.commons.compress;
  requires org.slf4j;
  requires static com.github.luben.zstd_jni;

  exports dev.scratchkit;
  exports dev.scratchkit.doctor;
  exports dev.scratchkit.oci;
  // The registry module writes and reads OCI blobs with the same code as the layout targets.
  exports dev.scratchkit.internal.oci to dev.scratchkit.registry;
  exports dev.scratchkit.internal.oci.read to dev.scratchkit.registry;
}
