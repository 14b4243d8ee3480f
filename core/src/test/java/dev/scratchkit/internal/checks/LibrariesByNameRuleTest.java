package dev.scratchkit.internal.checks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.ScratchImage;
import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import dev.scratchkit.oci.ImagePath;
import dev.scratchkit.testkit.Fixtures;
import dev.scratchkit.testkit.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Libraries a program loads by name with dlopen(), with C programs built here and run under runc
 * as 65532: bundleSharedLibraries() brings the library the program names (and what that library
 * needs), and the program prints what it prints on this machine; the same image without the
 * library fails as the doctor's warning says. Names built at run time are no evidence, and of a
 * program's alternatives one is enough.
 */
class LibrariesByNameRuleTest {

  static final String MULTIARCH = "/usr/lib/x86_64-linux-gnu";

  @TempDir static Path work;

  /** dlopen()s SQLite by its soname and prints its version, as a program with an optional SQLite store would. */
  static final String SQLITE = """
      #include <dlfcn.h>
      #include <stdio.h>
      int main(void) {
        void *h = dlopen("libsqlite3.so.0", RTLD_NOW);
        if (!h) { printf("dlopen: %s\\n", dlerror()); return 1; }
        const char *(*version)(void) = (const char *(*)(void)) dlsym(h, "sqlite3_libversion");
        printf("sqlite %s\\n", version());
        return 0;
      }
      """;

  /** Where bundling puts SQLite: the soname's links and the library itself. */
  private static final String[] SQLITE_FILES = {"/lib/x86_64-linux-gnu/libsqlite3.so.0", MULTIARCH + "/libsqlite3.so.0",
      MULTIARCH + "/libsqlite3.so.0.8.6"};

  private static Path program(String name, String source) {
    return RunTimeData.readable(Fixtures.gcc(work, name, source));
  }

  @Test
  void bundlingBringsTheNamedLibraryAndWithoutItDlopenFailsAsTheDoctorSays() throws Exception {
    Tools.requireRoot();
    Path program = program("sqlite-by-name", SQLITE);
    ScratchImage image = ScratchImage.builder().entrypoint(program, "/app/sqlite-by-name").bundleSharedLibraries()
        .build();
    assertThat(image.files()).anyMatch(p -> p.toString().endsWith("/libsqlite3.so.0.8.6"));
    assertThat(image.warnings()).noneMatch(w -> w.contains("libsqlite3"));

    Tools.Result host = RunTimeData.host(Map.of(), List.of(program.toString()));
    Path bundled = RunTimeData.write(image, work.resolve("sqlite-bundled"));
    Tools.Result ok = RunTimeData.run(bundled, work);
    assertThat(ok.stdout()).isEqualTo(host.stdout()).startsWith("sqlite 3.");
    assertThat(ok.exitCode()).isZero().isEqualTo(host.exitCode());
    assertThat(RunTimeData.hasFinding(bundled, LibrariesByNameRule.NAME)).isFalse();

    Path lacking = RunTimeData.write(RunTimeData.without(image.spec(), SQLITE_FILES), work.resolve("sqlite-without"));
    Tools.Result failed = RunTimeData.run(lacking, work);
    assertThat(failed.stdout()).isEqualTo("dlopen: libsqlite3.so.0: cannot open shared object file: No such file or"
        + " directory\n");
    assertThat(failed.exitCode()).isEqualTo(1);
    Finding f = RunTimeData.finding(lacking, LibrariesByNameRule.NAME, "LIBRARY_BY_NAME_MISSING");
    assertThat(f.severity()).isEqualTo(Severity.WARNING);
    assertThat(f.path()).isEqualTo(MULTIARCH + "/libsqlite3.so.0");
    assertThat(f.message()).startsWith("/app/sqlite-by-name imports dlopen@GLIBC_2.")
        .contains("and names libsqlite3.so.0 in its strings: it loads the library with dlopen() by that name at run"
            + " time (no DT_NEEDED entry names it), and the image has none (searched /lib/x86_64-linux-gnu, "
            + MULTIARCH);
    assertThat(failed.stdout()).contains(f.runtimeError().replace(" (dlerror)", ""));
    assertThat(f.fix()).isEqualTo("COPY libsqlite3.so.0 and the libraries it needs from the build stage to "
        + MULTIARCH + "/libsqlite3.so.0.");
  }

