package dev.scratchkit.programs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Working directories made alike on the host and in the image, and compared after a run. */
final class Staging {

  /** The modification time scratchkit gives every file (its default creation time). */
  static final FileTime CREATED = FileTime.from(Instant.EPOCH);

  private Staging() {}

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code text} with {@value Row#WORK} replaced by {@code work}. */
  static String substitute(String text, String work) {
    return text.replace(Row.WORK, work);
  }

  static byte[] substitute(byte[] bytes, String work) {
    return replace(bytes, Row.WORK.getBytes(StandardCharsets.UTF_8), work.getBytes(StandardCharsets.UTF_8));
  }

  /** Every occurrence of {@code from} in {@code bytes} replaced by {@code to}. */
  static byte[] replace(byte[] bytes, byte[] from, byte[] to) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(bytes.length);
    int i = 0;
    outer:
    while (i < bytes.length) {
      if (i + from.length <= bytes.length) {
        for (int j = 0; j < from.length; j++) {
          if (bytes[i + j] != from[j]) {
            out.write(bytes[i]);
            i++;
            continue outer;
          }
        }
        out.writeBytes(to);
        i += from.length;
      } else {
        out.write(bytes[i]);
        i++;
      }
    }
    return out.toByteArray();
  }

  /**
   * Writes the row's inputs into {@code work} (root's files, 0644, modified at the image's
   * creation time, as {@code addFile} puts them in the image), the working directory's path
   * standing for {@value Row#WORK} in their content.
   */
  static void stage(Row row, Path work, String workInImage) throws IOException {
    for (Row.Input input : row.inputs) {
      Path file = work.resolve(input.name());
      Files.createDirectories(file.getParent());
      Files.write(file, substitute(input.content().get(), workInImage));
      Files.setPosixFilePermissions(file, permissions(input.mode()));
      Files.setLastModifiedTime(file, CREATED);
    }
    try (Stream<Path> all = Files.walk(work)) {
      for (Path p : (Iterable<Path>) all.sorted(java.util.Comparator.reverseOrder())::iterator) {
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          Files.setLastModifiedTime(p, CREATED);
        }
      }
    }
  }

  static Set<PosixFilePermission> permissions(int mode) {
    StringBuilder s = new StringBuilder();
    String rwx = "rwxrwxrwx";
    for (int bit = 8; bit >= 0; bit--) {
      s.append((mode & (1 << bit)) != 0 ? rwx.charAt(8 - bit) : '-');
    }
    return PosixFilePermissions.fromString(s.toString());
  }

  /**
   * The tree under {@code dir}: relative path → type, mode, and for files size and SHA-256;
   * what the program wrote shows here.
   */
  static Map<String, String> tree(Path dir) {
    Map<String, String> tree = new TreeMap<>();
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        if (p.equals(dir)) {
          continue;
        }
        String rel = dir.relativize(p).toString();
        String mode = Integer.toOctalString((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS)
            & 07777);
        if (Files.isSymbolicLink(p)) {
          tree.put(rel, "link -> " + Files.readSymbolicLink(p));
        } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          tree.put(rel, "dir " + mode);
        } else {
          byte[] bytes = Files.readAllBytes(p);
          tree.put(rel, "file " + mode + " " + bytes.length + " bytes " + sha256(bytes).substring(0, 16));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return tree;
  }
}
