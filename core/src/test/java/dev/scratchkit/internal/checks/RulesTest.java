package dev.scratchkit.internal.checks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Each rule on small images held in memory (no compiler, no engine): one test per finding code
 * and severity, with the run-time error text and the fix asserted. The run-time errors are what
 * runc 1.1, glibc's loader, Go and Docker print; DoctorDockerTest checks them against real runs.
 */
class RulesTest {

  private static final String INTERP = "/lib64/ld-linux-x86-64.so.2";

  private static Finding only(List<Finding> findings, String code) {
    assertThat(findings).as(findings.toString()).extracting(Finding::code).contains(code);
    return findings.stream().filter(f -> f.code().equals(code)).findFirst().orElseThrow();
  }

  private static Finding single(TestView view) {
    List<Finding> findings = view.findings();
    assertThat(findings).as(findings.toString()).hasSize(1);
    return findings.get(0);
  }

  /** glibc's files, as a Debian image lays them out: /lib64 and /lib/x86_64-linux-gnu. */
  private static TestView withGlibc(TestView view) {
    return view.layer().dir("/usr/lib/x86_64-linux-gnu", 0755).symlink("/lib", "usr/lib")
        .file("/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", TinyElf.library("ld-linux-x86-64.so.2").build(), 0755)
        .file("/usr/lib/x86_64-linux-gnu/libc.so.6", TinyElf.library("libc.so.6").build(), 0755)
        .dir("/lib64", 0755).symlink(INTERP, "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
  }

  private static byte[] dynamicProgram(String... needed) {
    return TinyElf.program().interpreter(INTERP).needs(needed).build();
  }

  // ---- the good image

  @Test
  void theGoodImagePassesEveryRule() {
    assertThat(TestView.good().findings()).isEmpty();
  }

  // ---- entrypoint

  @Test
  void noCommandIsAnError() {
    Finding f = single(TestView.good().entrypoint());
    assertThat(f.code()).isEqualTo("NO_COMMAND");
    assertThat(f.severity()).isEqualTo(Severity.ERROR);
    assertThat(f.runtimeError()).isEqualTo("no command specified");
  }

  @Test
  void aMissingProgramIsAnErrorWithRuncsStatMessage() {
    Finding f = single(TestView.good().entrypoint("/bin/app"));
    assertThat(f.code()).isEqualTo("ENTRYPOINT_MISSING");
    assertThat(f.severity()).isEqualTo(Severity.ERROR);
    assertThat(f.path()).isEqualTo("/bin/app");
    assertThat(f.runtimeError()).isEqualTo("exec: \"/bin/app\": stat /bin/app: no such file or directory");
    assertThat(f.fix()).contains("COPY the program to /bin/app");
  }

  @Test
  void aBareNameIsLookedUpInTheImagesPath() {
    Finding f = single(TestView.good().entrypoint("app").env("PATH=/usr/bin:/bin"));
    assertThat(f.code()).isEqualTo("ENTRYPOINT_MISSING");
    assertThat(f.message()).contains("tried /usr/bin/app, /bin/app");
    assertThat(f.runtimeError()).isEqualTo("exec: \"app\": executable file not found in $PATH");

    assertThat(TestView.good().layer().file("/bin/app", TinyElf.program().build(), 0755).entrypoint("app")
        .env("PATH=/usr/bin:/bin").findings()).isEmpty();
  }

  @Test
  void aComponentThatIsAFileIsNotADirectory() {
    Finding f = single(TestView.good().entrypoint("/app/server"));
    assertThat(f.code()).isEqualTo("ENTRYPOINT_MISSING");
    assertThat(f.message()).contains("/app is a file (layer 3), not a directory");
    assertThat(f.runtimeError()).isEqualTo("exec: \"/app/server\": stat /app/server: not a directory");
  }

  @Test
  void aProgramWithoutExecuteBitIsAnError() {
    Finding f = single(TestView.good().layer().file("/app", TinyElf.program().build(), 0644));
    assertThat(f.code()).isEqualTo("ENTRYPOINT_NOT_EXECUTABLE");
    assertThat(f.message()).contains("mode 0644");
    assertThat(f.runtimeError()).isEqualTo("exec: \"/app\": permission denied");
  }

  @Test
  void neitherElfNorScriptIsAnExecFormatError() {
    Finding f = single(TestView.good().layer().file("/app", "just text".getBytes(), 0755));
    assertThat(f.code()).isEqualTo("ENTRYPOINT_NOT_A_PROGRAM");
    assertThat(f.runtimeError()).isEqualTo("exec /app: exec format error");
  }

  @Test
  void aProgramForAnotherArchitectureIsAnExecFormatError() {
    Finding f = single(TestView.good().layer().file("/app", TinyElf.program().machine(TinyElf.AARCH64).build(), 0755));
    assertThat(f.code()).isEqualTo("ENTRYPOINT_WRONG_ARCHITECTURE");
    assertThat(f.message()).contains("linux/arm64").contains("linux/amd64");
    assertThat(f.runtimeError()).isEqualTo("exec /app: exec format error");
  }

  @Test
  void aProgramForAnotherOsIsAnError() {
    Finding f = single(TestView.good().layer().file("/app", TinyElf.program().osAbi(9).build(), 0755));
    assertThat(f.code()).isEqualTo("ENTRYPOINT_WRONG_OS");
    assertThat(f.message()).contains("freebsd");
  }

  @Test
  void aScriptWithoutItsInterpreterFailsWithNoSuchFile() {
    Finding f = single(TestView.good().layer().file("/app", "#!/bin/sh\necho hi\n".getBytes(), 0755));
    assertThat(f.code()).isEqualTo("SCRIPT_INTERPRETER_MISSING");
    assertThat(f.message()).contains("#!/bin/sh").contains("/bin/sh does not exist");
    assertThat(f.runtimeError()).isEqualTo("exec /app: no such file or directory");

    assertThat(TestView.good().layer().file("/app", "#!/bin/sh\necho hi\n".getBytes(), 0755)
        .file("/bin/busybox", TinyElf.program().build(), 0755).symlink("/bin/sh", "busybox").findings()).isEmpty();
  }

  @Test
  void shellFormWithoutAShellIsAnError() {
    Finding f = single(TestView.good().entrypoint().cmd("/bin/sh", "-c", "/app --port 80"));
    assertThat(f.code()).isEqualTo("SHELL_FORM_WITHOUT_SHELL");
    assertThat(f.runtimeError()).isEqualTo("exec: \"/bin/sh\": stat /bin/sh: no such file or directory");
    assertThat(f.fix()).contains("exec form");
  }

  // ---- shared libraries

  @Test
  void aDynamicProgramWithoutItsInterpreterFailsWithNoSuchFile() {
    List<Finding> findings = TestView.good().layer().file("/app", dynamicProgram("libc.so.6"), 0755).findings();
    Finding f = only(findings, "INTERPRETER_MISSING");
    assertThat(f.severity()).isEqualTo(Severity.ERROR);
    assertThat(f.message()).contains("its interpreter (PT_INTERP) is " + INTERP).contains("(/lib64 is missing)")
        .contains("needs libc.so.6");
    assertThat(f.runtimeError()).isEqualTo("exec /app: no such file or directory");
    assertThat(f.fix()).contains("COPY the interpreter " + INTERP).contains("gcc -static");
  }

  @Test
  void aMissingLibraryFailsAsTheLoaderSaysWithWhatWasSearched() {
    Finding f = single(withGlibc(TestView.good()).layer().file("/app", dynamicProgram("libfoo.so.1", "libc.so.6"), 0755));
    assertThat(f.code()).isEqualTo("LIBRARY_MISSING");
    assertThat(f.severity()).isEqualTo(Severity.ERROR);
    assertThat(f.message()).contains("/app needs libfoo.so.1").contains("/lib/x86_64-linux-gnu");
    assertThat(f.runtimeError()).isEqualTo(
        "/app: error while loading shared libraries: libfoo.so.1: cannot open shared object file: No such file or directory");
  }

  @Test
  void librariesResolveThroughTheImagesLinksRunpathAndLibraryPath() {
    TestView view = withGlibc(TestView.good()).layer()
        .file("/app", TinyElf.program().interpreter(INTERP).runpath("$ORIGIN/../opt/lib")
            .needs("libown.so", "libextra.so.2", "libc.so.6").build(), 0755)
        .file("/opt/lib/libown.so", TinyElf.library("libown.so").build(), 0644)
        .file("/srv/extra/libextra.so.2", TinyElf.library("libextra.so.2").build(), 0644);
    assertThat(only(view.findings(), "LIBRARY_MISSING").path()).isEqualTo("libextra.so.2");
    view.addEnv("LD_LIBRARY_PATH=/srv/extra");
    assertThat(view.findings()).isEmpty();
  }

  @Test
  void aLibDirectoryThatReplacedTheSymlinkBreaksTheInterpreterAndIsNamed() {
    TestView view = withGlibc(TestView.good()).layer().file("/app", dynamicProgram("libc.so.6"), 0755)
        .layer().dir("/lib", 0755).text("/lib/README", "mine");
    List<Finding> findings = view.findings();
    Finding f = only(findings, "INTERPRETER_MISSING");
    assertThat(f.message()).contains("layer 6 replaced /lib (a symlink to usr/lib from layer 4) with a directory");
    Finding link = only(findings, "SYMLINK_REPLACED");
    assertThat(link.severity()).isEqualTo(Severity.WARNING);
    assertThat(link.fix()).contains("COPY into /usr/lib");
  }

  // ---- user

  @Test
  void anUnknownUserNameIsAnError() {
    List<Finding> findings = TestView.good().user("app").findings();
    Finding f = only(findings, "USER_UNKNOWN");
    assertThat(f.severity()).isEqualTo(Severity.ERROR);
    assertThat(f.message()).contains("it has root, nonroot");
    assertThat(f.runtimeError()).isEqualTo("unable to find user app: no matching entries in passwd file");
    assertThat(TestView.empty().file("/app", TinyElf.program().build(), 0755).entrypoint("/app").user("nonroot")
        .findings()).extracting(Finding::message).anyMatch(m -> m.contains("the image has no /etc/passwd"));
  }

  @Test
  void anUnknownGroupIsAnError() {
    Finding f = only(TestView.good().user("65532:staff").findings(), "GROUP_UNKNOWN");
    assertThat(f.severity()).isEqualTo(Severity.ERROR);
    assertThat(f.runtimeError()).isEqualTo("unable to find group staff: no matching entries in group file");
  }

  @Test
  void aUserNameWarnsAboutRunAsNonRoot() {
    Finding f = single(TestView.good().user("nonroot"));
    assertThat(f.code()).isEqualTo("USER_NOT_NUMERIC");
    assertThat(f.severity()).isEqualTo(Severity.WARNING);
    assertThat(f.runtimeError()).isEqualTo(
        "container has runAsNonRoot and image has non-numeric user (nonroot), cannot verify user is non-root");
    assertThat(f.fix()).isEqualTo("Set USER 65532:65532 (the numeric ids).");
  }

  @Test
  void aNumericUserWithoutEntryWarnsForProgramsThatLookUsersUp() {
    TestView view = TestView.good().user("1234").layer().file("/app", TinyElf.program().go("os/user.Current").build(), 0755);
    Finding f = single(view);
    assertThat(f.code()).isEqualTo("USER_WITHOUT_ENTRY");
    assertThat(f.severity()).isEqualTo(Severity.WARNING);
    assertThat(f.runtimeError()).isEqualTo("user: unknown userid 1234");
    assertThat(TestView.good().user("1234").findings()).isEmpty(); // a program that looks nobody up
  }

  @Test
  void aMalformedUserIsAnError() {
    Finding f = single(TestView.good().user("a:b:c"));
    assertThat(f.code()).isEqualTo("USER_INVALID");
    assertThat(f.severity()).isEqualTo(Severity.ERROR);
  }

  // ---- CA certificates

  @Test
  void aGoTlsProgramWithoutCertificatesWarnsWithGosError() {
    TestView view = TestView.empty().dir("/tmp", 01777)
        .file("/app", TinyElf.program().go("crypto/x509.loadSystemRoots").build(), 0755).entrypoint("/app");
    Finding f = single(view);
    assertThat(f.code()).isEqualTo("CA_CERTIFICATES_MISSING");
    assertThat(f.severity()).isEqualTo(Severity.WARNING);
    assertThat(f.message()).contains("Go package crypto/x509").contains("/etc/ssl/certs/ca-certificates.crt");
    assertThat(f.runtimeError()).isEqualTo("x509: certificate signed by unknown authority");
    assertThat(f.fix()).contains("COPY a CA bundle to /etc/ssl/certs/ca-certificates.crt");

    assertThat(view.layer().text("/etc/ssl/cert.pem", TestView.PEM).findings()).isEmpty(); // Go's list has it
  }

  @Test
  void anOpenSslProgramLooksInOpenSslsDefaults() {
    TestView view = withGlibc(TestView.empty().dir("/tmp", 01777)).layer()
        .file("/usr/lib/x86_64-linux-gnu/libssl.so.3", TinyElf.library("libssl.so.3").build(), 0644)
        .file("/app", dynamicProgram("libssl.so.3", "libc.so.6"), 0755).entrypoint("/app");
    Finding f = single(view);
    assertThat(f.code()).isEqualTo("CA_CERTIFICATES_MISSING");
    assertThat(f.message()).contains("/usr/lib/ssl/cert.pem");
    assertThat(f.runtimeError()).isEqualTo("certificate verify failed");
    view.layer().text("/usr/lib/ssl/certs/8d33f237.0", TestView.PEM);
    assertThat(view.findings()).isEmpty();
  }

  @Test
  void aCertificateDirectoryReplacedByAFileBreaksTheBundleSslCertFileNames() {
    TestView view = TestView.good().layer().file("/app", TinyElf.program().go("crypto/x509.loadSystemRoots").build(), 0755)
        .text("/etc/ssl/certs", TestView.PEM);
    List<Finding> findings = view.findings();
    Finding f = only(findings, "CA_BUNDLE_BROKEN");
    assertThat(f.severity()).isEqualTo(Severity.WARNING);
    assertThat(f.message()).contains("/etc/ssl/certs is a file (layer 4), not a directory");
    assertThat(f.runtimeError()).isEqualTo("x509: failed to load system roots and no roots provided;"
        + " open /etc/ssl/certs/ca-certificates.crt: not a directory");
    Finding replaced = only(findings, "DIRECTORY_REPLACED");
    assertThat(replaced.severity()).isEqualTo(Severity.ERROR);
    assertThat(replaced.message()).contains("it hides 1 entry of lower layers: /etc/ssl/certs/ca-certificates.crt");
  }

  // ---- time zones

  @Test
  void aProgramLoadingTimeZonesWithoutZoneinfoWarns() {
    TestView view = TestView.good().layer().file("/app", TinyElf.program().go("time.LoadLocation").build(), 0755)
        .addEnv("TZ=America/New_York");
    Finding f = only(view.findings(), "ZONEINFO_MISSING");
    assertThat(f.severity()).isEqualTo(Severity.WARNING);
    assertThat(f.runtimeError()).isEqualTo("unknown time zone America/New_York");
    assertThat(view.findings()).extracting(Finding::code).containsExactly("TZ_ZONE_MISSING", "ZONEINFO_MISSING");
    // zoneinfo without the zone TZ names: only that is reported
    assertThat(view.layer().text("/usr/share/zoneinfo/UTC", "TZif").findings()).extracting(Finding::code)
        .containsExactly("TZ_ZONE_MISSING");
    assertThat(view.layer().text("/usr/share/zoneinfo/America/New_York", "TZif").findings()).isEmpty();
    assertThat(TestView.good().layer().file("/app", TinyElf.program().go("time.LoadLocation", "time/tzdata.init")
        .build(), 0755).findings()).isEmpty();
  }

  // ---- /tmp

  @Test
  void noTmpWarns() {
    Finding f = single(TestView.empty().file("/app", TinyElf.program().build(), 0755).entrypoint("/app"));
    assertThat(f.code()).isEqualTo("TMP_MISSING");
    assertThat(f.severity()).isEqualTo(Severity.WARNING);
  }

  @Test
  void aTmpOnlyRootCanWriteWarns() {
    Finding f = single(TestView.good().layer().dir("/tmp", 0755));
    assertThat(f.code()).isEqualTo("TMP_NOT_WRITABLE");
    assertThat(f.message()).contains("mode 0755").contains("other than its owner (0)");
    assertThat(f.runtimeError()).isEqualTo("open /tmp/…: permission denied");
  }

  @Test
  void aProgramPutAtTmpIsAnErrorAndTmpIsNoDirectory() {
    List<Finding> findings = TestView.good().builtByScratchkit().layer().file("/tmp", TinyElf.program().build(), 0755)
        .entrypoint("/tmp").findings();
    Finding replaced = only(findings, "DIRECTORY_REPLACED");
    assertThat(replaced.severity()).isEqualTo(Severity.ERROR);
    assertThat(replaced.message()).isEqualTo("Layer 4 puts a file at /tmp, which was a directory from layer 1.");
    assertThat(replaced.fix()).contains("entrypoint(binary, \"/tmp/name\")");
    assertThat(only(findings, "TMP_NOT_A_DIRECTORY").severity()).isEqualTo(Severity.WARNING);
  }

  // ---- working directory

  @Test
  void aWorkingDirectoryThatIsAFileIsAnError() {
    Finding f = single(TestView.good().workingDir("/app"));
    assertThat(f.code()).isEqualTo("WORKDIR_NOT_A_DIRECTORY");
    assertThat(f.severity()).isEqualTo(Severity.ERROR);
    assertThat(f.runtimeError()).isEqualTo("mkdir /app: not a directory");
    assertThat(TestView.good().workingDir("/srv/new").findings()).isEmpty(); // the runtime creates it
  }

  // ---- environment

  @Test
  void anEnvEntryWithoutEqualsOrNameIsAnError() {
    List<Finding> findings = TestView.good().addEnv("c").addEnv("=x").findings();
    assertThat(findings).extracting(Finding::code).containsExactly("ENV_MALFORMED", "ENV_MALFORMED");
    assertThat(findings).extracting(Finding::runtimeError).containsExactly("invalid environment variable: \"c\"",
        "environment variable name can't be empty: \"=x\"");
    assertThat(findings).allMatch(Finding::isError);
  }

  @Test
  void aVariableSetTwiceWarns() {
    Finding f = single(TestView.good().addEnv("LOG=info").addEnv("LOG=debug"));
    assertThat(f.code()).isEqualTo("ENV_DUPLICATE");
    assertThat(f.severity()).isEqualTo(Severity.WARNING);
  }

  @Test
  void aPathDirectoryThatIsAFileWarns() {
    Finding f = single(TestView.good().builtByScratchkit().layer().file("/usr/local/bin", TinyElf.program().build(), 0755));
    assertThat(f.code()).isEqualTo("PATH_ENTRY_NOT_A_DIRECTORY");
    assertThat(f.fix()).isEqualTo("Give the file's own path, e.g. entrypoint(binary, \"/usr/local/bin/name\").");
  }

  // ---- architecture

  @Test
  void anElfFileOfAnotherArchitectureWarns() {
    Finding f = single(TestView.good().layer().file("/opt/helper", TinyElf.program().machine(TinyElf.AARCH64).build(), 0755));
    assertThat(f.code()).isEqualTo("MIXED_ARCHITECTURES");
    assertThat(f.severity()).isEqualTo(Severity.WARNING);
    assertThat(f.message()).contains("1 ELF file is for arm64: /opt/helper");
  }

  // ---- layers

  @Test
  void aDirectoryOfOwnFilesReplacedByAFileWarns() {
    Finding f = single(TestView.good().layer().text("/srv/data/a.txt", "a").layer().text("/srv/data", "x"));
    assertThat(f.code()).isEqualTo("DIRECTORY_REPLACED");
    assertThat(f.severity()).isEqualTo(Severity.WARNING);
    assertThat(f.runtimeError()).isEqualTo("open /srv/data/a.txt: not a directory");
    assertThat(f.fix()).isEqualTo("COPY the file into /srv/data/ (with a trailing slash) instead of onto /srv/data.");
  }

  @Test
  void aBaseFileReplacedByADirectoryIsAnError() {
    List<Finding> findings = TestView.good().layer().dir("/etc/passwd", 0755).findings();
    Finding f = only(findings, "FILE_REPLACED");
    assertThat(f.severity()).isEqualTo(Severity.ERROR);
    assertThat(f.message()).contains("makes /etc/passwd a directory");
  }
}
