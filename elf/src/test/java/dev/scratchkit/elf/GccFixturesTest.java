package dev.scratchkit.elf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.testkit.Fixtures;
import dev.scratchkit.testkit.Tools;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** C programs built with gcc during the test run: dynamic, -static and -static-pie. */
class GccFixturesTest {

  private static final String HELLO = "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n";
  private static final String USERS = "#include <pwd.h>\n#include <stdio.h>\n"
      + "int main(int argc, char **argv) { struct passwd *p = getpwnam(argc > 1 ? argv[1] : \"root\");"
      + " printf(\"%d\\n\", p ? (int) p->pw_uid : -1); return 0; }\n";
  private static final String LIBRARY = "int answer(void) { return 42; }\n";

  @TempDir
  static Path dir;

  private static Path dynamic;
  private static Path staticExe;
  private static Path staticPie;

  @BeforeAll
  static void build() {
    dynamic = Fixtures.gcc(dir, "hello-dynamic", HELLO);
    staticExe = Fixtures.gcc(dir, "hello-static", HELLO, "-static");
    staticPie = Fixtures.gcc(dir, "hello-static-pie", HELLO, "-static-pie");
  }

  @Test
  void aDefaultGccProgramIsADynamicPie() {
    ElfFile elf = ElfFile.read(dynamic);

    assertThat(elf.linkage()).isEqualTo(Linkage.DYNAMIC);
    assertThat(elf.interpreter()).contains("/lib64/ld-linux-x86-64.so.2");
    assertThat(elf.neededLibraries()).containsExactly("libc.so.6");
    assertThat(elf.type()).isEqualTo(ElfType.SHARED_OBJECT);
    assertThat(elf.flags1() & ElfFile.DF_1_PIE).isNotZero();
    assertThat(elf.isExecutable()).isTrue();
    assertThat(elf.isSharedLibrary()).isFalse();
    assertThat(elf.platform()).isEqualTo(Platform.LINUX_AMD64);
    assertThat(elf.machine()).isEqualTo(Machine.X86_64);
    assertThat(elf.goBuildInfo()).isEmpty();
    assertThat(elf.runtimeNeeds()).isEmpty();
    assertThat(elf.entry()).isNotZero();
  }

  @Test
  void gccStaticIsStatic() {
    ElfFile elf = ElfFile.read(staticExe);

    assertThat(elf.linkage()).isEqualTo(Linkage.STATIC);
    assertThat(elf.type()).isEqualTo(ElfType.EXECUTABLE);
    assertThat(elf.interpreter()).isEmpty();
    assertThat(elf.neededLibraries()).isEmpty();
    assertThat(elf.isExecutable()).isTrue();
    assertThat(elf.platform()).isEqualTo(Platform.LINUX_AMD64);
  }

  @Test
  void gccStaticPieIsAStaticPie() {
    ElfFile elf = ElfFile.read(staticPie);

    assertThat(elf.linkage()).isEqualTo(Linkage.STATIC_PIE);
    assertThat(elf.type()).isEqualTo(ElfType.SHARED_OBJECT);
    assertThat(elf.hasDynamicSection()).isTrue();
    assertThat(elf.interpreter()).isEmpty();
    assertThat(elf.isExecutable()).isTrue();
    assertThat(elf.isSharedLibrary()).isFalse();
  }

  @Test
  void aSharedLibraryIsRecognisedAsSuch() {
    Path lib = Fixtures.gcc(dir, "libanswer.so", LIBRARY, "-shared", "-fPIC", "-Wl,-soname,libanswer.so.1");
    ElfFile elf = ElfFile.read(lib);

    assertThat(elf.isSharedLibrary()).isTrue();
    assertThat(elf.isExecutable()).isFalse();
    assertThat(elf.soname()).contains("libanswer.so.1");
    assertThat(elf.linkage()).isEqualTo(Linkage.DYNAMIC); // a library, though it needs nothing
  }

  @Test
  void aProgramLookingUpUsersNeedsTheUserDatabase() {
    ElfFile dynamicUsers = ElfFile.read(Fixtures.gcc(dir, "users", USERS));
    ElfFile staticUsers = ElfFile.read(Fixtures.gcc(dir, "users-static", USERS, "-static"));

    assertThat(dynamicUsers.runtimeNeeds()).containsExactly(
        new RuntimeNeed(RuntimeNeed.Kind.USER_DATABASE, "imports getpwnam"));
    assertThat(staticUsers.runtimeNeeds()).singleElement().satisfies(need -> {
      assertThat(need.kind()).isEqualTo(RuntimeNeed.Kind.USER_DATABASE);
      assertThat(need.evidence()).startsWith("contains getpwnam").endsWith("(statically linked)");
    });
  }

  @Test
  void readsRunpathAndRpathAsTheLinkerWroteThem() {
    Tools.require("readelf");
    ElfFile runpath = ElfFile.read(Fixtures.gcc(dir, "with-runpath", HELLO, "-Wl,-rpath,$ORIGIN/../lib:/opt/x", "-Wl,--enable-new-dtags"));
    ElfFile rpath = ElfFile.read(Fixtures.gcc(dir, "with-rpath", HELLO, "-Wl,-rpath,/opt/y", "-Wl,--disable-new-dtags"));

    assertThat(runpath.runPath()).contains("$ORIGIN/../lib:/opt/x");
    assertThat(runpath.rpath()).isEmpty();
    assertThat(rpath.rpath()).contains("/opt/y");
    assertThat(rpath.runPath()).isEmpty();
  }
}
