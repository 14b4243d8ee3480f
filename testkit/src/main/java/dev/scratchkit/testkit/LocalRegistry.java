package dev.scratchkit.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's {@code docker-registry} (distribution v2) on 127.0.0.1, a free port and a fresh
 * filesystem store under a directory of the test, optionally with TLS (a {@link TestTls}
 * certificate) and htpasswd basic auth. Its log goes to {@code registry.log}; close to stop it.
 */
public final class LocalRegistry implements AutoCloseable {

  private final Process process;
  private final int port;
  private final Path log;
  private final boolean tls;

  private LocalRegistry(Process process, int port, Path log, boolean tls) {
    this.process = process;
    this.port = port;
    this.log = log;
    this.tls = tls;
  }

  /** A plain-HTTP registry without auth. */
  public static LocalRegistry start(Path dir) {
    return start(dir, null, null, null);
  }

  /**
   * Starts a registry and waits until it accepts connections.
   *
   * @param dir a fresh directory for config, store, htpasswd and log
   * @param tls the server certificate to use, or null for plain HTTP
   * @param user a user for htpasswd basic auth, or null for none
   * @param password the user's password
   */
  public static LocalRegistry start(Path dir, TestTls tls, String user, String password) {
    Path registry = Tools.require("docker-registry");
    try {
      Files.createDirectories(dir);
      Path store = Files.createDirectories(dir.resolve("store"));
      int port = freePort();
      StringBuilder config = new StringBuilder()
          .append("version: 0.1\n")
          .append("log:\n  level: info\n  accesslog:\n    disabled: false\n")
          .append("storage:\n  filesystem:\n    rootdirectory: ").append(store).append('\n')
          .append("  delete:\n    enabled: true\n")
          .append("http:\n  addr: 127.0.0.1:").append(port).append('\n');
      if (tls != null) {
        Path certDir = tls.serverKeyStore().getParent();
        config.append("  tls:\n    certificate: ").append(certDir.resolve("server.crt")).append('\n')
            .append("    key: ").append(certDir.resolve("server.key")).append('\n');
      }
      if (user != null) {
        Path htpasswdTool = Tools.require("htpasswd");
        String line = Tools.runOk(htpasswdTool.toString(), "-Bbn", user, password).stdout().trim();
        Path htpasswd = dir.resolve("htpasswd");
        Files.writeString(htpasswd, line + "\n");
        config.append("auth:\n  htpasswd:\n    realm: scratchkit-test\n    path: ").append(htpasswd).append('\n');
      }
      Path configFile = dir.resolve("config.yml");
      Files.writeString(configFile, config.toString());
      Path log = dir.resolve("registry.log");
      Process process = new ProcessBuilder(List.of(registry.toString(), "serve", configFile.toString()))
          .redirectErrorStream(true)
          .redirectOutput(log.toFile())
          .start();
      LocalRegistry started = new LocalRegistry(process, port, log, tls != null);
      started.awaitPort(Duration.ofSeconds(20));
      return started;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A port that was free a moment ago on 127.0.0.1. */
  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void awaitPort(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("docker-registry exited with " + process.exitValue() + ":\n" + log());
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
        return;
      } catch (IOException e) {
        try {
          Thread.sleep(50);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(ie);
        }
      }
    }
    close();
    throw new IllegalStateException("docker-registry did not listen on 127.0.0.1:" + port + " within " + timeout
        + ":\n" + log());
  }

  /** E.g. {@code 127.0.0.1:43210}. */
  public String host() {
    return "127.0.0.1:" + port;
  }

  /** The port. */
  public int port() {
    return port;
  }

  /** E.g. {@code https://127.0.0.1:43210}. */
  public String url() {
    return (tls ? "https://" : "http://") + host();
  }

  /** The registry's log so far. */
  public String log() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
