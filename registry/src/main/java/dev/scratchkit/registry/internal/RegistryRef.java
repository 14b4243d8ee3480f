package dev.scratchkit.registry.internal;

import com.google.cloud.tools.jib.api.ImageReference;
import com.google.cloud.tools.jib.api.InvalidImageReferenceException;
import dev.scratchkit.oci.OciException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;

/**
 * A parsed push reference: registry host (with port), repository and tags.
 *
 * @param registry e.g. {@code 127.0.0.1:5000} or {@code registry-1.docker.io}
 * @param repository e.g. {@code team/app}
 * @param tags at least one tag
 */
public record RegistryRef(String registry, String repository, List<String> tags) {

  /** Validates and copies. */
  public RegistryRef {
    tags = List.copyOf(tags);
    if (tags.isEmpty()) {
      throw new IllegalArgumentException("no tag");
    }
  }

  /** Parses {@code host[:port]/repo[:tag]}; the tag defaults to {@code latest}. */
  public static RegistryRef parse(String reference) {
    if (reference == null || reference.isBlank()) {
      throw new OciException("no image reference given for the registry target; give one such as"
          + " registry.example.com/team/app:1.0 or 127.0.0.1:5000/app:latest");
    }
    if (reference.contains("@")) {
      throw new OciException("invalid registry reference \"" + reference + "\": a push goes to a tag, not to a"
          + " digest; drop the @sha256:... part (the pushed digest is in the result)");
    }
    ImageReference ref;
    try {
      ref = ImageReference.parse(reference);
    } catch (InvalidImageReferenceException e) {
      throw new OciException("invalid registry reference \"" + reference + "\": expected host[:port]/repository:tag"
          + " with a lower-case repository, e.g. registry.example.com/team/app:1.0 or 127.0.0.1:5000/app:latest", e);
    }
    String tag = ref.getTag().orElse("latest");
    return new RegistryRef(ref.getRegistry(), ref.getRepository(), List.of(tag));
  }

  /** With more tags (duplicates dropped, order kept). */
  public RegistryRef plusTags(String[] more) {
    if (more.length == 0) {
      throw new OciException("no tag given for " + this + "; give at least one, e.g. tag(\"1.0\")");
    }
    LinkedHashSet<String> all = new LinkedHashSet<>(tags);
    for (String tag : more) {
      if (tag == null || !ImageReference.isValidTag(tag)) {
        throw new OciException("invalid tag \"" + tag + "\" for " + this + ": a registry tag is 1 to 128 letters,"
            + " digits, _ . or -, not starting with . or -, e.g. latest or 1.0");
      }
      all.add(tag);
    }
    return new RegistryRef(registry, repository, List.copyOf(all));
  }

  /** The host without the port, lower case, IPv6 brackets kept. */
  public String host() {
    String r = registry.toLowerCase(Locale.ROOT);
    if (r.startsWith("[")) {
      int end = r.indexOf(']');
      return end < 0 ? r : r.substring(0, end + 1);
    }
    int colon = r.lastIndexOf(':');
    return colon < 0 ? r : r.substring(0, colon);
  }

  /** The port, or -1 when the reference gives none (HTTPS: 443). */
  public int port() {
    String r = registry;
    int close = r.lastIndexOf(']');
    int colon = r.lastIndexOf(':');
    if (colon < 0 || colon < close) {
      return -1;
    }
    try {
      return Integer.parseInt(r.substring(colon + 1));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** True for {@code localhost}, 127.0.0.0/8 and {@code [::1]}: plain HTTP is allowed there. */
  public boolean isLoopback() {
    return isLoopbackHost(host());
  }

  /** As {@link #isLoopback()}, for a host name as a URI gives it (IPv6 in brackets). */
  static boolean isLoopbackHost(String host) {
    String h = host == null ? "" : host.toLowerCase(Locale.ROOT);
    return h.equals("localhost") || h.equals("[::1]") || h.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
  }

  /** E.g. {@code 127.0.0.1:5000/app:1,latest}. */
  @Override
  public String toString() {
    return registry + "/" + repository + ":" + String.join(",", tags);
  }
}
