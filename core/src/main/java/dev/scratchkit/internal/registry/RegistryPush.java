package dev.scratchkit.internal.registry;

import com.google.api.client.http.HttpTransport;
import com.google.api.client.http.apache.v2.ApacheHttpTransport;
import com.google.cloud.tools.jib.api.Credential;
import com.google.cloud.tools.jib.api.CredentialRetriever;
import com.google.cloud.tools.jib.api.DescriptorDigest;
import com.google.cloud.tools.jib.api.ImageReference;
import com.google.cloud.tools.jib.api.InsecureRegistryException;
import com.google.cloud.tools.jib.api.LogEvent;
import com.google.cloud.tools.jib.api.RegistryAuthenticationFailedException;
import com.google.cloud.tools.jib.api.RegistryUnauthorizedException;
import com.google.cloud.tools.jib.blob.BlobDescriptor;
import com.google.cloud.tools.jib.blob.Blobs;
import com.google.cloud.tools.jib.event.EventHandlers;
import com.google.cloud.tools.jib.frontend.CredentialRetrieverFactory;
import com.google.cloud.tools.jib.http.FailoverHttpClient;
import com.google.cloud.tools.jib.http.ResponseException;
import com.google.cloud.tools.jib.registry.RegistryClient;
import com.google.cloud.tools.jib.registry.RegistryCredentialsNotSentException;
import com.google.cloud.tools.jib.registry.credentials.CredentialRetrievalException;
import dev.scratchkit.certs.CaBundle;
import dev.scratchkit.internal.oci.ImageWriter;
import dev.scratchkit.internal.oci.LayerCompression;
import dev.scratchkit.internal.oci.Layouts;
import dev.scratchkit.internal.oci.StagingListener;
import dev.scratchkit.oci.Digest;
import dev.scratchkit.oci.ImageSpec;
import dev.scratchkit.oci.LayerCache;
import dev.scratchkit.oci.LayerDescriptor;
import dev.scratchkit.oci.ProgressListener;
import dev.scratchkit.oci.RegistryException;
import dev.scratchkit.oci.WriteResult;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.apache.http.conn.ssl.SSLConnectionSocketFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pushes images to a registry through jib-core's {@code RegistryClient}.
 *
 * <p>The images are first written to a private temporary OCI layout by the same code as
 * {@code OciLayout}; the push then sends those files unchanged (blobs with
 * {@code Blobs.from(Path)}, manifests through {@link RawManifest}), so the bytes and digests
 * match a layout's. jib's HTTP client is built without its retry loop (which backs off for up
 * to 15 minutes on a refused connection) and with transports that always verify TLS: its
 * "insecure" failover then only ever falls back to plain HTTP, never to unchecked TLS.
 */
public final class RegistryPush {

  private static final Logger LOG = LoggerFactory.getLogger(RegistryPush.class);
  private static final String USER_AGENT = "scratchkit";

  private RegistryPush() {}

  /**
   * What the public {@code Registry} target was configured with.
   *
   * @param reference registry, repository and tags
   * @param user explicit user, or null
   * @param password explicit password (a copy this class clears), or null
   * @param dockerConfig a Docker config file to read credentials from, or null for the default
   * @param trust the only CAs to trust, or null for the JVM default
   * @param insecure allow plain HTTP to a non-loopback registry
   * @param compression how layers are compressed
   * @param cache the layer cache of the staging write
   * @param where the target's description
   */
  public record Settings(RegistryRef reference, String user, char[] password, Path dockerConfig, CaBundle trust,
      boolean insecure, dev.scratchkit.oci.LayerCompression compression, LayerCache cache, String where) {

    /** Never shows the password. */
    @Override
    public String toString() {
      return where;
    }
  }

