package dev.scratchkit.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.scratchkit.DirectoryOptions;
import dev.scratchkit.ScratchImage;
import dev.scratchkit.ScratchImageException;
import dev.scratchkit.doctor.Finding;
import dev.scratchkit.testkit.Runc;
import dev.scratchkit.testkit.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interpreters load their modules as files by name: Python's standard library, Perl's @INC. Without
 * them build() refuses with the addDirectory calls; an image made without them fails under runc
 * as the refusal says (and the doctor says so); followed, the fix runs as on this machine.
 */
class EmbeddedInterpreterRuleTest {

  static final Path PYTHON = Path.of("/usr/bin/python3.11");
  static final Path PERL = Path.of("/usr/bin/perl");
  static final List<String> PY = List.of("-c", "import ssl, sqlite3, json; print(1)");
  static final List<String> PL = List.of("-e", "use strict; use warnings; print \"ok\\n\";");

  @TempDir static Path work;

  @Test
  void pythonWithoutItsStandardLibraryIsRefusedAndCannotStart() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(PYTHON), "needs Debian's python3.11");
    ScratchImageException refused = assertThrows(ScratchImageException.class, () -> ScratchImage.builder()
        .entrypoint(PYTHON, "/usr/bin/python3.11").args(PY.toArray(String[]::new)).bundleSharedLibraries().build());
    assertThat(refused.getMessage()).contains("/usr/bin/python3.11 is a Python interpreter (it exports Py_BytesMain):"
        + " Python loads its standard library and extension modules as files by name, and the image has no Python"
        + " 3.11 standard library: no lib/python3.11/os.py under /usr/bin, /usr, /")
        .contains("addDirectory(Path.of(\"/usr/lib/python3.11\"), \"/usr/lib/python3.11\","
            + " DirectoryOptions.defaults().copyOutsideLinkTargets().keepModificationTimes())");

    ScratchImage full = ScratchImage.builder().entrypoint(PYTHON, "/usr/bin/python3.11").args(PY.toArray(String[]::new))
        .bundleSharedLibraries().addDirectory(Path.of("/usr/lib/python3.11"), "/usr/lib/python3.11",
            DirectoryOptions.defaults().copyOutsideLinkTargets().keepModificationTimes()).build();
    Path layout = RuntimeImages.write(RuntimeImages.without(full, p -> p.startsWith("/usr/lib/python3.11"), null),
        work.resolve("no-stdlib"));
    Tools.Result run = Runc.run(layout, "t", work.resolve("run-no-stdlib"), null);
    Finding f = RuntimeImages.finding(layout, "PYTHON_STDLIB_MISSING");
    assertThat(run.stderr()).as(run.describe()).contains(f.runtimeError());
    assertThat(run.exitCode()).isNotZero();
    assertThat(f.fix()).startsWith("COPY /usr/lib/python3.11 (Debian package libpython3.11-stdlib)");

    Path fixed = RuntimeImages.write(full, work.resolve("stdlib"));
    Tools.Result ok = Runc.run(fixed, "t", work.resolve("run-stdlib"), null);
    Tools.Result host = RuntimeImages.onHost(List.of(PYTHON.toString(), PY.get(0), PY.get(1)));
    assertThat(ok.stdout()).as(ok.describe()).isEqualTo(host.stdout()).isEqualTo("1\n");
    assertThat(ok.exitCode()).isEqualTo(host.exitCode());
  }

  @Test
  void perlWithoutItsLibraryIsRefusedAndDiesAtUseStrict() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(PERL), "needs perl");
    ScratchImageException refused = assertThrows(ScratchImageException.class, () -> ScratchImage.builder()
        .entrypoint(PERL, "/usr/bin/perl").args(PL.toArray(String[]::new)).bundleSharedLibraries().build());
    assertThat(refused.getMessage()).contains("/usr/bin/perl is a Perl interpreter (it exports perl_parse): Perl loads"
        + " its modules from the @INC directories compiled into it (")
        .contains("addDirectory(Path.of(\"/usr/lib/x86_64-linux-gnu/perl-base\"), \"/usr/lib/x86_64-linux-gnu/perl-base\","
            + " DirectoryOptions.defaults().copyOutsideLinkTargets())");

    ScratchImage bare = ScratchImage.builder().entrypoint(PERL, "/usr/bin/perl").bundleSharedLibraries()
        .addDirectory(Path.of("/usr/lib/x86_64-linux-gnu/perl-base"), "/usr/lib/x86_64-linux-gnu/perl-base").build();
    Path layout = RuntimeImages.write(RuntimeImages.without(bare, p -> p.contains("/perl-base"), PL),
        work.resolve("no-perl-lib"));
    Tools.Result run = Runc.run(layout, "t", work.resolve("run-no-perl-lib"), null);
    Finding f = RuntimeImages.finding(layout, "PERL_LIBRARY_MISSING");
    assertThat(run.stderr()).as(run.describe()).contains(f.runtimeError());
    assertThat(run.exitCode()).isEqualTo(2);

    // The fix, followed: every directory it names.
    ScratchImage.Builder fixed = ScratchImage.builder().entrypoint(PERL, "/usr/bin/perl")
        .args(PL.toArray(String[]::new)).bundleSharedLibraries();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("addDirectory\\(Path.of\\(\"([^\"]+)\"\\), \"([^\"]+)\"")
        .matcher(refused.getMessage());
    int calls = 0;
    while (m.find()) {
      fixed.addDirectory(Path.of(m.group(1)), m.group(2), DirectoryOptions.defaults().copyOutsideLinkTargets());
      calls++;
    }
    assertThat(calls).isGreaterThanOrEqualTo(3);
    Path ok = RuntimeImages.write(fixed.build(), work.resolve("perl"));
    Tools.Result good = Runc.run(ok, "t", work.resolve("run-perl"), null);
    Tools.Result host = RuntimeImages.onHost(List.of(PERL.toString(), PL.get(0), PL.get(1)));
    assertThat(good.stdout()).as(good.describe()).isEqualTo(host.stdout()).isEqualTo("ok\n");
    assertThat(good.exitCode()).isEqualTo(host.exitCode());
  }
}
