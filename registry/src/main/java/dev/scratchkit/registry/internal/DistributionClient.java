package dev.scratchkit.registry.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.cloud.tools.jib.api.Credential;
import dev.scratchkit.oci.Digest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.http.Header;
import org.apache.http.HttpEntity;
import org.apache.http.client.methods.CloseableHttpResponse;
import org.apache.http.client.methods.HttpUriRequest;
import org.apache.http.client.methods.RequestBuilder;
import org.apache.http.entity.ByteArrayEntity;
import org.apache.http.entity.ContentType;
import org.apache.http.impl.client.CloseableHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry calls a push and a pull make (Docker Registry HTTP API v2 / OCI distribution),
 * on the Apache HttpClient of {@link RegistryHttp}: the version check with its authentication
 * challenge, a token from the token service (or basic auth), blob HEAD, upload (POST, then one
 * PUT with the digest) and GET, manifest PUT and GET.
 *
 * <p>Not jib-core's {@code RegistryClient}: it takes only jib's {@code FailoverHttpClient}, whose
 * one public constructor brings jib's own transports (the JVM's default trust, not the CAs given
 * to {@code trust()}; sockets the push's {@link Deadline} cannot close; no bound on replies) and
 * a retry loop of up to 15 minutes; the constructor that takes transports is package-private.
 * Here every reply is bounded, redirects are followed by hand (a credential never goes to
 * another host), and a failure is an exception that says what was asked and what came back;
 * retrying is the caller's ({@link Retries}).
 */
final class DistributionClient {

  private static final Logger LOG = LoggerFactory.getLogger(DistributionClient.class);

  /** The most of an error reply or token reply that is read. */
  static final int MAX_SMALL_BODY = 64 * 1024;
  private static final int MAX_REDIRECTS = 5;
  private static final String USER_AGENT = "scratchkit";
  /** The manifest and index types a pull asks for (OCI and Docker schema 2). */
  static final String MANIFEST_ACCEPT = String.join(", ", "application/vnd.oci.image.index.v1+json",
      "application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json",
      "application/vnd.docker.distribution.manifest.v2+json");
  private static final Pattern CHALLENGE_PARAM = Pattern.compile("([A-Za-z][A-Za-z0-9_-]*)\\s*=\\s*(\"((?:[^\"\\\\]|\\\\.)*)\"|[^\\s,]*)");

  private final CloseableHttpClient http;
  private final String base;
  private final RegistryRef ref;
  private final Credential credential;
  private final boolean pulling;
  private final Redactor redactor;
  private final ObjectMapper json = new ObjectMapper();
  private String authorization;

  /**
   * @param http the client of this session
   * @param plainHttp whether the registry is reached over HTTP rather than HTTPS
   * @param ref the registry and repository
   * @param credential the credential, or null for anonymous access
   * @param pulling a pull (scope {@code pull}) rather than a push ({@code pull,push})
   * @param redactor learns the bearer token, so that no message shows it
   */
  DistributionClient(CloseableHttpClient http, boolean plainHttp, RegistryRef ref, Credential credential,
      boolean pulling, Redactor redactor) {
    this.http = http;
    this.base = (plainHttp ? "http://" : "https://") + ref.registry();
    this.ref = ref;
    this.credential = credential;
    this.pulling = pulling;
    this.redactor = redactor;
  }

  /** The registry answered with a status that the call does not expect. */
  static final class StatusException extends IOException {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final String retryAfter;

    StatusException(String method, String path, int status, String reason, String body, String retryAfter) {
      super("HTTP " + status + (reason == null || reason.isBlank() ? "" : " " + reason) + " for " + method + " "
          + path + (body.isBlank() ? "" : ": " + oneLine(body)));
      this.status = status;
      this.retryAfter = retryAfter;
    }

    int status() {
      return status;
    }

    /** {@return the reply's {@code Retry-After} value, or null} */
    String retryAfter() {
      return retryAfter;
    }
  }

