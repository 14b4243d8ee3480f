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
import java.io.InterruptedIOException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.FutureTask;
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
  /** Whether small layers are compressed on the background thread beside the layer being written. */
  private boolean compressAhead = Runtime.getRuntime().availableProcessors() > 1;
  private int aheadCount;

  /** Layers of at most this many tar bytes may be compressed ahead. */
  static final long AHEAD_MAX_BYTES = 1 << 20;

  /** At most this many layers after the current one are compressed ahead (each held in memory). */
  static final int AHEAD_WINDOW = 4;

  /**
   * The background thread of {@link #submitAhead}: one for the JVM, daemon, gone when idle. A
   * writer never waits for a task it queued there: it runs a task not yet started itself.
   */
  private static final ExecutorService AHEAD = BackgroundThread.named("scratchkit-layer-ahead", 5);

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

  /**
   * Turns compressing small layers ahead (on the background thread, beside the layer being
   * written) on or off; on by default where there is more than one processor. The bytes are the
   * same either way.
   */
  public ImageWriter compressAhead(boolean on) {
    this.compressAhead = on;
    return this;
  }

  /**
   * Checks that every source file of every image is still the recorded file, before anything is
   * written: a file replaced or changed after {@code build()} is refused even when the layer
   * cache holds its layer.
   */
  public static void preflight(List<ImageSpec> images) {
    List<LayerEntry> withSources = new ArrayList<>();
    for (ImageSpec image : images) {
      for (LayerSpec layer : image.layers()) {
        for (LayerEntry e : layer.entries()) {
          if (e.source().isPresent()) {
            withSources.add(e);
          }
        }
      }
    }
    SourceFiles.verifyAll(withSources);
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
    List<LayerSpec> specs = image.layers();
    List<LayerDescriptor> layers = new ArrayList<>();
    Map<Integer, FutureTask<Prepared>> ahead = new HashMap<>();
    boolean done = false;
    try {
      for (int i = 0; i < specs.size(); i++) {
        submitAhead(image, i, ahead);
        layers.add(writeLayer(image, i, ahead.remove(i)));
      }
      done = true;
    } finally {
      if (!done) {
        ahead.values().forEach(f -> f.cancel(true)); // their bytes are in memory only: nothing to clean up
      }
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
   * Hands the small layers among the next {@value #AHEAD_WINDOW} after {@code current} to the
   * background thread: their key, cache lookup and, on a miss, their compression into memory then
   * overlap with the layer being written. Only layers of at most {@value #AHEAD_MAX_BYTES} bytes of
   * tar (one gzip block: one thread each anyway), so the memory held is bounded.
   */
  private void submitAhead(ImageSpec image, int current, Map<Integer, FutureTask<Prepared>> ahead) {
    if (!compressAhead) {
      return;
    }
    List<LayerSpec> specs = image.layers();
    for (int j = current + 1; j < specs.size() && j <= current + AHEAD_WINDOW; j++) {
      if (ahead.containsKey(j) || aheadSize(specs.get(j)) > AHEAD_MAX_BYTES) {
        continue;
      }
      LayerSpec layer = specs.get(j);
      FutureTask<Prepared> task = new FutureTask<>(() -> prepare(image, layer, true));
      ahead.put(j, task);
      AHEAD.execute(task);
    }
  }

  /**
   * What a layer needs before it is stored: its cache key and hit, or, compressed ahead, its
   * compressed bytes and tar.
   *
   * @param blob the compressed layer when it was compressed into memory, else null
   * @param contentWritten the bytes of file content that went into {@code blob}
   */
  private record Prepared(LayerKey key, Optional<LayerCacheStore.Hit> hit, byte[] blob, LayerWriter.Tar tar,
      long contentWritten) {}

  private Prepared prepare(ImageSpec image, LayerSpec layer, boolean compressOnMiss) throws IOException {
    LayerKey key = cache == null ? null : LayerKey.of(layer, layer.modifiedIn(image.created()), compression.cacheId());
    Optional<LayerCacheStore.Hit> hit = key == null ? Optional.empty() : cache.lookup(key);
    if (hit.isPresent() || !compressOnMiss) {
      return new Prepared(key, hit, null, null, 0);
    }
    java.io.ByteArrayOutputStream blob = new java.io.ByteArrayOutputStream();
    long[] content = {0};
    LayerWriter.Tar tar = LayerWriter.write(layer, layer.modifiedIn(image.created()), compression.serial(), blob,
        n -> content[0] += n);
    return new Prepared(key, hit, blob.toByteArray(), tar, content[0]);
  }

  /** Runs {@code task} here unless the background thread has started it, then waits for it. */
  private static Prepared take(FutureTask<Prepared> task) throws IOException {
    task.run(); // returns at once when it runs, or ran, elsewhere
    try {
      return task.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      InterruptedIOException ie = new InterruptedIOException("interrupted while a layer was compressed ahead");
      ie.initCause(e);
      throw ie;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new IOException("compressing a layer ahead failed: " + cause, cause);
    }
  }

  /** Stores layer {@code i} (from the cache, compressed ahead, or compressed now) and tells the listener. */
  private LayerDescriptor writeLayer(ImageSpec image, int i, FutureTask<Prepared> ahead) throws IOException {
    LayerSpec layer = image.layers().get(i);
    listener.layerStarted(i, layer.entries().size());
    Prepared p = ahead != null ? take(ahead) : prepare(image, layer, false);
    LayerKey key = p.key();
    LayerDescriptor d = null;
    BlobStore.Stored stored = null;
    if (p.hit().isPresent()) {
      LayerCacheStore.Hit hit = p.hit().get();
      d = hit.descriptor();
      try {
        stored = store.putFile(hit.blob(), d.digest(), d.size());
      } catch (BlobStore.DamagedBlobException e) {
        cache.drop(key, hit, e.finding());
      } catch (NoSuchFileException e) {
        LOG.debug("layer cache entry {} was evicted meanwhile; compressing the layer", hit.blob());
      }
      if (stored == null) {
        d = null;
      }
    }
    boolean fromCache = stored != null;
    boolean compressedAhead = !fromCache && p.blob() != null;
    if (stored == null) {
      LongConsumer progress = throttledProgress(i, LayerWriter.contentSize(layer));
      // The cache's copy is taken from the bytes as the blob store hashes them: no second read.
      LayerCacheStore.Incoming copy = key != null ? cache.incoming() : null;
      try {
        if (compressedAhead) {
          stored = store.put(out -> {
            (copy == null ? out : copy.tee(out)).write(p.blob());
            return p.tar();
          }, null);
          if (p.contentWritten() > 0) {
            progress.accept(p.contentWritten()); // at most one block of content: the one event it would have sent
          }
          aheadCount++;
        } else {
          stored = store.put(out -> LayerWriter.write(layer, layer.modifiedIn(image.created()), compression,
              copy == null ? out : copy.tee(out), progress), null);
        }
        LayerWriter.Tar tar = (LayerWriter.Tar) stored.value();
        d = new LayerDescriptor(stored.digest(), tar.diffId(), stored.size(), tar.size(), compression.mediaType());
        // Only when no source changed since the key was made does the blob belong to the key.
        if (copy != null && key.sourcesUnchanged()) {
          cache.store(key, d, copy);
        }
      } finally {
        if (copy != null) {
          copy.close();
        }
      }
    }
    if (stored.skipped()) {
      listener.blobSkipped(d.digest(), where);
    }
    LOG.info("layer {} of {}: {} ({} entries, {}{})", i + 1, image.layers().size(), d, layer.entries().size(),
        layer.createdBy(), fromCache ? ", from the layer cache" : compressedAhead ? ", compressed ahead" : "");
    listener.layerFinished(i, d);
    return d;
  }

  /** How many layers this writer compressed ahead, beside the layer being written (for tests and logs). */
  public int layersCompressedAhead() {
    return aheadCount;
  }

  /**
   * An upper bound of a layer's tar size, for {@link #submitAhead}: content, plus per entry a
   * header, a PAX header of its names and padding, plus the end of the archive.
   */
  static long aheadSize(LayerSpec layer) {
    long size = LayerWriter.contentSize(layer) + 10240;
    for (LayerEntry e : layer.entries()) {
      size += 3 * 512 + 2L * (e.path().path().length() + e.link().map(String::length).orElse(0));
    }
    return size;
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
