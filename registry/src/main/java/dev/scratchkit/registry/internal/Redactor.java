package dev.scratchkit.registry.internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Removes secrets from text that came from elsewhere (exception messages
 * of the HTTP client or a registry's reply) before it reaches a log line or a message.
 *
 * <p>Two layers: the secrets this push knows (password, token, their {@code user:password}
 * base64) are replaced wherever they appear, and whatever looks like a credential is masked
 * even when it is not known: {@code Authorization} headers, {@code Basic}/{@code Bearer}
 * values, JSON fields such as {@code "Secret"}, {@code "password"}, {@code "auth"} or
 * {@code "token"}, URL query strings (pre-signed upload URLs carry signatures) and user info.
 */
final class Redactor {

  static final String MASK = "<redacted>";

  private static final Pattern AUTHORIZATION =
      Pattern.compile("(?i)\\b((?:proxy-)?authorization|x-registry-auth|cookie|set-cookie)(\\s*[:=]\\s*)[^\\r\\n]*");
  private static final Pattern SCHEME_VALUE =
      Pattern.compile("(?i)\\b(basic|bearer)(\\s+)[A-Za-z0-9._~+/=-]{8,}");
  private static final Pattern JSON_SECRET = Pattern.compile("(?i)(\"(?:secret|password|passwd|auth|identitytoken"
      + "|identity_token|registrytoken|token|access_token|refresh_token|id_token)\"\\s*:\\s*)\"(?:[^\"\\\\]|\\\\.)*\"");
  private static final Pattern KEY_VALUE_SECRET = Pattern.compile("(?i)\\b(password|passwd|secret|token"
      + "|access_token|refresh_token|identitytoken)(=)[^&\\s\"']+");
  private static final Pattern URL_QUERY = Pattern.compile("(?i)(\\bhttps?://[^\\s\"'?]*)\\?[^\\s\"']*");
  private static final Pattern URL_USERINFO = Pattern.compile("(?i)(\\bhttps?://)[^/\\s\"'@]+@");

  private final List<String> secrets = new ArrayList<>();

  /** Also replaces this secret (and nothing shorter than 3 characters, which would mangle text). */
  void add(String secret) {
    if (secret != null && secret.length() >= 3 && !secrets.contains(secret)) {
      secrets.add(secret);
      secrets.sort((a, b) -> b.length() - a.length()); // longest first: no partial replacement
    }
  }

  /** A user and password: both the password and the base64 of {@code user:password} are secrets. */
  void addCredential(String user, String password) {
    add(password);
    if (user != null && password != null) {
      String pair = user + ":" + password;
      add(pair);
      add(Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8)));
    }
  }

  /** The text with every known secret and everything that looks like a credential masked. */
  String scrub(String text) {
    if (text == null) {
      return null;
    }
    String s = text;
    for (String secret : secrets) {
      s = s.replace(secret, MASK);
    }
    s = AUTHORIZATION.matcher(s).replaceAll("$1$2" + MASK);
    s = SCHEME_VALUE.matcher(s).replaceAll("$1$2" + MASK);
    s = JSON_SECRET.matcher(s).replaceAll("$1\"" + MASK + "\"");
    s = KEY_VALUE_SECRET.matcher(s).replaceAll("$1$2" + MASK);
    s = URL_QUERY.matcher(s).replaceAll("$1?" + MASK);
    s = URL_USERINFO.matcher(s).replaceAll("$1" + MASK + "@");
    return s;
  }

  /**
   * A copy of a foreign exception chain with every message scrubbed, to attach as the cause of
   * our exception: the stack traces stay (for whoever debugs), the secrets do not.
   */
  Throwable scrubbed(Throwable t) {
    return scrubbed(t, 0);
  }

  private Throwable scrubbed(Throwable t, int depth) {
    if (t == null || depth > 20) {
      return null;
    }
    ScrubbedException copy = new ScrubbedException(t.getClass().getName(), scrub(t.getMessage()),
        t.getCause() == t ? null : scrubbed(t.getCause(), depth + 1));
    copy.setStackTrace(t.getStackTrace());
    return copy;
  }

  /** Stands in for a foreign exception: its class name and scrubbed message, its stack trace. */
  static final class ScrubbedException extends Exception {
    private static final long serialVersionUID = 1L;
    private final String type;

    ScrubbedException(String type, String message, Throwable cause) {
      super(message, cause);
      this.type = type;
    }

    /** The class name of the exception this stands in for. */
    String type() {
      return type;
    }

    @Override
    public String toString() {
      return getMessage() == null ? type : type + ": " + getMessage();
    }
  }
}