  /** The reply is not what a registry sends (a missing header, a challenge without realm, JSON that is not). */
  static final class NotARegistryReply extends IOException {
    private static final long serialVersionUID = 1L;

    NotARegistryReply(String message) {
      super(message);
    }

    NotARegistryReply(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Credentials would have to go over plain HTTP to another machine: they are not sent. */
  static final class CredentialsNotSent extends IOException {
    private static final long serialVersionUID = 1L;

    CredentialsNotSent(String message) {
      super(message);
    }
  }

  /** The token service could not be reached or did not give a token. */
  static final class TokenServiceFailed extends IOException {
    private static final long serialVersionUID = 1L;

    TokenServiceFailed(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** How the registry wants to be authenticated with, from its {@code WWW-Authenticate} header. */
  record Challenge(String scheme, Map<String, String> params) {
    static final Challenge NONE = new Challenge("none", Map.of());
  }

  /** A manifest as the registry sent it. */
  record Manifest(byte[] bytes, String digestHeader, String contentType) {}

  /** {@code GET /v2/}: no challenge when it answers 200, else the one its 401 carries. */
  Challenge challenge() throws IOException {
    HttpUriRequest request = RequestBuilder.get(base + "/v2/").build();
    try (CloseableHttpResponse r = execute(request, false)) {
      int status = r.getStatusLine().getStatusCode();
      if (status == 200) {
        readBounded(r.getEntity(), MAX_SMALL_BODY, null); // read to its end: a broken body is named here
        return Challenge.NONE;
      }
      if (status == 401) {
        return parseChallenge(r);
      }
      throw statusError(request, r);
    }
  }

  /** Authenticates as the challenge asks: a bearer token from its token service, or basic auth. */
  void authorize(Challenge challenge) throws IOException {
    switch (challenge.scheme()) {
      case "none" -> authorization = null;
      case "basic" -> {
        if (credential == null) {
          authorization = null; // the first call gets the 401 that says credentials are needed
          return;
        }
        requireSafeChannel(base);
        authorization = "Basic " + Base64.getEncoder().encodeToString(
            (credential.getUsername() + ":" + credential.getPassword()).getBytes(StandardCharsets.UTF_8));
      }
      case "bearer" -> authorization = "Bearer " + token(challenge);
      default -> throw new NotARegistryReply("the registry asks for authentication scheme " + challenge.scheme()
          + ", which is neither Bearer nor Basic");
    }
  }

  private String token(Challenge challenge) throws IOException {
    String realm = challenge.params().get("realm");
    if (realm == null || realm.isBlank()) {
      throw new NotARegistryReply("the registry's WWW-Authenticate header names no realm (token service): "
          + challenge.params().keySet());
    }
    URI realmUri;
    try {
      realmUri = new URI(realm);
      if (realmUri.getHost() == null || !List.of("http", "https").contains(String.valueOf(realmUri.getScheme()))) {
        throw new URISyntaxException(realm, "not an http(s) URL with a host");
      }
    } catch (URISyntaxException e) {
      throw new NotARegistryReply("the registry's token service realm \"" + realm + "\" is not a URL ("
          + e.getMessage() + ")", e);
    }
    String scope = "repository:" + ref.repository() + ":" + (pulling ? "pull" : "pull,push");
    String service = challenge.params().get("service");
    String query = (service == null ? "" : "service=" + encode(service) + "&") + "scope=" + encode(scope);
    HttpUriRequest request;
    if (credential != null && credential.isOAuth2RefreshToken()) {
      requireSafeChannel(realm);
      String form = "grant_type=refresh_token&client_id=scratchkit&" + query + "&refresh_token="
          + encode(credential.getPassword());
      request = RequestBuilder.post(realm).setEntity(new ByteArrayEntity(form.getBytes(StandardCharsets.UTF_8),
          ContentType.APPLICATION_FORM_URLENCODED)).build();
    } else {
      RequestBuilder get = RequestBuilder.get(realm + (realm.contains("?") ? "&" : "?") + query);
      if (credential != null) {
        requireSafeChannel(realm);
        get.setHeader("Authorization", "Basic " + Base64.getEncoder().encodeToString(
            (credential.getUsername() + ":" + credential.getPassword()).getBytes(StandardCharsets.UTF_8)));
      }
      request = get.build();
    }
    byte[] body;
    try (CloseableHttpResponse r = send(request)) {
      int status = r.getStatusLine().getStatusCode();
      if (status == 401 || status == 403) {
        throw statusError(request, r);
      }
      if (status != 200) {
        throw new TokenServiceFailed("the token service " + realmUri.getHost() + " answered", statusError(request, r));
      }
      body = readBounded(r.getEntity(), MAX_SMALL_BODY, "the token service's reply");
    } catch (StatusException | CredentialsNotSent | TokenServiceFailed e) {
      throw e;
    } catch (IOException e) {
      throw new TokenServiceFailed("the token service at " + realmUri.getHost() + " cannot be reached", e);
    }
    try {
      JsonNode reply = json.readTree(body);
      JsonNode token = reply == null ? null : reply.hasNonNull("token") ? reply.get("token") : reply.get("access_token");
      if (token == null || !token.isTextual() || token.asText().isBlank()) {
        throw new TokenServiceFailed("the token service's reply has no token", null);
      }
      redactor.add(token.asText());
      return token.asText();
    } catch (JsonProcessingException e) {
      throw new TokenServiceFailed("the token service's reply is not JSON", null);
    }
  }

  /** Credentials go over plain HTTP only to this machine. */
  private void requireSafeChannel(String url) throws CredentialsNotSent {
    URI uri = URI.create(url);
    if (!"https".equals(uri.getScheme()) && !RegistryRef.isLoopbackHost(uri.getHost())) {
      throw new CredentialsNotSent("credentials are not sent over plain HTTP to " + uri.getHost());
    }
  }

  /** {@code HEAD} of a blob: its size (-1 when not given) if the registry holds it. */
  Optional<Long> checkBlob(Digest digest) throws IOException {
    HttpUriRequest request = RequestBuilder.head(repo("/blobs/" + digest)).build();
    try (CloseableHttpResponse r = execute(request, true)) {
      int status = r.getStatusLine().getStatusCode();
      if (status == 200) {
        Header length = r.getFirstHeader("Content-Length");
        return Optional.of(length == null ? -1L : Long.parseLong(length.getValue().trim()));
      }
      if (status == 404) {
        return Optional.empty();
      }
      throw statusError(request, r);
    }
  }

  /** Uploads a blob: {@code POST} opens the upload, one {@code PUT} with the digest sends the bytes. */
  void pushBlob(Digest digest, HttpEntity content) throws IOException {
    HttpUriRequest open = RequestBuilder.post(repo("/blobs/uploads/")).build();
    String location;
    try (CloseableHttpResponse r = execute(open, true)) {
      if (r.getStatusLine().getStatusCode() != 202) {
        throw statusError(open, r);
      }
      Header h = r.getFirstHeader("Location");
      if (h == null || h.getValue().isBlank()) {
        throw new NotARegistryReply("the registry opened an upload for blob " + digest + " (HTTP 202) without a"
            + " Location header to send it to");
      }
      location = h.getValue().trim();
    }
    URI target;
    try {
      target = new URI(base + "/").resolve(new URI(location));
    } catch (URISyntaxException | IllegalArgumentException e) {
      throw new NotARegistryReply("the registry's upload Location \"" + oneLine(location) + "\" for blob " + digest
          + " is not a URL (" + e.getMessage() + ")", e);
    }
    if (!sameOrigin(target)) {
      throw new NotARegistryReply("the registry's upload Location for blob " + digest + " points at another server ("
          + target.getScheme() + "://" + target.getAuthority() + "); scratchkit uploads only to the registry itself");
    }
    String url = target + (target.getRawQuery() == null ? "?" : "&") + "digest=" + encode(digest.toString());
    HttpUriRequest put = RequestBuilder.put(url).setEntity(content).build();
    try (CloseableHttpResponse r = execute(put, true)) {
      if (r.getStatusLine().getStatusCode() != 201) {
        throw statusError(put, r);
      }
    }
  }

  /** {@code PUT} of a manifest's exact bytes; returns the digest the registry names, or null. */
  String pushManifest(byte[] bytes, String mediaType, String reference) throws IOException {
    HttpUriRequest put = RequestBuilder.put(repo("/manifests/" + reference))
        .setEntity(new ByteArrayEntity(bytes, ContentType.create(mediaType))).build();
    try (CloseableHttpResponse r = execute(put, true)) {
      if (r.getStatusLine().getStatusCode() != 201) {
        throw statusError(put, r);
      }
      Header digest = r.getFirstHeader("Docker-Content-Digest");
      return digest == null ? null : digest.getValue().trim();
    }
  }

  /** {@code GET} of a manifest by tag or digest: its bytes (at most {@code maxBytes}), digest header and type. */
  Manifest pullManifest(String reference, long maxBytes, java.util.function.Supplier<IOException> tooLarge)
      throws IOException {
    HttpUriRequest get = RequestBuilder.get(repo("/manifests/" + reference)).setHeader("Accept", MANIFEST_ACCEPT)
        .build();
    try (CloseableHttpResponse r = execute(get, true)) {
      if (r.getStatusLine().getStatusCode() != 200) {
        throw statusError(get, r);
      }
      byte[] bytes = r.getEntity() == null ? new byte[0] : readBounded(r.getEntity().getContent(), maxBytes, tooLarge);
      Header digest = r.getFirstHeader("Docker-Content-Digest");
      Header type = r.getFirstHeader("Content-Type");
      return new Manifest(bytes, digest == null ? null : digest.getValue().trim(),
          type == null ? null : type.getValue().split(";", 2)[0].trim());
    }
  }

  /** {@code GET} of a blob into {@code out}, following the registry's redirects (without credentials elsewhere). */
  void pullBlob(Digest digest, OutputStream out) throws IOException {
    String url = repo("/blobs/" + digest);
    for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
      HttpUriRequest get = RequestBuilder.get(url).build();
      URI uri = get.getURI();
      try (CloseableHttpResponse r = execute(get, sameOrigin(uri))) {
        int status = r.getStatusLine().getStatusCode();
        if (status == 200) {
          if (r.getEntity() != null) {
            try (InputStream in = r.getEntity().getContent()) {
              in.transferTo(out);
            }
          }
          return;
        }
        Header location = r.getFirstHeader("Location");
        if (status / 100 == 3 && location != null) {
          try {
            url = uri.resolve(new URI(location.getValue().trim())).toString();
          } catch (URISyntaxException | IllegalArgumentException e) {
            throw new NotARegistryReply("the registry redirected blob " + digest + " to \""
                + oneLine(location.getValue()) + "\", which is not a URL", e);
          }
          continue;
        }
        throw statusError(get, r);
      }
    }
    throw new NotARegistryReply("the registry redirected blob " + digest + " more than " + MAX_REDIRECTS + " times");
  }

  private boolean sameOrigin(URI uri) {
    return (uri.getScheme() + "://" + uri.getRawAuthority()).equalsIgnoreCase(base);
  }

  private String repo(String rest) {
    return base + "/v2/" + ref.repository() + rest;
  }

  /**
   * Sends a request, with the authorization when {@code authorized}; a 401 before any
   * authorization (a registry that lets anyone read {@code /v2/}) authenticates as its challenge
   * asks and sends the request once more.
   */
  private CloseableHttpResponse execute(HttpUriRequest request, boolean authorized) throws IOException {
    if (authorized && authorization != null) {
      request.setHeader("Authorization", authorization);
    }
    CloseableHttpResponse r = send(request);
    if (authorized && authorization == null && credential != null && r.getStatusLine().getStatusCode() == 401
        && isRepeatable(request)) {
      Challenge c = parseChallenge(r);
      r.close();
      authorize(c);
      if (authorization != null) {
        request.setHeader("Authorization", authorization);
      }
      return send(request);
    }
    return r;
  }

  private static boolean isRepeatable(HttpUriRequest request) {
    return !(request instanceof org.apache.http.HttpEntityEnclosingRequest e) || e.getEntity() == null
        || e.getEntity().isRepeatable();
  }

  private CloseableHttpResponse send(HttpUriRequest request) throws IOException {
    request.setHeader("User-Agent", USER_AGENT);
    LOG.debug("{} {}", request.getMethod(), redactor.scrub(request.getURI().getRawPath()));
    return http.execute(request);
  }

  private Challenge parseChallenge(CloseableHttpResponse r) throws NotARegistryReply {
    Header h = r.getFirstHeader("WWW-Authenticate");
    if (h == null || h.getValue().isBlank()) {
      throw new NotARegistryReply("the registry answered HTTP 401 without a WWW-Authenticate header saying how to"
          + " authenticate");
    }
    String value = h.getValue().trim();
    int space = value.indexOf(' ');
    String scheme = (space < 0 ? value : value.substring(0, space)).toLowerCase(Locale.ROOT);
    Map<String, String> params = new LinkedHashMap<>();
    if (space > 0) {
      Matcher m = CHALLENGE_PARAM.matcher(value.substring(space + 1));
      while (m.find()) {
        params.put(m.group(1).toLowerCase(Locale.ROOT), m.group(3) != null ? m.group(3).replaceAll("\\\\(.)", "$1")
            : m.group(2));
      }
    }
    if (scheme.equals("bearer") && !params.containsKey("realm")) {
      throw new NotARegistryReply("the registry's WWW-Authenticate header \"" + oneLine(redactor.scrub(value))
          + "\" asks for a bearer token but names no realm (token service)");
    }
    return new Challenge(scheme, params);
  }

  private StatusException statusError(HttpUriRequest request, CloseableHttpResponse r) {
    String body = "";
    try {
      if (r.getEntity() != null && !"HEAD".equals(request.getMethod())) {
        body = new String(readBounded(r.getEntity(), 2048, null), StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      body = "(the body could not be read: " + e.getMessage() + ")";
    }
    Header retryAfter = r.getFirstHeader("Retry-After");
    return new StatusException(request.getMethod(), request.getURI().getRawPath(), r.getStatusLine().getStatusCode(),
        r.getStatusLine().getReasonPhrase(), redactor.scrub(body), retryAfter == null ? null : retryAfter.getValue());
  }

  private static byte[] readBounded(HttpEntity entity, int max, String what) throws IOException {
    if (entity == null) {
      return new byte[0];
    }
    try (InputStream in = entity.getContent()) {
      return readBounded(in, max, what == null ? null : () -> new NotARegistryReply(what + " is larger than " + max
          + " bytes"));
    }
  }

  /** At most {@code max} bytes; more is {@code tooLarge}'s exception (or, when null, cut off there). */
  private static byte[] readBounded(InputStream in, long max, java.util.function.Supplier<IOException> tooLarge)
      throws IOException {
    ByteArrayOutputStream kept = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    int n;
    while ((n = in.read(buffer, 0, (int) Math.min(buffer.length, max + 1 - kept.size()))) > 0) {
      kept.write(buffer, 0, n);
      if (kept.size() > max) {
        if (tooLarge == null) {
          byte[] all = kept.toByteArray();
          return java.util.Arrays.copyOf(all, (int) max);
        }
        throw tooLarge.get();
      }
    }
    return kept.toByteArray();
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  static String oneLine(String text) {
    String s = String.valueOf(text).strip().replaceAll("\\s*[\\r\\n]+\\s*", " ");
    return s.length() > 500 ? s.substring(0, 500) + "..." : s;
  }
}
