package dev.scratchkit.oci;

import dev.scratchkit.internal.oci.SourceFiles;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * One entry of a layer: a regular file (from a host file or from bytes), a directory, a
 * symbolic link or a hard link, with its permission bits and numeric owner.
 *
 * <p>Immutable. Two entries are equal when they would produce the same tar entry: same path,
 * type, mode, owner and content (the same source file, equal bytes, or the same link).
 *
 * <p>A host file is recorded when its entry is made: the file a symbolic link led to then, its
 * device and inode, size, modification and change time. Writing the layer reads that file only
 * (no link followed at any component of its path) and refuses, naming the file and what changed,
 * if it is no longer the recorded file, so what goes into the image is the file that was checked.
 * Its host metadata (times, owner, mode) never enters the image.
 */
public final class LayerEntry {

  /** What kind of tar entry this is. */
  public enum Type {
    /** A regular file; its content comes from a host file or from bytes. */
    FILE,
    /** A directory. */
    DIRECTORY,
    /** A symbolic link; its content is the link text. */
    SYMLINK,
    /** A hard link to a regular file in the same layer. */
    HARD_LINK
  }

  /** Mode of directories the layer adds as missing parents, and the usual directory mode. */
  public static final int DEFAULT_DIRECTORY_MODE = 0755;

  private final ImagePath path;
  private final Type type;
  private final int mode;
  private final long uid;
  private final long gid;
  private final Path source;
  private final byte[] bytes;
  private final String link;
  private final SourceFiles.HostFile host;
  private final Instant modified;
  /** The hash, computed when first asked (0 until then); layers of thousands of entries are looked up by value. */
  private int hash;

  static {
    SourceFiles.entryAccess(new SourceFiles.EntryAccess() {
      @Override
      public SourceFiles.HostFile hostFile(LayerEntry entry) {
        return entry.host;
      }

      @Override
      public LayerEntry file(ImagePath path, SourceFiles.HostFile host, int mode) {
        return new LayerEntry(path, Type.FILE, mode, 0, 0, host.path(), null, null, host, null);
      }
    });
  }

  private LayerEntry(ImagePath path, Type type, int mode, long uid, long gid, Path source, byte[] bytes, String link,
      SourceFiles.HostFile host, Instant modified) {
    this.path = Objects.requireNonNull(path, "path");
    if (path.isRoot()) {
      throw new OciException("a layer entry cannot be the root directory \"/\"; the root exists in every image,"
          + " give the files below it instead");
    }
    if (mode < 0 || mode > 07777) {
      throw new OciException("invalid mode 0" + Integer.toOctalString(mode) + " for " + path
          + ": permission bits are 0 to 07777 (e.g. 0644, 0755, 01777)");
    }
    if (uid < 0 || gid < 0 || uid > 0x7fffffffL || gid > 0x7fffffffL) {
      throw new OciException("invalid owner " + uid + ":" + gid + " for " + path
          + ": uid and gid are numbers from 0 to 2147483647");
    }
    this.type = type;
    this.mode = mode;
    this.uid = uid;
    this.gid = gid;
    this.source = source;
    this.bytes = bytes;
    this.link = link;
    this.host = host;
    if (modified != null && modified.isBefore(Instant.EPOCH)) {
      throw new OciException("modification time " + modified + " of " + path + " is before 1970-01-01, which tar"
          + " cannot hold reproducibly; use 1970-01-01T00:00:00Z or later");
    }
    this.modified = modified == null ? null : modified.truncatedTo(ChronoUnit.SECONDS);
  }

  /**
   * A regular file copied from the host, owned by root.
   *
   * @param path where the file goes in the image
   * @param source the host file; it must exist and be a regular file. A symbolic link is
   *     resolved now, once: the entry copies the file it leads to at this moment, and writing
   *     refuses if that file is then replaced, changed, or reached through a link
   * @param mode permission bits such as {@code 0755}
   * @return the entry
   * @throws OciException naming the absolute source path when it is missing or not a regular file
   */
  public static LayerEntry file(ImagePath path, Path source, int mode) {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(path, "path");
    SourceFiles.HostFile host = SourceFiles.resolve(path, source);
    return new LayerEntry(path, Type.FILE, mode, 0, 0, host.path(), null, null, host, null);
  }

  /**
   * A regular file with the given content, owned by root. The bytes are copied.
   *
   * @param path where the file goes in the image
   * @param content the file's content
   * @param mode permission bits such as {@code 0644}
   * @return the entry
   */
  public static LayerEntry bytes(ImagePath path, byte[] content, int mode) {
    return new LayerEntry(path, Type.FILE, mode, 0, 0, null, content.clone(), null, null, null);
  }

  /**
   * A directory owned by root.
   *
   * @param path the directory in the image
   * @param mode permission bits such as {@code 0755} or {@code 01777}
   * @return the entry
   */
  public static LayerEntry directory(ImagePath path, int mode) {
    return new LayerEntry(path, Type.DIRECTORY, mode, 0, 0, null, null, null, null, null);
  }

