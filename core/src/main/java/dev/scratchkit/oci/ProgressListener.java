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
   * Part of a layer's file content has gone into the layer: sent while a layer is compressed,
   * about every hundredth of its content (at least 1 MiB apart) and once when all of it is in,
   * so a 1 GiB layer sends about 100 events and a small one few or just the last. A layer taken
   * from the layer cache sends none. Layers are compressed at disk or compressor speed, so this
   * is the event to drive a progress bar with.
   *
   * @param index the layer's position
   * @param contentBytesDone bytes of file content written so far
   * @param contentBytesTotal bytes of file content the layer holds (tar headers not counted)
   */
  default void layerProgress(int index, long contentBytesDone, long contentBytesTotal) {}

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
