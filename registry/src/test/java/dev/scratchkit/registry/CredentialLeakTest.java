package dev.scratchkit.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.testkit.LocalRegistry;
import dev.scratchkit.testkit.TestTls;
import dev.scratchkit.testkit.Tools;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Done-when of the credential leak: fake credential helpers (shell scripts
 * {@code docker-credential-<name>} on a PATH this test sets) that print malformed JSON holding
 * a secret and echo it on stderr, a hanging and a flooding helper, Docker configs with broken
 * {@code auth} values, and a valid helper against Debian's docker-registry with htpasswd and
 * TLS. All run in a child JVM with every slf4j logger at TRACE and java.util.logging at ALL
 * (our request lines, Apache HttpClient's header and wire logs, the HTTP client's connection
 * logs): the secret and the password appear in no log line, no message, no stack trace and no
 * {@code toString()}.
 */
class CredentialLeakTest {

  private static final String SECRET = "leak-Secret-8f3a9c71";
  private static final String PASSWORD = "htpasswd-Pa55-c0ffee42";

  @TempDir
  Path tmp;

  private Path helper(Path dir, String name, String script) throws Exception {
    Path file = dir.resolve("docker-credential-" + name);
    Files.writeString(file, "#!/bin/sh\n" + script + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    return file;
  }

  private void config(Path configs, String name, String json) throws Exception {
    Path dir = Files.createDirectories(configs.resolve(name));
    Files.writeString(dir.resolve("config.json"), json);
  }

  @Test
  void noSecretReachesALogLineAMessageOrAToStringAtTrace() throws Exception {
    Tools.require("sh");
    TestTls tls = TestTls.create(tmp.resolve("tls"));
    try (LocalRegistry registry = LocalRegistry.start(tmp.resolve("registry"), tls, "alice", PASSWORD)) {
      String host = registry.host();
      Path bin = Files.createDirectories(tmp.resolve("bin"));
      // Malformed JSON holding the secret on stdout, the secret again on stderr, exit 0.
      helper(bin, "leaky", "cat >/dev/null\necho 'token " + SECRET + "' >&2\n"
          + "printf '{\"Username\":\"alice\",\"Secret\":\"" + SECRET + "\"'");
      // Fails: the secret on both streams, exit 3.
      helper(bin, "failing", "cat >/dev/null\necho \"" + SECRET + "\"\necho \"bad: " + SECRET + "\" >&2\nexit 3");
      helper(bin, "hang", "cat >/dev/null\necho \"" + SECRET + "\" >&2\nsleep 600");
      helper(bin, "flood", "cat >/dev/null\nwhile :; do echo \"" + SECRET + " " + SECRET + "\"; done");
      helper(bin, "good", "cat >/dev/null\nprintf '{\"ServerURL\":\"%s\",\"Username\":\"alice\",\"Secret\":\"%s\"}'"
          + " '" + host + "' '" + PASSWORD + "'\necho 'debug: handing out " + PASSWORD + "' >&2");
      helper(bin, "wrong", "cat >/dev/null\nprintf '{\"Username\":\"alice\",\"Secret\":\"" + SECRET + "\"}'");
      helper(bin, "notfound", "cat >/dev/null\necho 'credentials not found in native keychain'\nexit 1");

      Path dockerConfig = Files.createDirectories(tmp.resolve("docker-config"));
      Files.writeString(dockerConfig.resolve("config.json"), "{\"credHelpers\":{\"" + host + "\":\"leaky\"}}");

      Path configs = Files.createDirectories(tmp.resolve("configs"));
      config(configs, "a-failing-helper", "{\"credHelpers\":{\"" + host + "\":\"failing\"}}");
      config(configs, "b-hang-helper", "{\"credHelpers\":{\"https://" + host + "\":\"hang\"}}");
      config(configs, "c-flood-helper", "{\"credsStore\":\"flood\"}");
      config(configs, "d-good-helper", "{\"credHelpers\":{\"" + host + "\":\"good\"}}");
      config(configs, "e-wrong-secret-helper", "{\"credHelpers\":{\"" + host + "\":\"wrong\"}}");
      config(configs, "f-notfound-helper", "{\"credHelpers\":{\"" + host + "\":\"notfound\"}}");
      config(configs, "g-auth-without-colon", auths(host, "{\"auth\":\"" + b64("alice" + SECRET) + "\"}"));
      config(configs, "h-auth-not-base64", auths(host, "{\"auth\":\"" + SECRET + "!!\"}"));
      config(configs, "i-config-not-json", "{\"auths\":{\"" + host + "\":{\"auth\":" + SECRET + "}}}");
      config(configs, "j-good-auth", auths(host, "{\"auth\":\"" + b64("alice:" + PASSWORD) + "\"}"));
      config(configs, "k-identitytoken", auths(host, "{\"identitytoken\":\"" + SECRET + "\"}"));
      config(configs, "l-wrong-password", auths("https://" + host + "/v1/",
          "{\"username\":\"alice\",\"password\":\"" + SECRET + "\"}"));
      config(configs, "m-helper-name-with-slash", "{\"credHelpers\":{\"" + host + "\":\"../../bin/sh\"}}");

      Path julConfig = Files.writeString(tmp.resolve("logging.properties"), ".level=ALL\n"
          + "handlers=java.util.logging.ConsoleHandler\njava.util.logging.ConsoleHandler.level=ALL\n");
      // jib-core ships a commons-logging.properties that silences Apache HttpClient; this one
      // (higher priority) sends it to java.util.logging, as an application with a logging bridge has it.
      Path jcl = Files.createDirectories(tmp.resolve("jcl"));
      Files.writeString(jcl.resolve("commons-logging.properties"),
          "priority=100\norg.apache.commons.logging.Log=org.apache.commons.logging.impl.Jdk14Logger\n");
      Path java = Path.of(System.getProperty("java.home"), "bin", "java");
      Tools.Result run = Tools.run(Duration.ofMinutes(3), null,
          Map.of("PATH", bin + ":" + System.getenv("PATH"), "DOCKER_CONFIG", dockerConfig.toString()),
          List.of(java.toString(), "-Dorg.slf4j.simpleLogger.defaultLogLevel=trace",
              "-Djava.util.logging.config.file=" + julConfig, "-cp", jcl + File.pathSeparator + System.getProperty("java.class.path"),
              CredentialLeakMain.class.getName(), host, tls.caCertificate().toString(), configs.toString()));
      String all = run.stdout() + "\n" + run.stderr();
      Path saved = Files.writeString(Files.createDirectories(Path.of("target")).resolve("credential-leak-output.txt"), all);
      assertThat(run.exitCode()).as(run.describe()).isZero();

      // The capture sees everything: our trace lines, our requests, Apache HttpClient's JUL logging.
      assertThat(all).contains("slf4j trace enabled: true")
          .contains("DEBUG dev.scratchkit.registry.internal.DistributionClient - GET /v2/")
          .contains("org.apache.http.impl.conn.PoolingHttpClientConnectionManager")
          .contains("org.apache.http.impl.execchain.MainClientExec");

      String what = "cannot get the credentials for registry " + host + ": ";
      String notShown = "is not shown because it may hold a secret";
      assertThat(all)
          .contains("CASE default-config-malformed-helper: FAILED dev.scratchkit.registry.RegistryException: " + what
              + "docker-credential-leaky (the credHelpers entry for " + host + " in " + dockerConfig.resolve("config.json")
              + ") did not print the JSON object {\"ServerURL\": ..., \"Username\": ..., \"Secret\": ...} a credential"
              + " helper must print; its output (" + ("{\"Username\":\"alice\",\"Secret\":\"" + SECRET + "\"").length()
              + " bytes on stdout, " + ("token " + SECRET + "\n").length()
              + " on stderr) " + notShown)
          .contains("CASE a-failing-helper: FAILED dev.scratchkit.registry.RegistryException: " + what
              + "docker-credential-failing (the credHelpers entry for " + host + " in ")
          .contains("failed with exit status 3; its output (" + (SECRET.length() + 1) + " bytes on stdout, "
              + (SECRET.length() + 6) + " on stderr) " + notShown)
          .contains("CASE b-hang-helper: FAILED dev.scratchkit.registry.RegistryException: " + what
              + "docker-credential-hang (the credHelpers entry for https://" + host)
          .contains("did not answer before the push deadline (timeout(Duration), 4 s) and was stopped")
          .contains("CASE c-flood-helper: FAILED dev.scratchkit.registry.RegistryException: " + what
              + "docker-credential-flood (the credsStore of ")
          .contains("printed more than 65536 bytes, not the short JSON object a credential helper prints, and was"
              + " stopped")
          .containsPattern("CASE d-good-helper: OK sha256:[0-9a-f]{64}")
          .contains("CASE e-wrong-secret-helper: FAILED dev.scratchkit.registry.RegistryException: cannot push leak/app:1"
              + " to registry " + host + ": HTTP 401 Unauthorized, the registry rejected the credentials from"
              + " credential helper docker-credential-wrong")
          .contains("CASE f-notfound-helper: FAILED dev.scratchkit.registry.RegistryException: cannot push leak/app:1 to"
              + " registry " + host + ": HTTP 401 Unauthorized, the registry needs credentials and there are no"
              + " credentials")
          .contains("CASE g-auth-without-colon: FAILED dev.scratchkit.registry.RegistryException: " + what
              + "the Docker config " + configs.resolve("g-auth-without-colon/config.json") + " has the auths entry \""
              + host + "\" whose \"auth\" does not decode to user:password (there is no colon); run docker login "
              + host + " again, or give credentials(user, password)")
          .contains("CASE h-auth-not-base64: FAILED dev.scratchkit.registry.RegistryException: " + what
              + "the Docker config " + configs.resolve("h-auth-not-base64/config.json") + " has the auths entry \""
              + host + "\" whose \"auth\" is not valid base64")
          .contains("CASE i-config-not-json: FAILED dev.scratchkit.registry.RegistryException: " + what
              + "the Docker config " + configs.resolve("i-config-not-json/config.json") + " is not valid JSON (line 1,"
              + " column ")
          .containsPattern("CASE j-good-auth: OK sha256:[0-9a-f]{64}")
          .contains("CASE k-identitytoken: FAILED dev.scratchkit.registry.RegistryException: cannot push leak/app to"
              + " registry " + host + ": it asks for a user name and password (basic auth), but the credentials from the"
              + " auths entry \"" + host + "\" (identitytoken) in " + configs.resolve("k-identitytoken/config.json")
              + " are an identity token")
          .contains("CASE l-wrong-password: FAILED dev.scratchkit.registry.RegistryException: cannot push leak/app:1 to"
              + " registry " + host + ": HTTP 401 Unauthorized, the registry rejected the credentials from the auths"
              + " entry \"https://" + host + "/v1/\" (username, password)")
          .contains("CASE m-helper-name-with-slash: FAILED dev.scratchkit.registry.RegistryException: " + what
              + "the Docker config " + configs.resolve("m-helper-name-with-slash/config.json") + " has a credHelpers"
              + " entry \"" + host + "\" that is not a credential helper name");
      assertThat(all).doesNotContain("StringIndexOutOfBoundsException").doesNotContain("Exception in thread");

      for (String secret : List.of(SECRET, PASSWORD, b64("alice:" + PASSWORD), b64("alice:" + SECRET),
          b64("alice" + SECRET))) {
        assertThat(all).as("output of the child JVM (" + saved.toAbsolutePath() + ")")
            .doesNotContain(secret);
      }
      assertThat(registry.log()).doesNotContain(PASSWORD).doesNotContain(SECRET);
    }
  }

  private static String auths(String key, String entry) {
    return "{\"auths\":{\"" + key + "\":" + entry + "}}";
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
