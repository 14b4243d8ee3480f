package dev.scratchkit.testkit;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A test certificate authority and an HTTPS server on 127.0.0.1 whose certificate chains to
 * it, both made with the {@code openssl} command line (not with our own code), so that a TLS
 * client in an image can be checked against a server nobody trusts by default.
 *
 * @param caCertificate the test CA's certificate (PEM)
 * @param serverKeyStore the server's key and chain (PKCS12, password {@link #PASSWORD})
 */
public record TestTls(Path caCertificate, Path serverKeyStore) {

  /** Password of the server key store. */
  public static final String PASSWORD = "changeit";

  /** Creates a CA and a server certificate for 127.0.0.1 and localhost under {@code dir}. */
  public static TestTls create(Path dir) {
    String openssl = Tools.require("openssl").toString();
    try {
      Files.createDirectories(dir);
      String d = dir.toString();
      Files.writeString(dir.resolve("server.ext"),
          "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
              + "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n");
      Tools.runOk(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
          "-subj", "/CN=scratchkit test CA", "-keyout", d + "/ca.key", "-out", d + "/ca.crt",
          "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
      Tools.runOk(openssl, "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
          "-keyout", d + "/server.key", "-out", d + "/server.csr");
      Tools.runOk(openssl, "x509", "-req", "-in", d + "/server.csr", "-CA", d + "/ca.crt", "-CAkey",
          d + "/ca.key", "-CAcreateserial", "-days", "3650", "-extfile", d + "/server.ext", "-out", d + "/server.crt");
      Tools.runOk(openssl, "pkcs12", "-export", "-in", d + "/server.crt", "-inkey", d + "/server.key",
          "-certfile", d + "/ca.crt", "-name", "server", "-passout", "pass:" + PASSWORD, "-out", d + "/server.p12");
      return new TestTls(dir.resolve("ca.crt"), dir.resolve("server.p12"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts an HTTPS server on 127.0.0.1 (a free port) answering every request with 200 "ok". */
  public Server startServer() {
    try (InputStream in = Files.newInputStream(serverKeyStore)) {
      KeyStore keyStore = KeyStore.getInstance("PKCS12");
      keyStore.load(in, PASSWORD.toCharArray());
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keyStore, PASSWORD.toCharArray());
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(kmf.getKeyManagers(), null, null);
      HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      server.setHttpsConfigurator(new HttpsConfigurator(context));
      server.createContext("/", exchange -> {
        byte[] body = "ok\n".getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
      });
      server.start();
      return new Server(server);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot load " + serverKeyStore, e);
    }
  }

  /** A running HTTPS server; close it to stop. */
  public static final class Server implements AutoCloseable {
    private final HttpsServer server;

    Server(HttpsServer server) {
      this.server = server;
    }

    /** E.g. {@code https://127.0.0.1:43210/}. */
    public String url() {
      return "https://127.0.0.1:" + server.getAddress().getPort() + "/";
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }
}
