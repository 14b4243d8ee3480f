package dev.scratchkit.internal.oci;

import dev.scratchkit.oci.Digest;
import dev.scratchkit.oci.OciException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * A {@code blobs/sha256} directory that is only ever added to atomically: each blob is
 * written to a temp file, synced, checked against its digest, then renamed to its digest.
 * A blob already present (same name and size) is kept and the new copy dropped.
 */
public final class BlobStore {

  /** Writes content into a stream. */
  @FunctionalInterface
  public interface Content {
    /** Writes the content; returns a value the caller wants back (e.g. a layer descriptor). */
    Object writeTo(OutputStream out) throws IOException;
  }

  /** The outcome of storing one blob. */
  public record Stored(Digest digest, long size, boolean skipped, Object value) {}

  private final Path dir;
  private final Path tmp;
  private final String description;

  /**
   * @param dir the {@code blobs/sha256} directory
   * @param tmp a directory on the same file system for temp files
   * @param description for messages, e.g. {@code OCI layout /tmp/img}
   */
  public BlobStore(Path dir, Path tmp, String description) {
    this.dir = dir;
    this.tmp = tmp;
    this.description = description;
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
    Path target = path(digest);
    if (Files.isRegularFile(target) && Files.size(target) == bytes.length) {
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
      try (DurableFileOutput file = DurableFileOutput.create(temp)) {
        DigestingOutputStream out = new DigestingOutputStream(file);
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
      Path target = path(digest);
      if (Files.isRegularFile(target) && Files.size(target) == size) {
        Files.delete(temp);
        return new Stored(digest, size, true, value);
      }
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        throw new OciException("cannot rename " + temp + " to " + target + " atomically: " + e.getMessage()
            + "; keep the layout on one local file system", e);
      }
      return new Stored(digest, size, false, value);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /**
   * Adds a blob from a file (a layer cache entry): kept when present with the same size, else
   * hard-linked (nothing is read), else copied while its digest is checked.
   *
   * @param source the file holding the blob
   * @param digest the digest the blob has
   * @param size its size
   * @return the outcome, or empty when the copy did not match the digest or the source vanished
   *     (the caller then writes the blob itself)
   */
  public java.util.Optional<Stored> putFile(Path source, Digest digest, long size) throws IOException {
    Path target = path(digest);
    if (Files.isRegularFile(target) && Files.size(target) == size) {
      return java.util.Optional.of(new Stored(digest, size, true, null));
    }
    Files.createDirectories(dir);
    Files.createDirectories(tmp);
    Path temp = tempName(tmp, "blob-");
    try {
      try {
        Files.createLink(temp, source);
      } catch (java.nio.file.NoSuchFileException e) {
        return java.util.Optional.empty();
      } catch (IOException | UnsupportedOperationException e) {
        // another file system: copy, and check the digest on the way
        try (java.io.InputStream in = Files.newInputStream(source);
            DurableFileOutput file = DurableFileOutput.create(temp)) {
          DigestingOutputStream out = new DigestingOutputStream(file);
          in.transferTo(out);
          out.flush();
          file.sync();
          if (out.count() != size || !out.digest().equals(digest)) {
            return java.util.Optional.empty();
          }
        } catch (java.nio.file.NoSuchFileException gone) {
          return java.util.Optional.empty();
        }
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
      return java.util.Optional.of(new Stored(digest, size, false, null));
    } finally {
      Files.deleteIfExists(temp);
    }
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
