package dev.scratchkit.internal.checks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The Java runtime rule on small in-memory images laid out like a jlinked runtime in
 * {@code /opt/java}: one test per finding code and severity. The run-time errors are what the
 * JDK 17 and 25 launchers print for a copy of a jlinked runtime with the file removed
 * (JavaRuntimeDoctorTest runs one for real).
 */
class JavaRuntimeRuleTest {

  private static final String INTERP = "/lib64/ld-linux-x86-64.so.2";
  private static final Set<String> ALL = Set.of("libjli.so", "libjava.so", "jvm.cfg", "server/libjvm.so", "modules",
      "security/cacerts");

  /** glibc, and a runtime in /opt/java with every file of {@code keep} under its lib/. */
  private static TestView java(Set<String> keep) {
    TestView view = TestView.good().layer().dir("/usr/lib/x86_64-linux-gnu", 0755).symlink("/lib", "usr/lib")
        .file("/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", TinyElf.library("ld-linux-x86-64.so.2").build(), 0755)
        .file("/usr/lib/x86_64-linux-gnu/libc.so.6", TinyElf.library("libc.so.6").build(), 0755)
        .dir("/lib64", 0755).symlink(INTERP, "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
        .layer().file("/opt/java/bin/java", TinyElf.program().interpreter(INTERP).runpath("$ORIGIN/../lib")
            .needs("libjli.so", "libc.so.6").build(), 0755);
    for (String name : keep) {
      String path = "/opt/java/lib/" + name;
      switch (name) {
        case "jvm.cfg" -> view.text(path, "-server KNOWN\n-client IGNORE\n");
        case "modules" -> view.text(path, "jimage");
        case "security/cacerts" -> view.file(path, hostCacerts(), 0644);
        case "server/libjvm.so" -> view.file(path, TinyElf.library("libjvm.so").needs("libc.so.6").build(), 0755);
        default -> view.file(path, TinyElf.library(name).needs("libc.so.6").build(), 0755);
      }
    }
    return view.layer().text("/srv/app.jar", "PK").entrypoint("/opt/java/bin/java", "-jar", "/srv/app.jar");
  }

  private static Set<String> without(String name) {
    return ALL.stream().filter(n -> !n.equals(name)).collect(java.util.stream.Collectors.toSet());
  }

  private static byte[] hostCacerts() {
    try {
      return Files.readAllBytes(Path.of(System.getProperty("java.home"), "lib/security/cacerts"));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static Finding single(TestView view) {
    List<Finding> findings = view.findings();
    assertThat(findings).as(findings.toString()).hasSize(1);
    return findings.get(0);
  }

  @Test
  void aCompleteRuntimePassesEveryRule() {
    assertThat(java(ALL).findings()).isEmpty();
  }

  @Test
  void aRuntimeWithoutItsModuleImageIsAnErrorWithTheVmsMessage() {
    Finding f = single(java(without("modules")));
    assertThat(f.rule()).isEqualTo("java-runtime");
    assertThat(f.code()).isEqualTo("JAVA_MODULES_MISSING");
    assertThat(f.severity()).isEqualTo(Severity.ERROR);
    assertThat(f.path()).isEqualTo("/opt/java/lib/modules");
    assertThat(f.message()).isEqualTo("/opt/java/bin/java is a JDK launcher; its VM loads every class from the module"
        + " image /opt/java/lib/modules, but /opt/java/lib/modules does not exist in the image.");
    assertThat(f.runtimeError()).isEqualTo("Error occurred during initialization of VM\nFailed setting boot class path.");
    assertThat(f.fix()).isEqualTo("COPY the whole runtime directory (a jlink output or the JDK's home) to /opt/java,"
        + " not only bin/java.");
    assertThat(java(without("modules")).builtByScratchkit().findings().get(0).fix())
        .startsWith("Build the image with javaApplication(jar): it jlinks a complete runtime")
        .contains("addDirectory(jlinkOutput, \"/opt/java\")");
  }

  @Test
  void aRuntimeWithoutJvmCfgIsAnErrorAndOneListingNoVmToo() {
    Finding f = single(java(without("jvm.cfg")));
    assertThat(f.code()).isEqualTo("JAVA_JVM_CFG_MISSING");
    assertThat(f.severity()).isEqualTo(Severity.ERROR);
    assertThat(f.message()).contains("reads the list of its VMs from /opt/java/lib/jvm.cfg");
    assertThat(f.runtimeError()).isEqualTo("Error: could not open `/opt/java/lib/jvm.cfg'");

    Finding empty = single(java(without("jvm.cfg")).text("/opt/java/lib/jvm.cfg", "# no VM\n"));
    assertThat(empty.code()).isEqualTo("JAVA_JVM_CFG_INVALID");
    assertThat(empty.severity()).isEqualTo(Severity.ERROR);
    assertThat(empty.runtimeError()).isEqualTo("Error: no known VMs. (check for corrupt jvm.cfg file)");
  }

  @Test
  void theVmThatJvmCfgNamesWithoutItsLibjvmIsAnError() {
    Finding f = single(java(without("server/libjvm.so")));
    assertThat(f.code()).isEqualTo("JAVA_LIBJVM_MISSING");
    assertThat(f.severity()).isEqualTo(Severity.ERROR);
    assertThat(f.path()).isEqualTo("/opt/java/lib/server/libjvm.so");
    assertThat(f.message()).startsWith("/opt/java/lib/jvm.cfg makes server the VM of /opt/java/bin/java");
    assertThat(f.runtimeError()).isEqualTo("Error: missing `server' JVM at `/opt/java/lib/server/libjvm.so'.\n"
        + "Please install or use the JRE or JDK that contains these missing components.");

    // The launcher of JDK 25 words its hint differently (measured with Temurin 25.0.3).
    assertThat(single(java(without("server/libjvm.so")).text("/opt/java/release", "JAVA_VERSION=\"25.0.3\"\n"))
        .runtimeError()).endsWith("'.\nPlease install a JDK that contains these missing components.");

    // The first VM listed is the default; an option before the main class picks a KNOWN one.
    TestView client = java(ALL).text("/opt/java/lib/jvm.cfg", "-client KNOWN\n-server IGNORE\n");
    assertThat(single(client).path()).isEqualTo("/opt/java/lib/client/libjvm.so");
    TestView picked = java(ALL).text("/opt/java/lib/jvm.cfg", "-server KNOWN\n-client KNOWN\n")
        .entrypoint("/opt/java/bin/java", "-cp", "/srv/app.jar", "-client", "Main");
    assertThat(single(picked).runtimeError()).startsWith("Error: missing `client' JVM");
    assertThat(JavaRuntimeRule.chosenVm("-server KNOWN\n", List.of("java", "-jar", "a.jar", "-client")))
        .contains("server");
  }

  @Test
  void aRuntimeWithoutLibjavaIsAnErrorAsTheLauncherReportsIt() {
    Finding f = single(java(without("libjava.so")));
    assertThat(f.code()).isEqualTo("JAVA_LIBJAVA_MISSING");
    assertThat(f.severity()).isEqualTo(Severity.ERROR);
    assertThat(f.message()).contains("takes /opt/java as the Java home and needs /opt/java/lib/libjava.so there");
    assertThat(f.runtimeError()).isEqualTo("Error: could not find libjava.so\n"
        + "Error: Could not find Java SE Runtime Environment.");
  }

  @Test
  void aLibraryThatLibjvmNeedsIsAnErrorTheLauncherShowsAtDlopen() {
    TestView view = java(ALL).file("/opt/java/lib/server/libjvm.so",
        TinyElf.library("libjvm.so").needs("libstdc++.so.6", "libc.so.6").build(), 0755);
    Finding f = single(view);
    assertThat(f.code()).isEqualTo("JAVA_LIBJVM_LIBRARY_MISSING");
    assertThat(f.severity()).isEqualTo(Severity.ERROR);
    assertThat(f.message()).startsWith("/opt/java/lib/server/libjvm.so needs libstdc++.so.6, which is not in the image");
    assertThat(f.runtimeError()).isEqualTo("Error: failed /opt/java/lib/server/libjvm.so, because libstdc++.so.6:"
        + " cannot open shared object file: No such file or directory");
    assertThat(view.file("/usr/lib/x86_64-linux-gnu/libstdc++.so.6", TinyElf.library("libstdc++.so.6").build(), 0644)
        .findings()).isEmpty();
  }

  @Test
  void theLauncherIsFoundThroughASymlinkAndEveryMissingPartIsNamed() {
    TestView view = java(Set.of("libjli.so", "security/cacerts")).symlink("/usr/bin/java", "/opt/java/bin/java")
        .entrypoint("java", "-version");
    List<Finding> findings = view.findings();
    assertThat(findings).extracting(Finding::code).containsExactly("JAVA_LIBJAVA_MISSING", "JAVA_JVM_CFG_MISSING",
        "JAVA_MODULES_MISSING");
    assertThat(findings).extracting(Finding::path).allMatch(p -> p.startsWith("/opt/java/lib/"));
  }

  @Test
  void aProgramThatIsNoJdkLauncherIsLeftAlone() {
    assertThat(TestView.good().layer().file("/usr/bin/java", TinyElf.program().build(), 0755)
        .entrypoint("/usr/bin/java").findings()).isEmpty();
  }

  // ---- the runtime's trust store (ca-certificates rule)

  @Test
  void aRuntimeWithoutCacertsWarnsAsEveryMissingCaBundleDoes() {
    Finding f = single(java(without("security/cacerts")));
    assertThat(f.rule()).isEqualTo("ca-certificates");
    assertThat(f.code()).isEqualTo("CA_CERTIFICATES_MISSING");
    assertThat(f.severity()).isEqualTo(Severity.WARNING);
    assertThat(f.path()).isEqualTo("/opt/java/lib/security/cacerts");
    assertThat(f.message()).contains("(a Java runtime)").contains("(/opt/java/lib/security/cacerts)");
    assertThat(f.runtimeError()).isEqualTo("PKIX path building failed");
    assertThat(f.fix()).isEqualTo("Keep the runtime's lib/security/cacerts in the image (jlink keeps it).");
  }

  @Test
  void anEmptyOrUnreadableCacertsWarnsToo() throws GeneralSecurityException, IOException {
    KeyStore none = KeyStore.getInstance("PKCS12");
    none.load(null, null);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    none.store(bytes, "changeit".toCharArray());
    for (byte[] cacerts : List.of(bytes.toByteArray(), new byte[0], "not a keystore".getBytes())) {
      Finding f = single(java(without("security/cacerts")).file("/opt/java/lib/security/cacerts", cacerts, 0644));
      assertThat(f.code()).isEqualTo("CA_CERTIFICATES_MISSING");
      assertThat(f.severity()).isEqualTo(Severity.WARNING);
    }
  }
}
