package dev.scratchkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scratchkit.certs.CaBundle;
import dev.scratchkit.oci.OciLayout;
import dev.scratchkit.oci.WriteResult;
import dev.scratchkit.testkit.Fixtures;
import dev.scratchkit.testkit.Runc;
import dev.scratchkit.testkit.TestTls;
import dev.scratchkit.testkit.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The builder's promise, checked for real: each image is built with scratchkit, written to an
 * OCI layout and run with runc; the program's own output is the oracle.
 */
class ScratchImageRunTest {

  @TempDir static Path work;
  static TestTls tls;
  static CaBundle jdkPlusTestCa;

  @BeforeAll
  static void pki() {
    tls = TestTls.create(work.resolve("pki"));
    jdkPlusTestCa = CaBundle.fromJdk().plus(CaBundle.fromPem(tls.caCertificate()));
  }

  private static Tools.Result run(ScratchImage image, String name, List<String> args) {
    Path layout = work.resolve("layout-" + name);
    image.writeTo(OciLayout.at(layout).tag("test"));
    return Runc.run(layout, "test", work.resolve("run-" + name), args);
  }

  // --- 1. The seed scenario: a Go HTTPS client against a server signed by a test CA. ---

  @Test
  void goClientWithCgoIsRefusedWithoutBundledLibraries() {
    Path client = Fixtures.go(work, "client-cgo", Fixtures.GO_HTTPS_CLIENT, Map.of("CGO_ENABLED", "1"));
    assertThatThrownBy(() -> ScratchImage.builder().entrypoint(client).build())
        .isInstanceOf(ScratchImageException.class)
        .hasMessageContaining(client + " is dynamically linked")
        .hasMessageContaining("interpreter /lib64/ld-linux-x86-64.so.2")
        .hasMessageContaining("libc.so.6")
        .hasMessageContaining("CGO_ENABLED=0")
        .hasMessageContaining("bundleSharedLibraries()");
  }

  @Test
  void goClientWithCgoAndBundledLibrariesReachesTheServer() {
    Path client = Fixtures.go(work, "client-cgo", Fixtures.GO_HTTPS_CLIENT, Map.of("CGO_ENABLED", "1"));
    ScratchImage image = ScratchImage.builder().entrypoint(client).bundleSharedLibraries()
        .caCertificates(jdkPlusTestCa).build();
    try (TestTls.Server server = tls.startServer()) {
      Tools.Result result = run(image, "cgo-bundled", List.of("/app/client-cgo", server.url()));
      assertThat(result.stdout()).as(result.describe()).isEqualTo("200\n");
      assertThat(result.exitCode()).isZero();
    }
  }

  @Test
  void goClientWithoutCertificatesWarnsAndFailsToVerify() {
    Path client = Fixtures.go(work, "client-static", Fixtures.GO_HTTPS_CLIENT, Map.of("CGO_ENABLED", "0"));
    ScratchImage image = ScratchImage.builder().entrypoint(client).noCaCertificates().build();
    assertThat(image.warnings()).singleElement().asString()
        .contains(client + " evidently makes TLS connections").contains("noCaCertificates()");
    try (TestTls.Server server = tls.startServer()) {
      Tools.Result result = run(image, "no-certs", List.of("/app/client-static", server.url()));
      assertThat(result.stdout()).as(result.describe()).contains("certificate signed by unknown authority");
      assertThat(result.exitCode()).isNotZero();
    }
  }

  @Test
  void goClientWithoutCertificatesIsRefusedInStrictMode() {
    Path client = Fixtures.go(work, "client-static", Fixtures.GO_HTTPS_CLIENT, Map.of("CGO_ENABLED", "0"));
    assertThatThrownBy(() -> ScratchImage.builder().entrypoint(client).noCaCertificates().strict(true).build())
        .isInstanceOf(ScratchImageException.class)
        .hasMessageContaining("evidently makes TLS connections")
        .hasMessageContaining("strict mode");
  }

