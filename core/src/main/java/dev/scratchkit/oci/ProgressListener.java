package dev.scratchkit.oci;

/**
 * Progress events of a write, for build tools that show progress without parsing logs.
 * Every method has an empty default; implement the ones you need. Called on the writing
 * thread, in order.
 */
public interface ProgressListener {

  /** A listener that ignores everything. */
  ProgressListener NONE = new ProgressListener() {};

  /**
   * A layer starts being written.
   *
   * @param index the layer's position, 0 for the base layer
   * @param entryCount the number of tar entries it will hold
   */
  default void layerStarted(int index, int entryCount) {}

  /**
   * A layer was written.
   *
   * @param index the layer's position
   * @param layer its digest, diff ID and sizes
   */
  default void layerFinished(int index, LayerDescriptor layer) {}

  /**
   * A blob was not stored because the target already holds it.
   *
   * @param digest the blob's digest
   * @param where the target, e.g. {@code oci-layout /tmp/img}
   */
  default void blobSkipped(Digest digest, String where) {}

  /**
   * The target holds the finished image.
   *
   * @param digest the manifest (or index) digest
   * @param where the target, e.g. {@code oci-layout /tmp/img:latest}
   */
  default void targetWritten(Digest digest, String where) {}
}