  @Test
  void theFixOfTheBuildNamesTheFileOfThisMachineAndFollowedItRunsTheSame() {
    Path program = program("sqlite-by-name", SQLITE);
    // The closure by hand, as without bundleSharedLibraries(): the library named is what lacks.
    List<String> warnings = CandidateChecks.check(RunTimeData.without(ScratchImage.builder()
        .entrypoint(program, "/app/sqlite-by-name").bundleSharedLibraries().build().spec(), SQLITE_FILES),
        new java.util.ArrayList<>(), List.of(), false, Path.of("/"));
    assertThat(warnings).anyMatch(w -> w.contains("addFile(Path.of(\"/lib/x86_64-linux-gnu/libsqlite3.so.0\"), \""
        + MULTIARCH + "/libsqlite3.so.0\")"));
  }

  /** Tries SQLite 9 first, then 0; and loads a library whose name it builds at run time. */
  static final String ALTERNATIVES = """
      #include <dlfcn.h>
      #include <stdio.h>
      int main(int argc, char **argv) {
        char name[64];
        snprintf(name, sizeof name, "lib%s.so.1", argc > 5 ? argv[1] : "bz2");
        void *built = dlopen(name, RTLD_NOW);
        void *h = dlopen("libsqlite3.so.9", RTLD_NOW);
        if (!h) h = dlopen("libsqlite3.so.0", RTLD_NOW);
        printf("%s %s, sqlite %s\\n", name, built ? "loaded" : "not loaded", h ? "loaded" : "not loaded");
        return 0;
      }
      """;

  @Test
  void ofAlternativesTheOneThisMachineHasIsBroughtAndANameBuiltAtRunTimeIsNoEvidence() throws Exception {
    Tools.requireRoot();
    Path program = program("alternatives", ALTERNATIVES);
    ScratchImage image = ScratchImage.builder().entrypoint(program, "/app/alternatives").bundleSharedLibraries()
        .build();
    assertThat(image.files()).anyMatch(p -> p.toString().endsWith("/libsqlite3.so.0.8.6"))
        .noneMatch(p -> p.toString().contains("libbz2"));
    assertThat(image.warnings()).noneMatch(w -> w.contains("libsqlite3"));
    Path layout = RunTimeData.write(image, work.resolve("alternatives-layout"));
    assertThat(RunTimeData.hasFinding(layout, LibrariesByNameRule.NAME)).isFalse();

    Tools.Result ok = RunTimeData.run(layout, work);
    Tools.Result host = RunTimeData.host(Map.of(), List.of(program.toString()));
    assertThat(host.stdout()).isEqualTo("libbz2.so.1 loaded, sqlite loaded\n");
    // The name built at run time is the one difference left, and no rule can see it.
    assertThat(ok.stdout()).isEqualTo("libbz2.so.1 not loaded, sqlite loaded\n");
  }

  @Test
  void aNameThisMachineCannotLoadEitherIsAWarningThatSaysSo() throws Exception {
    Path program = program("absent", SQLITE.replace("libsqlite3.so.0", "libscratchkit-absent.so.7"));
    ScratchImage image = ScratchImage.builder().entrypoint(program, "/app/absent").bundleSharedLibraries().build();
    assertThat(image.warnings()).anySatisfy(w -> assertThat(w)
        .contains("/app/absent imports dlopen@GLIBC_2.")
        .contains("and names libscratchkit-absent.so.7 in its strings")
        .contains("/ has no libscratchkit-absent.so.7 either, so the program cannot load it on this machine"));
    assertThat(Files.exists(Path.of(MULTIARCH, "libscratchkit-absent.so.7"))).isFalse();
    assertThat(image.files()).doesNotContain(ImagePath.of(MULTIARCH + "/libscratchkit-absent.so.7"));
  }
}
