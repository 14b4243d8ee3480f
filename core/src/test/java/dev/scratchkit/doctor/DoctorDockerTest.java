package dev.scratchkit.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.testkit.Fixtures;
import dev.scratchkit.testkit.TestTls;
import dev.scratchkit.testkit.Tools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The doctor against the real thing: images built with {@code docker build} from plain
 * {@code FROM scratch} Dockerfiles (the classic mistakes), saved with {@code docker save},
 * examined, then run with {@code docker run}. Every error finding must name the failure that
 * really happens (its run-time error text is in docker run's output), and the good image must
 * get no error and run. The same images copied by skopeo to an OCI layout and an oci-archive
 * must give the same findings.
 *
 * <p>Uses the engine at {@code DOCKER_HOST}; skips (fails in strict mode) when none answers.
 */
class DoctorDockerTest {

  @TempDir static Path work;
  private static Map<String, String> dockerEnv;
  private static TestTls tls;
  private static TestTls.Server server;
  private static final List<String> TABLE = new ArrayList<>();

  /** One Dockerfile: its context files, how to run it, what the doctor must predict. */
  private record Case(String name, String dockerfile, Map<String, Path> files, List<String> args, boolean hostNetwork,
      List<String> errors) {}

  /** Skips (fails in strict mode) here, so the report shows why, when no engine answers. */
  private static void engine() {
    Path docker = Tools.require("docker");
    String host = System.getenv("DOCKER_HOST");
    String reason = null;
    if (host == null || host.isEmpty()) {
      reason = "DOCKER_HOST is not set; `bash .ci/run` starts a Docker engine and sets it";
    } else {
      Tools.Result version = Tools.run(Duration.ofSeconds(30), null, Map.of("DOCKER_HOST", host),
          List.of(docker.toString(), "version", "--format", "{{.Server.Version}}"));
      if (!version.ok()) {
        reason = "no Docker engine answers at DOCKER_HOST=" + host + ": " + version.stderr().strip();
      }
    }
    if (reason != null) {
      if (Tools.strict()) {
        Assertions.fail(reason + " -- strict mode (" + Tools.STRICT_ENV + ") turns a missing engine into a failure");
      }
      Assumptions.abort("skipped: " + reason);
    }
    dockerEnv = Map.of("DOCKER_HOST", host, "DOCKER_BUILDKIT", "0");
    tls = TestTls.create(work.resolve("tls"));
    server = tls.startServer();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
    TABLE.forEach(System.out::println);
  }

  private static Tools.Result docker(String... args) {
    List<String> command = new ArrayList<>(List.of(Tools.require("docker").toString()));
    command.addAll(List.of(args));
    return Tools.run(Duration.ofMinutes(3), work, dockerEnv, command);
  }

  private static Path executable(Path file) {
    try {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path write(String name, String content) {
    try {
      Path file = work.resolve("files").resolve(name);
      Files.createDirectories(file.getParent());
      return Files.writeString(file, content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A tar made by GNU tar of paths under {@code root} (ADD unpacks it over the image's files). */
  private static Path tar(String name, Path root, String... paths) {
    Path out = work.resolve("files").resolve(name);
    List<String> command = new ArrayList<>(List.of(Tools.require("tar").toString(), "--numeric-owner", "-C",
        root.toString(), "-cf", out.toString()));
    command.addAll(List.of(paths));
    Tools.run(Duration.ofMinutes(1), null, null, command).assertOk();
    return out;
  }

  private static Path glibcRoot(String name, boolean libLink) throws IOException {
    Path root = work.resolve(name);
    Path multiarch = root.resolve("usr/lib/x86_64-linux-gnu");
    Files.createDirectories(multiarch);
    Files.copy(Path.of("/lib64/ld-linux-x86-64.so.2"), multiarch.resolve("ld-linux-x86-64.so.2"));
    Files.copy(Path.of("/lib/x86_64-linux-gnu/libc.so.6"), multiarch.resolve("libc.so.6"));
    if (libLink) {
      Files.createSymbolicLink(root.resolve("lib"), Path.of("usr/lib"));
    }
    Files.createDirectories(root.resolve("lib64"));
    Files.createSymbolicLink(root.resolve("lib64/ld-linux-x86-64.so.2"),
        Path.of((libLink ? "/lib" : "/usr/lib") + "/x86_64-linux-gnu/ld-linux-x86-64.so.2"));
    return root;
  }

  private List<Case> cases() throws IOException {
    Path bin = work.resolve("bin");
    Files.createDirectories(bin);
    Path cgo = Fixtures.go(bin, "client-cgo", Fixtures.GO_HTTPS_CLIENT, Map.of("CGO_ENABLED", "1"));
    Path client = Fixtures.go(bin, "client", Fixtures.GO_HTTPS_CLIENT, Map.of("CGO_ENABLED", "0"));
    Path hello = Fixtures.go(bin, "hello", Fixtures.GO_HELLO, Map.of("CGO_ENABLED", "0"));
    Path helloArm = Fixtures.go(bin, "hello-arm64", Fixtures.GO_HELLO, Map.of("CGO_ENABLED", "0", "GOARCH", "arm64"));
    Path zlib = Fixtures.gcc(bin, "zversion", "#include <zlib.h>\n#include <stdio.h>\n"
        + "int main(void) { puts(zlibVersion()); return 0; }\n", "-lz");
    Path cHello = Fixtures.gcc(bin, "chello", "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n");
    Path script = executable(write("app.sh", "#!/bin/sh\necho hello from sh\n"));
    Path ca = tls.caCertificate();

    Path glibc = glibcRoot("glibc", false);
    Path glibcLinked = glibcRoot("glibc-linked", true);
    Path libDir = work.resolve("libdir");
    Files.createDirectories(libDir.resolve("lib"));
    Files.writeString(libDir.resolve("lib/README"), "my files\n");
    Path libTar = tar("lib.tar", libDir, "lib");
    Path certsFile = work.resolve("certsfile");
    Files.createDirectories(certsFile.resolve("etc/ssl"));
    Files.copy(ca, certsFile.resolve("etc/ssl/certs"));
    Path certsTar = tar("certs.tar", certsFile, "etc/ssl/certs");

    String url = server.url();
    List<Case> cases = new ArrayList<>();
    cases.add(new Case("cgo-binary", "FROM scratch\nCOPY app /app\nENTRYPOINT [\"/app\"]\n", Map.of("app", cgo),
        List.of(url), true, List.of("INTERPRETER_MISSING")));
    cases.add(new Case("static-no-certificates", "FROM scratch\nCOPY app /app\nENTRYPOINT [\"/app\"]\n",
        Map.of("app", client), List.of(url), true, List.of()));
    cases.add(new Case("static-with-ca-bundle", "FROM scratch\nCOPY app /app\n"
        + "COPY ca.crt /etc/ssl/certs/ca-certificates.crt\nENTRYPOINT [\"/app\"]\n",
        Map.of("app", client, "ca.crt", ca), List.of(url), true, List.of()));
    cases.add(new Case("user-without-passwd", "FROM scratch\nCOPY app /app\nUSER nonroot\nENTRYPOINT [\"/app\"]\n",
        Map.of("app", hello), List.of(), false, List.of("USER_UNKNOWN")));
    cases.add(new Case("shell-form-cmd", "FROM scratch\nCOPY app /app\nCMD /app --greeting hi\n",
        Map.of("app", hello), List.of(), false, List.of("SHELL_FORM_WITHOUT_SHELL")));
    cases.add(new Case("script", "FROM scratch\nCOPY app.sh /app.sh\nENTRYPOINT [\"/app.sh\"]\n",
        Map.of("app.sh", script), List.of(), false, List.of("SCRIPT_INTERPRETER_MISSING")));
    cases.add(new Case("c-missing-libz", "FROM scratch\nCOPY root/ /\nCOPY app /app\nENTRYPOINT [\"/app\"]\n",
        Map.of("root", glibc, "app", zlib), List.of(), false, List.of("LIBRARY_MISSING")));
    cases.add(new Case("arm64-in-amd64", "FROM scratch\nCOPY app /app\nENTRYPOINT [\"/app\"]\n",
        Map.of("app", helloArm), List.of(), false, List.of("ENTRYPOINT_WRONG_ARCHITECTURE")));
    cases.add(new Case("lib-link-replaced", "FROM scratch\nCOPY root/ /\nCOPY app /app\nADD lib.tar /\n"
        + "ENTRYPOINT [\"/app\"]\n", Map.of("root", glibcLinked, "app", cHello, "lib.tar", libTar), List.of(), false,
        List.of("INTERPRETER_MISSING")));
    cases.add(new Case("file-at-etc-ssl-certs", "FROM scratch\nCOPY app /app\n"
        + "COPY ca.crt /etc/ssl/certs/ca-certificates.crt\nADD certs.tar /\nENTRYPOINT [\"/app\"]\n",
        Map.of("app", client, "ca.crt", ca, "certs.tar", certsTar), List.of(url), true, List.of("DIRECTORY_REPLACED")));
    cases.add(new Case("c-with-glibc", "FROM scratch\nCOPY root/ /\nCOPY app /app\nENTRYPOINT [\"/app\"]\n",
        Map.of("root", glibc, "app", cHello), List.of(), false, List.of()));
    return cases;
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (var walk = Files.walk(from)) {
      for (Path p : walk.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isSymbolicLink(p)) {
          Files.createDirectories(target.getParent());
          Files.createSymbolicLink(target, Files.readSymbolicLink(p));
        } else if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.createDirectories(target.getParent());
          Files.copy(p, target, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }

  @Test
  void everyErrorFindingIsTheFailureDockerRunShowsAndTheGoodImagesRun() throws IOException {
    engine();
    Map<String, List<Finding>> fromDockerSave = new LinkedHashMap<>();
    List<String> mismatches = new ArrayList<>();
    for (Case c : cases()) {
      Path context = work.resolve("ctx-" + c.name());
      Files.createDirectories(context);
      Files.writeString(context.resolve("Dockerfile"), c.dockerfile());
      for (Map.Entry<String, Path> f : c.files().entrySet()) {
        if (Files.isDirectory(f.getValue())) {
          copyTree(f.getValue(), context.resolve(f.getKey()));
        } else {
          Files.copy(f.getValue(), context.resolve(f.getKey()), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
      String tag = "doctor-" + c.name() + ":1";
      docker("build", "-q", "--no-cache", "-t", tag, context.toString()).assertOk();
      Path saved = work.resolve(c.name() + ".tar");
      docker("save", "-o", saved.toString(), tag).assertOk();

      Diagnosis d = ImageDoctor.examine(saved);
      fromDockerSave.put(c.name(), d.findings());

      List<String> run = new ArrayList<>(List.of("run", "--rm", "--network", c.hostNetwork() ? "host" : "none", tag));
      run.addAll(c.args());
      Tools.Result r = docker(run.toArray(String[]::new));
      String output = r.stdout() + r.stderr();

      assertThat(d.errors()).as(c.name() + ": " + d).extracting(Finding::code).containsExactlyElementsOf(c.errors());
      for (Finding f : d.errors()) {
        if (!output.contains(f.runtimeError())) {
          mismatches.add(c.name() + ": predicted \"" + f.runtimeError() + "\", docker run printed: " + output.strip());
        }
      }
      boolean reached = r.exitCode() == 0 || output.contains("x509");
      for (Finding f : d.warnings()) {
        if (f.code().startsWith("CA_") && reached && !output.contains(f.runtimeError())) {
          mismatches.add(c.name() + ": warned \"" + f.runtimeError() + "\", docker run printed: " + output.strip());
        }
      }
      if (c.errors().isEmpty() && !c.name().equals("static-no-certificates")) {
        assertThat(r.exitCode()).as(c.name() + " should run: " + r.describe()).isZero();
      } else {
        assertThat(r.exitCode()).as(c.name() + " should fail: " + r.describe()).isNotZero();
      }
      TABLE.add("| " + c.name() + " | " + (d.findings().isEmpty() ? "no findings" : String.join(", ", d.findings()
          .stream().map(f -> f.severity().name().charAt(0) + ":" + f.code() + (f.runtimeError().isEmpty() ? ""
              : " \"" + f.runtimeError() + "\"")).toList())) + " | exit " + r.exitCode() + ": "
          + output.strip().replace("\n", " / ") + " |");
      docker("rmi", "-f", tag);

      // The same image as an OCI layout and an oci-archive (skopeo) gives the same findings.
      if (Tools.find("skopeo").isPresent()) {
        Path layout = work.resolve(c.name() + "-layout");
        Path ociArchive = work.resolve(c.name() + "-oci.tar");
        Tools.runOk(Tools.require("skopeo").toString(), "copy", "--quiet", "docker-archive:" + saved,
            "oci:" + layout + ":1");
        Tools.runOk(Tools.require("skopeo").toString(), "copy", "--quiet", "docker-archive:" + saved,
            "oci-archive:" + ociArchive + ":1");
        assertThat(ImageDoctor.examine(layout).findings()).as(c.name() + " as a layout").isEqualTo(d.findings());
        assertThat(ImageDoctor.examine(ociArchive).findings()).as(c.name() + " as an oci-archive")
            .isEqualTo(d.findings());
      }
    }
    assertThat(mismatches).isEmpty();
    assertThat(fromDockerSave).hasSizeGreaterThanOrEqualTo(10);
  }
}