  /** Writes the images to a temporary layout, then pushes blobs, manifests and tags. */
  public static WriteResult push(Settings settings, List<ImageSpec> images, boolean index, ProgressListener listener) {
    ImageWriter.preflight(images);
    Path staging;
    try {
      staging = Files.createTempDirectory("scratchkit-push-");
    } catch (IOException e) {
      throw new RegistryException("cannot create a temporary directory to stage the image for " + settings.where()
          + ": " + e + "; check free space and permissions of " + System.getProperty("java.io.tmpdir")
          + " (or set java.io.tmpdir)", e);
    }
    try {
      Path layout = staging.resolve("layout");
      ImageWriter.Written written = Layouts.write(layout, List.of("push"), images, index,
          LayerCompression.of(settings.compression()), new StagingListener(listener), settings.where(),
          settings.cache());
      new Session(settings, layout.resolve("blobs").resolve("sha256"), listener).push(written);
      LOG.info("pushed {} to {}", written.digest(), settings.where());
      listener.targetWritten(written.digest(), settings.where());
      return written.toResult(settings.where());
    } finally {
      if (settings.password() != null) {
        Arrays.fill(settings.password(), '\0');
      }
      try {
        Layouts.deleteTree(staging);
      } catch (IOException e) {
        LOG.warn("cannot delete the staging directory {}: {}", staging, e.toString());
      }
    }
  }

  /** One push: connection, authentication, uploads. */
  private static final class Session {
    private final Settings settings;
    private final RegistryRef ref;
    private final Path blobs;
    private final ProgressListener listener;
    private final List<String> digestWarnings = new ArrayList<>();
    private final EventHandlers events;
    private String credentialSource = "no credentials";
    private String secret;

    Session(Settings settings, Path blobs, ProgressListener listener) {
      this.settings = settings;
      this.ref = settings.reference();
      this.blobs = blobs;
      this.listener = listener;
      this.events = EventHandlers.builder().add(LogEvent.class, this::onJibLog).build();
    }

    private void onJibLog(LogEvent event) {
      String message = scrub(event.getMessage().replaceAll("\u001B\\[[0-9;]*m", ""));
      if (event.getLevel() == LogEvent.Level.WARN && message.startsWith("Expected image digest")) {
        digestWarnings.add(message);
      }
      LOG.debug("jib: {}", message);
    }

    void push(ImageWriter.Written written) {
      FailoverHttpClient http = null;
      try {
        SSLContext tls = sslContext();
        boolean plainHttp = false;
        if ((settings.insecure() || ref.isLoopback()) && ref.port() != -1) {
          plainHttp = !speaksTls(tls);
        }
        http = httpClient(plainHttp, tls);
        Credential credential = credential();
        secret = credential == null ? null : credential.getPassword();
        RegistryClient client = RegistryClient.factory(events, ref.registry(), ref.repository(), http)
            .setCredential(credential)
            .setUserAgent(USER_AGENT)
            .newRegistryClient();
        if (!client.doPushBearerAuth() && credential != null) {
          client.configureBasicAuth();
        }
        int[] counts = new int[2]; // uploaded, skipped
        Map<Digest, Long> uploaded = new LinkedHashMap<>();
        List<ImageWriter.Written> manifests = written.manifests().isEmpty() ? List.of(written) : written.manifests();
        for (ImageWriter.Written m : manifests) {
          for (LayerDescriptor layer : m.layers()) {
            pushBlob(client, layer.digest(), layer.size(), uploaded, counts);
          }
          pushBlob(client, m.config(), Files.size(blob(m.config())), uploaded, counts);
        }
        if (!written.manifests().isEmpty()) {
          for (ImageWriter.Written m : manifests) {
            pushManifest(client, m, m.digest().toString());
          }
        }
        for (String tag : ref.tags()) {
          pushManifest(client, written, tag);
        }
        LOG.info("{}: {} blobs uploaded, {} already there", settings.where(), counts[0], counts[1]);
      } catch (IOException | com.google.cloud.tools.jib.api.RegistryException e) {
        throw translate(e);
      } finally {
        if (http != null) {
          try {
            http.shutDown();
          } catch (IOException e) {
            LOG.debug("closing the HTTP client of {}: {}", settings.where(), e.toString());
          }
        }
      }
    }