  @Test
  void staticGoClientWithJdkBundleAndTestCaReachesTheServer() {
    Path client = Fixtures.go(work, "client-static", Fixtures.GO_HTTPS_CLIENT, Map.of("CGO_ENABLED", "0"));
    ScratchImage image = ScratchImage.builder().entrypoint(client).caCertificates(jdkPlusTestCa).build();
    assertThat(image.warnings()).isEmpty();
    assertThat(image.config().env()).contains("SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt");
    try (TestTls.Server server = tls.startServer()) {
      Tools.Result result = run(image, "static-certs", List.of("/app/client-static", server.url()));
      assertThat(result.stdout()).as(result.describe()).isEqualTo("200\n");
    }
  }

  // --- 2. A dynamic C program. ---

  static final String C_ZLIB_MATH = """
      #include <math.h>
      #include <stdio.h>
      #include <zlib.h>
      int main(int argc, char **argv) {
        printf("sqrt=%.1f zlib=%s\\n", sqrt(argc * 16.0), zlibVersion());
        return 0;
      }
      """;

  @Test
  void dynamicCProgramRunsWithBundledLibrariesAndIsRefusedWithout() {
    Path program = Fixtures.gcc(work.resolve("c"), "zmath", C_ZLIB_MATH, "-lz", "-lm");
    assertThatThrownBy(() -> ScratchImage.builder().entrypoint(program).noCaCertificates().build())
        .isInstanceOf(ScratchImageException.class)
        .hasMessageContaining(program + " is dynamically linked")
        .hasMessageContaining("libz.so.1")
        .hasMessageContaining("bundleSharedLibraries()");

    ScratchImage image = ScratchImage.builder().entrypoint(program).noCaCertificates().bundleSharedLibraries()
        .build();
    assertThat(image.files()).extracting(Object::toString).anyMatch(p -> p.endsWith("/libz.so.1"));
    Tools.Result result = run(image, "zmath", null);
    String zlibVersion = Tools.runOk("sh", "-c", "dpkg-query -W -f='${Version}' zlib1g").stdout();
    assertThat(result.stdout()).as(result.describe()).startsWith("sqrt=4.0 zlib=");
    assertThat(zlibVersion).contains(result.stdout().trim().substring("sqrt=4.0 zlib=".length()));
  }

