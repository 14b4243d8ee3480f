package dev.scratchkit.registry.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.scratchkit.registry.RegistryException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the credentials for a registry the way {@code docker login} leaves them: in a Docker
 * config's {@code credHelpers} (a helper for this registry), {@code credsStore} (one helper for
 * all) or {@code auths} ({@code auth} = base64 of {@code user:password}, or
 * {@code username}/{@code password}, or an {@code identitytoken}), then the well-known helpers
 * for {@code gcr.io} and {@code amazonaws.com}.
 *
 * <p>Everything here is treated as holding a secret: the config file, a helper's stdout and
 * stderr, parser messages (Jackson quotes the offending token). None of it is logged or put into
 * a message or cause; errors name the file, the registry, the helper and the fact. A helper
 * runs with a time limit and its output is capped.
 */
final class DockerCredentials {

  private static final Logger LOG = LoggerFactory.getLogger(DockerCredentials.class);

  static final long MAX_CONFIG_SIZE = 1024 * 1024;
  static final int MAX_HELPER_OUTPUT = 64 * 1024;
  static final Duration HELPER_TIMEOUT = Duration.ofSeconds(30);
  /** What Docker's helpers print (on stdout, exit status 1) when they hold nothing for the URL. */
  private static final String NOT_FOUND = "credentials not found";
  private static final Pattern HELPER_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
  private static final List<String> DOCKER_HUB =
      List.of("registry-1.docker.io", "index.docker.io", "docker.io", "registry.hub.docker.com");
  private static final String DOCKER_HUB_SERVER_URL = "https://index.docker.io/v1/";
  private static final Map<String, String> WELL_KNOWN_HELPERS =
      Map.of("gcr.io", "gcr", "amazonaws.com", "ecr-login");

  /**
   * Credentials found. {@code secret} is a password or, with user {@code <token>}, an identity
   * token. {@code source} says where they came from, without any secret.
   */
  record Found(String user, String secret, String source) {
    /** Never shows the secret. */
    @Override
    public String toString() {
      return "credentials of " + user + " from " + source;
    }
  }

  private final Path config;
  private final String registry;
  private final Deadline deadline;
  private final ObjectMapper json;

  DockerCredentials(Path config, String registry, Deadline deadline) {
    this.config = config;
    this.registry = registry.toLowerCase(Locale.ROOT);
    this.deadline = deadline;
    this.json = mapper();
  }

  private static ObjectMapper mapper() {
    JsonFactory factory = JsonFactory.builder()
        .streamReadConstraints(StreamReadConstraints.builder()
            .maxNestingDepth(32).maxStringLength(256 * 1024).maxNumberLength(100).build())
        .build();
    return JsonMapper.builder(factory).build();
  }

  /** The credentials for the registry, or empty when neither the config nor a helper has any. */
  Optional<Found> find() {
    JsonNode root = readConfig();
    if (root != null) {
      Map.Entry<String, JsonNode> helper = entryFor(field(root, "credHelpers"));
      if (helper != null) {
        String name = helperName(helper.getValue(), "credHelpers entry \"" + helper.getKey() + "\"");
        Optional<Found> found = runHelper(name, helper.getKey(), "the credHelpers entry for " + helper.getKey()
            + " in " + config, true);
        if (found.isPresent()) {
          return found;
        }
      } else {
        JsonNode store = field(root, "credsStore");
        if (store != null && !(store.isTextual() && store.asText().isEmpty())) {
          String name = helperName(store, "credsStore");
          Optional<Found> found = runHelper(name, serverUrl(), "the credsStore of " + config, false);
          if (found.isPresent()) {
            return found;
          }
        }
      }
      Map.Entry<String, JsonNode> auth = entryFor(field(root, "auths"));
      if (auth != null) {
        Optional<Found> found = fromAuthEntry(auth.getKey(), auth.getValue());
        if (found.isPresent()) {
          return found;
        }
      }
    }
    for (Map.Entry<String, String> known : WELL_KNOWN_HELPERS.entrySet()) {
      if (registry.endsWith(known.getKey()) && findOnPath("docker-credential-" + known.getValue()).isPresent()) {
        return runHelper(known.getValue(), registry, "the well-known helper for " + known.getKey(), false);
      }
    }
    return Optional.empty();
  }

