package dev.scratchkit.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.scratchkit.ScratchImage;
import dev.scratchkit.ScratchImageException;
import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.ImageDoctor;
import dev.scratchkit.doctor.Severity;
import dev.scratchkit.testkit.Fixtures;
import dev.scratchkit.testkit.Runc;
import dev.scratchkit.testkit.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data files read by a compiled-in path. {@code file} (libmagic) without magic.mgc: refused, and
 * an image made without it fails as the refusal says; with the addFile of the fix it prints what
 * it prints here. A C program reading a file by a literal path: a warning naming the path and
 * its addFile, since the build machine has the file; followed, same output as here.
 */
class DataFilesRuleTest {

  static final Path FILE = Path.of("/usr/bin/file");
  static final String READER = "#include <stdio.h>\n"
      + "int main(void){FILE*f=fopen(\"/usr/share/common-licenses/GPL-3\",\"r\");char l[200];"
      + "if(!f){puts(\"no licence\");return 3;}fgets(l,sizeof l,f);fputs(l,stdout);return 0;}\n";

  @TempDir static Path work;

  @Test
  void fileWithoutItsMagicDatabaseIsRefusedAndFailsSoWhenBuiltElsewhere() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(FILE) && Files.exists(Path.of("/usr/lib/file/magic.mgc")),
        "needs file and libmagic-mgc");
    ScratchImageException refused = assertThrows(ScratchImageException.class, () -> ScratchImage.builder()
        .entrypoint(FILE, "/usr/bin/file").args("/etc/passwd").bundleSharedLibraries().build());
    assertThat(refused.getMessage()).contains("/usr/bin/file loads /lib/x86_64-linux-gnu/libmagic.so.1, which reads"
        + " /usr/share/misc/magic.mgc or /usr/share/misc/magic by a compiled-in path (or the file MAGIC names), and"
        + " the image has none of them.")
        .contains("could not find any valid magic files!")
        .contains("addFile(Path.of(\"/usr/lib/file/magic.mgc\"), \"/usr/share/misc/magic.mgc\") (Debian package"
            + " libmagic-mgc)");

    ScratchImage fixed = ScratchImage.builder().entrypoint(FILE, "/usr/bin/file").args("/etc/passwd")
        .bundleSharedLibraries().addFile(Path.of("/usr/lib/file/magic.mgc"), "/usr/share/misc/magic.mgc").build();
    Path without = RuntimeImages.write(RuntimeImages.without(fixed, p -> p.endsWith("magic.mgc"), null),
        work.resolve("no-magic"));
    Tools.Result fails = Runc.run(without, "t", work.resolve("run-no-magic"), null);
    Finding f = RuntimeImages.finding(without, "DATA_FILE_MISSING");
    assertThat(f.severity()).isEqualTo(Severity.ERROR);
    assertThat(fails.stderr() + fails.stdout()).as(fails.describe()).contains(f.runtimeError());
    assertThat(fails.exitCode()).isEqualTo(1);
    assertThat(f.fix()).isEqualTo("COPY /usr/lib/file/magic.mgc (Debian package libmagic-mgc) to"
        + " /usr/share/misc/magic.mgc.");

    Path layout = RuntimeImages.write(fixed, work.resolve("magic"));
    Tools.Result run = Runc.run(layout, "t", work.resolve("run-magic"), null);
    Tools.Result host = RuntimeImages.onHost(List.of(FILE.toString(), "/etc/passwd"));
    assertThat(run.stdout()).as(run.describe()).isEqualTo(host.stdout()).isEqualTo("/etc/passwd: ASCII text\n");
    assertThat(run.exitCode()).isEqualTo(host.exitCode());
    assertThat(ImageDoctor.examine(layout).findings()).noneMatch(x -> x.rule().equals("data-files"));
  }

  @Test
  void aPathAmongTheStringsThatThisMachineHasIsNamedWithItsAddFile() throws Exception {
    Path program = Fixtures.gcc(work, "licence", READER);
    ScratchImage image = ScratchImage.builder().entrypoint(program, "/app/licence").bundleSharedLibraries().build();
    assertThat(image.warnings()).contains("The program or its libraries name files by compiled-in paths that this"
        + " machine has and the image does not: /usr/share/common-licenses/GPL-3 (named by /app/licence). What the"
        + " program does without them depends on the file (defaults for a missing configuration, errors for missing"
        + " data). If the program reads them, add them: addFile(Path.of(\"/usr/share/common-licenses/GPL-3\"),"
        + " \"/usr/share/common-licenses/GPL-3\").");
    Path layout = RuntimeImages.write(image, work.resolve("no-licence"));
    Tools.Result fails = Runc.run(layout, "t", work.resolve("run-no-licence"), null);
    assertThat(fails.stdout()).as(fails.describe()).isEqualTo("no licence\n");
    // The doctor cannot compare with the machine an image was built on: only the known table applies.
    assertThat(ImageDoctor.examine(layout).findings()).noneMatch(x -> x.rule().equals("data-files"));

    ScratchImage fixed = ScratchImage.builder().entrypoint(program, "/app/licence").bundleSharedLibraries()
        .addFile(Path.of("/usr/share/common-licenses/GPL-3"), "/usr/share/common-licenses/GPL-3").build();
    assertThat(fixed.warnings()).noneMatch(w -> w.contains("compiled-in paths"));
    Tools.Result run = Runc.run(RuntimeImages.write(fixed, work.resolve("licence-image")), "t", work.resolve("run-licence"),
        null);
    Tools.Result host = RuntimeImages.onHost(List.of(program.toString()));
    assertThat(run.stdout()).as(run.describe()).isEqualTo(host.stdout()).contains("GNU GENERAL PUBLIC LICENSE");
  }
}
