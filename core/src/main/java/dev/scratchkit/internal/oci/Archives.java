package dev.scratchkit.internal.oci;

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
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
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
      try (DurableFileOutput archive = DurableFileOutput.create(own.temp)) {
        OutputStream out = new BufferedOutputStream(archive, 64 * 1024);
        tarTree(staging, out, mtime);
        out.flush();
        archive.sync();
      }
      Files.move(own.temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      BlobStore.syncDirectory(parent);
      return value;
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

  /** Tars a directory tree: sorted names, directories 0755, files 0644, root-owned, fixed mtime. */
  static void tarTree(Path root, OutputStream out, Instant mtime) throws IOException {
    FileTime time = FileTime.from(mtime.getEpochSecond(), TimeUnit.SECONDS);
    List<Path> paths;
    try (Stream<Path> walk = Files.walk(root)) {
      paths = walk.filter(p -> !p.equals(root)).toList();
    }
    List<String> names = paths.stream().map(p -> root.relativize(p).toString().replace('\\', '/')
        + (Files.isDirectory(p) ? "/" : "")).sorted((a, b) -> java.util.Arrays.compareUnsigned(
            a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8))).toList();
    TarArchiveOutputStream tar = new TarArchiveOutputStream(new NonClosingOutputStream(out), StandardCharsets.UTF_8.name());
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    byte[] buffer = new byte[64 * 1024];
    for (String name : names) {
      boolean dir = name.endsWith("/");
      TarArchiveEntry e = new TarArchiveEntry(name, dir ? TarConstants.LF_DIR : TarConstants.LF_NORMAL, true);
      e.setMode(dir ? 0755 : 0644);
      e.setUserId(0);
      e.setGroupId(0);
      e.setUserName("");
      e.setGroupName("");
      e.setLastModifiedTime(time);
      Path p = root.resolve(dir ? name.substring(0, name.length() - 1) : name);
      if (!dir) {
        e.setSize(Files.size(p));
      }
      tar.putArchiveEntry(e);
      if (!dir) {
        try (InputStream in = Files.newInputStream(p)) {
          int n;
          while ((n = in.read(buffer)) > 0) {
            tar.write(buffer, 0, n);
          }
        }
      }
      tar.closeArchiveEntry();
    }
    tar.finish();
    tar.close();
  }

}