  /** The parsed config, or null when there is none (the caller checked an explicit one exists). */
  private JsonNode readConfig() {
    BasicFileAttributes attributes;
    try {
      attributes = Files.readAttributes(config, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      LOG.debug("no Docker config at {}", config);
      return null;
    } catch (IOException e) {
      throw configError("cannot be read (" + e.getClass().getSimpleName() + ")", "check its permissions");
    }
    if (!attributes.isRegularFile()) {
      throw configError("is not a regular file", "give the config.json that docker login wrote");
    }
    if (attributes.size() > MAX_CONFIG_SIZE) {
      throw configError("is " + attributes.size() + " bytes, more than the " + MAX_CONFIG_SIZE
          + " bytes a Docker config may have here", "check that it is the right file");
    }
    byte[] bytes;
    try (InputStream in = Files.newInputStream(config)) {
      bytes = in.readNBytes((int) MAX_CONFIG_SIZE + 1);
    } catch (IOException e) {
      throw configError("cannot be read (" + e.getClass().getSimpleName() + ")", "check its permissions");
    }
    if (bytes.length > MAX_CONFIG_SIZE) {
      throw configError("grew past " + MAX_CONFIG_SIZE + " bytes while being read", "check what writes it");
    }
    JsonNode root;
    try {
      root = json.readTree(bytes);
    } catch (JsonProcessingException e) {
      // Jackson's message quotes the offending text, which may be a secret: only the position.
      throw configError("is not valid JSON (" + position(e.getLocation()) + ")",
          "repair it, or run docker login " + registry + " again");
    } catch (IOException e) {
      throw configError("cannot be parsed", "repair it, or run docker login " + registry + " again");
    }
    if (root == null || root.isMissingNode()) {
      return null;
    }
    if (!root.isObject()) {
      throw configError("is not a JSON object", "repair it, or run docker login " + registry + " again");
    }
    return root;
  }

  private static String position(JsonLocation location) {
    return location == null ? "position unknown"
        : "line " + location.getLineNr() + ", column " + location.getColumnNr();
  }

  private RegistryException configError(String fact, String fix) {
    return new RegistryException("cannot get the credentials for registry " + registry + ": the Docker config "
        + config + " " + fact + "; " + fix + ", or give credentials(user, password)");
  }

  /** A top-level field, matched without regard to case as Docker (Go's encoding/json) does. */
  private static JsonNode field(JsonNode node, String name) {
    if (node == null || !node.isObject()) {
      return null;
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().equalsIgnoreCase(name)) {
        return e.getValue();
      }
    }
    return null;
  }

