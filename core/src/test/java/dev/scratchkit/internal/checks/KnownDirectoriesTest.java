package dev.scratchkit.internal.checks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * data-files' table of programs whose arguments make them read a data directory, on small images
 * held in memory: which arguments are evidence, what names another directory, and the finding's
 * words. DataFilesRuleTest runs the real git under runc.
 */
class KnownDirectoriesTest {

  private static final String INTERP = "/lib64/ld-linux-x86-64.so.2";
  private static final String TEMPLATES = "/usr/share/git-core/templates";

  /** A dynamically linked /usr/bin/git with glibc as Debian lays it out, run with these arguments. */
  private static TestView git(String program, String... args) {
    return TestView.good().layer().dir("/usr/lib/x86_64-linux-gnu", 0755).symlink("/lib", "usr/lib")
        .file("/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", TinyElf.library("ld-linux-x86-64.so.2").build(), 0755)
        .file("/usr/lib/x86_64-linux-gnu/libc.so.6", TinyElf.library("libc.so.6").build(), 0755)
        .dir("/lib64", 0755).symlink(INTERP, "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
        .file(program, TinyElf.program().interpreter(INTERP).needs("libc.so.6").build(), 0755)
        .entrypoint(program).cmd(args);
  }

  private static List<Finding> directoryFindings(TestView view) {
    return view.findings().stream().filter(f -> f.code().equals("DATA_DIRECTORY_MISSING")).toList();
  }

  @Test
  void gitCloneAfterGlobalOptionsReadsTheTemplatesAndTheirLackIsAnErrorWithTheFix() {
    List<Finding> findings = directoryFindings(git("/usr/bin/git", "-C", "/work", "--git-dir", "x", "clone", "/src"));
    assertThat(findings).hasSize(1);
    Finding f = findings.get(0);
    assertThat(f.severity()).isEqualTo(Severity.ERROR);
    assertThat(f.rule()).isEqualTo(DataFilesRule.NAME);
    assertThat(f.path()).isEqualTo(TEMPLATES);
    assertThat(f.message()).isEqualTo("/usr/bin/git is given clone, which reads " + TEMPLATES + " by a compiled-in"
        + " path (unless --template, -c init.templatedir=... or GIT_TEMPLATE_DIR names another), and " + TEMPLATES
        + " does not exist in the image (/usr/share is missing).");
    assertThat(f.runtimeError()).isEqualTo("warning: templates not found in " + TEMPLATES);
    assertThat(f.fix()).isEqualTo("COPY " + TEMPLATES + " (Debian package git) to " + TEMPLATES + ".");
    assertThat(directoryFindings(git("/usr/bin/git", "init").builtByScratchkit()).get(0).fix())
        .isEqualTo("Add it: addDirectory(Path.of(\"" + TEMPLATES + "\"), \"" + TEMPLATES + "\") (Debian package git).");
  }

  @Test
  void anotherDirectoryNamedByTheCommandOrEnvironmentOrAnotherSubcommandIsNoEvidence() {
    assertThat(directoryFindings(git("/usr/bin/git", "init", "--template=/opt/t", "r"))).isEmpty();
    assertThat(directoryFindings(git("/usr/bin/git", "init", "--template", "/opt/t"))).isEmpty();
    assertThat(directoryFindings(git("/usr/bin/git", "-c", "init.TemplateDir=/opt/t", "init"))).isEmpty();
    assertThat(directoryFindings(git("/usr/bin/git", "init").addEnv("GIT_TEMPLATE_DIR=/opt/t"))).isEmpty();
    assertThat(directoryFindings(git("/usr/bin/git", "status"))).isEmpty();
    assertThat(directoryFindings(git("/usr/bin/git", "-c", "init", "log"))).isEmpty();
    assertThat(directoryFindings(git("/usr/bin/git", "--", "init"))).isEmpty();
    assertThat(directoryFindings(git("/usr/bin/git-wrapper", "init"))).isEmpty();
    assertThat(directoryFindings(git("/usr/bin/git", "init").layer().text(TEMPLATES + "/description", "x")))
        .isEmpty();
  }
}
