package dev.scratchkit.internal.checks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.ScratchImage;
import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import dev.scratchkit.oci.ImagePath;
import dev.scratchkit.testkit.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OpenSSL 3's providers, with Debian's openssl under runc as 65532: {@code -provider legacy}
 * loads {@code legacy.so} from the MODULESDIR compiled into libcrypto.so.3; without it the
 * command fails as the doctor says; with bundleSharedLibraries() it prints what the host prints.
 */
class OpenSslModulesRuleTest {

  static final String MODULES = "/usr/lib/x86_64-linux-gnu/ossl-modules";
  static final List<String> LIST = List.of("/usr/bin/openssl", "list", "-providers", "-provider", "legacy");
  @TempDir static Path work;

  @Test
  void theLegacyProviderLoadsFromTheBundledModulesAndFailsWithoutThemAsTheDoctorSays() throws Exception {
    Tools.require("openssl");
    assertThat(CompiledInPaths.openSslDirectory(Path.of("/usr/lib/x86_64-linux-gnu/libcrypto.so.3"), "MODULESDIR"))
        .contains(MODULES);
    ScratchImage image = ScratchImage.builder().entrypoint(Path.of("/usr/bin/openssl"), "/usr/bin/openssl")
        .args(LIST.subList(1, LIST.size()).toArray(String[]::new)).bundleSharedLibraries().build();
    assertThat(image.files()).contains(ImagePath.of(MODULES + "/legacy.so"), ImagePath.of("/usr/lib/ssl/openssl.cnf"));
    assertThat(image.spec().layers().stream().flatMap(l -> l.entries().stream())
        .filter(e -> e.path().toString().equals("/usr/lib/ssl/openssl.cnf")).findFirst().orElseThrow()
        .content().orElseThrow()).isEqualTo(Files.readAllBytes(Path.of("/usr/lib/ssl/openssl.cnf")));

    Tools.Result host = RunTimeData.host(Map.of(), LIST);
    Path bundled = RunTimeData.write(image, work.resolve("bundled"));
    Tools.Result ok = RunTimeData.run(bundled, work);
    assertThat(ok.stdout()).isEqualTo(host.stdout()).contains("name: OpenSSL Legacy Provider", "status: active");
    assertThat(ok.exitCode()).isZero();
    assertThat(RunTimeData.hasFinding(bundled, OpenSslModulesRule.NAME)).isFalse();

    // Without openssl.cnf OpenSSL carries on silently with its built-in settings.
    Tools.Result noConfig = RunTimeData.run(RunTimeData.write(RunTimeData.without(image.spec(),
        "/usr/lib/ssl/openssl.cnf"), work.resolve("without-cnf")), work);
    assertThat(noConfig.stdout()).isEqualTo(host.stdout());
    assertThat(noConfig.stderr()).isEmpty();

    Path lacking = RunTimeData.write(RunTimeData.without(image.spec(), MODULES), work.resolve("without"));
    Tools.Result failed = RunTimeData.run(lacking, work);
    assertThat(failed.exitCode()).isEqualTo(1);
    assertThat(failed.stderr()).startsWith("list: unable to load provider legacy\n")
        .contains("filename(" + MODULES + "/legacy.so)");
    Finding f = RunTimeData.finding(lacking, OpenSslModulesRule.NAME, "OPENSSL_PROVIDER_MISSING");
    assertThat(f.severity()).isEqualTo(Severity.ERROR);
    assertThat(f.path()).isEqualTo(MODULES + "/legacy.so");
    assertThat(f.message()).isEqualTo("/lib/x86_64-linux-gnu/libcrypto.so.3 (OpenSSL 3) loads providers by"
        + " name from its MODULESDIR " + MODULES + ", the command passes -provider legacy, and " + MODULES
        + "/legacy.so does not exist in the image (" + MODULES + " is missing).");
    assertThat(failed.stderr()).contains(f.runtimeError());
    assertThat(f.fix()).isEqualTo("COPY " + MODULES + " (Debian package libssl3) from the build stage to " + MODULES
        + ".");
  }
}
