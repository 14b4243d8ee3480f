package dev.scratchkit.internal.image;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.testkit.Tools;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Readable} against the kernel's {@code access(2)} ({@link Files#isReadable}): for files of
 * every permission pattern, owned by root, by the nonroot user and by its group only, judged by
 * this process and by a JVM running as 65532 under {@code setpriv}.
 */
class ReadableTest {

  private static final int NONROOT = 65532;

  @Test
  void agreesWithAccessForEveryModeAndOwner(@TempDir Path dir) throws Exception {
    List<Path> files = files(dir);
    assertThat(ReadableMain.mismatches(files)).as("this process").isEmpty();
    if (!"root".equals(System.getProperty("user.name"))) {
      return; // the nonroot run needs root to change owners and user
    }
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    // The class path entries the nonroot user can read: the project's classes and jars (in a
    // reactor build its modules are jars), not root's Maven repository.
    String classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(entry -> readableByOthers(Path.of(entry)))
        .collect(Collectors.joining(File.pathSeparator));
    Process p = new ProcessBuilder(Tools.require("setpriv").toString(), "--reuid=" + NONROOT, "--regid=" + NONROOT,
        "--clear-groups", java.toString(), "-cp", classPath, ReadableMain.class.getName(), dir.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(out).as("the run as %d", NONROOT).contains("checked " + files.size() + " files, 0 mismatches");
    assertThat(p.exitValue()).isZero();
  }

  /** Whether users other than the owner can reach and read {@code path} (every directory above it searchable). */
  private static boolean readableByOthers(Path path) {
    try {
      Path absolute = path.toAbsolutePath().normalize();
      if (!Files.exists(absolute)) {
        return false;
      }
      Set<PosixFilePermission> own = Files.getPosixFilePermissions(absolute);
      if (!own.contains(PosixFilePermission.OTHERS_READ)
          || (Files.isDirectory(absolute) && !own.contains(PosixFilePermission.OTHERS_EXECUTE))) {
        return false;
      }
      for (Path dir = absolute.getParent(); dir != null; dir = dir.getParent()) {
        if (!Files.getPosixFilePermissions(dir).contains(PosixFilePermission.OTHERS_EXECUTE)) {
          return false;
        }
      }
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }

  /** One file per pattern of read bits and owner: root, nonroot, root with the nonroot group. */
  private static List<Path> files(Path dir) throws Exception {
    boolean root = "root".equals(System.getProperty("user.name"));
    // The directory must be searchable by the nonroot run.
    Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    List<Path> files = new ArrayList<>();
    String[] owners = root ? new String[] {"0:0", NONROOT + ":" + NONROOT, "0:" + NONROOT} : new String[] {""};
    for (String owner : owners) {
      for (int read = 0; read < 8; read++) { // write and execute bits do not decide reading
        int mode = ((read & 4) != 0 ? 0400 : 0) | ((read & 2) != 0 ? 0040 : 0) | ((read & 1) != 0 ? 0004 : 0);
        Path f = dir.resolve("f-" + owner.replace(':', '-') + "-" + Integer.toOctalString(mode));
        Files.writeString(f, "x");
        if (!owner.isEmpty()) {
          String[] ids = owner.split(":");
          Files.setAttribute(f, "unix:uid", Integer.parseInt(ids[0]));
          Files.setAttribute(f, "unix:gid", Integer.parseInt(ids[1]));
        }
        Files.setAttribute(f, "unix:mode", mode);
        files.add(f);
      }
    }
    return files;
  }
}
