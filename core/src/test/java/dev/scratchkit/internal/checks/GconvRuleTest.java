package dev.scratchkit.internal.checks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.ScratchImage;
import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import dev.scratchkit.oci.ImagePath;
import dev.scratchkit.testkit.Fixtures;
import dev.scratchkit.testkit.Tools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * glibc's gconv modules, with Debian's iconv and a C program under runc as 65532: without the
 * gconv directory a conversion from ISO-8859-1 (or to EUC-JP) is unsupported and the doctor says
 * why; with bundleSharedLibraries() the image has the configuration, the modules and their own
 * libraries (EUC-JP.so needs libJIS.so), and prints what the host prints.
 */
class GconvRuleTest {

  static final String GCONV = "/usr/lib/x86_64-linux-gnu/gconv";
  @TempDir static Path work;

  @Test
  void iconvConvertsLatin1WithTheBundledModulesAndFailsWithoutThemAsTheDoctorSays() throws Exception {
    Path input = work.resolve("latin1.txt");
    Files.write(input, "caf\u00e9 cr\u00e8me\n".getBytes(StandardCharsets.ISO_8859_1));
    RunTimeData.readable(input);
    ScratchImage image = ScratchImage.builder().entrypoint(Path.of("/usr/bin/iconv"), "/usr/bin/iconv")
        .args("-f", "ISO-8859-1", "-t", "UTF-8", "/data/latin1.txt").addFile(input, "/data/latin1.txt")
        .bundleSharedLibraries().build();
    assertThat(image.files()).contains(ImagePath.of(GCONV + "/gconv-modules"), ImagePath.of(GCONV + "/ISO8859-1.so"),
        ImagePath.of(GCONV + "/gconv-modules.d/gconv-modules-extra.conf"));
    long modules = Files.list(Path.of(GCONV)).filter(p -> p.toString().endsWith(".so")).count();
    assertThat(image.files().stream().filter(p -> p.toString().startsWith(GCONV + "/") && p.toString().endsWith(".so")))
        .as("every module").hasSize((int) modules);

    Tools.Result host = RunTimeData.host(Map.of("PATH", "/usr/bin"), List.of("/usr/bin/iconv", "-f", "ISO-8859-1",
        "-t", "UTF-8", input.toString()));
    Tools.Result ok = RunTimeData.run(RunTimeData.write(image, work.resolve("bundled")), work);
    assertThat(ok.stdout()).isEqualTo(host.stdout()).isEqualTo("caf\u00e9 cr\u00e8me\n");
    assertThat(ok.exitCode()).isZero().isEqualTo(host.exitCode());
    assertThat(RunTimeData.hasFinding(work.resolve("bundled"), GconvRule.NAME)).isFalse();

    Path lacking = RunTimeData.write(RunTimeData.without(image.spec(), GCONV), work.resolve("without"));
    Tools.Result failed = RunTimeData.run(lacking, work);
    assertThat(failed.stderr()).isEqualTo("/usr/bin/iconv: failed to start conversion processing\n");
    assertThat(failed.exitCode()).isEqualTo(1);
    Finding f = RunTimeData.finding(lacking, GconvRule.NAME, "GCONV_MODULES_MISSING");
    assertThat(f.severity()).isEqualTo(Severity.WARNING);
    assertThat(f.path()).isEqualTo(GCONV + "/gconv-modules");
    assertThat(f.message()).startsWith("/usr/bin/iconv imports iconv_open@GLIBC_2.")
        .contains("the image has no gconv configuration (looked for gconv-modules.cache, gconv-modules in " + GCONV
            + ")");
    assertThat(f.runtimeError()).isEqualTo("iconv_open fails: Invalid argument (the iconv command prints"
        + " \"failed to start conversion processing\")");
    assertThat(f.fix()).isEqualTo("COPY " + GCONV + " (Debian package libc6) from the build stage to " + GCONV + ".");
  }

  @Test
  void libstdcxxImportingIconvOpenIsNoEvidence() throws Exception {
    Path gxx = Tools.require("g++");
    Files.writeString(work.resolve("hello.cc"), "#include <iostream>\nint main(){std::cout << \"hi\" << std::endl;}\n");
    Tools.run(java.time.Duration.ofMinutes(2), work, null, List.of(gxx.toString(), "-O1", "-o",
        work.resolve("hello-cc").toString(), work.resolve("hello.cc").toString())).assertOk();
    ScratchImage image = ScratchImage.builder().entrypoint(work.resolve("hello-cc"), "/app/hello")
        .bundleSharedLibraries().build();
    assertThat(image.files()).anyMatch(p -> p.toString().endsWith("/libstdc++.so.6"))
        .noneMatch(p -> p.toString().startsWith(GCONV));
    assertThat(RunTimeData.hasFinding(RunTimeData.write(image, work.resolve("cxx")), GconvRule.NAME)).isFalse();
  }

  static final String EUC_JP = """
      #include <iconv.h>
      #include <stdio.h>
      #include <string.h>
      int main(void) {
        iconv_t cd = iconv_open("EUC-JP", "UTF-8");
        if (cd == (iconv_t) -1) { perror("iconv_open EUC-JP"); return 2; }
        char in[] = "\\xe6\\x97\\xa5\\xe6\\x9c\\xac", out[16];
        char *ip = in, *op = out; size_t il = strlen(in), ol = sizeof out;
        if (iconv(cd, &ip, &il, &op, &ol) == (size_t) -1) { perror("iconv"); return 3; }
        for (char *p = out; p < op; p++) printf("%02x", (unsigned char) *p);
        puts("");
        return 0;
      }
      """;

  @Test
  void aModuleThatNeedsALibraryGetsItsClosure() throws Exception {
    Path program = RunTimeData.readable(Fixtures.gcc(work, "eucjp", EUC_JP));
    ScratchImage image = ScratchImage.builder().entrypoint(program, "/app/eucjp").bundleSharedLibraries().build();
    assertThat(image.files()).contains(ImagePath.of(GCONV + "/EUC-JP.so"), ImagePath.of(GCONV + "/libJIS.so"));
    Tools.Result host = RunTimeData.host(Map.of(), List.of(program.toString()));
    Tools.Result ok = RunTimeData.run(RunTimeData.write(image, work.resolve("eucjp-bundled")), work);
    assertThat(ok.stdout()).isEqualTo(host.stdout()).isEqualTo("c6fccbdc\n");

    Path lacking = RunTimeData.write(RunTimeData.without(image.spec(), GCONV), work.resolve("eucjp-without"));
    Tools.Result failed = RunTimeData.run(lacking, work);
    assertThat(failed.stderr()).isEqualTo("iconv_open EUC-JP: Invalid argument\n");
    assertThat(failed.exitCode()).isEqualTo(2);
    assertThat(RunTimeData.finding(lacking, GconvRule.NAME, "GCONV_MODULES_MISSING").message())
        .startsWith("/app/eucjp imports iconv_open@GLIBC_2.");
  }
}