    private Path blob(Digest digest) {
      return blobs.resolve(digest.hex());
    }

    private void pushBlob(RegistryClient client, Digest digest, long size, Map<Digest, Long> done, int[] counts)
        throws IOException, com.google.cloud.tools.jib.api.RegistryException {
      if (done.containsKey(digest)) {
        return; // shared by two images of an index
      }
      done.put(digest, size);
      DescriptorDigest d = descriptorDigest(digest);
      Optional<BlobDescriptor> there = client.checkBlob(d);
      if (there.isPresent() && (there.get().getSize() < 0 || there.get().getSize() == size)) {
        LOG.debug("{} already holds {}", settings.where(), digest);
        counts[1]++;
        listener.blobSkipped(digest, settings.where());
        return;
      }
      LOG.debug("uploading {} ({} bytes) to {}", digest, size, settings.where());
      client.pushBlob(d, Blobs.from(blob(digest)), null, n -> { });
      counts[0]++;
    }

    private void pushManifest(RegistryClient client, ImageWriter.Written m, String reference)
        throws IOException, com.google.cloud.tools.jib.api.RegistryException {
      byte[] bytes = Files.readAllBytes(blob(m.digest()));
      digestWarnings.clear();
      DescriptorDigest pushed = client.pushManifest(new RawManifest(bytes, m.mediaType()), reference);
      if (!pushed.toString().equals(m.digest().toString()) || !digestWarnings.isEmpty()) {
        throw new RegistryException("registry " + ref.registry() + " stored the manifest of " + ref.repository() + ":"
            + reference + " under another digest than " + m.digest() + " (" + String.join("; ", digestWarnings)
            + "); the registry rewrote the manifest, so the local digest does not identify the pushed image;"
            + " use a registry that stores manifests unchanged (OCI distribution)");
      }
      LOG.debug("pushed manifest {} as {}/{}:{}", m.digest(), ref.registry(), ref.repository(), reference);
    }

    private static DescriptorDigest descriptorDigest(Digest digest) {
      try {
        return DescriptorDigest.fromDigest(digest.toString());
      } catch (java.security.DigestException e) {
        throw new IllegalStateException(e);
      }
    }

    private Credential credential() {
      if (settings.user() != null) {
        credentialSource = "the credentials of user " + settings.user() + " given to credentials()";
        return Credential.from(settings.user(), new String(settings.password()));
      }
      ImageReference image = ImageReference.of(ref.registry(), ref.repository(), ref.tags().get(0));
      Consumer<LogEvent> log = this::onJibLog;
      CredentialRetrieverFactory factory = CredentialRetrieverFactory.forImage(image, log, System.getenv());
      Path config = settings.dockerConfig() != null ? settings.dockerConfig() : defaultDockerConfig();
      if (settings.dockerConfig() != null && !Files.isRegularFile(config)) {
        throw new RegistryException("the Docker config " + config + " given for " + settings.where()
            + " does not exist; give the config.json that docker login wrote (usually ~/.docker/config.json)");
      }
      List<Map.Entry<String, CredentialRetriever>> retrievers = List.of(
          Map.entry("the Docker config " + config, factory.dockerConfig(config)),
          Map.entry("a well-known credential helper", factory.wellKnownCredentialHelpers()));
      for (Map.Entry<String, CredentialRetriever> r : retrievers) {
        try {
          Optional<Credential> found = r.getValue().retrieve();
          if (found.isPresent()) {
            credentialSource = "the credentials from " + r.getKey();
            LOG.debug("{}: using credentials from {}", settings.where(), r.getKey());
            return found.get();
          }
        } catch (CredentialRetrievalException e) {
          throw new RegistryException("cannot get the credentials for " + ref.registry() + " from " + r.getKey()
              + ": " + scrub(String.valueOf(e.getMessage())) + "; fix the credential helper or its entry in "
              + config + ", or give credentials(user, password)", e);
        }
      }
      LOG.debug("{}: no credentials found in {}, pushing anonymously", settings.where(), config);
      credentialSource = "no credentials (none given, none for " + ref.registry() + " in " + config + ")";
      return null;
    }

