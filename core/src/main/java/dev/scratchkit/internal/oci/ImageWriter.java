package dev.scratchkit.internal.oci;

import dev.scratchkit.elf.Platform;
import dev.scratchkit.oci.Digest;
import dev.scratchkit.oci.ImageSpec;
import dev.scratchkit.oci.LayerDescriptor;
import dev.scratchkit.oci.LayerEntry;
import dev.scratchkit.oci.LayerSpec;
import dev.scratchkit.oci.OciException;
import dev.scratchkit.oci.ProgressListener;
import dev.scratchkit.oci.WriteResult;
import dev.scratchkit.internal.cache.LayerCacheStore;
import dev.scratchkit.internal.cache.LayerKey;
import dev.scratchkit.oci.LayerCache;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Writes the blobs of images (layers, config, manifest, index) into a {@link BlobStore}. */
public final class ImageWriter {

  private static final Logger LOG = LoggerFactory.getLogger(ImageWriter.class);
  private static final long PROGRESS_MIN_STEP = 1 << 20;

  /** A written manifest or index, with what a descriptor of it needs. */
  public record Written(Digest digest, String mediaType, long size, Platform platform, Digest config,
      List<LayerDescriptor> layers, List<Written> manifests) {

    /** As a public result for {@code target}. */
    public WriteResult toResult(String target) {
      return new WriteResult(digest, mediaType, size, target, config, layers,
          manifests.stream().map(m -> m.toResult(target)).toList());
    }
  }

  private final BlobStore store;
  private final LayerCompression compression;
  private final ProgressListener listener;
  private final String where;
  private final LayerCacheStore cache;

  /**
   * A writer that uses the default layer cache ({@link LayerCache#defaults()}).
   *
   * @param where the target's description, for messages and events
   */
  public ImageWriter(BlobStore store, LayerCompression compression, ProgressListener listener, String where) {
    this(store, compression, listener, where, LayerCache.defaults());
  }

  /**
   * @param where the target's description, for messages and events
   * @param cache where compressed layers are reused from and kept
   */
  public ImageWriter(BlobStore store, LayerCompression compression, ProgressListener listener, String where,
      LayerCache cache) {
    this.store = store;
    this.compression = compression;
    this.listener = listener;
    this.where = where;
    this.cache = LayerCacheStore.of(cache);
  }

  /** Checks that every source file of every image is still the recorded file, before anything is written. */
  public static void preflight(List<ImageSpec> images) {
    for (ImageSpec image : images) {
      for (LayerSpec layer : image.layers()) {
        for (LayerEntry e : layer.entries()) {
          if (e.source().isPresent()) {
            SourceFiles.verify(e);
          }
        }
      }
    }
    Set<String> platforms = new HashSet<>();
    if (images.size() > 1) {
      for (ImageSpec image : images) {
        if (!platforms.add(image.platform().toString())) {
          throw new OciException("two images of the index have platform " + image.platform()
              + "; an index holds one image per platform, drop or change one of them");
        }
      }
    }
  }

  /** Writes layers, config and manifest of one image. */
  public Written writeImage(ImageSpec image) throws IOException {
    List<LayerDescriptor> layers = new ArrayList<>();
    for (int i = 0; i < image.layers().size(); i++) {
      LayerSpec layer = image.layers().get(i);
      listener.layerStarted(i, layer.entries().size());
      LayerKey key = cache == null ? null : LayerKey.of(layer, layer.modifiedIn(image.created()), compression.cacheId());
      LayerDescriptor d = null;
      BlobStore.Stored stored = null;
      if (key != null) {
        Optional<LayerCacheStore.Hit> hit = cache.lookup(key);
        if (hit.isPresent()) {
          d = hit.get().descriptor();
          try {
            stored = store.putFile(hit.get().blob(), d.digest(), d.size());
          } catch (BlobStore.DamagedBlobException e) {
            cache.drop(key, hit.get(), e.finding());
          } catch (NoSuchFileException e) {
            LOG.debug("layer cache entry {} was evicted meanwhile; compressing the layer", hit.get().blob());
          }
          if (stored == null) {
            d = null;
          }
        }
      }
      boolean fromCache = stored != null;
      if (stored == null) {
        LongConsumer progress = throttledProgress(i, LayerWriter.contentSize(layer));
        stored = store.put(out -> LayerWriter.write(layer, layer.modifiedIn(image.created()), compression, out, progress),
            null);
        LayerWriter.Tar tar = (LayerWriter.Tar) stored.value();
        d = new LayerDescriptor(stored.digest(), tar.diffId(), stored.size(), tar.size(), compression.mediaType());
        // Only when no source changed since the key was made does the blob belong to the key.
        if (key != null && key.sourcesUnchanged()) {
          cache.store(key, d, store.path(d.digest()));
        }
      }
      if (stored.skipped()) {
        listener.blobSkipped(d.digest(), where);
      }
      LOG.info("layer {} of {}: {} ({} entries, {}{})", i + 1, image.layers().size(), d, layer.entries().size(),
          layer.createdBy(), fromCache ? ", from the layer cache" : "");
      listener.layerFinished(i, d);
      layers.add(d);
    }
    byte[] config = ImageJson.config(image, layers.stream().map(LayerDescriptor::diffId).toList());
    BlobStore.Stored c = store.put(config);
    if (c.skipped()) {
      listener.blobSkipped(c.digest(), where);
    }
    byte[] manifest = ImageJson.manifest(c.digest(), c.size(), layers, image.annotations());
    BlobStore.Stored m = store.put(manifest);
    if (m.skipped()) {
      listener.blobSkipped(m.digest(), where);
    }
    return new Written(m.digest(), MediaTypes.MANIFEST, m.size(), image.platform(), c.digest(), layers, List.of());
  }

  /**
   * Adds up the chunks of a layer's content and tells the listener the running total about
   * every hundredth of the layer (at least 1 MiB apart, so small layers send few events) and
   * once when all of it is in.
   */
  private LongConsumer throttledProgress(int index, long total) {
    long step = Math.max(PROGRESS_MIN_STEP, total / 100);
    return new LongConsumer() {
      private long done;
      private long lastReported;

      @Override
      public void accept(long chunk) {
        done += chunk;
        if (done - lastReported >= step || (done == total && lastReported != total)) {
          lastReported = done;
          listener.layerProgress(index, done, total);
        }
      }
    };
  }

  /** Writes every image and an index over them. */
  public Written writeIndex(List<ImageSpec> images) throws IOException {
    List<Written> written = new ArrayList<>();
    List<Map<String, Object>> descriptors = new ArrayList<>();
    List<LayerDescriptor> layers = new ArrayList<>();
    for (ImageSpec image : images) {
      Written w = writeImage(image);
      written.add(w);
      layers.addAll(w.layers());
      descriptors.add(ImageJson.descriptor(w.mediaType(), w.digest(), w.size(), w.platform(), null));
    }
    BlobStore.Stored index = store.put(ImageJson.index(descriptors, null));
    return new Written(index.digest(), MediaTypes.INDEX, index.size(), null, null, layers, written);
  }
}
