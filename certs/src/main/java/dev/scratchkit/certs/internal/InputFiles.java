package dev.scratchkit.certs.internal;

import dev.scratchkit.certs.TrustStoreException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;

/**
 * Reads an input file whole, with a size bound and errors that name the file. Only regular
 * files are opened: a FIFO would block the open until some writer appears, and a device such
 * as {@code /dev/zero} never ends.
 */
public final class InputFiles {

  /** Trust stores are a few hundred KiB (the JDK's cacerts about 200 KiB); anything this large is not one. */
  public static final long MAX_SIZE = 16L * 1024 * 1024;

  private InputFiles() {}

  /** The file's bytes, or a {@link TrustStoreException} naming it and the fix. */
  public static byte[] read(Path file, String action) {
    BasicFileAttributes before = regularFile(file, action);
    try {
      checkSize(file, action, before.size(), true);
      byte[] bytes;
      try (InputStream in = Files.newInputStream(file)) {
        // One byte more than allowed tells a file that grew past the limit from one that fits.
        bytes = in.readNBytes((int) MAX_SIZE + 1);
      }
      checkSize(file, action, bytes.length, false);
      BasicFileAttributes after = Files.readAttributes(file, BasicFileAttributes.class);
      if (!after.isRegularFile() || !Objects.equals(before.fileKey(), after.fileKey())) {
        throw new TrustStoreException(action, file, "the file was replaced while it was read",
            "Read it again once nothing changes it", null);
      }
      return bytes;
    } catch (AccessDeniedException e) {
      throw new TrustStoreException(action, file, "permission denied",
          "Make the file readable for this user", e);
    } catch (NoSuchFileException e) {
      throw new TrustStoreException(action, file, "the file does not exist (a dangling symbolic link?)",
          "Check the path and what it links to", e);
    } catch (IOException e) {
      throw new TrustStoreException(action, file, AtomicFiles.describe(e), "Check the file", e);
    }
  }

  /** {@code exact}: the size from the file system; otherwise what was read, which stops one past the limit. */
  private static void checkSize(Path file, String action, long size, boolean exact) {
    if (size > MAX_SIZE) {
      throw new TrustStoreException(action, file,
          "it is " + (exact ? size + " bytes" : "over " + MAX_SIZE + " bytes (it grew while being read)")
              + ", more than the limit of " + MAX_SIZE + " bytes (16 MiB) for a trust store",
          "Check that this is the right file", null);
    }
  }

  /** The attributes of {@code file} (symbolic links followed), refusing anything but a regular file. */
  private static BasicFileAttributes regularFile(Path file, String action) {
    BasicFileAttributes attributes;
    try {
      attributes = Files.readAttributes(file, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      Path parent = file.getParent();
      boolean dangling = Files.isSymbolicLink(file);
      String hint = dangling ? "Check the path and what it links to"
          : parent != null && !Files.isDirectory(parent)
              ? "Its directory " + parent + " does not exist either; check the path"
              : "Check the path";
      throw new TrustStoreException(action, file,
          dangling ? "the file does not exist (a dangling symbolic link?)" : "the file does not exist", hint, null);
    } catch (AccessDeniedException e) {
      throw new TrustStoreException(action, file, "permission denied",
          "Make the file and its directories readable for this user", e);
    } catch (IOException e) {
      throw new TrustStoreException(action, file, AtomicFiles.describe(e), "Check the file", e);
    }
    if (attributes.isDirectory()) {
      throw new TrustStoreException(action, file, "it is a directory, not a file", "Pass the file itself", null);
    }
    if (!attributes.isRegularFile()) {
      throw new TrustStoreException(action, file, "it is " + specialKind(file) + ", not a regular file,"
          + " and is not read (it could block or never end)", "Pass a regular file holding the certificates", null);
    }
    return attributes;
  }

  /** "a FIFO (named pipe)", "a character device", ...: what a non-regular file is. */
  static String specialKind(Path file) {
    try {
      int mode = (Integer) Files.getAttribute(file, "unix:mode");
      switch (mode & 0170000) {
        case 0010000: return "a FIFO (named pipe)";
        case 0020000: return "a character device";
        case 0060000: return "a block device";
        case 0140000: return "a socket";
        default: return "a special file";
      }
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return "a special file";
    }
  }
}