  /**
   * A symbolic link owned by root, mode {@code 0777}.
   *
   * @param path the link in the image
   * @param target the link text, absolute or relative, as {@code ln -s} would store it
   * @return the entry
   */
  public static LayerEntry symlink(ImagePath path, String target) {
    Objects.requireNonNull(target, "target");
    if (target.isEmpty() || target.indexOf('\0') >= 0) {
      throw new OciException("invalid symlink target for " + path + ": \"" + target.replace("\0", "\\0")
          + "\"; give a non-empty target without NUL characters");
    }
    String problem = ImagePath.textProblem(target, ImagePath.MAX_PATH_BYTES);
    if (problem != null) {
      throw new OciException("invalid symlink target for " + path + ": " + problem);
    }
    return new LayerEntry(path, Type.SYMLINK, 0777, 0, 0, null, null, target, null, null);
  }

  /**
   * A hard link to a regular file in the same layer. In the tar it carries the target's mode
   * and owner.
   *
   * @param path the link in the image
   * @param target the regular file it links to; it must be in the same layer
   * @return the entry
   */
  public static LayerEntry hardLink(ImagePath path, ImagePath target) {
    Objects.requireNonNull(target, "target");
    if (target.equals(path)) {
      throw new OciException("hard link " + path + " points to itself; give another file of the layer as target");
    }
    return new LayerEntry(path, Type.HARD_LINK, 0, 0, 0, null, null, target.path(), null, null);
  }

  /**
   * This entry with another numeric owner.
   *
   * @param uid the user id, e.g. {@code 65532}
   * @param gid the group id
   * @return a new entry
   */
  public LayerEntry withOwner(long uid, long gid) {
    return new LayerEntry(path, type, mode, uid, gid, source, bytes, link, host, modified);
  }

  /**
   * This entry with other permission bits (ignored for hard links, which take their target's).
   *
   * @param mode permission bits such as {@code 0644}
   * @return a new entry
   */
  public LayerEntry withMode(int mode) {
    return new LayerEntry(path, type, mode, uid, gid, source, bytes, link, host, modified);
  }

  /**
   * This entry with a modification time of its own, e.g. the host file's (see
   * {@code DirectoryOptions.keepModificationTimes()}); without one, the entry carries its layer's
   * time. The time is part of the layer's bytes, so its digest then depends on it.
   *
   * @param time the time (whole seconds are kept, not before 1970), or {@code null} for the layer's
   * @return a new entry
   * @throws OciException for a time before 1970
   */
  public LayerEntry withModified(Instant time) {
    return new LayerEntry(path, type, mode, uid, gid, source, bytes, link, host, time);
  }

  /** {@return the entry's own modification time, if set with {@link #withModified(Instant)}} */
  public Optional<Instant> modified() {
    return Optional.ofNullable(modified);
  }

  /** {@return where the entry goes in the image} */
  public ImagePath path() {
    return path;
  }

  /** {@return the kind of entry} */
  public Type type() {
    return type;
  }

  /**
   * {@return the permission bits, e.g. {@code 0755}; {@code 0777} for a symlink unless set with
   * {@link #withMode(int)}; 0 for a hard link unless set, and unused: its tar entry takes the target's}
   */
  public int mode() {
    return mode;
  }

  /** {@return the numeric user id of the owner, 0 unless set with {@link #withOwner(long, long)}} */
  public long uid() {
    return uid;
  }

  /** {@return the numeric group id of the owner, 0 unless set with {@link #withOwner(long, long)}} */
  public long gid() {
    return gid;
  }

  /**
   * {@return the host file a {@link Type#FILE} entry is copied from: absolute, with no symbolic
   * link in it (resolved when the entry was made); empty for other entries}
   */
  public Optional<Path> source() {
    return Optional.ofNullable(source);
  }

  /** {@return a copy of the content of a {@link Type#FILE} entry given as bytes; empty for other entries} */
  public Optional<byte[]> content() {
    return Optional.ofNullable(bytes).map(byte[]::clone);
  }

  /** {@return the symlink text, or the hard link's target path (absolute); empty for other entries} */
  public Optional<String> link() {
    return Optional.ofNullable(link);
  }

  /** {@return the size in bytes of a {@link Type#FILE} entry given as bytes; -1 for other entries} */
  public long contentSize() {
    return bytes == null ? -1 : bytes.length;
  }

  @Override
  public boolean equals(Object o) {
    if (o == this) {
      return true;
    }
    return o instanceof LayerEntry e && path.equals(e.path) && type == e.type && mode == e.mode
        && uid == e.uid && gid == e.gid && Objects.equals(source, e.source) && Arrays.equals(bytes, e.bytes)
        && Objects.equals(link, e.link) && Objects.equals(modified, e.modified);
  }

  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0) {
      h = Objects.hash(path, type, mode, uid, gid, source, Arrays.hashCode(bytes), link, modified);
      hash = h;
    }
    return h;
  }

  /** E.g. {@code file /bin/app 0755 0:0 <- /home/me/app} or {@code symlink /bin/sh -> busybox}. */
  @Override
  public String toString() {
    StringBuilder s = new StringBuilder();
    s.append(type.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')).append(' ').append(path);
    if (type != Type.HARD_LINK) {
      s.append(" 0").append(Integer.toOctalString(mode));
    }
    s.append(' ').append(uid).append(':').append(gid);
    if (source != null) {
      s.append(" <- ").append(source);
    } else if (bytes != null) {
      s.append(" (").append(bytes.length).append(" bytes)");
    } else if (link != null) {
      s.append(" -> ").append(link);
    }
    if (modified != null) {
      s.append(" mtime ").append(modified);
    }
    return s.toString();
  }
}
