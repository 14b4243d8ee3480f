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
    this.dir = dir;
    this.tmp = tmp;
    this.description = description;
    this.durable = durable;
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

  /** The file of a blob. */
  public Path path(Digest digest) {
    return dir.resolve(digest.hex());
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
      try (TempOutput file = openTemp(temp)) {
        DigestingOutputStream out = new DigestingOutputStream(file.stream());
        value = content.writeTo(out);
        out.flush();
        file.sync();
        digest = out.digest();
        size = out.count();
      }
      if (expected != null && !expected.equals(digest)) {
        throw new OciException("blob written to " + temp + " has digest " + digest + " instead of " + expected
            + " (" + description + "); the disk or a concurrent writer changed it, write the image again");
      }
      if (intact(digest, size)) {
        Files.delete(temp);
        return new Stored(digest, size, true, value);
      }
      moveIntoPlace(temp, digest);
      return new Stored(digest, size, false, value);
    } finally {
      Files.deleteIfExists(temp);
    }
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
    Files.createDirectories(dir);
    Files.createDirectories(tmp);
    Path temp = tempName(tmp, "blob-");
    try {
      try (TempOutput file = openTemp(temp)) {
        copyVerified(source, digest, size, file.stream());
        file.stream().flush();
        file.sync();
      }
      moveIntoPlace(temp, digest);
      return new Stored(digest, size, false, null);
    } finally {
      Files.deleteIfExists(temp);
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
    MessageDigest sha256 = DigestingOutputStream.newSha256();
    long read = 0;
    try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      ByteBuffer buffer = ByteBuffer.allocate(BUFFER);
      int n;
      while (read <= size && (n = in.read(buffer.clear())) >= 0) {
        sha256.update(buffer.array(), 0, n);
        out.write(buffer.array(), 0, n);
        read += n;
      }
    }
    Digest actual = Digest.ofSha256(sha256.digest());
    if (read != size) {
      throw new DamagedBlobException(source, "has " + (read > size ? "more than " + size : read)
          + " bytes instead of " + size + " (expected blob " + digest + ")");
    }
    if (!actual.equals(digest)) {
      throw new DamagedBlobException(source, "has digest " + actual + " instead of " + digest);
    }
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
    Path file = path(digest);
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
    Path target = path(digest);
    try {
      // rename(2) replaces a damaged blob, even a symlink, in one step
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      throw new OciException("cannot rename " + temp + " to " + target + " atomically: " + e.getMessage()
          + "; keep the layout on one local file system", e);
    }
    checked.put(digest, true);
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
