package dev.scratchkit.internal.oci;

import dev.scratchkit.oci.LayerDescriptor;
import dev.scratchkit.oci.ProgressListener;

/**
 * The listener of a write that stages an image on the way to another target (a registry push,
 * a {@code docker load}): the staged layers are the target's layers, so their events pass on,
 * but the staging's skipped blobs and finished target are not the target's.
 *
 * @param target the listener of the real target
 */
public record StagingListener(ProgressListener target) implements ProgressListener {

  @Override
  public void layerStarted(int index, int entryCount) {
    target.layerStarted(index, entryCount);
  }

  @Override
  public void layerProgress(int index, long contentBytesDone, long contentBytesTotal) {
    target.layerProgress(index, contentBytesDone, contentBytesTotal);
  }

  @Override
  public void layerFinished(int index, LayerDescriptor layer) {
    target.layerFinished(index, layer);
  }
}
