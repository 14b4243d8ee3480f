package dev.scratchkit.internal.oci;

import dev.scratchkit.oci.Digest;
import dev.scratchkit.oci.OciException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Archive targets: stage the content in a directory beside the destination, tar it into a temp
 * file beside the destination, then rename over the destination. The previous file stays
 * intact until the rename, and on failure nothing is left behind. What a killed writer left
 * (its staging directory and temp file) is removed by the next write to the same destination,
 * once a lock file shows that writer is gone.
 */
public final class Archives {

  private static final Logger LOG = LoggerFactory.getLogger(Archives.class);

  /** Between the destination's name and a write's id in the names of its staging files. */
  public static final String STAGING_INFIX = ".scratchkit-";
  private static final String LOCK_SUFFIX = ".lock";
  private static final String TEMP_SUFFIX = ".tmp";
  /** Age after which staging files without a lock file (older versions wrote none) are removed. */
  static final Duration STALE_WITHOUT_LOCK = Duration.ofHours(1);
  /**
   * Lock files of the writes running in this process. File locks are per process, and closing
   * any channel of a file drops every lock the process holds on it, so a cleaner must never
   * open one of these.
   */
  private static final Set<Path> OWN_LOCK_FILES = ConcurrentHashMap.newKeySet();

  /**
   * Closes the files that archives replaced, which frees their blocks: off the writer's thread,
   * and done by the kernel at the latest when the JVM exits.
   */
  private static final ExecutorService RELEASE = BackgroundThread.named("scratchkit-release", 2);

  /** Below this size freeing the replaced archive costs nothing worth a thread hop. */
  private static final long REPLACED_KEPT_OPEN = 1 << 20;

  private Archives() {}

  /** Fills a staging directory. */
  @FunctionalInterface
  public interface Stager<T> {
    /** Writes the archive's content under {@code staging}. */
    T stage(Path staging) throws IOException;
  }

  /**
   * Stages, tars and renames.
   *
   * @param mtime every entry's modification time
   */
  public static <T> T write(Path destination, Instant mtime, String kind, Stager<T> stager) {
    return write(destination, mtime, kind, stager, Map.of());
  }

