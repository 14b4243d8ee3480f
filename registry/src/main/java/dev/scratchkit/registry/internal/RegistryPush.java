package dev.scratchkit.registry.internal;

import com.google.cloud.tools.jib.api.Credential;
import dev.scratchkit.certs.CaBundle;
import dev.scratchkit.internal.oci.StagingListener;
import dev.scratchkit.oci.Digest;
import dev.scratchkit.oci.ImageSpec;
import dev.scratchkit.oci.LayerCache;
import dev.scratchkit.oci.LayerCompression;
import dev.scratchkit.oci.LayerDescriptor;
import dev.scratchkit.oci.OciLayout;
import dev.scratchkit.oci.ProgressListener;
import dev.scratchkit.oci.WriteResult;
import dev.scratchkit.registry.RegistryException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.apache.http.entity.AbstractHttpEntity;
import org.apache.http.impl.client.CloseableHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pushes images to a registry through {@link DistributionClient}.
 *
 * <p>The images are first written to a private temporary {@link OciLayout} (core's one producer of
 * image bytes, through its public API); the push then sends those files unchanged (blobs with
 * hashed again as they are sent, manifests as their bytes), so the bytes and digests
 * match a layout's. TLS is always verified; plain HTTP is used only for a loopback (or
 * {@code insecure()}) registry that does not answer a TLS handshake. Transient failures are
 * retried by {@link Retries}, all within the push's {@link Deadline}.
 */
public final class RegistryPush {

  private static final Logger LOG = LoggerFactory.getLogger(RegistryPush.class);

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
   * @param timeout the overall deadline of the upload, from the first connection to the last tag
   * @param where the target's description
   */
  public record Settings(RegistryRef reference, String user, char[] password, Path dockerConfig, CaBundle trust,
      boolean insecure, LayerCompression compression, LayerCache cache, Duration timeout,
      String where) {

    /** Never shows the password. */
    @Override
    public String toString() {
      return where;
    }
  }

