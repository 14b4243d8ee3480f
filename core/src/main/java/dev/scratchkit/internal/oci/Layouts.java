package dev.scratchkit.internal.oci;

import dev.scratchkit.oci.ImageSpec;
import dev.scratchkit.oci.LayerCache;
import dev.scratchkit.oci.OciException;
import dev.scratchkit.oci.ProgressListener;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes into an OCI image layout directory, safely against crashes and concurrent writers.
 *
 * <p>Order of a write: create the directory if missing, take the layout's lock (a
 * {@link FileChannel#lock()} on {@value #LOCK_FILE}, plus an in-JVM lock because file locks
 * are per process), check that the directory is a layout or empty (only now, so that two
 * writers creating one new layout both land), drop temp files of writers that died, write
 * every new blob and the next {@code index.json} to temp files, sync them all in one round (side
 * by side: concurrent syncs share the file system's journal commit), rename the blobs to their
 * digests, sync the blob directory, then rename {@code index.json} into place and sync the
 * layout directory. Until that last rename, readers see the old index and only old (or extra,
 * unreferenced) blobs. An index that would not change is left as it is.
 */
public final class Layouts {

  private static final Logger LOG = LoggerFactory.getLogger(Layouts.class);

  /** Lock file inside the layout. */
  public static final String LOCK_FILE = ".scratchkit-lock";
  /** Temp directory inside the layout (same file system as the blobs, for atomic renames). */
  public static final String TMP_DIR = ".scratchkit-tmp";

  /**
   * In-JVM locks by layout, with the number of threads holding or waiting for each: an entry
   * goes once nobody uses it, so that a process writing many archives (each staged in a layout
   * of its own) does not keep a lock per archive forever.
   */
  private static final Map<Path, JvmLock> JVM_LOCKS = new ConcurrentHashMap<>();

  private static final class JvmLock {
    final ReentrantLock lock = new ReentrantLock();
    int users; // changed only inside the map's compute, which is atomic per key
  }

  private static JvmLock lockInJvm(Path layout) {
    JvmLock l = JVM_LOCKS.compute(layout, (k, v) -> {
      JvmLock lock = v == null ? new JvmLock() : v;
      lock.users++;
      return lock;
    });
    l.lock.lock();
    return l;
  }

  private static void unlockInJvm(Path layout, JvmLock l) {
    l.lock.unlock();
    JVM_LOCKS.computeIfPresent(layout, (k, v) -> --v.users == 0 ? null : v);
  }

  private Layouts() {}

  /**
   * Writes one image (or, with several, an index) and points each tag at it.
   *
   * @param asIndex write an image index even for one image
   */
  public static ImageWriter.Written write(Path dir, List<String> tags, List<ImageSpec> images, boolean asIndex,
      LayerCompression compression, ProgressListener listener, String where) {
    return write(dir, tags, images, asIndex, compression, listener, where, LayerCache.defaults());
  }

  /**
   * As {@link #write(Path, List, List, boolean, LayerCompression, ProgressListener, String)},
   * with a given layer cache.
   */
  public static ImageWriter.Written write(Path dir, List<String> tags, List<ImageSpec> images, boolean asIndex,
      LayerCompression compression, ProgressListener listener, String where, LayerCache cache) {
    return write(dir, tags, images, asIndex, compression, listener, where, cache, true);
  }

  /**
   * As {@link #write(Path, List, List, boolean, LayerCompression, ProgressListener, String, LayerCache)}.
   *
   * @param durable false for a staging layout whose result is synced as a whole or thrown away:
   *     blobs are then not synced one by one (the atomic renames stay)
   */
  public static ImageWriter.Written write(Path dir, List<String> tags, List<ImageSpec> images, boolean asIndex,
      LayerCompression compression, ProgressListener listener, String where, LayerCache cache, boolean durable) {
    return write(dir, tags, images, asIndex, compression, listener, where, cache, durable, null);
  }

  /**
   * As {@link #write(Path, List, List, boolean, LayerCompression, ProgressListener, String, LayerCache, boolean)}.
   *
   * @param references null to copy every blob in; else layer cache entries are left in place and
   *     added to it (a staging layout that is copied once more, into an archive)
   */
  public static ImageWriter.Written write(Path dir, List<String> tags, List<ImageSpec> images, boolean asIndex,
      LayerCompression compression, ProgressListener listener, String where, LayerCache cache, boolean durable,
      Map<dev.scratchkit.oci.Digest, BlobStore.Reference> references) {
    ImageWriter.preflight(images);
    Path layout = dir.toAbsolutePath().normalize();
    JvmLock jvmLock = lockInJvm(layout);
    try {
      boolean created = createDirectory(layout);
      Path lockFile = layout.resolve(LOCK_FILE);
      boolean newLockFile = !Files.exists(lockFile);
      // The lock file is never deleted while the directory may be a layout: a writer waiting
      // on it would otherwise hold a lock that guards nothing. (Nor is it opened a second time
      // in this process: closing any channel of a file drops the process's lock on it.)
      try (FileChannel lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
          FileLock lock = lockChannel.lock()) {
        try {
          // Checked only now: a writer that created this layout a moment ago may be filling it.
          checkLayoutDirectory(layout);
        } catch (OciException e) {
          if (newLockFile) {
            // Not a layout, and other files in it: no writer can use this lock, leave no trace.
            Files.deleteIfExists(lockFile);
          }
          throw e;
        }
        return writeLocked(layout, created, tags, images, asIndex, compression, listener, where, cache, durable,
            references);
      }
    } catch (IOException e) {
      throw new OciException("cannot write the OCI layout " + layout + ": " + e
          + "; check free space and permissions, then write again (the layout is unchanged)", e);
    } finally {
      unlockInJvm(layout, jvmLock);
    }
  }

  /** Creates the layout directory when missing; true when this call created it. */
  private static boolean createDirectory(Path layout) {
    if (Files.exists(layout) && !Files.isDirectory(layout)) {
      throw new OciException("cannot write an OCI layout to " + layout + ": it is a file, not a directory;"
          + " choose a directory (it is created when missing)");
    }
    try {
      if (layout.getParent() != null) {
        Files.createDirectories(layout.getParent());
      }
      Files.createDirectory(layout);
      return true;
    } catch (FileAlreadyExistsException e) {
      if (!Files.isDirectory(layout)) {
        throw new OciException("cannot write an OCI layout to " + layout + ": it is a file, not a directory;"
            + " choose a directory (it is created when missing)", e);
      }
      return false;
    } catch (IOException e) {
      throw new OciException("cannot create the OCI layout directory " + layout + ": " + e
          + "; check that its parent exists and is writable", e);
    }
  }

  private static ImageWriter.Written writeLocked(Path layout, boolean created, List<String> tags,
      List<ImageSpec> images, boolean asIndex, LayerCompression compression, ProgressListener listener, String where,
      LayerCache cache, boolean durable, Map<dev.scratchkit.oci.Digest, BlobStore.Reference> references)
      throws IOException {
    Path tmp = layout.resolve(TMP_DIR);
    deleteTree(tmp); // left by a writer that was killed; we hold the lock, so nobody uses it
    boolean success = false;
    BlobStore store = null;
    try {
      Path ociLayout = layout.resolve("oci-layout");
      if (!Files.exists(ociLayout)) {
        if (durable) {
          BlobStore.replaceAtomically(ociLayout, ImageJson.ociLayout(), tmp);
        } else {
          Files.write(ociLayout, ImageJson.ociLayout()); // a staging layout, synced as a whole or thrown away
        }
      }
      store = BlobStore.deferred(layout.resolve("blobs").resolve("sha256"), tmp, where, durable);
      if (references != null) {
        store.referenceFilesInto(references);
      }
      ImageWriter writer = new ImageWriter(store, compression, listener, where, cache);
      ImageWriter.Written written = images.size() == 1 && !asIndex ? writer.writeImage(images.get(0))
          : writer.writeIndex(images);
      Path indexFile = layout.resolve("index.json");
      byte[] index = updatedIndex(indexFile, tags, written);
      if (Arrays.equals(index, currentIndex(indexFile, index.length))) {
        // A rebuild of the same image: every blob is in place and the index already says this.
        store.commit(List.of());
      } else {
        // The new blobs and the next index are synced in one round; the index is renamed last.
        Files.createDirectories(tmp);
        Path indexTemp = BlobStore.tempName(tmp, "index.json-");
        try (DurableFileOutput next = DurableFileOutput.create(indexTemp)) {
          next.write(index);
          store.commit(durable ? List.of(next) : List.of());
        }
        Files.move(indexTemp, indexFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        if (durable) {
          BlobStore.syncDirectory(layout);
        }
      }
      success = true;
      return written;
    } finally {
      if (!success && store != null) {
        store.abandon();
      }
      deleteTree(tmp);
      if (!success && created && !Files.exists(layout.resolve("index.json"))) {
        // We made this directory and no image ever landed in it: leave nothing behind but the
        // lock file, which a writer may be waiting on.
        try (Stream<Path> list = Files.list(layout)) {
          for (Path p : list.toList()) {
            if (!p.getFileName().toString().equals(LOCK_FILE)) {
              deleteTree(p);
            }
          }
        }
      }
    }
  }

  /** The bytes of the index file when it is a regular file of {@code length} bytes; else null. */
  private static byte[] currentIndex(Path indexFile, int length) {
    try {
      java.nio.file.attribute.BasicFileAttributes a = Files.readAttributes(indexFile,
          java.nio.file.attribute.BasicFileAttributes.class, java.nio.file.LinkOption.NOFOLLOW_LINKS);
      return a.isRegularFile() && a.size() == length ? Files.readAllBytes(indexFile) : null;
    } catch (IOException e) {
      return null;
    }
  }

  /** Refuses a non-empty directory that is not an OCI layout; called under the lock. */
  private static void checkLayoutDirectory(Path layout) {
    if (Files.isDirectory(layout) && !Files.exists(layout.resolve("oci-layout"))) {
      try (Stream<Path> list = Files.list(layout)) {
        List<String> others = list.map(p -> p.getFileName().toString())
            .filter(n -> !n.equals(LOCK_FILE) && !n.equals(TMP_DIR)).sorted().limit(3).toList();
        if (!others.isEmpty()) {
          throw new OciException("refusing to write an OCI layout into " + layout + ": the directory is not empty"
              + " (" + String.join(", ", others) + ", ...) and has no oci-layout file; choose an empty or new directory");
        }
      } catch (IOException e) {
        throw new OciException("cannot list " + layout + ": " + e + "; check its permissions", e);
      }
    }
  }

  /** The layout's index with each tag pointing at {@code written}, other entries kept in place. */
  @SuppressWarnings("unchecked")
  static byte[] updatedIndex(Path indexFile, List<String> tags, ImageWriter.Written written) throws IOException {
    List<Object> manifests = new ArrayList<>();
    Map<String, Object> root = Json.object();
    root.put("schemaVersion", 2);
    root.put("mediaType", MediaTypes.INDEX);
    if (Files.exists(indexFile)) {
      Map<String, Object> old;
      try {
        old = Json.parseObjectFile(indexFile);
      } catch (IllegalArgumentException e) {
        throw new OciException("the layout's index " + indexFile + " is not valid JSON (" + e.getMessage()
            + "); repair or delete the layout and write again", e);
      }
      Object list = old.get("manifests");
      if (list instanceof List<?> l) {
        manifests.addAll(l);
      }
      // Keep unknown top-level fields of another writer, in their order.
      old.forEach((k, v) -> {
        if (!k.equals("schemaVersion") && !k.equals("mediaType") && !k.equals("manifests")) {
          root.put(k, v);
        }
      });
    }
    for (String tag : tags) {
      Map<String, Object> descriptor = ImageJson.descriptor(written.mediaType(), written.digest(), written.size(),
          written.platform(), Map.of(MediaTypes.REF_NAME, tag));
      int at = -1;
      for (int i = 0; i < manifests.size(); i++) {
        if (manifests.get(i) instanceof Map<?, ?> m && m.get("annotations") instanceof Map<?, ?> a
            && tag.equals(a.get(MediaTypes.REF_NAME))) {
          if (at < 0) {
            at = i;
          } else {
            manifests.remove(i--); // a second descriptor with this tag: the tag moves, drop it
          }
        }
      }
      if (at >= 0) {
        LOG.debug("tag {} moves from {}", tag, ((Map<String, Object>) manifests.get(at)).get("digest"));
        manifests.set(at, descriptor);
      } else {
        manifests.add(descriptor);
      }
    }
    Map<String, Object> ordered = new LinkedHashMap<>();
    ordered.put("schemaVersion", 2);
    ordered.put("mediaType", MediaTypes.INDEX);
    ordered.put("manifests", manifests);
    root.forEach(ordered::putIfAbsent);
    return ImageJson.bytes(ordered);
  }

  /** Deletes a file or directory tree if present. */
  public static void deleteTree(Path path) throws IOException {
    if (!Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(path)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
