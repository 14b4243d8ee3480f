package dev.scratchkit.internal.view;

import dev.scratchkit.elf.ElfFile;
import dev.scratchkit.internal.oci.RecentlyUsed;
import dev.scratchkit.internal.oci.SourceFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@link ElfFile#read} for host files, remembered in this JVM by the file's identity (device and
 * inode, size, modification and change time: any change moves the change time), so a rebuild
 * parses only the ELF files that changed. An {@code ElfFile} is an immutable value read whole.
 */
public final class ElfFiles {
  private ElfFiles() {}

  private static final Map<String, ElfFile> READ = RecentlyUsed.map(256);

  /**
   * Reads {@code file} as {@link ElfFile#read} does, or returns the file read earlier under the
   * same path and identity.
   *
   * @throws dev.scratchkit.elf.ElfException as {@link ElfFile#read}
   */
  public static ElfFile read(Path file) {
    String before = identity(file);
    if (before != null) {
      ElfFile known = READ.get(before);
      if (known != null) {
        return known;
      }
    }
    ElfFile elf = ElfFile.read(file);
    if (before != null && before.equals(identity(file))) {
      READ.put(before, elf); // only when nothing changed the file while it was read
    }
    return elf;
  }

  private static String identity(Path file) {
    try {
      Path real = file.toAbsolutePath().toRealPath();
      SourceFiles.HostFile host = SourceFiles.recordNow(real);
      if (host.fileKey() == null || "-".equals(host.changed())) {
        return null;
      }
      return file + "\n" + host.identity();
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
