package dev.scratchkit.certs;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.scratchkit.testkit.Fixtures;
import dev.scratchkit.testkit.Tools;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acceptance item 3: Go's crypto/x509 uses the bundle. A Go HTTPS client built in this run
 * calls a server on 127.0.0.1 whose certificate chains to a test CA.
 */
class GoClientTest {

  @TempDir static Path dir;

  private static Path client;
  private static HttpsServer server;
  private static TestPki.Issued testCa;
  private static String url;

  @BeforeAll
  static void startServerAndBuildClient() throws Exception {
    client = Fixtures.go(dir, "https-client", Fixtures.GO_HTTPS_CLIENT, Map.of("CGO_ENABLED", "0"));

    testCa = TestPki.ca("CN=Scratchkit Test Root,O=Scratchkit");
    TestPki.Issued leaf = TestPki.server(testCa);
    char[] password = "server-password".toCharArray();
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    keys.setKeyEntry("server", leaf.keys().getPrivate(), password,
        new Certificate[] {leaf.certificate(), testCa.certificate()});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, password);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(kmf.getKeyManagers(), null, null);

    server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(context));
    server.createContext("/", exchange -> {
      byte[] body = "hello\n".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
    url = "https://127.0.0.1:" + server.getAddress().getPort() + "/";
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.stop(0);
    }
  }

  private static Tools.Result callWith(Path bundle) throws Exception {
    Path emptyDir = Files.createDirectories(dir.resolve("empty-cert-dir"));
    Map<String, String> env = new HashMap<>();
    env.put("SSL_CERT_FILE", bundle.toString());
    // An empty SSL_CERT_DIR keeps the host's /etc/ssl/certs out of the picture.
    env.put("SSL_CERT_DIR", emptyDir.toString());
    return Tools.run(Duration.ofMinutes(1), dir, env, List.of(client.toString(), url));
  }

  @Test
  void succeedsWithTheJdkBundlePlusTheTestCa() throws Exception {
    Path bundle = dir.resolve("jdk-plus-test-ca.pem");
    CaBundle.fromJdk().plus(CaBundle.of(testCa.certificate())).writePem(bundle);

    Tools.Result result = callWith(bundle);

    assertThat(result.stdout()).as(result.describe()).isEqualTo("200\n");
  }

  @Test
  void succeedsWithTheCommentedBundleToo() throws Exception {
    Path bundle = dir.resolve("commented.pem");
    CaBundle.fromJdk().plus(CaBundle.of(testCa.certificate())).writePem(bundle, PemOptions.withComments());

    Tools.Result result = callWith(bundle);

    assertThat(result.stdout()).as(result.describe()).isEqualTo("200\n");
  }

  @Test
  void failsWithUnknownAuthorityOnTheJdkBundleAlone() throws Exception {
    Path bundle = dir.resolve("jdk.pem");
    CaBundle.fromJdk().writePem(bundle);

    Tools.Result result = callWith(bundle);

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.stdout()).contains("x509: certificate signed by unknown authority");
  }
}