  /** A referenced blob that turned out not to be the blob; the caller writes again without references. */
  public static final class DamagedReferenceException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    DamagedReferenceException(IOException cause) {
      super(cause.getMessage(), cause);
    }
  }

  /**
   * What an archive this JVM wrote holds: a key over its members, and the file's identity right
   * after it was renamed into place.
   */
  private record Written(String members, String identity) {}

  /** Archives written by this JVM, by path; bounded, least recently used out. */
  private static final Map<Path, Written> WRITTEN = RecentlyUsed.map(1024);

  /**
   * Stages, tars and renames; the archive also gets the blobs in {@code references} (filled by
   * the stager), copied from where they are with their size and digest checked on the way.
   *
   * <p>When this JVM wrote the destination, the file still has the identity it had then, and its
   * members would be the same (names, sizes, the blobs' digests, the other files' bytes), it is
   * left as it is: a rebuild of an unchanged image does not copy and sync the archive again.
   *
   * @throws DamagedReferenceException when a referenced blob is not the blob (nothing is replaced)
   */
  public static <T> T write(Path destination, Instant mtime, String kind, Stager<T> stager,
      Map<Digest, BlobStore.Reference> references) {
    Path file = destination.toAbsolutePath().normalize();
    Path parent = file.getParent();
    if (Files.isDirectory(file)) {
      throw new OciException("cannot write the " + kind + " " + file + ": it is a directory; give a file name such as "
          + file.resolve("image.tar"));
    }
    if (parent == null || !Files.isDirectory(parent)) {
      throw new OciException("cannot write the " + kind + " " + file + ": the directory " + parent
          + " does not exist; create it first");
    }
    String base = "." + file.getFileName() + STAGING_INFIX;
    try (Staging own = Staging.create(parent, base)) {
      removeStale(parent, base, own.id);
      Path staging = own.dir;
      T value = stager.stage(staging);
      List<Member> members = members(staging, references);
      String key = membersKey(members, mtime);
      Written before = WRITTEN.get(file);
      if (before != null && before.members().equals(key) && before.identity().equals(identity(file))) {
        LOG.debug("{} {} already holds these members; left as it is", kind, file);
        return value;
      }
      try (DurableFileOutput archive = DurableFileOutput.create(own.temp)) {
        OutputStream out = new BufferedOutputStream(archive, 64 * 1024);
        tar(members, out, mtime);
        out.flush();
        archive.sync();
      }
      WRITTEN.remove(file);
      FileChannel replaced = openReplaced(file);
      try {
        Files.move(own.temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException e) {
        if (replaced == null) {
          throw e;
        }
        // A file system that will not replace an open file (not Linux's): replace it closed.
        closeQuietly(replaced);
        replaced = null;
        Files.move(own.temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        release(replaced);
      }
      BlobStore.syncDirectory(parent);
      String after = identity(file);
      if (after != null) {
        WRITTEN.put(file, new Written(key, after));
      }
      return value;
    } catch (BlobStore.DamagedBlobException e) {
      throw new DamagedReferenceException(e);
    } catch (IOException e) {
      throw new OciException("cannot write the " + kind + " " + file + ": " + e
          + "; check free space and permissions in " + parent + " (any previous file is unchanged)", e);
    }
  }

  /**
   * The files of one archive write beside the destination, all named {@code BASE + ID}: the
   * lock file {@code .lock}, locked for as long as the write runs and deleted last; the
   * staging directory (no suffix); the archive's temp file {@code .tmp}. A later write deletes
   * them once it can take the lock, i.e. once their writer is gone.
   */
  private static final class Staging implements AutoCloseable {
    final String id;
    final Path lockFile;
    final Path dir;
    final Path temp;
    private final FileChannel channel;

    private Staging(Path parent, String base, String id, FileChannel channel) {
      this.id = id;
      this.lockFile = parent.resolve(base + id + LOCK_SUFFIX);
      this.dir = parent.resolve(base + id);
      this.temp = parent.resolve(base + id + TEMP_SUFFIX);
      this.channel = channel;
    }

    static Staging create(Path parent, String base) throws IOException {
      while (true) {
        String id = UUID.randomUUID().toString();
        Path lockFile = parent.resolve(base + id + LOCK_SUFFIX);
        // Known as ours before it exists, so that no cleaner of this process ever opens it.
        OWN_LOCK_FILES.add(lockFile);
        FileChannel channel = null;
        try {
          channel = FileChannel.open(lockFile, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
          channel.lock();
          if (!Files.exists(lockFile, LinkOption.NOFOLLOW_LINKS)) {
            // Another process's cleaner locked and deleted it between its creation and our
            // lock (a stat, unlike an open, keeps our lock): start again under a new id.
            channel.close();
            OWN_LOCK_FILES.remove(lockFile);
            continue;
          }
          Staging s = new Staging(parent, base, id, channel);
          Files.createDirectory(s.dir);
          return s;
        } catch (IOException | RuntimeException e) {
          if (channel != null) {
            channel.close();
          }
          Files.deleteIfExists(lockFile);
          OWN_LOCK_FILES.remove(lockFile);
          throw e;
        }
      }
    }

    @Override
    public void close() {
      try {
        Files.deleteIfExists(temp);
        Layouts.deleteTree(dir);
        Files.deleteIfExists(lockFile);
      } catch (IOException e) {
        // best effort: the destination is already correct or unchanged; the next write retries
      } finally {
        try {
          channel.close();
        } catch (IOException e) {
          // closing releases the lock either way
        }
        OWN_LOCK_FILES.remove(lockFile);
      }
    }
  }

  /**
   * Deletes what killed writers of the same destination left: every {@code BASE + ID}
   * group whose lock can be taken; and, from versions that wrote no lock file, staging
   * entries untouched for {@link #STALE_WITHOUT_LOCK}.
   */
  static void removeStale(Path parent, String base, String ownId) {
    List<Path> candidates;
    try (Stream<Path> list = Files.list(parent)) {
      candidates = list.filter(p -> p.getFileName().toString().startsWith(base)).sorted().toList();
    } catch (IOException e) {
      LOG.debug("cannot list {} for stale staging files: {}", parent, e.toString());
      return;
    }
    Instant staleBefore = Instant.now().minus(STALE_WITHOUT_LOCK);
    for (Path p : candidates) {
      String rest = p.getFileName().toString().substring(base.length());
      String id = rest.endsWith(LOCK_SUFFIX) ? rest.substring(0, rest.length() - LOCK_SUFFIX.length())
          : rest.endsWith(TEMP_SUFFIX) ? rest.substring(0, rest.length() - TEMP_SUFFIX.length()) : rest;
      if (id.equals(ownId)) {
        continue;
      }
      Path lockFile = parent.resolve(base + id + LOCK_SUFFIX);
      try {
        if (p.equals(lockFile)) {
          removeIfOwnerGone(parent, base, id);
        } else if (!Files.exists(lockFile, LinkOption.NOFOLLOW_LINKS)
            && Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toInstant().isBefore(staleBefore)) {
          long size = treeSize(p);
          Layouts.deleteTree(p);
          LOG.info("removed {} ({} bytes), left by an archive writer that stopped before {}", p, size, staleBefore);
        }
      } catch (IOException | RuntimeException e) {
        LOG.debug("cannot remove stale staging file {}: {}", p, e.toString());
      }
    }
  }

  private static void removeIfOwnerGone(Path parent, String base, String id) throws IOException {
    Path lockFile = parent.resolve(base + id + LOCK_SUFFIX);
    if (OWN_LOCK_FILES.contains(lockFile)) {
      return; // a write of this process; opening its lock file here would drop its lock
    }
    try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        return; // a write of this process, just starting
      }
      if (lock == null) {
        return; // its writer is running
      }
      for (Path p : List.of(parent.resolve(base + id + TEMP_SUFFIX), parent.resolve(base + id))) {
        if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
          long size = treeSize(p);
          Layouts.deleteTree(p);
          LOG.info("removed {} ({} bytes), left by an archive writer that was killed", p, size);
        }
      }
      Files.deleteIfExists(lockFile); // last, still locked: a writer never sees its group half gone
    } catch (NoSuchFileException e) {
      // its writer finished meanwhile
    }
  }

  private static long treeSize(Path p) throws IOException {
    try (Stream<Path> walk = Files.walk(p)) {
      return walk.mapToLong(f -> {
        try {
          BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
          return a.isRegularFile() ? a.size() : 0;
        } catch (IOException e) {
          return 0;
        }
      }).sum();
    }
  }

  /**
   * One member of an archive: a directory, a staged file, or a referenced blob.
   *
   * @param name the member name, a directory's with a trailing slash
   * @param file the staged file, or null
   * @param reference the referenced blob, or null
   */
  private record Member(String name, Path file, BlobStore.Reference reference) {}

  /** The staging tree's members and the referenced blobs, sorted by name (UTF-8 bytes). */
  private static List<Member> members(Path root, Map<Digest, BlobStore.Reference> references) throws IOException {
    List<Member> members = new java.util.ArrayList<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.filter(p -> !p.equals(root)).toList()) {
        String name = root.relativize(p).toString().replace('\\', '/');
        boolean dir = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
        members.add(new Member(dir ? name + "/" : name, dir ? null : p, null));
      }
    }
    for (BlobStore.Reference r : references.values()) {
      String name = "blobs/" + r.digest().algorithm() + "/" + r.digest().hex();
      if (members.stream().noneMatch(m -> m.name().equals(name))) {
        members.add(new Member(name, null, r));
      }
    }
    members.sort((a, b) -> java.util.Arrays.compareUnsigned(a.name().getBytes(StandardCharsets.UTF_8),
        b.name().getBytes(StandardCharsets.UTF_8)));
    return members;
  }

  /**
   * A digest over what the archive's bytes are made of: the mtime, every member's name and size,
   * a blob by its name (its digest, checked when copied), any other file by its SHA-256.
   */
  private static String membersKey(List<Member> members, Instant mtime) throws IOException {
    java.security.MessageDigest sha = DigestingOutputStream.newSha256();
    sha.update(("scratchkit-archive/1 mtime=" + mtime.getEpochSecond() + "\n").getBytes(StandardCharsets.UTF_8));
    for (Member m : members) {
      String line;
      if (m.reference() != null) {
        line = m.name() + " " + m.reference().size();
      } else if (m.file() == null) {
        line = m.name();
      } else if (m.name().startsWith("blobs/")) {
        line = m.name() + " " + Files.size(m.file());
      } else {
        byte[] bytes = Files.readAllBytes(m.file());
        line = m.name() + " " + bytes.length + " " + java.util.HexFormat.of().formatHex(
            DigestingOutputStream.newSha256().digest(bytes));
      }
      sha.update((line.length() + ":" + line + "\n").getBytes(StandardCharsets.UTF_8));
    }
    return java.util.HexFormat.of().formatHex(sha.digest());
  }

  /**
   * The archive a rename is about to replace, opened, or null. While it is open the rename only
   * takes its name away: the file system frees its blocks when the last descriptor closes, which
   * on ext4 took 7 ms for a 7 MB archive inside the rename. Only a regular file, without
   * following a link, and read-write: opening a FIFO swapped in meanwhile never blocks then, and
   * a file this process may not write is simply replaced as before.
   */
  private static FileChannel openReplaced(Path file) {
    SourceFiles.Stat s = SourceFiles.stat(file);
    if (s == null || !s.regular() || s.size() < REPLACED_KEPT_OPEN) {
      return null;
    }
    try {
      return FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** Closes a replaced archive on the release thread (here when that thread cannot take it). */
  private static void release(FileChannel replaced) {
    if (replaced == null) {
      return;
    }
    try {
      RELEASE.execute(() -> closeQuietly(replaced));
    } catch (RejectedExecutionException e) {
      closeQuietly(replaced);
    }
  }

  private static void closeQuietly(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException e) {
      // only frees space; the archive is already in place
    }
  }

  /** Device and inode, size, modification and change time of a regular file; null when unknown. */
  private static String identity(Path file) {
    SourceFiles.Stat s = SourceFiles.stat(file);
    if (s == null || !s.regular() || s.fileKey() == null || "-".equals(s.changed())) {
      return null;
    }
    return s.fileKey() + " " + s.size() + " " + s.modified().toInstant() + " " + s.changed();
  }

  /** Tars a directory tree: sorted names, directories 0755, files 0644, root-owned, fixed mtime. */
  static void tarTree(Path root, OutputStream out, Instant mtime) throws IOException {
    tar(members(root, Map.of()), out, mtime);
  }

  private static void tar(List<Member> members, OutputStream out, Instant mtime) throws IOException {
    FileTime time = FileTime.from(mtime.getEpochSecond(), TimeUnit.SECONDS);
    TarArchiveOutputStream tar = new TarArchiveOutputStream(new NonClosingOutputStream(out), StandardCharsets.UTF_8.name());
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    byte[] buffer = new byte[64 * 1024];
    for (Member m : members) {
      boolean dir = m.name().endsWith("/");
      TarArchiveEntry e = new TarArchiveEntry(m.name(), dir ? TarConstants.LF_DIR : TarConstants.LF_NORMAL, true);
      e.setMode(dir ? 0755 : 0644);
      e.setUserId(0);
      e.setGroupId(0);
      e.setUserName("");
      e.setGroupName("");
      e.setLastModifiedTime(time);
      if (m.reference() != null) {
        e.setSize(m.reference().size());
        tar.putArchiveEntry(e);
        // Hashed on the way (unless this JVM hashed this very file before): a damaged entry fails the write.
        try {
          BlobStore.copyVerified(m.reference().source(), m.reference().digest(), m.reference().size(), tar);
        } catch (java.nio.file.NoSuchFileException gone) {
          throw new BlobStore.DamagedBlobException(m.reference().source(), "is gone (evicted meanwhile)");
        }
      } else if (!dir) {
        e.setSize(Files.size(m.file()));
        tar.putArchiveEntry(e);
        try (InputStream in = Files.newInputStream(m.file())) {
          int n;
          while ((n = in.read(buffer)) > 0) {
            tar.write(buffer, 0, n);
          }
        }
      } else {
        tar.putArchiveEntry(e);
      }
      tar.closeArchiveEntry();
    }
    tar.finish();
    tar.close();
  }

}