  /** The entry of a credHelpers or auths map for this registry: host, https://host, host/..., https://host/.... */
  private Map.Entry<String, JsonNode> entryFor(JsonNode map) {
    if (map == null || !map.isObject()) {
      return null;
    }
    List<String> names = DOCKER_HUB.contains(registry) ? DOCKER_HUB : List.of(registry);
    for (String name : names) {
      for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (hostOf(e.getKey()).equals(name)) {
          return e;
        }
      }
    }
    return null;
  }

  private static String hostOf(String key) {
    String k = key.toLowerCase(Locale.ROOT);
    if (k.startsWith("https://")) {
      k = k.substring(8);
    } else if (k.startsWith("http://")) {
      k = k.substring(7);
    }
    int slash = k.indexOf('/');
    return slash < 0 ? k : k.substring(0, slash);
  }

  private String serverUrl() {
    return DOCKER_HUB.contains(registry) ? DOCKER_HUB_SERVER_URL : registry;
  }

  private String helperName(JsonNode value, String what) {
    String name = value.isTextual() ? value.asText() : "";
    if (!HELPER_NAME.matcher(name).matches()) {
      throw configError("has a " + what + " that is not a credential helper name (letters, digits, . _ -,"
          + " naming docker-credential-<name> on the PATH)", "fix that entry");
    }
    return name;
  }

  private Optional<Found> fromAuthEntry(String key, JsonNode entry) {
    String where = "the auths entry \"" + key + "\"";
    if (!entry.isObject()) {
      throw configError("has " + where + " that is not a JSON object", "run docker login " + registry + " again");
    }
    JsonNode identity = field(entry, "identitytoken");
    if (identity != null && identity.isTextual() && !identity.asText().isEmpty()) {
      return Optional.of(new Found("<token>", identity.asText(), where + " (identitytoken) in " + config));
    }
    JsonNode auth = field(entry, "auth");
    if (auth != null && !(auth.isTextual() && auth.asText().isEmpty())) {
      if (!auth.isTextual()) {
        throw configError("has " + where + " whose \"auth\" is not a string (it should be the base64 of"
            + " user:password, as docker login writes it)", "run docker login " + registry + " again");
      }
      byte[] decoded;
      try {
        decoded = Base64.getDecoder().decode(auth.asText().strip());
      } catch (IllegalArgumentException e) {
        // The decoder's message quotes a character of the value: not used.
        throw configError("has " + where + " whose \"auth\" is not valid base64 (it should be the base64 of"
            + " user:password, as docker login writes it)", "run docker login " + registry + " again");
      }
      String pair = new String(decoded, StandardCharsets.UTF_8);
      int colon = pair.indexOf(':');
      if (colon <= 0) {
        throw configError("has " + where + " whose \"auth\" does not decode to user:password ("
            + (colon == 0 ? "the user name is empty" : "there is no colon") + ")",
            "run docker login " + registry + " again");
      }
      return Optional.of(new Found(pair.substring(0, colon), pair.substring(colon + 1), where + " in " + config));
    }
    JsonNode user = field(entry, "username");
    JsonNode password = field(entry, "password");
    if (user != null && password != null && user.isTextual() && password.isTextual() && !user.asText().isEmpty()) {
      return Optional.of(new Found(user.asText(), password.asText(), where + " (username, password) in " + config));
    }
    LOG.debug("{} in {} holds no credentials", where, config);
    return Optional.empty();
  }

  /** Runs {@code docker-credential-<name> get} with the server URL on stdin. */
  private Optional<Found> runHelper(String name, String serverUrl, String configuredBy, boolean required) {
    String command = "docker-credential-" + name;
    Optional<Path> executable = findOnPath(command);
    String about = command + " (" + configuredBy + ")";
    if (executable.isEmpty()) {
      if (required) {
        throw new RegistryException("cannot get the credentials for registry " + registry + ": " + about
            + " is not an executable on the PATH; install it, fix the entry, or give credentials(user, password)");
      }
      LOG.warn("{}: {} is not on the PATH; looking for other credentials", registry, about);
      return Optional.empty();
    }
    Duration limit = deadline.remaining().compareTo(HELPER_TIMEOUT) < 0 ? deadline.remaining() : HELPER_TIMEOUT;
    LOG.debug("{}: asking {}", registry, about);
    Process process;
    try {
      process = new ProcessBuilder(executable.get().toString(), "get").start();
    } catch (IOException e) {
      throw new RegistryException("cannot get the credentials for registry " + registry + ": " + about
          + " cannot be started (" + e.getClass().getSimpleName() + "); check that it is executable");
    }
    deadline.register(() -> process.descendants().forEach(ProcessHandle::destroyForcibly));
    deadline.register(process::destroyForcibly);
    Capture stdout = new Capture(process.getInputStream(), MAX_HELPER_OUTPUT);
    Capture stderr = new Capture(process.getErrorStream(), 0); // drained, never kept: it may echo the secret
    int status;
    try {
      try (OutputStream in = process.getOutputStream()) {
        in.write(serverUrl.getBytes(StandardCharsets.UTF_8));
      } catch (IOException e) {
        LOG.debug("{}: {} closed its stdin early", registry, command);
      }
      long end = System.nanoTime() + limit.toNanos();
      while (!process.waitFor(20, TimeUnit.MILLISECONDS)) {
        boolean flood = stdout.count() > MAX_HELPER_OUTPUT;
        if (flood || System.nanoTime() - end >= 0) {
          process.descendants().forEach(ProcessHandle::destroyForcibly);
          process.destroyForcibly();
          if (flood) {
            throw new RegistryException("cannot get the credentials for registry " + registry + ": " + about
                + " printed more than " + MAX_HELPER_OUTPUT + " bytes, not the short JSON object a credential"
                + " helper prints, and was stopped; its output is not shown because it may hold a secret");
          }
          String when = limit.equals(HELPER_TIMEOUT) ? "within " + Deadline.describe(HELPER_TIMEOUT)
              : "before the push deadline (timeout(Duration), " + Deadline.describe(deadline.timeout()) + ")";
          throw new RegistryException("cannot get the credentials for registry " + registry + ": " + about
              + " did not answer " + when + " and was stopped; check that it works without a prompt (echo "
              + serverUrl + " | " + command + " get)");
        }
      }
      if (deadline.expired()) {
        throw new RegistryException("cannot get the credentials for registry " + registry + ": " + about
            + " did not answer before the push deadline (timeout(Duration), " + Deadline.describe(deadline.timeout())
            + ") and was stopped; check that it works without a prompt (echo " + serverUrl + " | " + command
            + " get)");
      }
      status = process.exitValue();
      stdout.join();
      stderr.join();
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new RegistryException("interrupted while " + about + " was asked for the credentials of " + registry);
    }
    String notShown = "its output (" + stdout.count() + " bytes on stdout, " + stderr.count()
        + " on stderr) is not shown because it may hold a secret; run echo " + serverUrl + " | " + command
        + " get to see it";
    byte[] out = stdout.bytes();
    String text = new String(out, StandardCharsets.UTF_8);
    if (text.contains(NOT_FOUND)) {
      LOG.debug("{}: {} has no credentials for {} (exit status {})", registry, about, serverUrl, status);
      return Optional.empty();
    }
    if (status != 0) {
      throw new RegistryException("cannot get the credentials for registry " + registry + ": " + about
          + " failed with exit status " + status + "; " + notShown + "; fix the helper or its entry, or give"
          + " credentials(user, password)");
    }
    if (stdout.count() > MAX_HELPER_OUTPUT) {
      throw new RegistryException("cannot get the credentials for registry " + registry + ": " + about
          + " printed more than " + MAX_HELPER_OUTPUT + " bytes, not the short JSON object a credential helper"
          + " prints; " + notShown);
    }
    JsonNode reply;
    try {
      reply = json.readTree(out);
    } catch (IOException e) {
      reply = null;
    }
    JsonNode user = field(reply, "Username");
    JsonNode secret = field(reply, "Secret");
    if (user == null || secret == null || !user.isTextual() || !secret.isTextual() || user.asText().isEmpty()
        || secret.asText().isEmpty()) {
      throw new RegistryException("cannot get the credentials for registry " + registry + ": " + about
          + " did not print the JSON object {\"ServerURL\": ..., \"Username\": ..., \"Secret\": ...} a credential"
          + " helper must print; " + notShown + "; fix the helper, or give credentials(user, password)");
    }
    return Optional.of(new Found(user.asText(), secret.asText(), "credential helper " + about));
  }

  /** An executable regular file of that name in a directory of the PATH. */
  static Optional<Path> findOnPath(String command) {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String dir : path.split(java.io.File.pathSeparator)) {
      if (!dir.isEmpty()) {
        Path candidate = Path.of(dir).resolve(command);
        if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
          return Optional.of(candidate.toAbsolutePath());
        }
      }
    }
    return Optional.empty();
  }

  /** Reads a stream on its own thread, keeping at most {@code keep + 1} bytes and counting the rest. */
  private static final class Capture {
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private final Thread thread;
    private final int keep;
    private long count;

    Capture(InputStream in, int keep) {
      this.keep = keep;
      this.thread = new Thread(() -> drain(in), "scratchkit-credential-helper-output");
      thread.setDaemon(true);
      thread.start();
    }

    private void drain(InputStream in) {
      byte[] buffer = new byte[8192];
      try (in) {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          synchronized (this) {
            int room = (int) Math.max(0, Math.min(n, keep + 1L - kept.size()));
            kept.write(buffer, 0, room);
            count += n;
          }
        }
      } catch (IOException e) {
        // the process was stopped: what was read is all there is
      }
    }

    void join() throws InterruptedException {
      thread.join(5_000);
    }

    synchronized long count() {
      return count;
    }

    synchronized byte[] bytes() {
      return kept.toByteArray();
    }
  }
}
