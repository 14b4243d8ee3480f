package dev.scratchkit.certs.internal;

import dev.scratchkit.certs.TrustStoreException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Writes files and directories so that readers see either the old state or the complete new
 * one: content goes to a temporary sibling first and is renamed into place.
 */
public final class AtomicFiles {

  private AtomicFiles() {}

  /** Writes {@code content} to {@code target} (mode 0644 where POSIX), replacing any file there. */
  public static void write(Path target, byte[] content, String what) {
    Path file = target.toAbsolutePath().normalize();
    String action = "Cannot write " + what;
    if (Files.isDirectory(file)) {
      throw new TrustStoreException(action, file, "it is a directory",
          "Pass the path of the file to create, e.g. " + file.resolve("ca-certificates.crt"), null);
    }
    Path parent = file.getParent();
    Path temp = null;
    try {
      Files.createDirectories(parent);
      temp = Files.createTempFile(parent, "." + file.getFileName() + ".", ".tmp");
      Files.write(temp, content);
      setMode(temp, "rw-r--r--");
      move(temp, file);
      temp = null;
    } catch (IOException e) {
      throw new TrustStoreException(action, file, describe(e), fixFor(e, parent), e);
    } finally {
      deleteQuietly(temp);
    }
  }

  /**
   * Creates {@code target} as a directory holding exactly {@code files} (name to content).
   * The directory must not exist yet, or be empty; it is filled under a temporary name and
   * renamed, so a failure leaves nothing half-written.
   */
  public static void writeDirectory(Path target, Map<String, byte[]> files, String what) {
    Path dir = target.toAbsolutePath().normalize();
    String action = "Cannot write " + what;
    if (Files.exists(dir) && !isEmptyDirectory(dir, action)) {
      throw new TrustStoreException(action, dir,
          Files.isDirectory(dir) ? "the directory is not empty" : "a file with that name exists",
          "Pass a new or empty directory; old hash files left in place would make OpenSSL trust "
              + "certificates that are no longer in the bundle", null);
    }
    Path parent = dir.getParent();
    Path temp = null;
    try {
      Files.createDirectories(parent);
      temp = Files.createTempDirectory(parent, "." + dir.getFileName() + ".");
      for (Map.Entry<String, byte[]> entry : files.entrySet()) {
        Path file = temp.resolve(entry.getKey());
        Files.write(file, entry.getValue());
        setMode(file, "rw-r--r--");
      }
      setMode(temp, "rwxr-xr-x");
      Files.deleteIfExists(dir);
      move(temp, dir);
      temp = null;
    } catch (IOException e) {
      throw new TrustStoreException(action, dir, describe(e), fixFor(e, parent), e);
    } finally {
      deleteTreeQuietly(temp);
    }
  }

  private static boolean isEmptyDirectory(Path dir, String action) {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (Stream<Path> list = Files.list(dir)) {
      return list.findAny().isEmpty();
    } catch (IOException e) {
      throw new TrustStoreException(action, dir, describe(e), "Check the directory's permissions", e);
    }
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      // Same directory, so this only happens on exotic file systems; fall back to a plain move.
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static void setMode(Path path, String mode) throws IOException {
    if (Files.getFileStore(path).supportsFileAttributeView("posix")) {
      Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(mode));
    }
  }

  static String describe(IOException e) {
    if (e instanceof AccessDeniedException) {
      return "permission denied on " + ((AccessDeniedException) e).getFile();
    }
    if (e instanceof DirectoryNotEmptyException) {
      return "the directory is not empty";
    }
    if (e instanceof FileSystemException) {
      FileSystemException fse = (FileSystemException) e;
      return (fse.getReason() == null ? e.getClass().getSimpleName() : fse.getReason())
          + " (" + fse.getFile() + ")";
    }
    return String.valueOf(e.getMessage());
  }

  private static String fixFor(IOException e, Path parent) {
    if (e instanceof AccessDeniedException) {
      return "Make " + parent + " writable for this user, or write elsewhere";
    }
    return "Check that " + parent + " is a writable directory with free space";
  }

  private static void deleteQuietly(Path path) {
    if (path != null) {
      try {
        Files.deleteIfExists(path);
      } catch (IOException ignored) {
        // Best effort: the original failure is what the user needs to see.
      }
    }
  }

  private static void deleteTreeQuietly(Path dir) {
    if (dir == null) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(AtomicFiles::deleteQuietly);
    } catch (IOException ignored) {
      // Best effort, as above.
    }
  }
}