  /** Writes the images to a temporary layout, then pushes blobs, manifests and tags. */
  public static WriteResult push(Settings settings, List<ImageSpec> images, boolean index, ProgressListener listener) {
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
      OciLayout target = OciLayout.at(layout).tag("push").compression(settings.compression()).cache(settings.cache());
      ProgressListener staged = new StagingListener(listener);
      WriteResult written = index ? target.writeIndex(images, staged) : target.write(images.get(0), staged);
      new Session(settings, layout.resolve("blobs").resolve("sha256"), listener).push(written);
      LOG.info("pushed {} to {}", written.digest(), settings.where());
      listener.targetWritten(written.digest(), settings.where());
      return retarget(written, settings.where());
    } finally {
      if (settings.password() != null) {
        Arrays.fill(settings.password(), '\0');
      }
      try {
        deleteTree(staging);
      } catch (IOException e) {
        LOG.warn("cannot delete the staging directory {}: {}", staging, e.toString());
      }
    }
  }

  /** The staging layout's result, as the registry's. */
  private static WriteResult retarget(WriteResult r, String where) {
    return new WriteResult(r.digest(), r.mediaType(), r.size(), where, r.configDigest(), r.layers(),
        r.manifests().stream().map(m -> retarget(m, where)).toList());
  }

  /** Deletes a directory tree (a staging directory of ours), without following symbolic links. */
  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Files.walkFileTree(root, new java.nio.file.SimpleFileVisitor<>() {
      @Override
      public java.nio.file.FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.delete(file);
        return java.nio.file.FileVisitResult.CONTINUE;
      }

      @Override
      public java.nio.file.FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
        if (e != null) {
          throw e;
        }
        Files.delete(dir);
        return java.nio.file.FileVisitResult.CONTINUE;
      }
    });
  }

  /** A new SHA-256 digest (every JDK has it). */
  static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-256", e);
    }
  }

  /** One push: connection, authentication, uploads, all within one {@link Deadline}. */
  static final class Session {
    private final Settings settings;
    /** A pull (of {@link RegistryPull}) rather than a push: the wording of messages, the auth scope. */
    private final boolean pulling;
    private final RegistryRef ref;
    private final Path blobs;
    private final ProgressListener listener;
    private final Redactor redactor = new Redactor();
    Deadline deadline;
    private String credentialSource = "no credentials";
    private boolean hasCredential;
    /** What the push is doing, for the message when the deadline passes. */
    String step = "connecting";
    /** The blob being uploaded, for a digest mismatch the registry reports. */
    private Path uploading;
    private Digest uploadingDigest;

    Session(Settings settings, Path blobs, ProgressListener listener) {
      this(settings, blobs, listener, false);
    }

    Session(Settings settings, Path blobs, ProgressListener listener, boolean pulling) {
      this.pulling = pulling;
      this.settings = settings;
      this.ref = settings.reference();
      this.blobs = blobs;
      this.listener = listener;
      if (settings.password() != null) {
        redactor.addCredential(settings.user(), new String(settings.password()));
      }
    }

    /** The HTTP client of {@link #connect}, closed by {@link #disconnect}. */
    private CloseableHttpClient http;
    /** The retries of this session's calls, made by {@link #startDeadline}. */
    Retries retries;

    /**
     * Finds out whether the registry speaks TLS, gets the credentials and authenticates (for a
     * push, or with {@code pulling} for a pull), within the deadline started before. Pair with
     * {@link #disconnect}.
     */
    DistributionClient connect() throws IOException {
      SSLContext tls = sslContext();
      boolean plainHttp = false;
      if ((settings.insecure() || ref.isLoopback()) && ref.port() != -1) {
        step = "checking whether it speaks TLS";
        plainHttp = !speaksTls(tls);
      }
      http = RegistryHttp.client(tls, deadline);
      step = "getting the credentials";
      Credential credential = credential();
      hasCredential = credential != null;
      step = "authenticating";
      DistributionClient client = new DistributionClient(http, plainHttp, ref, credential, pulling, redactor);
      DistributionClient.Challenge challenge = retries.run(() -> step, client::challenge);
      if (challenge.scheme().equals("basic") && credential != null && credential.isOAuth2RefreshToken()) {
        throw new RegistryException((pulling ? what() : "cannot push " + ref.repository() + " to registry "
            + ref.registry()) + ": it asks for a user name and password (basic auth), but "
            + credentialSource + " are an identity token, which only a token service takes; give"
            + " credentials(user, password) or log in again with docker login " + ref.registry());
      }
      retries.run(() -> step, () -> {
        client.authorize(challenge);
        return null;
      });
      return client;
    }

    /** Starts the overall deadline of this session. */
    Deadline startDeadline() {
      deadline = new Deadline(settings.timeout(), settings.where());
      retries = new Retries(deadline, settings.where(), redactor);
      return deadline;
    }

    /** Stops the deadline and closes the HTTP client. */
    void disconnect() {
      deadline.close();
      if (http != null) {
        try {
          http.close();
        } catch (IOException e) {
          LOG.debug("closing the HTTP client of {}: {}", settings.where(), redactor.scrub(e.toString()));
        }
      }
    }

    Redactor redactor() {
      return redactor;
    }

    RegistryRef ref() {
      return ref;
    }

    void push(WriteResult written) {
      startDeadline();
      try {
        DistributionClient client = connect();
        int[] counts = new int[2]; // uploaded, skipped
        Map<Digest, Long> uploaded = new LinkedHashMap<>();
        List<WriteResult> manifests = written.manifests().isEmpty() ? List.of(written) : written.manifests();
        for (WriteResult m : manifests) {
          for (LayerDescriptor layer : m.layers()) {
            pushBlob(client, layer.digest(), layer.size(), uploaded, counts);
          }
          pushBlob(client, m.configDigest(), Files.size(blob(m.configDigest())), uploaded, counts);
        }
        if (!written.manifests().isEmpty()) {
          for (WriteResult m : manifests) {
            pushManifest(client, m, m.digest().toString());
          }
        }
        for (String tag : ref.tags()) {
          pushManifest(client, written, tag);
        }
        LOG.info("{}: {} blobs uploaded, {} already there", settings.where(), counts[0], counts[1]);
      } catch (IOException e) {
        throw translate(e);
      } catch (RuntimeException e) {
        if (!thrownByTheHttpStack(e)) {
          throw e; // ours: a programming error, not the registry's
        }
        throw translate(e);
      } finally {
        disconnect();
      }
    }

    private Path blob(Digest digest) {
      return blobs.resolve(digest.hex());
    }

    private void pushBlob(DistributionClient client, Digest digest, long size, Map<Digest, Long> done, int[] counts)
        throws IOException {
      if (done.containsKey(digest)) {
        return; // shared by two images of an index
      }
      done.put(digest, size);
      step = "checking whether it holds blob " + digest;
      Optional<Long> there = retries.run(() -> step, () -> client.checkBlob(digest));
      if (there.isPresent() && (there.get() < 0 || there.get() == size)) {
        LOG.debug("{} already holds {}", settings.where(), digest);
        counts[1]++;
        listener.blobSkipped(digest, settings.where());
        return;
      }
      LOG.debug("uploading {} ({} bytes) to {}", digest, size, settings.where());
      step = "uploading blob " + digest + " (" + size + " bytes)";
      uploading = blob(digest);
      uploadingDigest = digest;
      Path file = uploading;
      // A retry opens a new upload: the registry drops the one a reset connection left unfinished.
      retries.run(() -> step, () -> {
        client.pushBlob(digest, new VerifiedBlob(file, digest, size));
        return null;
      });
      uploading = null;
      uploadingDigest = null;
      counts[0]++;
    }

    private void pushManifest(DistributionClient client, WriteResult m, String reference) throws IOException {
      byte[] bytes = Files.readAllBytes(blob(m.digest()));
      step = "pushing the manifest " + m.digest() + " as " + reference;
      String named = retries.run(() -> step, () -> client.pushManifest(bytes, m.mediaType(), reference));
      if (named != null && !named.equals(m.digest().toString())) {
        throw new RegistryException("registry " + ref.registry() + " stored the manifest of " + ref.repository() + ":"
            + reference + " under another digest than " + m.digest() + " (it names " + named + ");"
            + " the registry rewrote the manifest, so the local digest does not identify the pushed image;"
            + " use a registry that stores manifests unchanged (OCI distribution)");
      }
      LOG.debug("pushed manifest {} as {}/{}:{}", m.digest(), ref.registry(), ref.repository(), reference);
    }

    private Credential credential() {
      if (settings.user() != null) {
        credentialSource = "the credentials of user " + settings.user() + " given to credentials()";
        return Credential.from(settings.user(), new String(settings.password()));
      }
      Path config = settings.dockerConfig() != null ? settings.dockerConfig() : defaultDockerConfig();
      if (settings.dockerConfig() != null && !Files.isRegularFile(config)) {
        throw new RegistryException("the Docker config " + config + " given for " + settings.where()
            + " does not exist; give the config.json that docker login wrote (usually ~/.docker/config.json)");
      }
      Optional<DockerCredentials.Found> found = new DockerCredentials(config, ref.registry(), deadline).find();
      if (found.isEmpty()) {
        LOG.debug("{}: no credentials found in {}, pushing anonymously", settings.where(), config);
        credentialSource = "no credentials (none given, none for " + ref.registry() + " in " + config + ")";
        return null;
      }
      DockerCredentials.Found f = found.get();
      redactor.addCredential(f.user(), f.secret());
      credentialSource = "the credentials from " + f.source();
      LOG.debug("{}: using credentials from {}", settings.where(), f.source());
      return Credential.from(f.user(), f.secret());
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
      int timeout = RegistryHttp.httpTimeoutMillis();
      SSLContext context;
      try {
        context = tls != null ? tls : SSLContext.getDefault();
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("no TLS in this JVM", e);
      }
      try (Socket raw = new Socket()) {
        deadline.register(raw);
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
          if (deadline.expired()) {
            throw e;
          }
          LOG.debug("{} does not speak TLS ({}); using plain HTTP", ref.registry(), e.getMessage());
          return false;
        }
      }
    }

    /** E.g. {@code cannot push app:1,latest to registry 127.0.0.1:5000}. */
    String what() {
      return pulling ? "cannot pull " + ref.repository() + ":" + ref.tags().get(0) + " from registry " + ref.registry()
          : "cannot push " + ref.repository() + ":" + String.join(",", ref.tags()) + " to registry " + ref.registry();
    }

    RegistryException translate(Exception e) {
      String what = what();
      String message;
      DamagedBlobException damaged = findCause(e, DamagedBlobException.class);
      String readable = describe(e);
      if (damaged != null) {
        message = what + ": " + damaged(damaged.file, damaged.expected, damaged.expectedSize, damaged.actual,
            damaged.actualSize);
      } else if (deadline.expired()) {
        message = what + ": the " + (pulling ? "pull" : "push") + " did not finish within its deadline of " + Deadline.describe(deadline.timeout())
            + " (it was " + step + "; " + readable + "); the registry is too slow or stopped answering: check it"
            + " and the network, or allow more time with timeout(Duration)";
      } else if (uploading != null && (readable.contains("DIGEST_INVALID")
          || readable.contains("did not match uploaded content"))) {
        message = what + ": the registry received other bytes than " + uploadingDigest + " (" + readable + "); "
            + damagedAfterTheFact();
      } else if (e instanceof DistributionClient.StatusException s && (s.status() == 401 || s.status() == 403)) {
        int status = s.status();
        if (status == 403) {
          String access = pulling ? "pull" : "push";
          message = what + ": HTTP 403 Forbidden with " + credentialSource + "; that user may not " + access
              + (pulling ? " from " : " to ") + ref.repository() + ", ask the registry's administrator for " + access
              + " access";
        } else if (!hasCredential) {
          message = what + ": HTTP " + status + " Unauthorized, the registry needs credentials and there are "
              + credentialSource + "; give credentials(user, password) or run docker login " + ref.registry();
        } else {
          message = what + ": HTTP " + status + " Unauthorized, the registry rejected " + credentialSource
              + "; check the user name and password (or run docker login " + ref.registry() + " again)";
        }
      } else if (e instanceof DistributionClient.CredentialsNotSent) {
        message = what + ": the registry asks for credentials but it is reached over plain HTTP, and scratchkit"
            + " sends credentials in clear text only to a loopback registry; serve the registry over HTTPS";
      } else if (e instanceof DistributionClient.TokenServiceFailed) {
        message = what + ": authentication with its token service failed with " + credentialSource + " ("
            + readable + "); check the credentials";
      } else if (findCause(e, CertificateException.class) != null
          || findCause(e, javax.net.ssl.SSLHandshakeException.class) != null) {
        SSLException tlsCause = findCause(e, SSLException.class);
        message = what + ": its TLS certificate is not trusted or does not match the host name ("
            + (tlsCause == null ? readable : tlsCause.getMessage()) + "); trust its CA with trust(CaBundle)"
            + " or the javax.net.ssl.trustStore system property"
            + (ref.isLoopback() ? "" : ", or for a registry without TLS use insecure()");
      } else if (e instanceof UnknownHostException) {
        message = what + ": unknown host " + ref.host() + " (" + e.getMessage() + "); check the host name in the"
            + " reference and your DNS";
      } else if (e instanceof ConnectException || e instanceof NoRouteToHostException
          || findCause(e, ConnectException.class) != null) {
        message = what + ": connection refused or unreachable (" + readable + "); check that the registry"
            + " runs and listens on " + ref.registry() + (ref.port() == -1 ? " (port 443 for HTTPS)" : "");
      } else if (e instanceof InterruptedIOException) {
        message = what + ": no answer within " + RegistryHttp.httpTimeoutMillis() + " ms (" + readable + "); check"
            + " that the registry is up and reachable, or raise the timeout with -Djib.httpTimeout=<milliseconds>";
      } else if (e instanceof IOException io && Retries.transientReason(io) != null) {
        message = what + ": it kept failing while " + step + " (" + readable + "); " + retries.attempts()
            + (retries.attempts() == 1 ? " attempt was made" : " attempts were made")
            + (retries.gaveUp() != null ? " and " + retries.gaveUp() : "") + ". Check the registry's health and"
            + " log (and any proxy in between), then " + (pulling ? "pull" : "push") + " again, or allow more"
            + " time with timeout(Duration)";
      } else if (isGarbageReply(e)) {
        message = what + ": its reply is not what a registry sends while " + step + " (" + readable + "); check"
            + " that " + ref.registry() + " is a container registry (Docker Registry HTTP API v2 / OCI"
            + " distribution) and that no proxy alters the traffic";
      } else if (e instanceof RuntimeException) { // thrown by the HTTP stack, see thrownByTheHttpStack
        message = what + ": the HTTP client failed while " + step + " (" + readable + "), most likely"
            + " on a reply it cannot handle; check that " + ref.registry() + " is a container registry (Docker"
            + " Registry HTTP API v2 / OCI distribution), and report this if it is";
      } else if (e instanceof DistributionClient.StatusException s) {
        message = what + ": HTTP " + s.status() + " while " + step + " (" + readable + "); see the"
            + " registry's log";
      } else {
        message = what + ": " + readable + " while " + step + "; check the network and the registry, then "
            + (pulling ? "pull" : "push") + " again";
      }
      return new RegistryException(redactor.scrub(message), redactor.scrubbed(e));
    }

    /**
     * Whether a runtime exception comes out of Apache HttpClient or Jackson handling a reply: the
     * first frame outside the JDK is theirs.
     */
    static boolean thrownByTheHttpStack(RuntimeException e) {
      for (StackTraceElement frame : e.getStackTrace()) {
        String c = frame.getClassName();
        if (c.startsWith("java.") || c.startsWith("jdk.") || c.startsWith("sun.")) {
          continue;
        }
        return c.startsWith("org.apache.http.") || c.startsWith("com.fasterxml.jackson.");
      }
      return false;
    }

    /** Replies that are not HTTP, or HTTP that a registry would not send. */
    private static boolean isGarbageReply(Exception e) {
      return findCause(e, org.apache.http.HttpException.class) != null // ProtocolException, MalformedChunkCoding...
          || findCause(e, org.apache.http.client.ClientProtocolException.class) != null
          || findCause(e, org.apache.http.NoHttpResponseException.class) != null
          || findCause(e, org.apache.http.MalformedChunkCodingException.class) != null
          || findCause(e, org.apache.http.TruncatedChunkException.class) != null
          || findCause(e, org.apache.http.ConnectionClosedException.class) != null
          || findCause(e, com.fasterxml.jackson.core.JsonProcessingException.class) != null
          || findCause(e, DistributionClient.NotARegistryReply.class) != null
          || findCause(e, NumberFormatException.class) != null
          || findCause(e, java.net.MalformedURLException.class) != null
          || findCause(e, java.nio.charset.CharacterCodingException.class) != null;
    }

    /**
     * Every message of the chain that says something, scrubbed: {@code ClientProtocolException}
     * has none of its own, its cause says "The server failed to respond with a valid HTTP response".
     */
    private String describe(Throwable e) {
      List<String> parts = new ArrayList<>();
      String last = null;
      for (Throwable t = e; t != null && parts.size() < 6; t = t.getCause() == t ? null : t.getCause()) {
        String m = t.getMessage();
        if (m != null && t.getCause() != null && m.equals(t.getCause().toString())) {
          continue; // IOException(cause) repeats the cause
        }
        String text = t.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + oneLine(m));
        if (m != null && m.equals(last)) {
          continue;
        }
        last = m;
        parts.add(text);
      }
      return redactor.scrub(String.join(", caused by ", parts));
    }

    private static String oneLine(String text) {
      String s = text.strip().replaceAll("\\s*[\\r\\n]+\\s*", " ");
      return s.length() > 500 ? s.substring(0, 500) + "..." : s;
    }

    /** The registry's digest check failed: hash the staged blob now to say whether it is damaged. */
    private String damagedAfterTheFact() {
      try {
        String[] actual = sha256(uploading);
        long size = Files.size(uploading);
        if (!actual[0].equals(uploadingDigest.toString())) {
          return damaged(uploading, uploadingDigest, -1, actual[0], size);
        }
      } catch (IOException ignored) {
        // the staged file is gone: say what is known
      }
      return "the local blob " + uploading + " is intact, so the bytes changed on the way (a proxy?); push again";
    }

    private String damaged(Path file, Digest expected, long expectedSize, String actual, long actualSize) {
      String fact = "the local blob " + file + " (staged for the push) should hold " + expected
          + (expectedSize >= 0 ? " (" + expectedSize + " bytes)" : "") + " but holds " + actual + " ("
          + actualSize + " bytes), so the registry would refuse it (\"provided digest did not match uploaded"
          + " content\")";
      Optional<Path> cacheDir = settings.cache().directory();
      if (cacheDir.isPresent() && settings.cache().enabled()) {
        return fact + "; it was staged from the layer cache " + cacheDir.get() + ", which may be damaged: delete"
            + " that directory and push again, or push with cache(LayerCache.disabled())";
      }
      return fact + "; the file changed while it was being pushed: push again";
    }

    static <T extends Throwable> T findCause(Throwable t, Class<T> type) {
      for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
        if (type.isInstance(c)) {
          return type.cast(c);
        }
      }
      return null;
    }

    private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
      return findCause(t, type) != null;
    }
  }

  /** {@code [sha256:hex, size]} of a file. */
  private static String[] sha256(Path file) throws IOException {
    MessageDigest sha = newSha256();
    long n = copyHashing(file, OutputStream.nullOutputStream(), sha);
    return new String[] {"sha256:" + HexFormat.of().formatHex(sha.digest()), Long.toString(n)};
  }

  /** Copies a file to {@code out}, feeding {@code sha} on the way; returns the bytes copied. */
  private static long copyHashing(Path file, OutputStream out, MessageDigest sha) throws IOException {
    long n = 0;
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buffer = new byte[1 << 16];
      int r;
      while ((r = in.read(buffer)) > 0) {
        sha.update(buffer, 0, r);
        out.write(buffer, 0, r);
        n += r;
      }
    }
    return n;
  }

  /**
   * A staged blob whose bytes are hashed as they are sent: damage is named, not uploaded. The
   * last chunk is held back until the digest is known, so a damaged blob never reaches the
   * registry whole (the PUT with the digest is cut short).
   */
  private static final class VerifiedBlob extends AbstractHttpEntity {
    private final Path file;
    private final Digest digest;
    private final long size;

    VerifiedBlob(Path file, Digest digest, long size) {
      this.file = file;
      this.digest = digest;
      this.size = size;
      setContentType("application/octet-stream");
    }

    @Override
    public void writeTo(OutputStream out) throws IOException {
      MessageDigest sha = newSha256();
      long n = 0;
      try (InputStream in = Files.newInputStream(file)) {
        byte[] held = new byte[1 << 16];
        byte[] next = new byte[1 << 16];
        int heldLength = 0;
        int r;
        while ((r = in.readNBytes(next, 0, next.length)) > 0) {
          if (heldLength > 0) {
            out.write(held, 0, heldLength);
          }
          sha.update(next, 0, r);
          n += r;
          byte[] t = held;
          held = next;
          next = t;
          heldLength = r;
        }
        String hex = HexFormat.of().formatHex(sha.digest());
        if (n != size || !hex.equals(digest.hex())) {
          throw new DamagedBlobException(file, digest, size, "sha256:" + hex, n);
        }
        out.write(held, 0, heldLength);
      }
    }

    @Override
    public boolean isRepeatable() {
      return true;
    }

    @Override
    public long getContentLength() {
      return size;
    }

    @Override
    public InputStream getContent() throws IOException {
      return Files.newInputStream(file);
    }

    @Override
    public boolean isStreaming() {
      return false;
    }
  }

  /** A staged blob's bytes do not have its digest. */
  private static final class DamagedBlobException extends IOException {
    private static final long serialVersionUID = 1L;
    private final transient Path file;
    private final transient Digest expected;
    private final long expectedSize;
    private final String actual;
    private final long actualSize;

    DamagedBlobException(Path file, Digest expected, long expectedSize, String actual, long actualSize) {
      super(file + " does not hold " + expected + " but " + actual);
      this.file = file;
      this.expected = expected;
      this.expectedSize = expectedSize;
      this.actual = actual;
      this.actualSize = actualSize;
    }
  }
}
