package dev.scratchkit.registry.internal;

import com.google.api.client.http.HttpTransport;
import com.google.api.client.http.apache.v2.ApacheHttpTransport;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import org.apache.http.Header;
import org.apache.http.HttpResponse;
import org.apache.http.ProtocolException;
import org.apache.http.config.ConnectionConfig;
import org.apache.http.config.MessageConstraints;
import org.apache.http.config.RegistryBuilder;
import org.apache.http.conn.HttpConnectionFactory;
import org.apache.http.conn.ManagedHttpClientConnection;
import org.apache.http.conn.routing.HttpRoute;
import org.apache.http.conn.socket.ConnectionSocketFactory;
import org.apache.http.conn.socket.PlainConnectionSocketFactory;
import org.apache.http.conn.ssl.SSLConnectionSocketFactory;
import org.apache.http.impl.conn.DefaultManagedHttpClientConnection;
import org.apache.http.impl.conn.PoolingHttpClientConnectionManager;
import org.apache.http.impl.entity.LaxContentLengthStrategy;
import org.apache.http.impl.entity.StrictContentLengthStrategy;
import org.apache.http.impl.io.DefaultHttpRequestWriterFactory;
import org.apache.http.impl.io.DefaultHttpResponseParserFactory;
import org.apache.http.protocol.HttpContext;

/**
 * The HTTP transports of a push, built so that no credential reaches a log:
 *
 * <ul>
 *   <li>Apache HttpClient logs every header ({@code Authorization} included) and the raw bytes
 *       on its {@code org.apache.http.headers} and {@code org.apache.http.wire} logs when they
 *       are at debug; our connections are created without that logging, whatever the logging
 *       configuration. Cookies and auth caching are off (a registry needs neither).
 *   <li>google-http-client logs requests, {@code Authorization} at {@code Level.ALL}, and
 *       response bodies (a token service's reply holds the bearer token) on the
 *       {@code java.util.logging} logger {@code com.google.api.client.http.HttpTransport} at
 *       {@code CONFIG}; a filter on that logger drops its records while a push runs on the
 *       thread.
 * </ul>
 *
 * Replies are bounded: header lines of at most 64 KiB, at most 200 headers; a reply that does
 * not start with a status line is a protocol error at once (the lenient parser would skip
 * "garbage" lines for as long as a server sends them); a numeric header that is not a number
 * is a protocol error here rather than a {@code NumberFormatException} in google-http-client.
 * Every connection and pool is registered with the push's {@link Deadline}.
 */
final class RegistryHttp {

  static final int MAX_HEADER_LINE = 64 * 1024;
  static final int MAX_HEADER_COUNT = 200;
  private static final java.util.List<String> NUMERIC_HEADERS = java.util.List.of("Content-Length", "Age");

  /** Held strongly: java.util.logging keeps loggers weakly, and a new one would lose the filter. */
  private static final java.util.logging.Logger GOOGLE_HTTP =
      java.util.logging.Logger.getLogger(HttpTransport.class.getName());
  private static final ThreadLocal<Boolean> PUSHING = new ThreadLocal<>();
  private static final AtomicLong IDS = new AtomicLong();

  static {
    java.util.logging.Filter previous = GOOGLE_HTTP.getFilter();
    GOOGLE_HTTP.setFilter(record -> PUSHING.get() == null && (previous == null || previous.isLoggable(record)));
  }

  private RegistryHttp() {}

  /** Marks this thread as pushing until the returned action runs. */
  static Runnable pushing() {
    PUSHING.set(Boolean.TRUE);
    return PUSHING::remove;
  }

  /** A fresh transport per call (as jib asks for), verifying TLS with {@code tls} or the JVM default. */
  static Supplier<HttpTransport> transports(SSLContext tls, Deadline deadline) {
    return transports(tls, deadline, null);
  }

  /**
   * As {@link #transports(SSLContext, Deadline)}, with one more interceptor that sees each reply
   * before jib does (a pull bounds and keeps manifest bodies with it), or none when null.
   */
  static Supplier<HttpTransport> transports(SSLContext tls, Deadline deadline,
      org.apache.http.HttpResponseInterceptor replies) {
    return () -> {
      SSLConnectionSocketFactory https = tls != null ? new SSLConnectionSocketFactory(tls)
          : SSLConnectionSocketFactory.getSystemSocketFactory();
      org.apache.http.config.Registry<ConnectionSocketFactory> sockets =
          RegistryBuilder.<ConnectionSocketFactory>create()
          .register("http", PlainConnectionSocketFactory.getSocketFactory())
          .register("https", https)
          .build();
      PoolingHttpClientConnectionManager pool = new PoolingHttpClientConnectionManager(sockets,
          quietConnections(deadline));
      pool.setDefaultConnectionConfig(ConnectionConfig.custom()
          .setMessageConstraints(MessageConstraints.custom()
              .setMaxLineLength(MAX_HEADER_LINE).setMaxHeaderCount(MAX_HEADER_COUNT).build())
          .build());
      pool.setMaxTotal(20);
      pool.setDefaultMaxPerRoute(20);
      deadline.register(pool::shutdown);
      return new ApacheHttpTransport(ApacheHttpTransport.newDefaultHttpClientBuilder()
          .setConnectionManager(pool)
          .disableCookieManagement()
          .disableAuthCaching()
          .addInterceptorFirst(RegistryHttp::checkNumericHeaders)
          .addInterceptorLast(replies != null ? replies : (org.apache.http.HttpResponseInterceptor) (r, c) -> { })
          .build());
    };
  }

  /** The headers google-http-client parses as numbers: anything else there is a malformed reply. */
  private static void checkNumericHeaders(HttpResponse response, HttpContext context) throws ProtocolException {
    for (String name : NUMERIC_HEADERS) {
      for (Header header : response.getHeaders(name)) {
        String value = header.getValue() == null ? "" : header.getValue().trim();
        if (!value.matches("\\d{1,18}")) {
          throw new ProtocolException("the reply has a " + name + " header that is not a number: \""
              + (value.length() > 40 ? value.substring(0, 40) + "..." : value) + "\"");
        }
      }
    }
  }

  /** Connections without Apache's header and wire logging, each shut down at the deadline. */
  private static HttpConnectionFactory<HttpRoute, ManagedHttpClientConnection> quietConnections(Deadline deadline) {
    return (route, config) -> {
      ConnectionConfig c = config != null ? config : ConnectionConfig.DEFAULT;
      CharsetDecoder decoder = null;
      CharsetEncoder encoder = null;
      if (c.getCharset() != null) {
        CodingErrorAction malformed = c.getMalformedInputAction() != null ? c.getMalformedInputAction()
            : CodingErrorAction.REPORT;
        CodingErrorAction unmappable = c.getUnmappableInputAction() != null ? c.getUnmappableInputAction()
            : CodingErrorAction.REPORT;
        decoder = c.getCharset().newDecoder().onMalformedInput(malformed).onUnmappableCharacter(unmappable);
        encoder = c.getCharset().newEncoder().onMalformedInput(malformed).onUnmappableCharacter(unmappable);
      }
      DefaultManagedHttpClientConnection connection = new DefaultManagedHttpClientConnection(
          "scratchkit-" + IDS.incrementAndGet(), c.getBufferSize(), c.getFragmentSizeHint(), decoder, encoder,
          c.getMessageConstraints(), LaxContentLengthStrategy.INSTANCE, StrictContentLengthStrategy.INSTANCE,
          DefaultHttpRequestWriterFactory.INSTANCE, DefaultHttpResponseParserFactory.INSTANCE);
      deadline.register(connection::shutdown);
      return connection;
    };
  }
}
