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
 * its addFile, since the build machine has the file; followed, same output as here. {@code git init}
 * without git's templates: refused with the addDirectory that, followed, makes it print and make
 * what it does here; a C program listing a directory by a literal path: a warning with its size
 * and addDirectory.
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

  static final Path GIT = Path.of("/usr/bin/git");
  static final String TEMPLATES = "/usr/share/git-core/templates";

  @Test
  void gitInitWithoutItsTemplatesIsRefusedWithTheAddDirectoryThatMakesItRunAsHere() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(GIT) && Files.isDirectory(Path.of(TEMPLATES)), "needs git");
    List<String> args = List.of("-c", "init.defaultBranch=main", "init", "/tmp/repo");
    ScratchImageException refused = assertThrows(ScratchImageException.class, () -> ScratchImage.builder()
        .entrypoint(GIT, "/usr/bin/git").args(args.toArray(String[]::new)).env("HOME", "/tmp")
        .bundleSharedLibraries().build());
    assertThat(refused.getMessage()).contains("/usr/bin/git is given init, which reads " + TEMPLATES + " by a"
        + " compiled-in path (unless --template, -c init.templatedir=... or GIT_TEMPLATE_DIR names another), and "
        + TEMPLATES + " does not exist in the image")
        .contains("warning: templates not found in " + TEMPLATES)
        .contains("Add it: addDirectory(Path.of(\"" + TEMPLATES + "\"), \"" + TEMPLATES + "\") (Debian package git).");

    ScratchImage fixed = ScratchImage.builder().entrypoint(GIT, "/usr/bin/git").args(args.toArray(String[]::new))
        .env("HOME", "/tmp").bundleSharedLibraries().addDirectory(Path.of(TEMPLATES), TEMPLATES).build();
    Path hostDir = Files.createTempDirectory("scratchkit-git-init-");
    try {
      Files.setPosixFilePermissions(hostDir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
      Tools.Result host = RuntimeImages.onHost(List.of("env", "-i", "HOME=" + hostDir, GIT.toString(), "-c",
          "init.defaultBranch=main", "init", hostDir + "/repo"));
      assertThat(host.stderr()).as(host.describe()).isEmpty();
      Tools.Result run = Runc.run(RuntimeImages.write(fixed, work.resolve("git-templates")), "t",
          work.resolve("run-git-templates"), null);
      assertThat(run.stdout()).as(run.describe()).isEqualTo(host.stdout().replace(hostDir.toString(), "/tmp"))
          .isEqualTo("Initialized empty Git repository in /tmp/repo/.git/\n");
      assertThat(run.stderr()).as(run.describe()).isEmpty();
    } finally {
      Tools.run(java.time.Duration.ofMinutes(1), Path.of("/"), null, List.of("rm", "-rf", hostDir.toString()));
    }

    Path without = RuntimeImages.write(RuntimeImages.without(fixed, p -> p.startsWith(TEMPLATES), null),
        work.resolve("git-no-templates"));
    Tools.Result fails = Runc.run(without, "t", work.resolve("run-git-no-templates"), null);
    Finding f = RuntimeImages.finding(without, "DATA_DIRECTORY_MISSING");
    assertThat(f.severity()).isEqualTo(Severity.ERROR);
    assertThat(fails.stderr()).as(fails.describe()).contains(f.runtimeError());
    assertThat(f.fix()).isEqualTo("COPY " + TEMPLATES + " (Debian package git) to " + TEMPLATES + ".");

    // Other commands, another template directory, and git clone.
    for (List<String> cmd : List.of(List.of("status"), List.of("-C", "init", "log"), List.of("init",
        "--template=/opt/t", "r"), List.of("-c", "init.templateDir=/opt/t", "init", "r"))) {
      Path layout = RuntimeImages.write(RuntimeImages.without(fixed, p -> p.startsWith(TEMPLATES), cmd),
          work.resolve("git-" + String.join("-", cmd).replaceAll("[^a-z]", "")));
      assertThat(ImageDoctor.examine(layout).findings()).as(cmd.toString())
          .noneMatch(x -> x.code().equals("DATA_DIRECTORY_MISSING"));
    }
    Path clone = RuntimeImages.write(RuntimeImages.without(fixed, p -> p.startsWith(TEMPLATES),
        List.of("--git-dir", "x", "clone", "/src", "dst")), work.resolve("git-clone"));
    assertThat(RuntimeImages.finding(clone, "DATA_DIRECTORY_MISSING").message())
        .startsWith("/usr/bin/git is given clone, which reads " + TEMPLATES);
  }

  static final String LISTER = "#include <dirent.h>\n#include <stdio.h>\n"
      + "int main(void){DIR*d=opendir(\"/usr/share/common-licenses\");int n=0;struct dirent*e;"
      + "if(!d){puts(\"no licences\");return 3;}while((e=readdir(d)))if(e->d_name[0]!='.')n++;"
      + "printf(\"%s\\n\",n>3?\"licences\":\"few\");return 0;}\n";

  @Test
  void aDirectoryAmongTheProgramsStringsThatThisMachineHasIsAWarningWithItsSizeAndAddDirectory() throws Exception {
    Path program = Fixtures.gcc(work, "lister", LISTER);
    ScratchImage image = ScratchImage.builder().entrypoint(program, "/app/lister").bundleSharedLibraries().build();
    assertThat(image.warnings()).anySatisfy(w -> assertThat(w).startsWith("/app/lister names directories by"
        + " compiled-in paths that this machine has, with files, and the image does not: /usr/share/common-licenses (")
        .contains(" files, ").endsWith(" bytes). Which of them a run reads depends on the run (data, configuration,"
            + " helper programs). If the program reads them, add them:"
            + " addDirectory(Path.of(\"/usr/share/common-licenses\"), \"/usr/share/common-licenses\")."));
    Tools.Result fails = Runc.run(RuntimeImages.write(image, work.resolve("no-licences")), "t",
        work.resolve("run-no-licences"), null);
    assertThat(fails.stdout()).as(fails.describe()).isEqualTo("no licences\n");

    ScratchImage fixed = ScratchImage.builder().entrypoint(program, "/app/lister").bundleSharedLibraries()
        .addDirectory(Path.of("/usr/share/common-licenses"), "/usr/share/common-licenses").build();
    assertThat(fixed.warnings()).noneMatch(w -> w.contains("names directories"));
    Tools.Result run = Runc.run(RuntimeImages.write(fixed, work.resolve("licences")), "t", work.resolve("run-licences"),
        null);
    Tools.Result host = RuntimeImages.onHost(List.of(program.toString()));
    assertThat(run.stdout()).as(run.describe()).isEqualTo(host.stdout()).isEqualTo("licences\n");
  }
}