    private static Path defaultDockerConfig() {
      String env = System.getenv("DOCKER_CONFIG");
      if (env != null && !env.isBlank()) {
        return Path.of(env, "config.json").toAbsolutePath();
      }
      return Path.of(System.getProperty("user.home"), ".docker", "config.json");
    }

    /** The context for TLS: only the given CAs, or null for the JVM default. */
    private SSLContext sslContext() {
      if (settings.trust() == null) {
        return null;
      }
      try {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        int i = 0;
        for (X509Certificate certificate : settings.trust().certificates()) {
          store.setCertificateEntry("ca-" + i++, certificate);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
      } catch (GeneralSecurityException | IOException e) {
        throw new RegistryException("cannot set up TLS trust for " + settings.where() + " from "
            + settings.trust() + ": " + e, e);
      }
    }

    /**
     * Whether the loopback (or insecure) registry answers a TLS handshake. A certificate it
     * presents that we do not trust is an error, not a reason to fall back to HTTP.
     */
    private boolean speaksTls(SSLContext tls) throws IOException {
      String host = ref.host().startsWith("[") ? ref.host().substring(1, ref.host().length() - 1) : ref.host();
      int timeout = httpTimeoutMillis();
      SSLContext context;
      try {
        context = tls != null ? tls : SSLContext.getDefault();
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("no TLS in this JVM", e);
      }
      try (Socket raw = new Socket()) {
        raw.connect(new InetSocketAddress(host, ref.port()), timeout);
        raw.setSoTimeout(timeout);
        try (SSLSocket ssl = (SSLSocket) context.getSocketFactory().createSocket(raw, host, ref.port(), false)) {
          SSLParameters parameters = ssl.getSSLParameters();
          parameters.setEndpointIdentificationAlgorithm("HTTPS");
          ssl.setSSLParameters(parameters);
          ssl.startHandshake();
          return true;
        } catch (SSLException e) {
          if (hasCause(e, CertificateException.class)) {
            throw e; // TLS, but not trusted: translate() explains
          }
          LOG.debug("{} does not speak TLS ({}); using plain HTTP", ref.registry(), e.getMessage());
          return false;
        }
      }
    }

    private FailoverHttpClient httpClient(boolean plainHttp, SSLContext tls) {
      Supplier<HttpTransport> transport = () -> {
        SSLConnectionSocketFactory sockets = tls != null ? new SSLConnectionSocketFactory(tls)
            : SSLConnectionSocketFactory.getSystemSocketFactory();
        return new ApacheHttpTransport(ApacheHttpTransport.newDefaultHttpClientBuilder()
            .setSSLSocketFactory(sockets).build());
      };
      Consumer<LogEvent> log = this::onJibLog;
      // Credentials travel over plain HTTP only to this machine.
      boolean sendAuthorizationOverHttp = ref.isLoopback();
      try {
        // The constructor that takes transports and turns retries off is package-private in jib-core 0.27.
        Constructor<FailoverHttpClient> constructor = FailoverHttpClient.class.getDeclaredConstructor(boolean.class,
            boolean.class, Consumer.class, Supplier.class, Supplier.class, boolean.class);
        constructor.setAccessible(true);
        // The "insecure" transport is the verifying one: failover can only reach plain HTTP.
        return constructor.newInstance(plainHttp, sendAuthorizationOverHttp, log, transport, transport, false);
      } catch (NoSuchMethodException | IllegalAccessException | InstantiationException
          | InvocationTargetException | RuntimeException e) {
        throw new IllegalStateException("this jib-core version does not offer FailoverHttpClient(boolean, boolean,"
            + " Consumer, Supplier, Supplier, boolean); scratchkit needs jib-core 0.27.x: " + e, e);
      }
    }

    private static int httpTimeoutMillis() {
      Integer t = Integer.getInteger("jib.httpTimeout");
      return t == null || t <= 0 ? 20_000 : t;
    }

    private RegistryException translate(Exception e) {
      String registry = "registry " + ref.registry();
      String what = "cannot push " + ref.repository() + ":" + String.join(",", ref.tags()) + " to " + registry;
      String message;
      if (e instanceof RegistryUnauthorizedException u) {
        int status = u.getHttpResponseException().getStatusCode();
        if (status == 403) {
          message = what + ": HTTP 403 Forbidden with " + credentialSource + "; that user may not push to "
              + ref.repository() + ", ask the registry's administrator for push access";
        } else if (secret == null) {
          message = what + ": HTTP " + status + " Unauthorized, the registry needs credentials and there are "
              + credentialSource + "; give credentials(user, password) or run docker login " + ref.registry();
        } else {
          message = what + ": HTTP " + status + " Unauthorized, the registry rejected " + credentialSource
              + "; check the user name and password (or run docker login " + ref.registry() + " again)";
        }
      } else if (e instanceof RegistryCredentialsNotSentException) {
        message = what + ": the registry asks for credentials but it is reached over plain HTTP, and scratchkit"
            + " sends credentials in clear text only to a loopback registry; serve the registry over HTTPS";
      } else if (e instanceof RegistryAuthenticationFailedException) {
        message = what + ": authentication with its token service failed with " + credentialSource + ": "
            + e.getMessage() + "; check the credentials";
      } else if (e instanceof InsecureRegistryException || e instanceof SSLException) {
        Throwable tlsCause = e instanceof SSLException ? e : e.getCause();
        message = what + ": its TLS certificate is not trusted or does not match the host name ("
            + (tlsCause == null ? e.getMessage() : tlsCause.getMessage()) + "); trust its CA with trust(CaBundle)"
            + " or the javax.net.ssl.trustStore system property"
            + (ref.isLoopback() ? "" : ", or for a registry without TLS use insecure()");
      } else if (e instanceof UnknownHostException) {
        message = what + ": unknown host " + ref.host() + " (" + e.getMessage() + "); check the host name in the"
            + " reference and your DNS";
      } else if (e instanceof ConnectException || e instanceof NoRouteToHostException) {
        message = what + ": connection refused or unreachable (" + e.getMessage() + "); check that the registry"
            + " runs and listens on " + ref.registry() + (ref.port() == -1 ? " (port 443 for HTTPS)" : "");
      } else if (e instanceof InterruptedIOException) {
        message = what + ": no answer within " + httpTimeoutMillis() + " ms (" + e + "); check that the registry"
            + " is up and reachable, or raise the timeout with -Djib.httpTimeout=<milliseconds>";
      } else if (e instanceof ResponseException r) {
        message = what + ": HTTP " + r.getStatusCode() + " " + r.getMessage() + "; see the registry's log";
      } else if (e instanceof com.google.cloud.tools.jib.api.RegistryException) {
        message = what + ": the registry refused: " + e.getMessage();
      } else {
        message = what + ": " + e + "; check the network and the registry, then push again";
      }
      return new RegistryException(scrub(message), e);
    }

    /** Defence in depth: no message or log line of ours may carry the secret. */
    private String scrub(String text) {
      if (text == null) {
        return null;
      }
      String s = secret;
      if (s == null && settings.password() != null && settings.password().length > 0) {
        s = new String(settings.password());
      }
      return s != null && s.length() >= 4 ? text.replace(s, "****") : text;
    }

    private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
      for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
        if (type.isInstance(c)) {
          return true;
        }
      }
      return false;
    }
  }
}
