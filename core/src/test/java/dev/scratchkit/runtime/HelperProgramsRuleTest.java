package dev.scratchkit.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.scratchkit.ScratchImage;
import dev.scratchkit.ScratchImageException;
import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import dev.scratchkit.testkit.Runc;
import dev.scratchkit.testkit.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GNU tar listing a gzip archive ({@code tar -tzf}) runs gzip from PATH: without it build()
 * refuses naming -z and the addFile that fixes it; an image made without it fails under runc as
 * tar says ("tar (child): gzip: Cannot exec"), and the doctor says so too; followed, the fix lists
 * the archive as this machine does.
 */
class HelperProgramsRuleTest {

  static final Path TAR = Path.of("/usr/bin/tar");
  static final Path GZIP = Path.of("/usr/bin/gzip");

  @TempDir static Path work;
  static Path archive;

  @BeforeAll
  static void archive() throws Exception {
    Path data = Files.createDirectories(work.resolve("data"));
    Files.writeString(data.resolve("hello.txt"), "hello\n");
    archive = work.resolve("a.tgz");
    Tools.runOk("tar", "-czf", archive.toString(), "-C", data.toString(), "hello.txt");
    Tools.runOk("chmod", "a+rx", work.toString());   // the host run is as uid 65532 too
    Tools.runOk("chmod", "a+r", archive.toString());
  }

  private static ScratchImage.Builder tar(String... args) {
    return ScratchImage.builder().entrypoint(TAR, "/usr/bin/tar").args(args).bundleSharedLibraries()
        .addFile(archive, "/data/a.tgz");
  }

  @Test
  void tarWithZIsRefusedWithoutGzipAndFailsSoWhenBuiltElsewhere() throws Exception {
    ScratchImageException refused = assertThrows(ScratchImageException.class,
        () -> tar("-tzf", "/data/a.tgz").build());
    assertThat(refused.getMessage()).contains("/usr/bin/tar is given -z (in -tzf), and /usr/bin/tar runs gzip"
        + " through PATH (execvp@GLIBC_2.2.5), but no directory of the image's PATH"
        + " (/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin) has it.")
        .contains("tar (child): gzip: Cannot exec: No such file or directory")
        .contains("addFile(Path.of(\"/usr/bin/gzip\"), \"/usr/bin/gzip\"); bundleSharedLibraries() brings its"
            + " libraries.");

    // The same image made by a tool that does not check: tar fails as the refusal said.
    ScratchImage plain = tar().build();
    Path layout = RuntimeImages.write(RuntimeImages.without(plain, p -> false, List.of("-tzf", "/data/a.tgz")),
        work.resolve("no-gzip"));
    Tools.Result run = Runc.run(layout, "t", work.resolve("run-no-gzip"), null);
    assertThat(run.stderr()).as(run.describe()).contains("tar (child): gzip: Cannot exec: No such file or directory");
    assertThat(run.exitCode()).isEqualTo(2);

    Finding f = RuntimeImages.finding(layout, "HELPER_MISSING");
    assertThat(f.severity()).isEqualTo(Severity.ERROR);
    assertThat(run.stderr()).contains(f.runtimeError());
    assertThat(f.fix()).isEqualTo("COPY /usr/bin/gzip (Debian package gzip) with its libraries into a directory of"
        + " PATH.");
  }

  @Test
  void followingTheFixListsTheArchiveAsThisMachineDoes() throws Exception {
    Tools.Result host = RuntimeImages.onHost(List.of(TAR.toString(), "-tzf", archive.toString()));
    assertThat(host.stdout()).as(host.describe()).isEqualTo("hello.txt\n");
    ScratchImage image = tar("-tzf", "/data/a.tgz").addFile(GZIP, "/usr/bin/gzip").build();
    Path layout = RuntimeImages.write(image, work.resolve("gzip"));
    Tools.Result run = Runc.run(layout, "t", work.resolve("run-gzip"), null);
    assertThat(run.stdout()).as(run.describe()).isEqualTo(host.stdout());
    assertThat(run.exitCode()).isEqualTo(host.exitCode());
  }

  @Test
  void tarArgumentsDecideTheHelperAndItsCertainty() {
    // No compression asked for: nothing to say.
    assertThat(tar("-cf", "/tmp/x.tar", "/data").build().warnings()).noneMatch(w -> w.contains("gzip"));
    // Old-style letters and long options are read as tar reads them.
    assertThat(assertThrows(ScratchImageException.class, () -> tar("cJf", "/tmp/x.tar", "/data").build())
        .getMessage()).contains("/usr/bin/tar is given -J (in cJf)").contains("runs xz through PATH");
    assertThat(assertThrows(ScratchImageException.class, () -> tar("--zstd", "-cf", "/tmp/x", "/data").build())
        .getMessage()).contains("/usr/bin/tar is given --zstd");
    // -f's own argument is not an option cluster: "-cfz" writes the archive "z".
    assertThat(tar("-cfz", "/data").build().warnings()).noneMatch(w -> w.contains("through PATH"));
    // Reading an archive named .gz: tar detects the compression from the content, so a warning.
    assertThat(tar("-xf", "/data/a.tar.gz").build().warnings()).anyMatch(w -> w.contains("whose name says it is"
        + " gzip-compressed") && w.contains("addFile(Path.of(\"/usr/bin/gzip\"), \"/usr/bin/gzip\")"));
  }
}
