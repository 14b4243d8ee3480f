package dev.scratchkit.internal.oci;

import dev.scratchkit.oci.Digest;
import dev.scratchkit.oci.OciException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@code blobs/sha256} directory that is only ever added to atomically: each blob is
 * written to a temp file, synced, checked against its digest, then renamed to its digest.
 *
 * <p>A blob already present is kept only when its bytes hash to its name (checked once per
 * store, streaming); a damaged one (other bytes, other size, not a regular file) is replaced
 * with a warning naming it. One store serves one write, made under the layout's lock, so what
 * it checked stays true while it lives.
 *
 * <p>Across writes in one JVM, a blob file this JVM wrote or hashed is remembered with its
 * identity then (device and inode, size, modification and change time, taken under the layout's
 * lock): while the file keeps that identity it is known intact without being read again. Any
 * write, truncation, rename over it or chmod moves its change time, which user space cannot set
 * back, so a changed identity means a full hash before the blob is trusted. Media errors that
 * change bytes under an unchanged inode are not detected this way within one JVM; a new JVM
 * hashes every blob again before it keeps one.
 *
 * <p>A {@link #deferred deferred} store writes every blob to its temp file and syncs and renames
 * them all in {@link #commit}: one round of parallel syncs instead of one sync after the other
 * (a sync waits for a journal commit; concurrent ones share it).
 */
public final class BlobStore {

  private static final Logger LOG = LoggerFactory.getLogger(BlobStore.class);
  private static final int BUFFER = 1 << 20;

  /** Writes content into a stream. */
  @FunctionalInterface
  public interface Content {
    /** Writes the content; returns a value the caller wants back (e.g. a layer descriptor). */
    Object writeTo(OutputStream out) throws IOException;
  }

  /** The outcome of storing one blob. */
  public record Stored(Digest digest, long size, boolean skipped, Object value) {}

  /** A file whose bytes are not the blob they should be; the message names it and what was found. */
  static final class DamagedBlobException extends IOException {
    private static final long serialVersionUID = 1L;
    private final String finding;

    DamagedBlobException(Path file, String finding) {
      super(file + " " + finding);
      this.finding = finding;
    }

    /** What was found, without the file: e.g. {@code has digest sha256:.. instead of sha256:..}. */
    public String finding() {
      return finding;
    }
  }

  private final Path dir;
  private final Path tmp;
  private final String description;
  private final boolean durable;
  /** Blobs of {@link #dir} checked by this store: true when intact. */
  private final Map<Digest, Boolean> checked = new HashMap<>();
  private final boolean deferred;
  /** Blobs written by a deferred store, waiting for {@link #commit}, by digest. */
  private final Map<Digest, Pending> pending = new java.util.LinkedHashMap<>();
  private boolean added;

  /**
   * A blob a staging store leaves where it is instead of copying it (a layer cache entry): the
   * archive writer copies it straight from there, checking its size and digest on the way.
   *
   * @param source the file holding the blob
   * @param digest its digest
   * @param size its size
   */
  public record Reference(Path source, Digest digest, long size) {}

  /** Blobs left in place by {@link #putFile}, by digest; null when every blob is copied in. */
  private Map<Digest, Reference> references;

  /** A blob in its temp file, still open so that its sync reports any write-back error. */
  private record Pending(Path temp, TempOutput file) {}

  /**
   * Blob files this JVM wrote or hashed, with their identity and digest then; see the class
   * comment. Bounded, least recently used out.
   */
  private static final Map<Path, String> VERIFIED = RecentlyUsed.map(16384);

  /** Syncs of one commit run side by side; daemon threads, gone when idle. */
  private static final java.util.concurrent.ExecutorService SYNCS = new java.util.concurrent.ThreadPoolExecutor(0, 8,
      2, java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.SynchronousQueue<>(), r -> {
        Thread t = new Thread(r, "scratchkit-sync");
        t.setDaemon(true);
        return t;
      }, new java.util.concurrent.ThreadPoolExecutor.CallerRunsPolicy());

  /**
   * @param dir the {@code blobs/sha256} directory
   * @param tmp a directory on the same file system for temp files
   * @param description for messages, e.g. {@code OCI layout /tmp/img}
   */
  public BlobStore(Path dir, Path tmp, String description) {
    this(dir, tmp, description, true);
  }

  /**
   * @param durable whether each blob is synced to disk before it is renamed into place; false
   *     for staging whose result is synced as a whole (an archive), or thrown away (a push)
   */
  public BlobStore(Path dir, Path tmp, String description, boolean durable) {
    this(dir, tmp, description, durable, false);
  }

  private BlobStore(Path dir, Path tmp, String description, boolean durable, boolean deferred) {
    this.dir = dir;
    this.tmp = tmp;
    this.description = description;
    this.durable = durable;
    this.deferred = deferred;
  }

  /**
   * A store whose new blobs stay in their temp files (where {@link #path} finds them) until
   * {@link #commit}, which syncs them side by side (when durable) and renames them into place.
   */
  public static BlobStore deferred(Path dir, Path tmp, String description, boolean durable) {
    return new BlobStore(dir, tmp, description, durable, true);
  }

  /** A temp file being written, durable or not. */
  private interface TempOutput extends AutoCloseable {
    OutputStream stream();

    void sync() throws IOException;

    @Override
    void close() throws IOException;
  }

  private TempOutput openTemp(Path temp) throws IOException {
    if (durable) {
      DurableFileOutput file = DurableFileOutput.create(temp);
      return new TempOutput() {
        @Override
        public OutputStream stream() {
          return file;
        }

        @Override
        public void sync() throws IOException {
          file.sync();
        }

        @Override
        public void close() throws IOException {
          file.close();
        }
      };
    }
    OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(temp, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE), 1 << 16);
    return new TempOutput() {
      @Override
      public OutputStream stream() {
        return out;
      }

      @Override
      public void sync() throws IOException {
        out.flush();
      }

      @Override
      public void close() throws IOException {
        out.close();
      }
    };
  }

  /** The blobs directory. */
  public Path dir() {
    return dir;
  }

  /** The file of a blob: its temp file while a deferred store has not committed it. */
  public Path path(Digest digest) {
    Pending p = pending.get(digest);
    return p != null ? p.temp() : dir.resolve(digest.hex());
  }

  /**
   * Finishes a deferred store: syncs every new blob and each of {@code alsoSync} (files the
   * caller wrote and has not closed, e.g. the next {@code index.json}) side by side when durable,
   * then renames the blobs into place and syncs the blob directory. Does nothing more when no
   * blob is new.
   *
   * @param alsoSync more open temp files to sync in the same round, then closed
   * @throws IOException when a sync reports an error; nothing was renamed then
   */
  public void commit(List<DurableFileOutput> alsoSync) throws IOException {
    List<java.util.concurrent.Callable<Void>> syncs = new java.util.ArrayList<>();
    for (Pending p : pending.values()) {
      syncs.add(() -> {
        p.file().sync();
        p.file().close();
        return null;
      });
    }
    for (DurableFileOutput f : alsoSync) {
      syncs.add(() -> {
        f.sync();
        return null;
      });
    }
    runAll(syncs);
    for (Map.Entry<Digest, Pending> p : pending.entrySet()) {
      moveIntoPlace(p.getValue().temp(), p.getKey());
    }
    pending.clear();
    if (added && durable) {
      syncDirectory(dir);
    }
  }

  /** Closes the temp files of blobs not committed (a failed write); the caller deletes them. */
  public void abandon() {
    for (Pending p : pending.values()) {
      try {
        p.file().close();
      } catch (IOException e) {
        // being thrown away
      }
    }
    pending.clear();
  }

  /** Runs the tasks side by side (the first here) and throws the first failure once all are done. */
  private static void runAll(List<java.util.concurrent.Callable<Void>> tasks) throws IOException {
    List<java.util.concurrent.Future<Void>> futures = new java.util.ArrayList<>();
    for (int i = 1; i < tasks.size(); i++) {
      futures.add(SYNCS.submit(tasks.get(i)));
    }
    IOException failure = null;
    try {
      if (!tasks.isEmpty()) {
        tasks.get(0).call();
      }
    } catch (IOException e) {
      failure = e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    boolean interrupted = false;
    for (java.util.concurrent.Future<Void> f : futures) {
      while (true) {
        try {
          f.get();
          break;
        } catch (InterruptedException e) {
          interrupted = true; // a sync is short; finish waiting, then restore the flag
        } catch (java.util.concurrent.ExecutionException e) {
          if (failure == null) {
            failure = e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
          }
          break;
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    if (failure != null) {
      throw failure;
    }
  }

  /**
   * Makes {@link #putFile} leave blobs where they are and add them to {@code into} instead of
   * copying them, for a staging layout whose files are then copied once more (an archive).
   */
  public void referenceFilesInto(Map<Digest, Reference> into) {
    this.references = into;
  }

  /** Whether a blob was renamed into place by this store. */
  public boolean added() {
    return added;
  }

  /** Stores bytes whose digest is computed here. */
  public Stored put(byte[] bytes) throws IOException {
    Digest digest = Digest.ofSha256(DigestingOutputStream.newSha256().digest(bytes));
    if (intact(digest, bytes.length)) {
      return new Stored(digest, bytes.length, true, null);
    }
    return put(out -> {
      out.write(bytes);
      return null;
    }, digest);
  }

  /**
   * Streams content into a temp file and renames it to its digest.
   *
   * @param expected the digest the content must have, or null when it is only known after writing
   */
  public Stored put(Content content, Digest expected) throws IOException {
    Files.createDirectories(dir);
    Files.createDirectories(tmp);
    Path temp = tempName(tmp, "blob-");
    try {
      Object value;
      Digest digest;
      long size;
      TempOutput file = openTemp(temp);
      boolean keepOpen = false;
      try {
        DigestingOutputStream out = new DigestingOutputStream(file.stream());
        value = content.writeTo(out);
        out.flush();
        digest = out.digest();
        size = out.count();
        if (expected != null && !expected.equals(digest)) {
          throw new OciException("blob written to " + temp + " has digest " + digest + " instead of " + expected
              + " (" + description + "); the disk or a concurrent writer changed it, write the image again");
        }
        if (intact(digest, size)) {
          return new Stored(digest, size, true, value);
        }
        if (deferred) {
          pending.put(digest, new Pending(temp, file));
          checked.put(digest, true);
          keepOpen = true;
          return new Stored(digest, size, false, value);
        }
        file.sync();
      } finally {
        if (!keepOpen) {
          file.close();
        }
      }
      moveIntoPlace(temp, digest);
      return new Stored(digest, size, false, value);
    } finally {
      if (!isPending(temp)) {
        Files.deleteIfExists(temp);
      }
    }
  }

  private boolean isPending(Path temp) {
    for (Pending p : pending.values()) {
      if (p.temp().equals(temp)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Adds a blob from a file (a layer cache entry): kept when present and intact, else copied
   * while its digest is checked, so a damaged source never lands here.
   *
   * @param source the file holding the blob
   * @param digest the digest the blob has
   * @param size its size
   * @return the outcome
   * @throws DamagedBlobException when the source is not a regular file of that size and digest
   * @throws NoSuchFileException when the source is gone
   */
  public Stored putFile(Path source, Digest digest, long size) throws IOException {
    if (intact(digest, size)) {
      return new Stored(digest, size, true, null);
    }
    if (references != null) {
      BasicFileAttributes a = Files.readAttributes(source, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!a.isRegularFile() || a.size() != size) {
        throw new DamagedBlobException(source, "is not a regular file of " + size + " bytes (expected blob " + digest
            + ")");
      }
      references.put(digest, new Reference(source, digest, size));
      checked.put(digest, true);
      return new Stored(digest, size, false, null);
    }
    Files.createDirectories(dir);
    Files.createDirectories(tmp);
    Path temp = tempName(tmp, "blob-");
    TempOutput file = openTemp(temp);
    boolean keepOpen = false;
    try {
      copyVerified(source, digest, size, file.stream());
      file.stream().flush();
      if (deferred) {
        pending.put(digest, new Pending(temp, file));
        checked.put(digest, true);
        keepOpen = true;
        return new Stored(digest, size, false, null);
      }
      file.sync();
      file.close();
      moveIntoPlace(temp, digest);
      return new Stored(digest, size, false, null);
    } finally {
      if (!keepOpen) {
        file.close();
        Files.deleteIfExists(temp);
      }
    }
  }

  /**
   * Copies {@code source} into {@code out}, hashing on the way, and refuses (after copying at
   * most {@code size + 1} bytes) when it is not exactly the blob {@code digest} of {@code size}
   * bytes. The caller discards what was written when this throws.
   *
   * @throws DamagedBlobException naming the file, the digest and size expected and found
   */
  public static void copyVerified(Path source, Digest digest, long size, OutputStream out) throws IOException {
    BasicFileAttributes a = Files.readAttributes(source, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    if (!a.isRegularFile()) {
      throw new DamagedBlobException(source, "is not a regular file (expected blob " + digest + ")");
    }
    String before = identity(source, digest);
    // Hashed before under this identity: copy without hashing again (the size is still checked).
    MessageDigest sha256 = before != null && before.equals(VERIFIED.get(source)) ? null
        : DigestingOutputStream.newSha256();
    long read = 0;
    try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      ByteBuffer buffer = ByteBuffer.allocate(BUFFER);
      int n;
      while (read <= size && (n = in.read(buffer.clear())) >= 0) {
        if (sha256 != null) {
          sha256.update(buffer.array(), 0, n);
        }
        out.write(buffer.array(), 0, n);
        read += n;
      }
    }
    if (read != size) {
      VERIFIED.remove(source);
      throw new DamagedBlobException(source, "has " + (read > size ? "more than " + size : read)
          + " bytes instead of " + size + " (expected blob " + digest + ")");
    }
    if (sha256 == null) {
      return;
    }
    Digest actual = Digest.ofSha256(sha256.digest());
    if (!actual.equals(digest)) {
      VERIFIED.remove(source);
      throw new DamagedBlobException(source, "has digest " + actual + " instead of " + digest);
    }
    // Remembered only when nothing changed the file while it was hashed.
    if (before != null && before.equals(identity(source, digest))) {
      VERIFIED.put(source, before);
    }
  }

  /**
   * Records that {@code file} (written by this JVM under a lock, or just hashed) holds the blob
   * {@code digest}, with the identity it has now.
   */
  public static void remember(Path file, Digest digest) {
    String id = identity(file, digest);
    if (id != null) {
      VERIFIED.put(file, id);
    }
  }

  /** Whether {@code file} has the identity it had when it was found to hold {@code digest}. */
  static boolean knownIntact(Path file, Digest digest) {
    String id = identity(file, digest);
    return id != null && id.equals(VERIFIED.get(file));
  }

  /** Digest, size, device and inode, modification and change time of a regular file; null when unknown. */
  private static String identity(Path file, Digest digest) {
    SourceFiles.Stat s = SourceFiles.stat(file);
    if (s == null || !s.regular() || s.fileKey() == null || "-".equals(s.changed())) {
      return null;
    }
    return digest + " size=" + s.size() + " mtime=" + s.modified().toInstant() + " ctime=" + s.changed() + " key="
        + s.fileKey();
  }

  /**
   * Whether the blob {@code digest} is present and intact: a regular file of {@code size}
   * bytes hashing to its name. A present but damaged blob is logged; it is then replaced.
   */
  private boolean intact(Digest digest, long size) throws IOException {
    Boolean known = checked.get(digest);
    if (known != null) {
      return known;
    }
    Path file = dir.resolve(digest.hex());
    SourceFiles.Stat now = SourceFiles.stat(file);
    if (now != null && now.size() == size && knownIntact(file, digest)) {
      checked.put(digest, true); // this JVM wrote or hashed it, and its identity is unchanged since
      return true;
    }
    boolean ok;
    try {
      copyVerified(file, digest, size, OutputStream.nullOutputStream());
      ok = true;
    } catch (NoSuchFileException e) {
      return false;
    } catch (DamagedBlobException e) {
      LOG.warn("blob {} of {} is damaged: it {}; writing it again", file, description, e.finding());
      ok = false;
    }
    checked.put(digest, ok);
    return ok;
  }

  private void moveIntoPlace(Path temp, Digest digest) throws IOException {
    Path target = dir.resolve(digest.hex());
    try {
      // rename(2) replaces a damaged blob, even a symlink, in one step
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      throw new OciException("cannot rename " + temp + " to " + target + " atomically: " + e.getMessage()
          + "; keep the layout on one local file system", e);
    }
    checked.put(digest, true);
    added = true;
    remember(target, digest);
  }

  /** Writes {@code bytes} to {@code target} atomically: temp file, fsync, atomic rename, fsync of the directory. */
  public static void replaceAtomically(Path target, byte[] bytes, Path tmpDir) throws IOException {
    Files.createDirectories(tmpDir);
    Path temp = tempName(tmpDir, target.getFileName().toString() + "-");
    try {
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        channel.write(java.nio.ByteBuffer.wrap(bytes));
        channel.force(true);
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      syncDirectory(target.getParent());
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /**
   * A fresh temp file name. Unlike {@link Files#createTempFile} the file is then created with
   * the usual permissions (0666 less the umask), since it becomes a blob others read.
   */
  public static Path tempName(Path dir, String prefix) {
    return dir.resolve(prefix + java.util.UUID.randomUUID() + ".tmp");
  }

  /** Makes renames in {@code dir} durable; a no-op where directories cannot be opened. */
  public static void syncDirectory(Path dir) {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // Some file systems refuse fsync on directories; the rename itself is still atomic.
    }
  }
}
