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

/**
 * A hostile "registry" on 127.0.0.1: for each HTTP request it reads the request head and lets
 * the test's {@link Reply} write whatever bytes it likes (garbage, a drip, nothing). A TLS
 * ClientHello is answered by closing the connection, so the push falls back to plain HTTP.
 */
final class ScriptedServer implements AutoCloseable {

  /** Writes the reply to one request. */
  interface Reply {
    void write(String method, String path, String head, OutputStream out) throws IOException, InterruptedException;
  }

  private final ServerSocket server;
  private final Thread acceptor;
  private final List<Socket> sockets = Collections.synchronizedList(new ArrayList<>());
  final List<String> requests = Collections.synchronizedList(new ArrayList<>());

  ScriptedServer(Reply reply) throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    acceptor = new Thread(() -> {
      while (!server.isClosed()) {
        try {
          Socket s = server.accept();
          sockets.add(s);
          Thread t = new Thread(() -> serve(s, reply), "scripted-registry-connection");
          t.setDaemon(true);
          t.start();
        } catch (IOException e) {
          return;
        }
      }
    }, "scripted-registry");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  String host() {
    return "127.0.0.1:" + server.getLocalPort();
  }

  private void serve(Socket s, Reply reply) {
    try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
      while (true) {
        int first = in.read();
        if (first < 0 || first == 0x16) {
          return; // end, or a TLS handshake: not spoken here
        }
        String head = readHead(first, in);
        if (head == null) {
          return;
        }
        String[] line = head.split("\r\n", 2)[0].split(" ");
        requests.add(line[0] + " " + (line.length > 1 ? line[1] : ""));
        skipBody(head, in);
        reply.write(line[0], line.length > 1 ? line[1] : "", head, out);
        out.flush();
      }
    } catch (IOException | InterruptedException e) {
      // the client went away
    }
  }

  private static String readHead(int first, InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    head.write(first);
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < 4 && head.size() < 1 << 20) {
      int b = in.read();
      if (b < 0) {
        return null;
      }
      head.write(b);
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return head.toString(StandardCharsets.ISO_8859_1);
  }

  /** Reads a Content-Length body away; a chunked body up to its last chunk. */
  private static void skipBody(String head, InputStream in) throws IOException {
    String lower = head.toLowerCase();
    int cl = lower.indexOf("\ncontent-length:");
    if (cl >= 0) {
      long n = Long.parseLong(lower.substring(cl + 16, lower.indexOf('\r', cl)).trim());
      in.skipNBytes(n);
    } else if (lower.contains("\ntransfer-encoding: chunked")) {
      while (true) {
        String size = readLine(in);
        long n = Long.parseLong(size.split(";")[0].trim(), 16);
        if (n == 0) {
          readLine(in);
          return;
        }
        in.skipNBytes(n);
        readLine(in);
      }
    }
  }

  private static String readLine(InputStream in) throws IOException {
    StringBuilder b = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0 && c != '\n') {
      if (c != '\r') {
        b.append((char) c);
      }
    }
    return b.toString();
  }

  static void send(OutputStream out, String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.ISO_8859_1));
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
