package dev.scratchkit.registry;

import static dev.scratchkit.registry.ScriptedServer.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.scratchkit.oci.ContainerConfig;
import dev.scratchkit.oci.ImagePath;
import dev.scratchkit.oci.ImageSpec;
import dev.scratchkit.oci.LayerCache;
import dev.scratchkit.oci.LayerEntry;
import dev.scratchkit.oci.LayerSpec;
import dev.scratchkit.registry.Registry;
import dev.scratchkit.registry.RegistryException;
import dev.scratchkit.elf.Platform;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Pushes to hostile servers on 127.0.0.1 that answer garbage, drip bytes, or break the
 * protocol: every push ends, within bounded time, in a RegistryException whose message names
 * the registry and says what was wrong, never a bare exception of jib or the HTTP client.
 */
class HostileRegistryTest {

  static ImageSpec tinyImage() {
    LayerSpec layer = LayerSpec.of("scratchkit: test", LayerEntry.bytes(ImagePath.of("/hello"),
        "hello\n".getBytes(StandardCharsets.UTF_8), 0644));
    return ImageSpec.of(Platform.LINUX_AMD64, Instant.EPOCH, ContainerConfig.empty().withEntrypoint(List.of("/hello")),
        List.of(layer));
  }

  private static RegistryException push(ScriptedServer server, Duration timeout) {
    Registry target = Registry.image(server.host() + "/app:1").cache(LayerCache.disabled()).timeout(timeout);
    try {
      target.write(tinyImage());
    } catch (RegistryException e) {
      return e;
    }
    throw new AssertionError("the push to " + server.host() + " should have failed");
  }

