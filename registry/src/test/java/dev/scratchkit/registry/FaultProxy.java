package dev.scratchkit.registry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP proxy on 127.0.0.1 in front of a real registry that injects faults: for each request
 * the test's {@link Rule} says whether to forward it, answer with a status of its own (and
 * headers such as {@code Retry-After}), or reset the connection after part of the request body.
 * One request per connection ({@code Connection: close} both ways), so a fault never leaves a
 * half-read stream behind. A TLS ClientHello is answered by closing the connection, so the
 * push falls back to plain HTTP as for any loopback registry without TLS.
 */
final class FaultProxy implements AutoCloseable {

  /** What to do with one request. */
  interface Fault {}

  /** Pass the request to the registry and its reply back. */
  record Forward() implements Fault {}

  /** Answer with this status line and extra headers, without asking the registry. */
  record Answer(String statusLine, String headers) implements Fault {}

  /** Read this many bytes of the request body, then reset the connection (TCP RST). */
  record ResetMidBody(long after) implements Fault {}

  /** Decides the fault of the {@code n}th request (from 1). */
  interface Rule {
    Fault decide(int n, String method, String path, long contentLength);
  }

  static final Fault FORWARD = new Forward();

  private final ServerSocket server;
  private final String upstreamHost;
  private final int upstreamPort;
  private final Rule rule;
  private final AtomicInteger count = new AtomicInteger();
  /** Every request seen, as {@code METHOD path -> what was done}. */
  final List<String> log = Collections.synchronizedList(new ArrayList<>());
  private final List<Socket> sockets = Collections.synchronizedList(new ArrayList<>());

  FaultProxy(String upstreamHost, int upstreamPort, Rule rule) throws IOException {
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.upstreamHost = upstreamHost;
    this.upstreamPort = upstreamPort;
    this.rule = rule;
    Thread acceptor = new Thread(() -> {
      while (!server.isClosed()) {
        try {
          Socket s = server.accept();
          sockets.add(s);
          Thread t = new Thread(() -> serve(s), "fault-proxy-connection");
          t.setDaemon(true);
          t.start();
        } catch (IOException e) {
          return;
        }
      }
    }, "fault-proxy");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** {@return {@code 127.0.0.1:port} of the proxy} */
  String host() {
    return "127.0.0.1:" + server.getLocalPort();
  }

  private void serve(Socket client) {
    try (client; InputStream in = client.getInputStream(); OutputStream out = client.getOutputStream()) {
      int first = in.read();
      if (first < 0 || first == 0x16) {
        return; // end, or a TLS handshake: not spoken here
      }
      String head = (char) first + readHead(in);
      String[] lines = head.split("\r\n");
      String[] requestLine = lines[0].split(" ");
      String method = requestLine[0];
      String path = requestLine.length > 1 ? requestLine[1] : "/";
      long length = 0;
      StringBuilder forwarded = new StringBuilder(lines[0]).append("\r\n");
      for (int i = 1; i < lines.length; i++) {
        String lower = lines[i].toLowerCase(Locale.ROOT);
        if (lower.startsWith("content-length:")) {
          length = Long.parseLong(lines[i].substring(15).trim());
        }
        if (!lower.startsWith("connection:") && !lines[i].isEmpty()) {
          forwarded.append(lines[i]).append("\r\n");
        }
      }
      forwarded.append("Connection: close\r\n\r\n");
      Fault fault = rule.decide(count.incrementAndGet(), method, path, length);
      log.add(method + " " + path + " -> " + fault);
      if (fault instanceof ResetMidBody r) {
        in.readNBytes((int) Math.min(r.after(), length));
        client.setSoLinger(true, 0); // close() now sends RST
      } else if (fault instanceof Answer a) {
        in.readNBytes((int) length);
        String body = "{\"errors\":[{\"code\":\"UNAVAILABLE\",\"message\":\"injected by the test proxy\"}]}";
        out.write((a.statusLine() + "\r\n" + a.headers() + "Content-Type: application/json\r\nContent-Length: "
            + body.length() + "\r\nConnection: close\r\n\r\n" + body).getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
      } else {
        forward(forwarded.toString(), in, length, out);
      }
    } catch (IOException | RuntimeException e) {
      log.add("proxy connection failed: " + e);
    }
  }

  private void forward(String head, InputStream in, long length, OutputStream out) throws IOException {
    try (Socket upstream = new Socket(upstreamHost, upstreamPort)) {
      OutputStream up = upstream.getOutputStream();
      up.write(head.getBytes(StandardCharsets.ISO_8859_1));
      byte[] buffer = new byte[1 << 16];
      long left = length;
      while (left > 0) {
        int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
        if (n < 0) {
          return;
        }
        up.write(buffer, 0, n);
        left -= n;
      }
      up.flush();
      InputStream down = upstream.getInputStream();
      // The reply's head with Connection: close, then its body to the end (the registry closes).
      String replyHead = readHead(down);
      StringBuilder rewritten = new StringBuilder();
      for (String line : replyHead.split("\r\n")) {
        if (!line.isEmpty() && !line.toLowerCase(Locale.ROOT).startsWith("connection:")) {
          rewritten.append(line).append("\r\n");
        }
      }
      rewritten.append("Connection: close\r\n\r\n");
      out.write(rewritten.toString().getBytes(StandardCharsets.ISO_8859_1));
      down.transferTo(out);
      out.flush();
    }
  }

  /** The bytes up to and including the blank line that ends an HTTP head (without it). */
  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    int b;
    while ((b = in.read()) >= 0) {
      head.write(b);
      matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
      if (matched == 4) {
        break;
      }
      if (head.size() > 1 << 20) {
        throw new IOException("HTTP head over 1 MiB");
      }
    }
    String s = head.toString(StandardCharsets.ISO_8859_1);
    return s.endsWith("\r\n\r\n") ? s.substring(0, s.length() - 4) : s;
  }

  /** {@return the requests seen that were not forwarded} */
  List<String> faults() {
    synchronized (log) {
      return log.stream().filter(l -> !l.endsWith("-> " + FORWARD)).toList();
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    synchronized (sockets) {
      for (Socket s : sockets) {
        s.close();
      }
    }
  }
}
