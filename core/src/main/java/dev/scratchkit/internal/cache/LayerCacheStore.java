package dev.scratchkit.internal.cache;

import dev.scratchkit.internal.oci.BlobStore;
import dev.scratchkit.internal.oci.DigestingOutputStream;
import dev.scratchkit.oci.Digest;
import dev.scratchkit.oci.LayerCache;
import dev.scratchkit.oci.LayerDescriptor;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The layer cache on disk. Under {@code <dir>/layers-v1/} each entry is two files named by its
 * {@link LayerKey}: {@code KEY.blob}, the compressed layer (a copy of its own, never a link to
 * a target's blob, so damage to one never reaches the other), and {@code KEY.rec}, a small
 * text record (digest, diff ID, sizes, media type, the blob's size/mtime/inode when stored, and
 * a SHA-256 over these lines).
 *
 * <p>Nothing unverified is served: a blob enters the cache only after it was hashed while being
 * copied in (or, {@link Incoming}, copied from the very bytes hashed as the target took them), and
 * leaves it only by {@link BlobStore#putFile}, which hashes while it copies and
 * refuses a mismatch; the caller then {@link #drop drops} the entry (with a warning naming it)
 * and compresses the layer again. The record's checksum and the blob's size, mtime and inode
 * are a cheap first check that catches most damage before anything is copied.
 *
 * <p>Concurrency: both files are written under unique temp names and renamed, the blob first,
 * so a reader sees either no record or a complete one. Anything off counts as a miss, and the
 * writer that then compresses the layer replaces the entry. An eviction racing with a reader
 * makes that reader miss, never serve a partial blob.
 *
 * <p>Recency: a hit sets the record's modification time; eviction deletes the entries with the
 * oldest records until the blobs fit in the bound. Failures of the cache are logged and never
 * fail a build: the layer is then just compressed.
 */
public final class LayerCacheStore {

  private static final Logger LOG = LoggerFactory.getLogger(LayerCacheStore.class);
  private static final String BLOB = ".blob";
  private static final String RECORD = ".rec";
  private static final String TEMP = ".tmp";
  private static final Duration STALE_TEMP = Duration.ofHours(1);

  /** A usable entry: what the layer looks like and the blob file to copy (verified) from. */
  public record Hit(LayerDescriptor descriptor, Path blob) {}

  private final Path dir;
  private final long maxSize;

  /** A store in {@code <directory>/layers-v1}. */
  public LayerCacheStore(Path directory, long maxSize) {
    this.dir = directory.resolve("layers-v1");
    this.maxSize = maxSize;
  }

  /** The store of a public setting, or null when caching is disabled. */
  public static LayerCacheStore of(LayerCache cache) {
    return cache.directory().map(d -> new LayerCacheStore(d, cache.maxSize())).orElse(null);
  }

  /** The directory holding the entries. */
  public Path dir() {
    return dir;
  }

  /** The entry for {@code key}, if present and intact. */
  public Optional<Hit> lookup(LayerKey key) {
    Path record = dir.resolve(key.hex() + RECORD);
    Path blob = dir.resolve(key.hex() + BLOB);
    List<String> lines;
    try {
      lines = Files.readAllLines(record, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException | RuntimeException e) {
      LOG.warn("layer cache record {} cannot be read ({}); compressing the layer again", record, e.toString());
      return Optional.empty();
    }
    try {
      Map<String, String> r = parse(lines);
      LayerDescriptor d = new LayerDescriptor(Digest.of(r.get("digest")), Digest.of(r.get("diffId")),
          Long.parseLong(r.get("size")), Long.parseLong(r.get("tarSize")), r.get("mediaType"));
      String actual = blobIdentity(blob);
      if (!actual.equals(r.get("blob"))) {
        LOG.warn("layer cache entry {} is damaged: its size, mtime and inode are {}, its record says {};"
            + " compressing the layer again", blob, actual, r.get("blob"));
        return Optional.empty();
      }
      touch(record);
      return Optional.of(new Hit(d, blob));
    } catch (NoSuchFileException e) {
      LOG.debug("layer cache blob {} is gone (evicted meanwhile)", blob);
      return Optional.empty();
    } catch (IOException | RuntimeException e) {
      LOG.warn("layer cache entry {} is damaged ({}); compressing the layer again", record, e.getMessage());
      return Optional.empty();
    }
  }

  /**
   * Deletes the entry of {@code key} after its blob failed the digest check, and says so.
   *
   * @param why what was found, e.g. {@code has digest sha256:... instead of sha256:...}
   */
  public void drop(LayerKey key, Hit hit, String why) {
    // Record first: a concurrent reader then misses instead of finding a record without its blob.
    deleteQuietly(dir.resolve(key.hex() + RECORD));
    deleteQuietly(dir.resolve(key.hex() + BLOB));
    LOG.warn("layer cache entry {} is damaged: it {}; dropped it, compressing layer {} again; if this recurs,"
        + " check the disk or delete the cache directory {}", hit.blob(), why, hit.descriptor().digest(), dir);
  }

  /**
   * Keeps a copy of {@code blobFile} (a finished blob; the copy is checked against {@code d})
   * as the entry of {@code key}, then evicts what exceeds the bound. Never throws: the cache is
   * an optimisation.
   */
  public void store(LayerKey key, LayerDescriptor d, Path blobFile) {
    Path tempBlob = null;
    try {
      Files.createDirectories(dir);
      tempBlob = BlobStore.tempName(dir, "blob-");
      // A copy, hashed on the way: the entry never shares bytes with a target, and never holds
      // bytes other than the blob's. No fsync: a blob lost in a crash fails the check on use.
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tempBlob, StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE), 1 << 16)) {
        BlobStore.copyVerified(blobFile, d.digest(), d.size(), out);
      }
      install(key, d, tempBlob);
      tempBlob = null;
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot store layer {} in the layer cache {} ({}); the image is fine, the next build compresses it"
          + " again. Check the directory's permissions and free space, or disable the cache", d.digest(), dir, e);
    } finally {
      deleteQuietly(tempBlob);
    }
  }

  /**
   * Keeps the copy {@code incoming} took of a layer's compressed bytes while they were written
   * (and hashed) as the entry of {@code key}, when it holds all {@code d.size()} of them; else
   * drops it. Never throws: the cache is an optimisation.
   */
  public void store(LayerKey key, LayerDescriptor d, Incoming incoming) {
    try {
      Path tempBlob = incoming.finish(d.size());
      if (tempBlob != null) {
        install(key, d, tempBlob);
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot store layer {} in the layer cache {} ({}); the image is fine, the next build compresses it"
          + " again. Check the directory's permissions and free space, or disable the cache", d.digest(), dir, e);
    } finally {
      incoming.close();
    }
  }

  /**
   * A copy of a layer's compressed bytes taken as they go to the target, where they are hashed:
   * the entry then costs no second read and hash of the blob. A failing write only turns the copy
   * off (the store then logs why); nothing here fails a build. Written by one thread; {@link
   * #close()} deletes the copy unless {@link #store(LayerKey, LayerDescriptor, Incoming)} kept it.
   */
  public final class Incoming implements AutoCloseable {
    private Path temp;
    private OutputStream out;
    private long written;
    private IOException failure;

    private Incoming() {
      try {
        Files.createDirectories(dir);
        temp = BlobStore.tempName(dir, "blob-");
        out = new BufferedOutputStream(Files.newOutputStream(temp, StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE), 1 << 16);
      } catch (IOException | RuntimeException e) {
        off(e);
      }
    }

    /**
     * {@code target}, with every byte written to it also written to the copy. The copy takes the
     * bytes only after {@code target} took them, so it never holds bytes the target refused.
     */
    public OutputStream tee(OutputStream target) {
      return new java.io.FilterOutputStream(target) {
        @Override
        public void write(int b) throws IOException {
          write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          target.write(b, off, len);
          copy(b, off, len);
        }
      };
    }

    private void copy(byte[] b, int off, int len) {
      if (out == null) {
        return;
      }
      try {
        out.write(b, off, len);
        written += len;
      } catch (IOException | RuntimeException e) {
        off(e);
      }
    }

    private void off(Exception e) {
      failure = e instanceof IOException io ? io : new IOException(e.toString(), e);
      close();
    }

    /**
     * The finished copy's file when it holds exactly {@code size} bytes, else null (and the copy
     * is dropped).
     *
     * @throws IOException the failure that turned the copy off
     */
    private Path finish(long size) throws IOException {
      if (failure != null) {
        throw failure;
      }
      if (out == null) {
        return null;
      }
      out.close();
      out = null;
      if (written != size) {
        LOG.debug("layer cache {}: the copy has {} bytes, the blob {}; dropped", dir, written, size);
        return null;
      }
      Path t = temp;
      temp = null;
      return t;
    }

    /** Drops the copy unless it was kept. */
    @Override
    public void close() {
      if (out != null) {
        try {
          out.close();
        } catch (IOException e) {
          // being deleted
        }
        out = null;
      }
      deleteQuietly(temp);
      temp = null;
    }
  }

  /** A new copy to take while a layer is written for {@code store(key, d, copy)}. */
  public Incoming incoming() {
    return new Incoming();
  }

  /** Renames a complete blob copy to the entry of {@code key} and writes its record; deletes the copy on failure. */
  private void install(LayerKey key, LayerDescriptor d, Path tempBlob) throws IOException {
    Path tempRecord = null;
    try {
      Path blob = dir.resolve(key.hex() + BLOB);
      Files.move(tempBlob, blob, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      tempBlob = null;
      BlobStore.remember(blob, d.digest()); // hashed on the way in: a hit in this JVM needs no second hash
      Map<String, String> r = new LinkedHashMap<>();
      r.put("digest", d.digest().toString());
      r.put("diffId", d.diffId().toString());
      r.put("size", Long.toString(d.size()));
      r.put("tarSize", Long.toString(d.uncompressedSize()));
      r.put("mediaType", d.mediaType());
      r.put("blob", blobIdentity(blob));
      tempRecord = BlobStore.tempName(dir, "rec-");
      Files.write(tempRecord, format(r).getBytes(StandardCharsets.UTF_8));
      Files.move(tempRecord, dir.resolve(key.hex() + RECORD), StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
      tempRecord = null;
      LOG.debug("layer cache: stored {} as {}", d.digest(), key.hex());
      evictIfDue(d.size());
    } finally {
      deleteQuietly(tempBlob);
      deleteQuietly(tempRecord);
    }
  }

  /**
   * The blob bytes of each cache directory as of its last scan in this JVM, plus what this JVM
   * stored since, and when that scan was: a rebuild that stores a small layer does not list and
   * stat the whole cache every time.
   */
  private record Usage(long bytes, long scannedAt) {}

  private static final Map<Path, Usage> USAGE = new java.util.concurrent.ConcurrentHashMap<>();

  /** Rescan at least this often, for what other processes stored and for stale temp files. */
  private static final long RESCAN_NANOS = Duration.ofSeconds(30).toNanos();

  private void evictIfDue(long stored) throws IOException {
    long now = System.nanoTime();
    Usage u = USAGE.compute(dir, (k, v) -> v == null ? null : new Usage(v.bytes() + stored, v.scannedAt()));
    if (u != null && u.bytes() <= maxSize && now - u.scannedAt() < RESCAN_NANOS) {
      return;
    }
    evict();
  }

  /** Deletes least recently used entries until the blobs fit in the bound, and stale temp files. */
  public void evict() throws IOException {
    record Entry(String key, FileTime used, long size) {}
    List<Entry> entries = new ArrayList<>();
    long total = 0;
    Instant staleBefore = Instant.now().minus(STALE_TEMP);
    try (Stream<Path> list = Files.list(dir)) {
      for (Path p : list.toList()) {
        String name = p.getFileName().toString();
        try {
          BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
          if (name.endsWith(TEMP) && a.lastModifiedTime().toInstant().isBefore(staleBefore)) {
            deleteQuietly(p); // left by a writer that died
          } else if (name.endsWith(RECORD)) {
            String key = name.substring(0, name.length() - RECORD.length());
            long size = Files.size(dir.resolve(key + BLOB));
            entries.add(new Entry(key, a.lastModifiedTime(), size));
            total += size;
          } else if (name.endsWith(BLOB) && a.lastModifiedTime().toInstant().isBefore(staleBefore)
              && !Files.exists(dir.resolve(name.substring(0, name.length() - BLOB.length()) + RECORD))) {
            deleteQuietly(p); // a blob whose record never got written
          }
        } catch (NoSuchFileException e) {
          // deleted by another build meanwhile
        }
      }
    }
    USAGE.put(dir, new Usage(Math.min(total, maxSize), System.nanoTime()));
    if (total <= maxSize) {
      return;
    }
    entries.sort(Comparator.comparing(Entry::used).thenComparing(Entry::key));
    for (Entry e : entries) {
      if (total <= maxSize) {
        break;
      }
      // Record first: a reader then misses instead of finding a record without its blob.
      deleteQuietly(dir.resolve(e.key() + RECORD));
      deleteQuietly(dir.resolve(e.key() + BLOB));
      total -= e.size();
      LOG.debug("layer cache: evicted {} ({} bytes)", e.key(), e.size());
    }
  }

  /** Size, modification time and inode of a blob file: changes when anything rewrites it. */
  private static String blobIdentity(Path blob) throws IOException {
    BasicFileAttributes a = Files.readAttributes(blob, BasicFileAttributes.class);
    return a.size() + " " + a.lastModifiedTime().toInstant() + " " + a.fileKey();
  }

  private static void touch(Path record) {
    try {
      Files.setLastModifiedTime(record, FileTime.from(Instant.now()));
    } catch (IOException e) {
      // read-only cache: still usable, only recency is lost
    }
  }

  static String format(Map<String, String> r) {
    StringBuilder body = new StringBuilder();
    r.forEach((k, v) -> body.append(k).append('=').append(v).append('\n'));
    return body + "check=" + checksum(body.toString()) + "\n";
  }

  static Map<String, String> parse(List<String> lines) {
    Map<String, String> r = new LinkedHashMap<>();
    StringBuilder body = new StringBuilder();
    String check = null;
    for (String line : lines) {
      int eq = line.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("malformed line '" + line + "'");
      }
      if (line.startsWith("check=")) {
        check = line.substring(eq + 1);
      } else {
        r.put(line.substring(0, eq), line.substring(eq + 1));
        body.append(line).append('\n');
      }
    }
    if (check == null || !check.equals(checksum(body.toString()))) {
      throw new IllegalArgumentException("record checksum does not match");
    }
    for (String k : List.of("digest", "diffId", "size", "tarSize", "mediaType", "blob")) {
      if (!r.containsKey(k)) {
        throw new IllegalArgumentException("record has no " + k);
      }
    }
    return r;
  }

  private static String checksum(String body) {
    return HexFormat.of().formatHex(DigestingOutputStream.newSha256().digest(body.getBytes(StandardCharsets.UTF_8)));
  }

  private static void deleteQuietly(Path p) {
    if (p == null) {
      return;
    }
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      // best effort
    }
  }

  @Override
  public String toString() {
    return "layer cache " + dir + " (max " + maxSize + " bytes)";
  }
}
