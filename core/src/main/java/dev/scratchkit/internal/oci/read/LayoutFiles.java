package dev.scratchkit.internal.oci.read;

import dev.scratchkit.oci.OciException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Set;

/**
 * Opens files inside an OCI layout directory without leaving it: every component of the path
 * below the layout root must be a real directory (not a symlink), the file a regular file (not
 * a symlink, FIFO, device or socket), checked before it is opened so that opening never blocks.
 *
 * <p>Where the platform offers it (Linux), each step is relative to the directory opened by the
 * previous one ({@link SecureDirectoryStream}, i.e. {@code openat} with {@code O_NOFOLLOW}), so
 * swapping a component for a symlink between the check and the open does not lead outside.
 */
public final class LayoutFiles {

  /** An opened file and its size at opening. */
  public record Opened(InputStream stream, long size) {}

  private final Path root;

  /** @param root the layout directory, absolute */
  public LayoutFiles(Path root) {
    this.root = root;
  }

  /**
   * Whether {@code relative} exists as a regular file (refusing what {@link #open} refuses).
   *
   * @throws OciException when a component is a symlink or the file is not regular
   */
  public boolean exists(String relative) throws IOException {
    try {
      walk(relative, false).close();
      return true;
    } catch (NoSuchFileException e) {
      return false;
    }
  }

  /**
   * Opens {@code relative}, e.g. {@code blobs/sha256/ab12...}.
   *
   * @throws NoSuchFileException when it is missing
   * @throws OciException when a component is a symlink or not a directory, or the file is not a
   *     regular file
   */
  public Opened open(String relative) throws IOException {
    return walk(relative, true).opened;
  }

  private static final class Walk implements AutoCloseable {
    Opened opened;
    SecureDirectoryStream<Path> dir;

    @Override
    public void close() throws IOException {
      if (dir != null) {
        dir.close();
      }
    }
  }

  private Walk walk(String relative, boolean open) throws IOException {
    List<String> parts = List.of(relative.split("/"));
    for (String p : parts) {
      if (p.isEmpty() || p.equals(".") || p.equals("..")) {
        throw new OciException("refusing to read \"" + TarReader.printable(relative) + "\" in the layout " + root
            + ": the path leaves the layout or is not a plain relative path");
      }
    }
    DirectoryStream<Path> top = Files.newDirectoryStream(root);
    if (top instanceof SecureDirectoryStream<Path> secure) {
      Walk w = new Walk();
      w.dir = secure;
      boolean ok = false;
      try {
        Path at = root;
        for (int i = 0; i < parts.size(); i++) {
          Path name = Path.of(parts.get(i));
          at = at.resolve(name);
          BasicFileAttributes a = w.dir.getFileAttributeView(name, BasicFileAttributeView.class,
              LinkOption.NOFOLLOW_LINKS).readAttributes();
          boolean last = i == parts.size() - 1;
          check(at, a, !last);
          if (!last) {
            SecureDirectoryStream<Path> next = w.dir.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS);
            w.dir.close();
            w.dir = next;
          } else if (open) {
            SeekableByteChannel ch = w.dir.newByteChannel(name, Set.of(StandardOpenOption.READ,
                LinkOption.NOFOLLOW_LINKS));
            w.opened = new Opened(Channels.newInputStream(ch), ch.size());
          }
        }
        ok = true;
        return w;
      } catch (FileSystemException e) {
        if (e instanceof NoSuchFileException || e instanceof java.nio.file.AccessDeniedException) {
          throw e;
        }
        throw new OciException("refusing to read " + root.resolve(relative) + ": " + e
            + " (a component may have been replaced by a symlink while reading); the layout is being"
            + " changed or is hostile", e);
      } finally {
        if (!ok || open) {
          w.close();
        }
      }
    }
    top.close();
    // No openat on this platform: check each component, then open without following a final symlink.
    Path at = root;
    for (int i = 0; i < parts.size(); i++) {
      at = at.resolve(parts.get(i));
      check(at, Files.readAttributes(at, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS), i < parts.size() - 1);
    }
    Walk w = new Walk();
    if (open) {
      SeekableByteChannel ch = Files.newByteChannel(at, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS));
      w.opened = new Opened(Channels.newInputStream(ch), ch.size());
    }
    return w;
  }

  private void check(Path at, BasicFileAttributes a, boolean mustBeDirectory) {
    String kind = a.isSymbolicLink() ? "a symbolic link" : a.isDirectory() ? "a directory"
        : a.isRegularFile() ? "a regular file" : "a special file (FIFO, device or socket)";
    if (mustBeDirectory ? !a.isDirectory() || a.isSymbolicLink() : !a.isRegularFile() || a.isSymbolicLink()) {
      throw new OciException("refusing to read " + at + " in the layout " + root + ": it is " + kind + ", but "
          + (mustBeDirectory ? "a directory" : "a regular file")
          + " is expected there; a layout holds no links or special files (they could lead outside it or block"
          + " the reader). Replace it with the real " + (mustBeDirectory ? "directory" : "file")
          + " or rewrite the layout");
    }
  }
}
