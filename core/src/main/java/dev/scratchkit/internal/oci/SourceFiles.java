package dev.scratchkit.internal.oci;

import dev.scratchkit.oci.ImagePath;
import dev.scratchkit.oci.LayerEntry;
import dev.scratchkit.oci.OciException;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Host files that become image files: what each was when its entry was made, and reading it
 * back at write time only if it is still that file. Messages name the absolute path, what
 * changed and the fix.
 *
 * <p>Why identity and not a hash of every file: an entry records the file's device and inode,
 * size, modification time and change time. Any write to a file, a rename over it, a new hard
 * link or a permission change moves its change time, which user space cannot set back, so an
 * unchanged identity means unchanged content without reading a large file twice per build. The
 * files whose bytes a check judged (the entrypoint, every ELF file that was inspected, an added
 * {@code /etc/passwd}) also carry a SHA-256, checked while the layer is written (no extra read).
 * For the same reason a digest taken in this JVM is remembered under the identity it was taken
 * with, so a rebuild hashes only the files that changed.
 *
 * <p>How a file is opened at write time: every recorded path is fully resolved when the entry is
 * made, so at write time no component may be a symbolic link. The file is opened through a chain
 * of directory handles from {@code /}, each opened without following links ({@code openat} with
 * {@code O_NOFOLLOW}), so a directory swapped for a link between the check and the open cannot
 * redirect the read. Its identity is compared before the open (through the pinned directory and
 * by path) and again after the copy (a swap and swap-back moves the original's change time).
 * Where a directory on the way cannot be listed (execute-only), the file is opened by path with
 * {@code NOFOLLOW_LINKS}, and the identity and digest checks still apply.
 */
public final class SourceFiles {
  private SourceFiles() {}

  /** Files read whole during build() (an added /etc/passwd) are bounded. */
  public static final int MAX_CHECKED_TEXT = 16 << 20;

  /**
   * What a host file was when its entry was made.
   *
   * @param path the absolute path with no symbolic link in it
   * @param fileKey the device and inode, or null where the file system has none
   * @param size the size in bytes
   * @param modified the modification time
   * @param changed the change time, or "-" where the platform reports none
   * @param sha256 the content hash, hex, for files a check judged; null otherwise
   */
  public record HostFile(Path path, Object fileKey, long size, FileTime modified, Object changed, String sha256) {
    /** Validates. */
    public HostFile {
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(modified, "modified");
      Objects.requireNonNull(changed, "changed");
    }

    /** {@return the identity as one string, compared as a whole (the layer cache keys on it)} */
    public String identity() {
      return "file " + path + " size=" + size + " mtime=" + modified.toInstant() + " ctime=" + changed + " key="
          + fileKey;
    }

    /**
     * {@return whether the identity changes with every change of the file (it has a file key and
     * a change time), so what was read under it may be remembered}
     */
    public boolean identifiesContent() {
      return fileKey != null && !"-".equals(changed);
    }

    /** {@return the identity alone, without the content hash: a key for what was read under it} */
    public HostFile withoutSha256() {
      return sha256 == null ? this : new HostFile(path, fileKey, size, modified, changed, null);
    }

    HostFile withSha256(String hex) {
      return new HostFile(path, fileKey, size, modified, changed, hex);
    }

    // Written out: the generated pair is linked through invokedynamic on first use, 10 to 50 ms of
    // every new JVM. RecordMethodsTest holds them to the generated answers and hashes.
    @Override
    public boolean equals(Object o) {
      return o instanceof HostFile h && path.equals(h.path) && Objects.equals(fileKey, h.fileKey) && size == h.size
          && modified.equals(h.modified) && changed.equals(h.changed) && Objects.equals(sha256, h.sha256);
    }

    @Override
    public int hashCode() {
      int h = path.hashCode();
      h = 31 * h + Objects.hashCode(fileKey);
      h = 31 * h + Long.hashCode(size);
      h = 31 * h + modified.hashCode();
      h = 31 * h + changed.hashCode();
      return 31 * h + Objects.hashCode(sha256);
    }
  }

  /** Reaches {@link LayerEntry}'s recorded host file; set by {@code LayerEntry} once. */
  public interface EntryAccess {
    /** {@return the host file recorded for a file entry, or null} */
    HostFile hostFile(LayerEntry entry);

    /** {@return a regular file entry for an already recorded host file, owned by root} */
    LayerEntry file(ImagePath path, HostFile host, int mode);
  }

  private static volatile EntryAccess access;

  /**
   * Installs the access to {@link LayerEntry}; called by its static initialiser.
   *
   * @throws IllegalStateException when called twice
   */
  public static synchronized void entryAccess(EntryAccess a) {
    if (access != null) {
      throw new IllegalStateException("entry access is set");
    }
    access = Objects.requireNonNull(a);
  }

  static EntryAccess access() {
    if (access == null) {
      try {
        Class.forName(LayerEntry.class.getName(), true, LayerEntry.class.getClassLoader());
      } catch (ClassNotFoundException e) {
        throw new IllegalStateException(e);
      }
    }
    return access;
  }

  /** {@return the host file recorded for {@code entry}, or null for entries without one} */
  public static HostFile hostFile(LayerEntry entry) {
    return access().hostFile(entry);
  }

  /**
   * Checks that {@code source} is an existing, readable regular file (following links).
   *
   * @throws OciException naming the file, why it cannot be used and the fix
   */
  public static void check(ImagePath path, Path source) {
    Path absolute = source.toAbsolutePath().normalize();
    if (!Files.exists(absolute)) {
      String why = Files.exists(absolute, LinkOption.NOFOLLOW_LINKS) ? "it is a symlink whose target does not exist"
          : "it does not exist";
      throw new OciException("source file " + absolute + " for " + path + " cannot be read: " + why
          + "; check the path, or build the file before writing the image");
    }
    if (!Files.isRegularFile(absolute)) {
      throw new OciException("source file " + absolute + " for " + path + " is not a regular file"
          + (Files.isDirectory(absolute) ? " but a directory" : "")
          + "; give a regular file (add directories entry by entry)");
    }
    if (!Files.isReadable(absolute)) {
      throw new OciException("source file " + absolute + " for " + path + " is not readable by this process"
          + "; fix its permissions (e.g. chmod a+r " + absolute + ")");
    }
  }

  /**
   * Records the regular file {@code source} names, following symbolic links once, now.
   *
   * @throws OciException naming the file when it is missing, not a regular file or unreadable
   */
  public static HostFile resolve(ImagePath path, Path source) {
    check(path, source);
    Path real;
    try {
      real = source.toAbsolutePath().toRealPath();
    } catch (IOException e) {
      throw new OciException("source file " + source.toAbsolutePath() + " for " + path + " cannot be resolved: " + e
          + "; check the path and the permissions of the directories on it", e);
    }
    return record(path, real);
  }

  /**
   * A file entry for {@code file} exactly: its last component is never followed, and its
   * directories must be what they are named (no symbolic link on the way), as for a file found
   * by walking a directory.
   *
   * @throws OciException naming the file when it is a link, not a regular file, or reached through a link
   */
  public static LayerEntry exactFile(ImagePath path, Path file, int mode) {
    return exactFile(path, file, mode, new java.util.HashSet<>());
  }

  /**
   * As {@link #exactFile(ImagePath, Path, int)}, checking each directory once.
   *
   * @param realDirectories directories already found to have no link on their path; added to
   */
  public static LayerEntry exactFile(ImagePath path, Path file, int mode, Set<Path> realDirectories) {
    return exactFile(path, file, mode, realDirectories, null);
  }

  /**
   * As {@link #exactFile(ImagePath, Path, int, Set)}, recording the {@code lstat} the caller
   * took of this very path a moment ago (walking a tree) instead of taking another.
   *
   * @param taken the caller's {@link #stat} of {@code file}, which found a regular file the
   *     caller checked to be readable; null to take one here
   */
  public static LayerEntry exactFile(ImagePath path, Path file, int mode, Set<Path> realDirectories, Stat taken) {
    Path absolute = file.toAbsolutePath().normalize();
    Path parent = absolute.getParent();
    if (realDirectories.contains(parent)) {
      return access().file(path, taken != null ? recorded(absolute, taken) : record(path, absolute), mode);
    }
    try {
      Path realParent = parent.toRealPath();
      if (!realParent.equals(parent)) {
        throw new OciException("source file " + absolute + " for " + path + " is reached through a symbolic link:"
            + " its directory is really " + realParent + "; a directory on the way was replaced by a link while"
            + " the image was being built. Build again once the directory is final");
      }
    } catch (IOException e) {
      throw new OciException("source file " + absolute + " for " + path + " cannot be resolved: " + e
          + "; check the permissions of the directories on its path", e);
    }
    realDirectories.add(parent);
    return access().file(path, taken != null ? recorded(absolute, taken) : record(path, absolute), mode);
  }

  /** The record of the regular file {@code real} whose {@code lstat} is {@code s}. */
  private static HostFile recorded(Path real, Stat s) {
    if (!s.regular()) {
      throw new IllegalArgumentException(real + " is " + s.kind());
    }
    return new HostFile(real, s.fileKey(), s.size(), s.modified(), s.changed(), null);
  }

  /**
   * What the regular file at {@code path} is now (no link followed), for comparing with a record.
   *
   * @throws IOException when it is missing or not a regular file
   */
  public static HostFile recordNow(Path path) throws IOException {
    Stat s = stat(path);
    if (s == null || !s.regular()) {
      throw new IOException(path + " is " + (s == null ? "missing" : s.kind()));
    }
    return recorded(path, s);
  }

  private static HostFile record(ImagePath path, Path real) {
    Stat s = stat(real);
    if (s == null) {
      throw new OciException("source file " + real + " for " + path + " cannot be read: it does not exist;"
          + " check the path, or build the file before writing the image");
    }
    if (!s.regular()) {
      throw new OciException("source file " + real + " for " + path + " is not a regular file but " + s.kind()
          + "; give a regular file (a link inside an added directory is kept as a link)");
    }
    if (!Files.isReadable(real)) {
      throw new OciException("source file " + real + " for " + path + " is not readable by this process"
          + "; fix its permissions (e.g. chmod a+r " + real + ")");
    }
    return recorded(real, s);
  }

  /**
   * The same entry with the SHA-256 of its host file, for a file a check has judged: hashed
   * through the same checked open as writing uses, then the identity checked again, so the
   * bytes the check read and the bytes hashed are one file.
   *
   * @throws OciException naming the file when it changed since the entry was made
   */
  public static LayerEntry withContentDigest(LayerEntry entry) {
    HostFile host = Objects.requireNonNull(hostFile(entry), "host file");
    String known = knownDigest(host);
    if (known != null) {
      // Hashed before under this very identity: the bytes are those (see the class comment).
      // One lstat confirms that the file still has it, after the checks read it.
      verify(entry);
      return access().file(entry.path(), host.withSha256(known), entry.mode()).withOwner(entry.uid(), entry.gid());
    }
    return readChecked(entry, -1).entry();
  }

  /**
   * The SHA-256 of a host file hashed earlier in this JVM under the same identity (path, device
   * and inode, size, modification and change time), or null. An identity without a file key or
   * a change time is never remembered: it would not show every change.
   */
  public static String knownDigest(HostFile host) {
    return remembered(host) ? DIGESTS.get(host.identity()) : null;
  }

  private static boolean remembered(HostFile host) {
    return host.identifiesContent();
  }

  /**
   * Identity to SHA-256 of the host files hashed in this JVM, so a rebuild does not read an
   * unchanged file again (the entrypoint, every ELF file, small files for the layer key); bounded,
   * least recently used out.
   */
  private static final Map<String, String> DIGESTS = RecentlyUsed.map(4096);

  /**
   * The content of a small host file a check needs to read (an added {@code /etc/passwd}), and
   * its entry with the content's SHA-256, so the image gets the bytes that were checked.
   *
   * @param entry a file entry with a host file
   * @param limit the most bytes to read, or -1 to hash without keeping the content
   * @throws OciException naming the file when it is larger than the limit or changed
   */
  public static Checked readChecked(LayerEntry entry, int limit) {
    HostFile host = Objects.requireNonNull(hostFile(entry), "host file");
    if (limit >= 0 && host.size() > limit) {
      throw new OciException("source file " + host.path() + " for " + entry.path() + " has " + host.size()
          + " bytes, more than the " + limit + " that scratchkit reads to check it; give a smaller file");
    }
    ByteArrayOutputStream kept = limit >= 0 ? new ByteArrayOutputStream((int) host.size()) : null;
    try (Opened in = open(entry, true)) {
      byte[] buffer = new byte[64 * 1024];
      long remaining = host.size();
      while (remaining > 0) {
        int n = in.stream().read(buffer, 0, (int) Math.min(buffer.length, remaining));
        if (n < 0) {
          throw changed(entry, host, "it shrank while it was read");
        }
        in.hashed(buffer, n);
        if (kept != null) {
          kept.write(buffer, 0, n);
        }
        remaining -= n;
      }
      String hex = in.finish();
      if (remembered(host)) {
        DIGESTS.put(host.identity(), hex);
      }
      HostFile hashed = host.withSha256(hex);
      return new Checked(kept == null ? null : kept.toByteArray(), access().file(entry.path(), hashed, entry.mode())
          .withOwner(entry.uid(), entry.gid()).withModified(entry.modified().orElse(null)));
    } catch (IOException e) {
      throw unreadable(entry, host, e);
    }
  }

  /**
   * A checked read: the bytes (null when only hashed) and the entry carrying their digest.
   *
   * @param content the file's bytes, or null
   * @param entry the entry with the content digest recorded
   */
  public record Checked(byte[] content, LayerEntry entry) {}

  /**
   * Checks, without reading them, that the host files of {@code entries} are still what they
   * were when the entries were made; cheap (one {@code lstat} each, taken at once by {@link
   * Stats}), for every file before a target writes anything. The first changed file in the given
   * order is the one named.
   *
   * @throws OciException naming the file and what changed
   */
  public static void verifyAll(List<LayerEntry> entries) {
    List<LayerEntry> recorded = new java.util.ArrayList<>();
    List<Path> paths = new java.util.ArrayList<>();
    for (LayerEntry e : entries) {
      HostFile host = hostFile(e);
      if (host != null) {
        recorded.add(e);
        paths.add(host.path());
      }
    }
    Stat[] now = Stats.of(paths);
    for (int i = 0; i < now.length; i++) {
      verify(recorded.get(i), hostFile(recorded.get(i)), now[i]);
    }
  }

  /** One {@link #verifyAll} for one entry, its {@code lstat} taken here. */
  private static void verify(LayerEntry entry) {
    HostFile host = hostFile(entry);
    if (host != null) {
      verify(entry, host, stat(host.path()));
    }
  }

  private static void verify(LayerEntry entry, HostFile host, Stat now) {
    String change = change(host, now, host.path());
    if (change != null) {
      String through = linkOnTheWay(host.path());
      throw changed(entry, host, through != null ? through : change);
    }
  }

  /** The first directory on the path that is no longer a directory (a link, say), described; or null. */
  private static String linkOnTheWay(Path file) {
    Path at = file.getRoot();
    for (int i = 0; i < file.getNameCount() - 1; i++) {
      at = at.resolve(file.getName(i));
      Stat s = stat(at);
      if (s == null) {
        return "the directory " + at + " on its path no longer exists";
      }
      if (s.symlink()) {
        return "the directory " + at + " on its path is now a symbolic link to " + linkText(at);
      }
      if (!s.directory()) {
        return "the directory " + at + " on its path is now " + s.kind();
      }
    }
    return null;
  }

  /**
   * Opens the host file of {@code entry} for copying, if it is still the file that was recorded.
   *
   * @throws OciException naming the file and what changed, or why it cannot be read
   */
  public static Opened open(LayerEntry entry) throws IOException {
    return open(entry, false);
  }

  private static Opened open(LayerEntry entry, boolean hash) throws IOException {
    try (Reader reader = reader()) {
      return reader.open(entry, hash);
    }
  }

  /** {@return a reader for many files, e.g. one layer's; it keeps the last directory it pinned} */
  public static Reader reader() {
    return new Reader();
  }

  /**
   * Opens recorded host files one after the other. Files of one directory come one after the
   * other in a layer, so the pinned directory handle is kept for the next file instead of
   * walking from the root again: it was reached without following a link, and each file opened
   * in it is still checked against its record.
   */
  public static final class Reader implements Closeable {
    private Path pinnedPath;
    private SecureDirectoryStream<Path> pinned;

    private Reader() {}

    /**
     * Opens the host file of {@code entry} for copying, if it is still the file that was recorded.
     *
     * @throws OciException naming the file and what changed, or why it cannot be read
     */
    public Opened open(LayerEntry entry) throws IOException {
      return open(entry, false);
    }

    private Opened open(LayerEntry entry, boolean hash) throws IOException {
      HostFile host = Objects.requireNonNull(hostFile(entry), "host file");
      verify(entry);
      SeekableByteChannel channel;
      try {
        channel = openNoFollow(entry, host);
      } catch (IOException e) {
        throw unreadable(entry, host, e);
      }
      try {
        long size = channel.size();
        if (size != host.size()) {
          throw changed(entry, host, "its size changed from " + host.size() + " to " + size + " bytes");
        }
        return new Opened(entry, host, channel, hash);
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
    }

    private SeekableByteChannel openNoFollow(LayerEntry entry, HostFile host) throws IOException {
      Path file = host.path();
      Path name = file.getFileName();
      if (!file.getParent().equals(pinnedPath)) {
        close();
        pinned = pinnedParent(entry, host);
        pinnedPath = pinned == null ? null : file.getParent();
      }
      if (pinned == null) {
        return Files.newByteChannel(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
      }
      BasicFileAttributes a = pinned.getFileAttributeView(name, BasicFileAttributeView.class,
          LinkOption.NOFOLLOW_LINKS).readAttributes();
      String change = change(host, new Stat(a.isRegularFile(), a.isDirectory(), a.isSymbolicLink(), a.fileKey(),
          a.size(), a.lastModifiedTime(), host.changed(), -1, -1, -1), file);
      if (change != null) {
        throw changed(entry, host, change);
      }
      return pinned.newByteChannel(name, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS));
    }

    @Override
    public void close() throws IOException {
      SecureDirectoryStream<Path> p = pinned;
      pinned = null;
      pinnedPath = null;
      if (p != null) {
        p.close();
      }
    }
  }

  /**
   * The file's directory, reached from the root one directory at a time without following a
   * link; null where the platform or a directory's permissions do not allow that.
   */
  private static SecureDirectoryStream<Path> pinnedParent(LayerEntry entry, HostFile host) throws IOException {
    Path file = host.path();
    DirectoryStream<Path> root;
    try {
      root = Files.newDirectoryStream(file.getRoot());
    } catch (IOException e) {
      return null;
    }
    if (!(root instanceof SecureDirectoryStream<Path> dir)) {
      root.close();
      return null;
    }
    Path at = file.getRoot();
    for (int i = 0; i < file.getNameCount() - 1; i++) {
      Path name = file.getName(i);
      at = at.resolve(name);
      SecureDirectoryStream<Path> next;
      try {
        next = dir.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS);
      } catch (AccessDeniedException e) {
        dir.close();
        return null; // execute-only directory: open by path, the identity checks still hold
      } catch (IOException e) {
        dir.close();
        Stat s = stat(at);
        String what = s == null ? "no longer exists" : s.symlink() ? "is now a symbolic link to " + linkText(at)
            : s.directory() ? "cannot be opened (" + e + ")" : "is now " + s.kind();
        throw changed(entry, host, "the directory " + at + " on its path " + what);
      }
      dir.close();
      dir = next;
    }
    return dir;
  }

  /** A host file opened for copying; {@link #finish()} checks it was the recorded file throughout. */
  public static final class Opened implements Closeable {
    private final LayerEntry entry;
    private final HostFile host;
    private final SeekableByteChannel channel;
    private final InputStream stream;
    private final MessageDigest sha;

    private Opened(LayerEntry entry, HostFile host, SeekableByteChannel channel, boolean hash) {
      this.entry = entry;
      this.host = host;
      this.channel = channel;
      this.stream = Channels.newInputStream(channel);
      // Only a recorded digest needs the bytes hashed; the rest are judged by their identity.
      this.sha = hash || host.sha256() != null ? DigestingOutputStream.newSha256() : null;
    }

    /** {@return the recorded size, which the open file has} */
    public long size() {
      return host.size();
    }

    /** {@return the file's bytes} */
    public InputStream stream() {
      return stream;
    }

    /** Adds bytes read from {@link #stream()} to the content hash. */
    public void hashed(byte[] bytes, int length) {
      if (sha != null) {
        sha.update(bytes, 0, length);
      }
    }

    /**
     * Checks that the whole file was read, that it is still the recorded file, and, when a
     * digest was recorded, that the bytes read have it.
     *
     * @return the SHA-256 of the bytes read, hex, when they were hashed; else null
     * @throws OciException naming the file and what changed
     */
    public String finish() throws IOException {
      if (stream.read() >= 0) {
        throw changed(entry, host, "it grew while it was read");
      }
      String hex = sha == null ? null : HexFormat.of().formatHex(sha.digest());
      String change = change(host, stat(host.path()), host.path());
      if (change != null) {
        throw changed(entry, host, change + " (while it was read)");
      }
      if (host.sha256() != null && !host.sha256().equals(hex)) {
        throw changed(entry, host, "its content changed: SHA-256 " + hex + ", checked with " + host.sha256());
      }
      return hex;
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }

  private static OciException changed(LayerEntry entry, HostFile host, String what) {
    if (what.equals("it no longer exists")) {
      return new OciException("source file " + host.path() + " for " + entry.path() + " cannot be read: it does not"
          + " exist (it did when the image was built); check the path, or build the file before writing the image");
    }
    return new OciException("source file " + host.path() + " for " + entry.path() + " changed after the image was"
        + " built: " + what + "; build() saw a regular file of " + host.size() + " bytes. The layer was not written."
        + " Build the image again once the file is final, and keep it unchanged until writeTo returns");
  }

  private static OciException unreadable(LayerEntry entry, HostFile host, IOException e) {
    if (e instanceof AccessDeniedException || e instanceof NoSuchFileException) {
      return new OciException("source file " + host.path() + " for " + entry.path() + " cannot be read: "
          + e.getMessage() + "; check that it exists and is readable (chmod a+r)", e);
    }
    Stat s = stat(host.path());
    if (s != null && s.symlink()) {
      return changed(entry, host, "it is now a symbolic link to " + linkText(host.path()));
    }
    return new OciException("source file " + host.path() + " for " + entry.path() + " cannot be read: " + e
        + "; check that it exists and is readable", e);
  }

  /** What differs between the recorded file and {@code now}, or null when nothing does. */
  private static String change(HostFile was, Stat now, Path path) {
    if (now == null) {
      return "it no longer exists";
    }
    if (now.symlink()) {
      return "it is now a symbolic link to " + linkText(path);
    }
    if (!now.regular()) {
      return "it is now " + now.kind();
    }
    if (!Objects.equals(was.fileKey(), now.fileKey())) {
      return "it was replaced by another file (" + now.fileKey() + ", was " + was.fileKey() + ")";
    }
    if (was.size() != now.size()) {
      return "its size changed from " + was.size() + " to " + now.size() + " bytes";
    }
    if (!was.modified().equals(now.modified())) {
      return "it was modified (modification time " + now.modified() + ", was " + was.modified() + ")";
    }
    if (!was.changed().equals(now.changed())) {
      return "it was changed (change time " + now.changed() + ", was " + was.changed()
          + "; rewritten with its modification time put back, renamed, linked or chmod-ed)";
    }
    return null;
  }

  private static String linkText(Path link) {
    try {
      return Files.readSymbolicLink(link).toString();
    } catch (IOException e) {
      return "(unreadable)";
    }
  }

  /**
   * One {@code lstat}: type, file key, size, both times and the permission bits.
   *
   * @param permissions the mode's permission bits ({@code 07777}), or -1 where the platform reports none
   * @param uid the owner, or -1 where the platform reports none
   * @param gid the group, or -1 where the platform reports none
   */
  public record Stat(boolean regular, boolean directory, boolean symlink, Object fileKey, long size,
      FileTime modified, Object changed, int permissions, int uid, int gid) {
    String kind() {
      return directory ? "a directory" : symlink ? "a symbolic link" : regular ? "a regular file"
          : "a special file (device, socket or pipe)";
    }

    /** {@return whether no execute bit is set, so no one may execute the file; false when unknown} */
    public boolean certainlyNotExecutable() {
      return permissions >= 0 && (permissions & 0111) == 0;
    }
  }

  // Named, not "unix:*": that would also look up the owner and group names, a passwd lookup per file.
  private static final String STAT_ATTRIBUTES = "unix:isRegularFile,isDirectory,isSymbolicLink,fileKey,size,"
      + "lastModifiedTime,ctime,mode,uid,gid";

  /** {@return the file's attributes without following a link, or null when it does not exist} */
  public static Stat stat(Path p) {
    try {
      Map<String, Object> a = Files.readAttributes(p, STAT_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
      Object ctime = a.get("ctime");
      Object mode = a.get("mode");
      return new Stat((Boolean) a.get("isRegularFile"), (Boolean) a.get("isDirectory"),
          (Boolean) a.get("isSymbolicLink"), a.get("fileKey"), (Long) a.get("size"),
          (FileTime) a.get("lastModifiedTime"), ctime == null ? "-" : ctime.toString(),
          mode instanceof Integer m ? m & 07777 : -1, a.get("uid") instanceof Integer u ? u : -1,
          a.get("gid") instanceof Integer g ? g : -1);
    } catch (UnsupportedOperationException | IllegalArgumentException e) {
      try {
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        return new Stat(a.isRegularFile(), a.isDirectory(), a.isSymbolicLink(), a.fileKey(), a.size(),
            a.lastModifiedTime(), "-", -1, -1, -1);
      } catch (IOException ex) {
        return null;
      }
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * The last name of {@code path} as the file system stores it, decoded as UTF-8 whatever the
   * JVM's locale ({@code sun.jnu.encoding} under {@code LANG=C} turns every non-ASCII byte into
   * a replacement character). The raw bytes come from {@link Path#toUri()}, which percent-encodes them.
   *
   * @throws OciException naming the path when the name is not valid UTF-8
   */
  public static String utf8Name(Path path) {
    Path last = path.getFileName();
    String decoded = last == null ? "" : last.toString();
    if (isAscii(decoded)) {
      return decoded; // every charset a JVM decodes file names with keeps ASCII bytes as they are
    }
    Path absolute = path.toAbsolutePath();
    byte[] raw = rawBytes(absolute);
    int slash = raw.length - 1;
    while (slash >= 0 && raw[slash] != '/') {
      slash--;
    }
    byte[] name = java.util.Arrays.copyOfRange(raw, slash + 1, raw.length);
    return utf8(name, absolute);
  }

  /**
   * The text of a path as the file system stores it (e.g. a symbolic link's target), decoded as
   * UTF-8 whatever the locale.
   *
   * @param text a relative or absolute path as read from the file system
   * @param where the file it was read from, for messages
   * @throws OciException naming {@code where} when the text is not valid UTF-8
   */
  public static String utf8Text(Path text, Path where) {
    String decoded = text.toString();
    if (isAscii(decoded)) {
      return decoded;
    }
    if (text.isAbsolute()) {
      return utf8(rawBytes(text), where);
    }
    byte[] raw = rawBytes(text.getFileSystem().getPath("/").resolve(text));
    return utf8(java.util.Arrays.copyOfRange(raw, 1, raw.length), where);
  }

  /**
   * The absolute path as text that does not depend on the locale (for what goes into an image,
   * such as a history comment): its UTF-8 bytes decoded, any other byte as {@code \\xNN}.
   */
  public static String localeFreeText(Path path) {
    byte[] raw = rawBytes(path.toAbsolutePath());
    try {
      return utf8(raw, path);
    } catch (OciException e) {
      return escaped(raw);
    }
  }

  /** A non-ASCII byte never decodes to ASCII (it becomes another character or U+FFFD). */
  private static boolean isAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }

  private static byte[] rawBytes(Path absolute) {
    String uri = absolute.toUri().getRawPath();
    if (uri.length() > 1 && uri.endsWith("/")) {
      uri = uri.substring(0, uri.length() - 1); // toUri marks a directory with a slash
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(uri.length());
    for (int i = 0; i < uri.length(); i++) {
      char c = uri.charAt(i);
      if (c == '%' && i + 2 < uri.length()) {
        out.write(HexFormat.fromHexDigits(uri, i + 1, i + 3));
        i += 2;
      } else {
        out.write(c);
      }
    }
    return out.toByteArray();
  }

  private static String utf8(byte[] bytes, Path where) {
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new OciException(where.toAbsolutePath() + " has a name that is not valid UTF-8 (\"" + escaped(bytes)
          + "\"); image file names are UTF-8, and decoding it would change it or make it collide with another"
          + " name. Rename it to UTF-8 (e.g. convmv -f latin1 -t utf8 --notest), or leave it out");
    }
  }

  /** Printable ASCII kept, every other byte as {@code \xNN}. */
  static String escaped(byte[] bytes) {
    StringBuilder s = new StringBuilder();
    for (byte b : bytes) {
      int v = b & 0xff;
      if (v >= 0x20 && v < 0x7f && v != '\\') {
        s.append((char) v);
      } else {
        s.append(String.format("\\x%02X", v));
      }
    }
    return s.toString();
  }
}
