package dev.scratchkit.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.ScratchImage;
import dev.scratchkit.certs.CaBundle;
import dev.scratchkit.testkit.Fixtures;
import dev.scratchkit.testkit.TestTls;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The problems scratchkit exists for, run for real through the runner: a cgo HTTPS client with
 * its libraries bundled and the test CA reaches a server the CA signed; the same client built
 * static with no CA certificates fails as Go does; and an HTTPS server image is started, waited
 * for on its port over the host network, answers, and is stopped.
 */
class SeedScenarioTest {

  @TempDir static Path work;
  static TestTls tls;
  static Path cgoClient;
  static Path staticClient;
  static Path server;

  @BeforeAll
  static void buildPrograms() {
    tls = TestTls.create(work.resolve("tls"));
    cgoClient = Fixtures.go(work, "client-cgo", Fixtures.GO_HTTPS_CLIENT, Map.of("CGO_ENABLED", "1"));
    staticClient = Fixtures.go(work, "client-static", Fixtures.GO_HTTPS_CLIENT, Map.of("CGO_ENABLED", "0"));
    server = Fixtures.go(work, "https-server", Fixtures.GO_HTTP_SERVER, Map.of("CGO_ENABLED", "0"));
  }

  @ParameterizedTest
  @EnumSource(value = Engine.class, names = {"DOCKER", "RUNC"})
  void aBundledCgoClientWithTheTestCaGets200(Engine engine) {
    ScratchImage image = ScratchImage.builder()
        .entrypoint(cgoClient, "/app/client")
        .bundleSharedLibraries()
        .caCertificates(CaBundle.fromPem(tls.caCertificate()))
        .build();
    try (ImageRunner runner = TestEngines.runner(engine); TestTls.Server https = tls.startServer()) {
      RunResult r = runner.run(ContainerSpec.of(image).network(Network.HOST).args(https.url()));
      assertThat(r.exitCode()).as(r.toString()).isZero();
      assertThat(r.stdout()).as(r.toString()).isEqualTo("200\n");
    }
  }

  @ParameterizedTest
  @EnumSource(value = Engine.class, names = {"DOCKER", "RUNC"})
  void aStaticClientWithoutCaCertificatesDoesNotTrustTheServer(Engine engine) {
    ScratchImage image = ScratchImage.builder().entrypoint(staticClient, "/app/client").noCaCertificates().build();
    try (ImageRunner runner = TestEngines.runner(engine); TestTls.Server https = tls.startServer()) {
      RunResult r = runner.run(ContainerSpec.of(image).network(Network.HOST).args(https.url()));
      assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
      assertThat(r.stdout()).as(r.toString()).contains("certificate signed by unknown authority");
    }
  }

  @ParameterizedTest
  @EnumSource(value = Engine.class, names = {"DOCKER", "RUNC"})
  void anHttpsServerImageIsStartedWaitedForAnsweredAndStopped(Engine engine) throws Exception {
    Path tlsDir = tls.caCertificate().getParent();
    Path key = work.resolve("server-key-" + engine + ".pem");
    Files.copy(tlsDir.resolve("server.key"), key);
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--")); // the image's user reads it
    ScratchImage image = ScratchImage.builder()
        .entrypoint(server, "/app/server")
        .addFile(tlsDir.resolve("server.crt"), "/etc/server/tls.crt")
        .addFile(key, "/etc/server/tls.key")
        .build();
    int port = ImageRunnerTest.freePort();
    HttpClient client = HttpClient.newBuilder().sslContext(trusting(tls.caCertificate())).build();
    try (ImageRunner runner = TestEngines.runner(engine)) {
      RunningContainer container = runner.start(ContainerSpec.of(image).network(Network.HOST)
          .args(String.valueOf(port), "/etc/server/tls.crt", "/etc/server/tls.key"));
      try (container) {
        container.waitForPort(port, Duration.ofSeconds(60));
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(
            URI.create("https://127.0.0.1:" + port + "/")).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("hello from scratch\n");
      }
      assertThat(container.isRunning()).isFalse();
      assertThat(ImageRunnerTest.portIsClosed(port)).isTrue();
      Leftovers.assertNoneOfThisProcess(engine);
    }
  }

  private static SSLContext trusting(Path caPem) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(caPem)) {
      trust.setCertificateEntry("test-ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }
}
