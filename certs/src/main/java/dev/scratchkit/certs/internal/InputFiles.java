package dev.scratchkit.certs.internal;

import dev.scratchkit.certs.TrustStoreException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads an input file whole, with a size bound and errors that name the file. */
public final class InputFiles {

  /** Trust stores are a few hundred KiB; anything this large is not one. */
  public static final long MAX_SIZE = 64L * 1024 * 1024;

  private InputFiles() {}

  /** The file's bytes, or a {@link TrustStoreException} naming it and the fix. */
  public static byte[] read(Path file, String action) {
    if (!Files.exists(file)) {
      Path parent = file.getParent();
      String hint = parent != null && !Files.isDirectory(parent)
          ? "Its directory " + parent + " does not exist either; check the path"
          : "Check the path";
      throw new TrustStoreException(action, file, "the file does not exist", hint, null);
    }
    if (Files.isDirectory(file)) {
      throw new TrustStoreException(action, file, "it is a directory, not a file",
          "Pass the file itself", null);
    }
    try {
      long size = Files.size(file);
      if (size > MAX_SIZE) {
        throw new TrustStoreException(action, file,
            "it is " + size + " bytes, more than the " + MAX_SIZE + " bytes any trust store needs",
            "Check that this is the right file", null);
      }
      return Files.readAllBytes(file);
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
}
