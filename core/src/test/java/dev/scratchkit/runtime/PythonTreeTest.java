package dev.scratchkit.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scratchkit.DirectoryOptions;
import dev.scratchkit.ScratchImage;
import dev.scratchkit.ScratchImageException;
import dev.scratchkit.oci.OciLayout;
import dev.scratchkit.testkit.Runc;
import dev.scratchkit.testkit.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's Python standard library added as a tree: its two links that leave the tree
 * (sitecustomize.py to /etc, libpython3.11.so to the multiarch directory) are refused with a fix
 * that, followed, builds an image that runs {@code python3 -c 'import ssl, sqlite3, json'} as
 * uid 65532 under runc; with the host's modification times every byte-code cache is used, which
 * CPython's own {@code -v} trace shows ("code object from '....pyc'", no "bytecode is stale").
 */
class PythonTreeTest {

  static final Path PYTHON = Path.of("/usr/bin/python3.11");
  static final Path STDLIB = Path.of("/usr/lib/python3.11");
  static final List<String> COMMAND = List.of("/usr/bin/python3.11", "-v", "-c", "import ssl, sqlite3, json; print(1)");

  @TempDir static Path work;

  @BeforeAll
  static void python() {
    Assumptions.assumeTrue(Files.isExecutable(PYTHON) && Files.isDirectory(STDLIB),
        "needs Debian's python3.11 (" + PYTHON + ", " + STDLIB + ")");
  }

  @Test
  void theRefusalNamesTheOptionAndFollowingItRunsWithEveryByteCodeCacheUsed() throws Exception {
    ScratchImageException refused = org.junit.jupiter.api.Assertions.assertThrows(ScratchImageException.class,
        () -> ScratchImage.builder().entrypoint(PYTHON, "/usr/bin/python3.11").bundleSharedLibraries()
            .addDirectory(STDLIB, "/usr/lib/python3.11").build());
    assertThat(refused.getMessage())
        .contains("/usr/lib/python3.11/sitecustomize.py is a symbolic link to /etc/python3.11/sitecustomize.py,"
            + " which is outside /usr/lib/python3.11 (an absolute link). In the image it would point at"
            + " /etc/python3.11/sitecustomize.py, which the image does not have")
        .contains("addDirectory(Path.of(\"/usr/lib/python3.11\"), \"/usr/lib/python3.11\","
            + " DirectoryOptions.defaults().copyOutsideLinkTargets())");

    ScratchImage image = ScratchImage.builder().entrypoint(PYTHON, "/usr/bin/python3.11").bundleSharedLibraries()
        .addDirectory(STDLIB, "/usr/lib/python3.11",
            DirectoryOptions.defaults().copyOutsideLinkTargets().keepModificationTimes())
        .build();
    Path layout = work.resolve("kept");
    image.writeTo(OciLayout.at(layout).tag("t"));
    Tools.Result run = Runc.run(layout, "t", work.resolve("run-kept"), COMMAND);
    assertThat(run.exitCode()).as(run.describe()).isZero();
    assertThat(run.stdout()).as(run.describe()).isEqualTo("1\n");
    List<String> loaded = codeObjects(run.stderr());
    assertThat(loaded).as(run.stderr()).hasSizeGreaterThan(20).allMatch(l -> l.endsWith(".pyc'"));
    assertThat(run.stderr()).doesNotContain("bytecode is stale").doesNotContain("# could not create")
        .doesNotContain("# wrote");
    System.out.println("kept times: " + loaded.size() + " modules from their .pyc");
  }

  @Test
  void withTheCreationTimeAsModificationTimeEveryCacheIsStale() throws Exception {
    ScratchImage image = ScratchImage.builder().entrypoint(PYTHON, "/usr/bin/python3.11").bundleSharedLibraries()
        .addDirectory(STDLIB, "/usr/lib/python3.11", DirectoryOptions.defaults().copyOutsideLinkTargets())
        .build();
    Path layout = work.resolve("epoch");
    image.writeTo(OciLayout.at(layout).tag("t"));
    Tools.Result run = Runc.run(layout, "t", work.resolve("run-epoch"), COMMAND);
    assertThat(run.stdout()).as(run.describe()).isEqualTo("1\n");
    assertThat(run.stderr()).contains("bytecode is stale for 'json'");
    // CPython prints a compiled source's path bare, a cache's in quotes.
    assertThat(codeObjects(run.stderr())).contains("# code object from /usr/lib/python3.11/json/__init__.py");
  }

  /** CPython's {@code -v} line for each module it loads from a file: {@code # code object from '<file>'}. */
  static List<String> codeObjects(String stderr) {
    return stderr.lines().filter(l -> l.startsWith("# code object from ")).toList();
  }
}
