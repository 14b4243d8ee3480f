package dev.scratchkit.internal.checks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.ScratchImage;
import dev.scratchkit.doctor.Diagnosis;
import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.ImageDoctor;
import dev.scratchkit.oci.ContainerConfig;
import dev.scratchkit.oci.ImagePath;
import dev.scratchkit.oci.ImageSpec;
import dev.scratchkit.oci.LayerEntry;
import dev.scratchkit.oci.LayerSpec;
import dev.scratchkit.oci.OciLayout;
import dev.scratchkit.elf.Platform;
import dev.scratchkit.testkit.Fixtures;
import dev.scratchkit.testkit.Runc;
import dev.scratchkit.testkit.Tools;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * glibc's run-time load of libgcc_s.so.1 for pthread_exit, with a real program under runc: an
 * image with the program's DT_NEEDED closure only aborts, and the doctor says why; the image
 * bundleSharedLibraries() makes has the library and runs.
 */
class UnwinderRuleTest {

  /** Exits main through pthread_exit, as a program whose last thread ends the process does. */
  static final String PROGRAM = "#include <pthread.h>\n#include <stdio.h>\n"
      + "int main(void){puts(\"main ends\");fflush(stdout);pthread_exit(0);}\n";

  @TempDir static Path work;

  /** The program with its loader and libc.so.6, the whole DT_NEEDED closure, and nothing else. */
  private static ImageSpec closureOnly(Path program) throws Exception {
    Path loader = Path.of("/lib64/ld-linux-x86-64.so.2").toRealPath();
    Path libc = Path.of("/lib/x86_64-linux-gnu/libc.so.6").toRealPath();
    return ImageSpec.of(Platform.LINUX_AMD64, Instant.EPOCH,
        ContainerConfig.empty().withEntrypoint(List.of("/app")),
        List.of(LayerSpec.of("COPY exit /app with its DT_NEEDED closure",
            LayerEntry.file(ImagePath.of("/app"), program, 0755),
            LayerEntry.file(ImagePath.of("/lib64/ld-linux-x86-64.so.2"), loader, 0755),
            LayerEntry.file(ImagePath.of("/lib/x86_64-linux-gnu/libc.so.6"), libc, 0755))));
  }

  @Test
  void withoutLibgccTheProgramAbortsAndTheDoctorNamesTheImportAndTheFix() throws Exception {
    Path program = Fixtures.gcc(work, "exit", PROGRAM);
    Path layout = work.resolve("closure-only");
    OciLayout.at(layout).tag("t").write(closureOnly(program));

    Tools.Result run = Runc.run(layout, "t", work.resolve("run-closure-only"), List.of("/app"));
    System.out.println("without libgcc_s: " + run.describe());
    assertThat(run.stdout()).isEqualTo("main ends\n");
    assertThat(run.stderr()).contains("libgcc_s.so.1 must be installed for pthread_exit to work");
    assertThat(run.exitCode()).isEqualTo(139);

    Diagnosis d = ImageDoctor.examine(layout);
    Finding finding = d.errors().stream().filter(f -> f.rule().equals(UnwinderRule.NAME)).findFirst().orElseThrow();
    assertThat(finding.code()).isEqualTo("LIBGCC_S_MISSING");
    assertThat(finding.path()).isEqualTo("/lib/x86_64-linux-gnu/libgcc_s.so.1");
    assertThat(finding.message()).startsWith("/app imports pthread_exit@GLIBC_2.")
        .contains("glibc loads libgcc_s.so.1 with dlopen() to unwind the thread when pthread_exit runs")
        .contains("searched /lib/x86_64-linux-gnu, /usr/lib/x86_64-linux-gnu");
    assertThat(finding.runtimeError()).isEqualTo("libgcc_s.so.1 must be installed for pthread_exit to work"
        + " (the program then dies: exit code 139)");
    assertThat(run.stderr()).contains(finding.runtimeError().replace(" (the program then dies: exit code 139)", ""));
    assertThat(finding.fix()).startsWith("COPY libgcc_s.so.1 (Debian package libgcc-s1) from the build stage to"
        + " /lib/x86_64-linux-gnu/libgcc_s.so.1");
  }

  /** Cancels a thread blocked in pause(), a cancellation point. */
  static final String CANCEL = "#include <pthread.h>\n#include <stdio.h>\n#include <unistd.h>\n"
      + "static void *wait(void *a){for(;;)pause();return a;}\n"
      + "int main(void){pthread_t t;pthread_create(&t,0,wait,0);pthread_cancel(t);pthread_join(t,0);"
      + "puts(\"cancelled\");return 0;}\n";

  @Test
  void pthreadCancelNeedsLibgccTooAndIsNamedAsTheEvidence() throws Exception {
    Path program = Fixtures.gcc(work, "cancel", CANCEL, "-pthread");
    Path layout = work.resolve("cancel-closure-only");
    OciLayout.at(layout).tag("t").write(closureOnly(program));

    Tools.Result run = Runc.run(layout, "t", work.resolve("run-cancel"), List.of("/app"));
    System.out.println("pthread_cancel without libgcc_s: " + run.describe());
    assertThat(run.stderr()).contains("libgcc_s.so.1 must be installed for pthread_cancel to work");
    assertThat(run.stdout()).doesNotContain("cancelled");

    Finding finding = ImageDoctor.examine(layout).errors().stream().filter(f -> f.rule().equals(UnwinderRule.NAME))
        .findFirst().orElseThrow();
    assertThat(finding.message()).startsWith("/app imports pthread_cancel@GLIBC_2.");
    assertThat(run.stderr()).contains(finding.runtimeError().replace(" (the program then dies: exit code 139)", ""));

    ScratchImage bundled = ScratchImage.builder().entrypoint(program, "/app/cancel").bundleSharedLibraries().build();
    Path fixed = work.resolve("cancel-bundled");
    bundled.writeTo(OciLayout.at(fixed).tag("t"));
    Tools.Result ok = Runc.run(fixed, "t", work.resolve("run-cancel-bundled"), List.of("/app/cancel"));
    assertThat(ok.stdout()).as(ok.describe()).isEqualTo("cancelled\n");
    assertThat(ok.exitCode()).as(ok.describe()).isZero();
  }

  @Test
  void bundleSharedLibrariesBringsLibgccAndTheProgramRuns() throws Exception {
    Path program = Fixtures.gcc(work, "exit", PROGRAM);
    ScratchImage image = ScratchImage.builder().entrypoint(program, "/app/exit").bundleSharedLibraries().build();
    Path layout = work.resolve("bundled");
    image.writeTo(OciLayout.at(layout).tag("t"));

    Tools.Result run = Runc.run(layout, "t", work.resolve("run-bundled"), List.of("/app/exit"));
    assertThat(run.stdout()).as(run.describe()).isEqualTo("main ends\n");
    assertThat(run.stderr()).as(run.describe()).isEmpty();
    assertThat(run.exitCode()).as(run.describe()).isZero();

    Diagnosis d = ImageDoctor.examine(layout);
    assertThat(d.findings()).as(d.toString()).noneMatch(f -> f.rule().equals(UnwinderRule.NAME));
  }
}