  @Test
  void librariesComeFromASysrootAndItsLdSoCache() throws IOException {
    // A sysroot with the host's C library, plus a library in /usr/local/lib that its loader finds
    // only through the sysroot's ld.so.cache: the image has no cache, so LD_LIBRARY_PATH must say it.
    Path sysroot = work.resolve("sysroot");
    Path multiarch = Files.createDirectories(sysroot.resolve("usr/lib/x86_64-linux-gnu"));
    Files.createDirectories(sysroot.resolve("usr/lib64"));
    Files.createDirectories(sysroot.resolve("usr/local/lib"));
    Files.createDirectories(sysroot.resolve("etc"));
    Files.createSymbolicLink(sysroot.resolve("lib"), Path.of("usr/lib"));
    Files.createSymbolicLink(sysroot.resolve("lib64"), Path.of("usr/lib64"));
    Files.copy(Path.of("/lib/x86_64-linux-gnu/libc.so.6").toRealPath(), multiarch.resolve("libc.so.6"));
    Files.copy(Path.of("/lib64/ld-linux-x86-64.so.2").toRealPath(), sysroot.resolve("usr/lib64/ld-linux-x86-64.so.2"));
    Files.writeString(sysroot.resolve("etc/ld.so.conf"), "/usr/local/lib\n");
    Path lib = Fixtures.gcc(work.resolve("greet"), "libgreet.so.1",
        "#include <stdio.h>\nvoid greet(void) { puts(\"hello from /usr/local/lib\"); }\n",
        "-shared", "-fPIC", "-Wl,-soname,libgreet.so.1");
    Files.copy(lib, sysroot.resolve("usr/local/lib/libgreet.so.1"));
    Tools.runOk(Tools.require("ldconfig").toString(), "-r", sysroot.toString());
    Path program = Fixtures.gcc(work.resolve("greet"), "greeter",
        "void greet(void);\nint main(void) { greet(); return 0; }\n", lib.toString());

    // This machine's root does not have the library: refused, naming it and where it was sought.
    assertThatThrownBy(() -> ScratchImage.builder().entrypoint(program).noCaCertificates().bundleSharedLibraries()
        .build())
        .isInstanceOf(ScratchImageException.class)
        .hasMessageContaining("/app/greeter needs libgreet.so.1, which is not in /")
        .hasMessageContaining("bundleSharedLibraries(sysroot)");

    ScratchImage image = ScratchImage.builder().entrypoint(program).noCaCertificates()
        .bundleSharedLibraries(sysroot).build();
    assertThat(image.config().env()).contains("LD_LIBRARY_PATH=/usr/local/lib");
    assertThat(image.files()).extracting(Object::toString)
        .contains("/usr/local/lib/libgreet.so.1", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/lib64");
    Tools.Result result = run(image, "sysroot", null);
    assertThat(result.stdout()).as(result.describe()).isEqualTo("hello from /usr/local/lib\n");
  }

  // --- 3. Users and /tmp. ---

  static final String C_WHOAMI = """
      #include <stdio.h>
      #include <unistd.h>
      int main(void) {
        FILE *f = fopen("/tmp/probe", "w");
        printf("uid=%d gid=%d tmp=%s\\n", (int) getuid(), (int) getgid(), f && fputs("x", f) >= 0 ? "ok" : "fail");
        return 0;
      }
      """;

  @Test
  void runsAsNonrootByDefaultAndCanWriteTmp() {
    Path whoami = Fixtures.gcc(work.resolve("c"), "whoami", C_WHOAMI, "-static");
    ScratchImage image = ScratchImage.builder().entrypoint(whoami).noCaCertificates().build();
    assertThat(image.config().user()).isEqualTo("65532:65532");
    Tools.Result result = run(image, "whoami-default", null);
    assertThat(result.stdout()).as(result.describe()).isEqualTo("uid=65532 gid=65532 tmp=ok\n");
  }

  @Test
  void userNameFromTheImagePasswdWorks() {
    Path whoami = Fixtures.gcc(work.resolve("c"), "whoami", C_WHOAMI, "-static");
    ScratchImage image = ScratchImage.builder().entrypoint(whoami).noCaCertificates().user("nonroot").build();
    Tools.Result result = run(image, "whoami-nonroot", null);
    assertThat(result.stdout()).as(result.describe()).isEqualTo("uid=65532 gid=65532 tmp=ok\n");
  }

  @Test
  void unknownUserIsRefused() {
    Path whoami = Fixtures.gcc(work.resolve("c"), "whoami", C_WHOAMI, "-static");
    assertThatThrownBy(() -> ScratchImage.builder().entrypoint(whoami).noCaCertificates().user("nosuch").build())
        .isInstanceOf(ScratchImageException.class)
        .hasMessageContaining("the image's /etc/passwd has no user \"nosuch\"")
        .hasMessageContaining("root, nobody, nonroot")
        .hasMessageContaining("no matching entries in passwd file");
  }

  // --- 4. Scripts and shell-form commands. ---

  @Test
  void shellScriptEntrypointIsRefused() throws IOException {
    Path script = work.resolve("start.sh");
    Files.writeString(script, "#!/bin/sh\necho hello\n");
    assertThatThrownBy(() -> ScratchImage.builder().entrypoint(script).noCaCertificates().build())
        .isInstanceOf(ScratchImageException.class)
        .hasMessageContaining(script + " is a script (#!/bin/sh)")
        .hasMessageContaining("no shell");
  }

  @Test
  void shellFormCommandIsRefused() {
    Path whoami = Fixtures.gcc(work.resolve("c"), "whoami", C_WHOAMI, "-static");
    assertThatThrownBy(() -> ScratchImage.builder().entrypoint(whoami).noCaCertificates()
        .args("--config /etc/app.conf && echo done").build())
        .isInstanceOf(ScratchImageException.class)
        .hasMessageContaining("shell-form command line")
        .hasMessageContaining("args(\"--config\", \"/etc/app.conf\", \"&&\", \"echo\", \"done\")");
  }

  // --- 5. A Java program in scratch: a jlink runtime with its libraries bundled. ---

  @Test
  void javaProgramRunsFromAJlinkRuntime() throws IOException {
    Path javaHome = Path.of(System.getProperty("java.home"));
    Path jlink = javaHome.resolve("bin/jlink");
    Path javac = javaHome.resolve("bin/javac");
    if (!Files.isExecutable(jlink) || !Files.isExecutable(javac)) {
      Tools.require("jlink");
    }
    Path runtime = work.resolve("jre");
    Tools.run(java.time.Duration.ofMinutes(5), null, null, List.of(jlink.toString(), "--add-modules", "java.base",
        "--no-header-files", "--no-man-pages", "--strip-debug", "--output", runtime.toString())).assertOk();
    Path classes = Files.createDirectories(work.resolve("classes"));
    Path source = work.resolve("Hello.java");
    Files.writeString(source, "public class Hello { public static void main(String[] a) {"
        + " System.out.println(\"hello from java \" + Runtime.version().feature()"
        + " + \" as \" + System.getProperty(\"user.name\", \"?\")); } }");
    Tools.runOk(javac.toString(), "-d", classes.toString(), source.toString());

    ScratchImage image = ScratchImage.builder()
        .entrypoint(runtime.resolve("bin/java"), "/opt/java/bin/java")
        .addDirectory(runtime, "/opt/java")
        .addDirectory(classes, "/app/classes")
        .args("-Xshare:off", "-cp", "/app/classes", "Hello")
        .noCaCertificates()
        .bundleSharedLibraries()
        .build();
    Tools.Result result = run(image, "java", null);
    assertThat(result.stdout()).as(result.describe())
        .isEqualTo("hello from java " + Runtime.version().feature() + " as nonroot\n");
  }

  // --- Time zones: Go's time.LoadLocation reads /usr/share/zoneinfo, which scratch lacks. ---

  static final String GO_TZ = """
      package main

      import (
      	"fmt"
      	"os"
      	"time"
      )

      func main() {
      	loc, err := time.LoadLocation("Europe/Berlin")
      	if err != nil {
      		fmt.Println("error:", err)
      		os.Exit(1)
      	}
      	fmt.Println(time.Date(2024, 1, 15, 12, 0, 0, 0, time.UTC).In(loc).Format("15:04 MST"))
      }
      """;

  @Test
  void timeZonesLoadOnlyWithTimezoneData() {
    Path program = Fixtures.go(work, "tz", GO_TZ, Map.of("CGO_ENABLED", "0"));
    ScratchImage without = ScratchImage.builder().entrypoint(program).noCaCertificates().withoutTimeZoneData().build();
    assertThat(without.warnings()).singleElement().asString()
        .contains(program + " evidently loads time zones").contains("Remove withoutTimeZoneData()").contains("timezoneData(");
    Tools.Result failed = run(without, "tz-without", null);
    assertThat(failed.stdout()).as(failed.describe()).contains("unknown time zone Europe/Berlin");

    // The default image has the build machine's zoneinfo.
    ScratchImage with = ScratchImage.builder().entrypoint(program).noCaCertificates().build();
    assertThat(with.warnings()).isEmpty();
    Tools.Result result = run(with, "tz-with", null);
    assertThat(result.stdout()).as(result.describe()).isEqualTo("13:00 CET\n");
  }

  // --- 7. Reproducible. ---

  @Test
  void sameInputsGiveTheSameDigest() {
    Path whoami = Fixtures.gcc(work.resolve("c"), "whoami", C_WHOAMI, "-static");
    WriteResult first = ScratchImage.builder().entrypoint(whoami).build()
        .writeTo(OciLayout.at(work.resolve("repro-1")).tag("a"));
    WriteResult second = ScratchImage.builder().entrypoint(whoami).build()
        .writeTo(OciLayout.at(work.resolve("repro-2")).tag("a"));
    assertThat(second.digest()).isEqualTo(first.digest());
    assertThat(second.layers()).isEqualTo(first.layers());
  }
}