  private static RegistryException pushTo(ScriptedServer.Reply reply) throws Exception {
    try (ScriptedServer server = new ScriptedServer(reply)) {
      long t0 = System.nanoTime();
      RegistryException e = assertTimeoutPreemptively(Duration.ofSeconds(30),
          () -> push(server, Duration.ofSeconds(20)));
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(15));
      assertThat(e.getMessage()).startsWith("cannot push app:1 to registry " + server.host() + ": ");
      return e;
    }
  }

  private static final String NOT_A_REGISTRY = "check that 127.0.0.1:";

  /** Answers /v2/ with 200, HEAD with 404 and the upload start with {@code uploadReply}. */
  private static ScriptedServer.Reply untilUpload(String uploadReply) {
    return (method, path, head, out) -> {
      if (path.startsWith("/v2/app/blobs/uploads")) {
        send(out, uploadReply);
      } else if (method.equals("HEAD")) {
        send(out, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
      } else {
        send(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
      }
    };
  }

  @Test
  void aServerThatIsNotHttpIsNamedAsNotARegistry() throws Exception {
    RegistryException e = pushTo((m, p, h, out) -> send(out, "SSH-2.0-OpenSSH_9.2\r\n"));
    assertThat(e.getMessage()).contains("its reply is not what a registry sends while authenticating")
        .contains("Not a valid protocol version: SSH-2.0-OpenSSH_9.2").contains(NOT_A_REGISTRY)
        .contains("is a container registry (Docker Registry HTTP API v2 / OCI distribution)");
    assertThat(e.getCause()).isNotNull().hasToString("org.apache.http.client.ClientProtocolException");
    assertThat(e.getCause().getCause()).hasMessageContaining("Not a valid protocol version");
  }

  @Test
  void aBadStatusLineIsAProtocolError() throws Exception {
    assertThat(pushTo((m, p, h, out) -> send(out, "HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n")).getMessage())
        .contains("Status line contains invalid status code: HTTP/1.1 abc OK").contains(NOT_A_REGISTRY);
  }

  @Test
  void aContentLengthThatIsNotANumberIsAProtocolErrorNotANumberFormatException() throws Exception {
    assertThat(pushTo((m, p, h, out) -> send(out, "HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n")).getMessage())
        .contains("the reply has a Content-Length header that is not a number: \"abc\"")
        .doesNotContain("NumberFormatException");
    RegistryException negative = pushTo((m, p, h, out) -> send(out, m.equals("HEAD")
        ? "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n" : "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"));
    assertThat(negative.getMessage()).contains("while checking whether it holds blob sha256:")
        .contains("Content-Length header that is not a number: \"-5\"");
  }

  @Test
  void aHeaderLineOf200KilobytesIsRefusedByTheLineLimit() throws Exception {
    assertThat(pushTo((m, p, h, out) -> send(out, "HTTP/1.1 200 OK\r\nX: " + "a".repeat(200_000)
        + "\r\nContent-Length: 0\r\n\r\n")).getMessage()).contains("Maximum line length limit exceeded");
  }

  @Test
  void aBrokenChunkedBodyIsAProtocolError() throws Exception {
    assertThat(pushTo((m, p, h, out) -> send(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"))
        .getMessage()).contains("Bad chunk header: zz").contains(NOT_A_REGISTRY);
  }

  @Test
  void anUploadWithoutOrWithAMalformedLocationIsNamed() throws Exception {
    assertThat(pushTo(untilUpload("HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")).getMessage())
        .contains("its reply is not what a registry sends while uploading blob sha256:")
        .contains("opened an upload for blob sha256:").contains("(HTTP 202) without a Location header to send it to");
    RegistryException bad = pushTo(untilUpload("HTTP/1.1 202 Accepted\r\nLocation: http://[::bad\r\n"
        + "Content-Length: 0\r\n\r\n"));
    assertThat(bad.getMessage()).contains("its reply is not what a registry sends while uploading blob sha256:")
        .contains("the registry's upload Location \"http://[::bad\" for blob sha256:").contains("is not a URL");
  }

  @Test
  void aMalformedAuthenticationChallengeIsNamed() throws Exception {
    RegistryException e = pushTo((m, p, h, out) -> send(out, p.equals("/v2/")
        ? "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=garbage,,,===\r\nContent-Length: 0\r\n\r\n"
        : "HTTP/1.1 500 Oops\r\nContent-Length: 8\r\n\r\nnot json"));
    assertThat(e.getMessage()).contains("while authenticating")
        .contains("the registry's token service realm \"garbage\" is not a URL").contains(NOT_A_REGISTRY);
  }

  @Test
  void aTokenServiceThatCannotBeReachedIsNamed() throws Exception {
    RegistryException e = pushTo((m, p, h, out) -> send(out, "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer"
        + " realm=\"http://127.0.0.1:1/token\"\r\nContent-Length: 0\r\n\r\n"));
    assertThat(e.getMessage()).contains("authentication with its token service failed")
        .contains("Connect to 127.0.0.1:1").contains("check the credentials");
  }

  @Test
  void aServerThatDripsOneBytePerFiveSecondsFailsAtTheDeadline() throws Exception {
    ScriptedServer.Reply drip = (method, path, head, out) -> {
      for (byte b : "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}".getBytes(StandardCharsets.US_ASCII)) {
        out.write(b);
        out.flush();
        Thread.sleep(5_000);
      }
    };
    try (ScriptedServer server = new ScriptedServer(drip)) {
      long t0 = System.nanoTime();
      RegistryException e = assertTimeoutPreemptively(Duration.ofSeconds(30),
          () -> push(server, Duration.ofSeconds(8)));
      Duration took = Duration.ofNanos(System.nanoTime() - t0);
      assertThat(took).isBetween(Duration.ofSeconds(7), Duration.ofSeconds(15));
      assertThat(e.getMessage()).isEqualTo("cannot push app:1 to registry " + server.host() + ": the push did not"
          + " finish within its deadline of 8 s (it was authenticating; SocketException: Socket closed); the"
          + " registry is too slow or stopped answering: check it and the network, or allow more time with"
          + " timeout(Duration)");
    }
  }

  @Test
  void aDigestMismatchReportedByTheRegistryNamesTheBlobAndSaysItIsIntact() throws Exception {
    String location = "Location: /v2/app/blobs/uploads/u1\r\nRange: 0-0\r\nContent-Length: 0\r\n\r\n";
    RegistryException e = pushTo((m, p, h, out) -> {
      if (m.equals("HEAD")) {
        send(out, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
      } else if (m.equals("POST") || m.equals("PATCH")) {
        send(out, "HTTP/1.1 202 Accepted\r\n" + location);
      } else if (m.equals("PUT")) {
        String body = "{\"errors\":[{\"code\":\"DIGEST_INVALID\",\"message\":\"provided digest did not match"
            + " uploaded content\"}]}";
        send(out, "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: " + body.length()
            + "\r\n\r\n" + body);
      } else {
        send(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
      }
    });
    assertThat(e.getMessage()).contains(": the registry received other bytes than sha256:")
        .contains("provided digest did not match uploaded content")
        .contains("; the local blob /").contains(" is intact, so the bytes changed on the way (a proxy?); push again");
  }

  @Test
  void aRegistryThatEchoesTheAuthorizationHeaderInItsErrorsDoesNotGetItIntoTheMessage() throws Exception {
    String secret = "echo-Secret-5e5e5e";
    String basic = java.util.Base64.getEncoder().encodeToString(("alice:" + secret).getBytes(StandardCharsets.UTF_8));
    ScriptedServer.Reply echo = (m, p, h, out) -> {
      if (p.equals("/v2/")) {
        send(out, "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"echo\"\r\nContent-Length: 2\r\n\r\n{}");
        return;
      }
      if (m.equals("HEAD")) {
        send(out, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        return;
      }
      String auth = h.lines().filter(l -> l.toLowerCase().startsWith("authorization:")).findFirst().orElse("none");
      String body = "{\"errors\":[{\"code\":\"DENIED\",\"message\":\"you sent " + auth + " and " + secret
          + "\",\"detail\":{\"password\":\"" + secret + "\"}}]} " + h.replace("\r\n", " ");
      send(out, "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: " + body.length()
          + "\r\n\r\n" + body);
    };
    try (ScriptedServer server = new ScriptedServer(echo)) {
      RegistryException e = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
        try {
          Registry.image(server.host() + "/app:1").cache(LayerCache.disabled())
              .credentials("alice", secret.toCharArray()).write(tinyImage());
        } catch (RegistryException thrown) {
          return thrown;
        }
        throw new AssertionError("should have failed");
      });
      assertThat(server.requests).anySatisfy(r -> assertThat(r).startsWith("POST /v2/app/blobs/uploads/"));
      StringBuilder everything = new StringBuilder(e.toString());
      java.io.StringWriter trace = new java.io.StringWriter();
      e.printStackTrace(new java.io.PrintWriter(trace));
      everything.append(trace);
      for (Throwable c = e; c != null; c = c.getCause()) {
        everything.append(c).append(c.getMessage());
      }
      assertThat(e.getMessage()).contains("registry " + server.host()).contains("while uploading blob sha256:")
          .contains("you sent Authorization: <redacted>");
      assertThat(everything.toString()).doesNotContain(secret).doesNotContain(basic);
    }
  }

  @Test
  void theTimeoutMustBePositiveAndDefaultsToFifteenMinutes() {
    assertThat(Registry.image("127.0.0.1:5000/app:1").timeout()).isEqualTo(Duration.ofMinutes(15));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Registry.image("127.0.0.1:5000/app:1")
        .timeout(Duration.ZERO)).hasMessage("the push timeout for registry 127.0.0.1:5000/app:1 must be more"
            + " than zero, not PT0S; give e.g. Duration.ofMinutes(30)");
  }
}
