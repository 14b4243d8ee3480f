package dev.scratchkit.internal.oci;

import dev.scratchkit.oci.OciException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.regex.Pattern;

/** Validation of tag names for layouts and docker-archives. */
public final class Tags {
  private Tags() {}

  // OCI image-spec annotations.md, org.opencontainers.image.ref.name
  private static final String COMPONENT = "[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*";
  private static final Pattern REF_NAME = Pattern.compile(COMPONENT + "(?:/" + COMPONENT + ")*");
  // Docker reference: [host[:port]/]path:tag
  private static final Pattern REPO_TAG = Pattern.compile(
      "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?/)?"
          + "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
          + ":[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");

  /** Checks OCI layout tags (at least one, each a valid ref name), dropping duplicates. */
  public static List<String> layoutTags(String[] tags, String where) {
    if (tags.length == 0) {
      throw new OciException("no tag given for " + where + "; give at least one, e.g. tag(\"latest\")");
    }
    LinkedHashSet<String> set = new LinkedHashSet<>();
    for (String tag : tags) {
      if (tag == null || !REF_NAME.matcher(tag).matches()) {
        throw new OciException("invalid tag \"" + tag + "\" for " + where + ": a layout tag is letters and digits"
            + " joined by . _ - : @ + or /, e.g. latest, 1.0 or app/v2");
      }
      set.add(tag);
    }
    return List.copyOf(set);
  }

  /** Checks docker-archive tags ({@code repo:tag}), dropping duplicates. */
  public static List<String> repoTags(String[] tags, String where) {
    if (tags.length == 0) {
      throw new OciException("no tag given for " + where + "; give at least one, e.g. tag(\"app:latest\")");
    }
    LinkedHashSet<String> set = new LinkedHashSet<>();
    for (String tag : tags) {
      if (tag == null || !REPO_TAG.matcher(tag).matches()) {
        String hint = tag != null && !tag.contains(":") ? "; did you mean \"" + tag + ":latest\"?" : "";
        throw new OciException("invalid tag \"" + tag + "\" for " + where + ": a docker-archive tag is repo:tag"
            + " with a lower-case repository, e.g. app:1 or registry.example.com/team/app:1.0" + hint);
      }
      set.add(tag);
    }
    return List.copyOf(set);
  }
}
