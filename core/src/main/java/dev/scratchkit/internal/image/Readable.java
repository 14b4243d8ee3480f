package dev.scratchkit.internal.image;

import dev.scratchkit.internal.oci.SourceFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * Whether this process may read a file, from an {@code lstat} already taken: the permission bits
 * of the class that applies to it (owner, group, others), as {@code access(2)} judges them, for the
 * real user and groups of {@code /proc/self/status}. Only a yes is taken from the bits; a no, or
 * anything unknown, is asked of the kernel ({@link Files#isReadable}), which also knows
 * capabilities and ACLs that grant more. A tree of a thousand files so costs no {@code access}
 * call per file on a rebuild.
 */
final class Readable {

  private Readable() {}

  /** The real user and groups of this process; null where {@code /proc/self/status} does not give them. */
  private record Ids(int uid, Set<Integer> groups) {}

  private static final Ids IDS = readIds();

  /** {@return whether this process can read the regular file {@code path}, whose {@code lstat} is {@code stat}} */
  static boolean byThisProcess(Path path, SourceFiles.Stat stat) {
    return grantedByBits(stat) || Files.isReadable(path);
  }

  private static boolean grantedByBits(SourceFiles.Stat stat) {
    if (IDS == null || stat.permissions() < 0 || stat.uid() < 0 || stat.gid() < 0) {
      return false;
    }
    int bits = stat.permissions();
    if (IDS.uid() == stat.uid()) {
      return (bits & 0400) != 0;
    }
    if (IDS.groups().contains(stat.gid())) {
      return (bits & 0040) != 0;
    }
    return (bits & 0004) != 0;
  }

  private static Ids readIds() {
    try {
      int uid = -1;
      Set<Integer> groups = new HashSet<>();
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        String[] fields = line.trim().split("\\s+");
        if (fields[0].equals("Uid:") && fields.length > 1) {
          uid = Integer.parseInt(fields[1]); // real, which access(2) checks
        } else if (fields[0].equals("Gid:") && fields.length > 1) {
          groups.add(Integer.parseInt(fields[1]));
        } else if (fields[0].equals("Groups:")) {
          for (int i = 1; i < fields.length; i++) {
            groups.add(Integer.parseInt(fields[i]));
          }
        }
      }
      return uid < 0 || groups.isEmpty() ? null : new Ids(uid, Set.copyOf(groups));
    } catch (IOException | RuntimeException e) {
      return null; // not Linux, or no /proc: every file is asked of the kernel
    }
  }
}
