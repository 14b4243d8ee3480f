package dev.scratchkit.elf;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A target file system that a {@link LibraryResolver} searches: a sysroot directory on this
 * machine ({@link #sysroot(Path)}), or an image's merged layers as the runtime will see them.
 *
 * <p>Paths are absolute in-image paths without {@code .}, {@code ..} or empty components. The
 * resolver follows symbolic links itself, one component at a time, and never above the root, so
 * an implementation only answers for one path at a time: what is there, without following a link
 * at that path ({@code lstat}).
 */
public interface RootFileSystem {

  /** What a path holds. */
  enum Type {
    /** A regular file. */
    FILE,
    /** A directory. */
    DIRECTORY,
    /** A symbolic link; see {@link Node#linkTarget()}. */
    SYMLINK,
    /** Anything else (device, fifo, socket): never a library. */
    OTHER
  }

  /**
   * What is at one path.
   *
   * @param type the kind of entry
   * @param linkTarget the link text for a {@link Type#SYMLINK}, else {@code null}
   */
  record Node(Type type, String linkTarget) {
    /**
     * Checks that a link has a target and nothing else does.
     *
     * @param type the kind of entry
     * @param linkTarget the link text for a {@link Type#SYMLINK}, else {@code null}
     * @throws ElfException if a link has no target, or another entry has one
     */
    public Node {
      Objects.requireNonNull(type, "type");
      if ((type == Type.SYMLINK) != (linkTarget != null)) {
        throw new ElfException(null, "A " + type + " node " + (linkTarget == null ? "has no link target; give the"
            + " link text" : "has the link target \"" + linkTarget + "\"; only a SYMLINK has one, pass null"), null);
      }
    }
  }

  /**
   * What is at a path, without following a symbolic link there.
   *
   * @param path an absolute path whose parent components are directories (no links)
   * @return the entry, or empty if nothing is there (or it cannot be read)
   */
  Optional<Node> lookup(String path);

  /**
   * A file on this machine with the content of the regular file at {@code path}: the file itself
   * for a sysroot, a copy or the source file for an image.
   *
   * @param path an absolute path where {@link #lookup(String)} found a {@link Type#FILE}
   * @return a readable file
   * @throws UncheckedIOException if the content cannot be made available
   */
  Path localFile(String path);

  /**
   * The names in a directory, for {@code include} globs of {@code /etc/ld.so.conf}.
   *
   * @param directory an absolute path of a directory (no links)
   * @return the names, in any order; empty if it is not a readable directory
   */
  List<String> list(String directory);

  /**
   * {@return the sysroot directory on this machine that stands for {@code /}, if this file
   * system is one; empty for an image}
   */
  default Optional<Path> hostDirectory() {
    return Optional.empty();
  }

  /**
   * A sysroot: the directory on this machine that stands for {@code /} of the target.
   *
   * @param sysroot the directory, e.g. {@code /} or {@code /srv/sysroot-arm64}; taken as given
   *     (the resolver uses its real path)
   * @return the file system under that directory
   */
  static RootFileSystem sysroot(Path sysroot) {
    Objects.requireNonNull(sysroot, "sysroot");
    return new SysrootFileSystem(sysroot);
  }
}
