package dev.scratchkit.internal.oci;

import dev.scratchkit.oci.OciException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Archive targets: stage the content in a directory beside the destination, tar it into a temp
 * file beside the destination, then rename over the destination. The previous file stays
 * intact until the rename, and on failure nothing is left behind.
 */
public final class Archives {

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
    String base = "." + file.getFileName() + ".scratchkit-";
    Path staging = null;
    Path temp = null;
    try {
      staging = Files.createTempDirectory(parent, base);
      T value = stager.stage(staging);
      temp = BlobStore.tempName(parent, base);
      try (DurableFileOutput archive = DurableFileOutput.create(temp)) {
        OutputStream out = new BufferedOutputStream(archive, 64 * 1024);
        tarTree(staging, out, mtime);
        out.flush();
        archive.sync();
      }
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      BlobStore.syncDirectory(parent);
      return value;
    } catch (IOException e) {
      throw new OciException("cannot write the " + kind + " " + file + ": " + e
          + "; check free space and permissions in " + parent + " (any previous file is unchanged)", e);
    } finally {
      try {
        if (temp != null) {
          Files.deleteIfExists(temp);
        }
        if (staging != null) {
          Layouts.deleteTree(staging);
        }
      } catch (IOException e) {
        // best effort: the destination is already correct or unchanged
      }
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
