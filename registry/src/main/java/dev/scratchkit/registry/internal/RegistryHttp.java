package dev.scratchkit.registry.internal;

import java.nio.charset.CharsetDecoder;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import org.apache.http.Header;
import org.apache.http.HttpResponse;
import org.apache.http.ProtocolException;
import org.apache.http.client.config.RequestConfig;
import org.apache.http.config.ConnectionConfig;
import org.apache.http.config.MessageConstraints;
import org.apache.http.config.RegistryBuilder;
import org.apache.http.conn.HttpConnectionFactory;
import org.apache.http.conn.ManagedHttpClientConnection;
import org.apache.http.conn.routing.HttpRoute;
import org.apache.http.conn.socket.ConnectionSocketFactory;
import org.apache.http.conn.socket.PlainConnectionSocketFactory;
import org.apache.http.conn.ssl.SSLConnectionSocketFactory;
import org.apache.http.impl.client.CloseableHttpClient;
import org.apache.http.impl.client.HttpClientBuilder;
import org.apache.http.impl.conn.DefaultManagedHttpClientConnection;
import org.apache.http.impl.conn.PoolingHttpClientConnectionManager;
import org.apache.http.impl.entity.LaxContentLengthStrategy;
import org.apache.http.impl.entity.StrictContentLengthStrategy;
import org.apache.http.impl.io.DefaultHttpRequestWriterFactory;
import org.apache.http.impl.io.DefaultHttpResponseParserFactory;
import org.apache.http.protocol.HttpContext;

/**
 * The HTTP client of a push or pull, built so that no credential reaches a log: Apache
 * HttpClient logs every header ({@code Authorization} included) and the raw bytes on its
 * {@code org.apache.http.headers} and {@code org.apache.http.wire} logs when they are at debug;
 * our connections are created without that logging, whatever the logging configuration.
 * Cookies, auth caching, redirects and Apache's own retries are off (a registry needs none of
 * them; {@link DistributionClient} follows a blob's redirect itself, {@link Retries} retries).
 *
 * <p>Replies are bounded: header lines of at most 64 KiB, at most 200 headers; a reply that does
 * not start with a status line is a protocol error at once (the lenient parser would skip
 * "garbage" lines for as long as a server sends them); a numeric header that is not a number
 * is a protocol error. Every connection and the pool are registered with the {@link Deadline};
 * each connect and read waits at most {@link #httpTimeoutMillis()}.
 */
final class RegistryHttp {

  static final int MAX_HEADER_LINE = 64 * 1024;
  static final int MAX_HEADER_COUNT = 200;
  private static final java.util.List<String> NUMERIC_HEADERS = java.util.List.of("Content-Length", "Age");
  private static final AtomicLong IDS = new AtomicLong();

  private RegistryHttp() {}

  /** The client of one session, verifying TLS with {@code tls} or the JVM default; close it when done. */
  static CloseableHttpClient client(SSLContext tls, Deadline deadline) {
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
    int timeout = httpTimeoutMillis();
    return HttpClientBuilder.create()
        .setConnectionManager(pool)
        .setDefaultRequestConfig(RequestConfig.custom().setConnectTimeout(timeout).setSocketTimeout(timeout)
            .setConnectionRequestTimeout(timeout).build())
        .disableCookieManagement()
        .disableAuthCaching()
        .disableRedirectHandling()
        .disableAutomaticRetries()
        .disableContentCompression()
        .addInterceptorFirst(RegistryHttp::checkNumericHeaders)
        .build();
  }

  /**
   * Each connect and read: {@code jib.httpTimeout} milliseconds, else 20 s (the property's name is
   * the one documented since the push went through jib's client).
   */
  static int httpTimeoutMillis() {
    Integer t = Integer.getInteger("jib.httpTimeout");
    return t == null || t <= 0 ? 20_000 : t;
  }

  /** Headers read as numbers: anything else there is a malformed reply. */
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
