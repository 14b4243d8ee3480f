package dev.scratchkit.internal.checks;

import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import dev.scratchkit.elf.RuntimeNeed;
import java.util.List;
import java.util.Optional;

/**
 * The config's {@code User} resolves against the image's own {@code /etc/passwd} and
 * {@code /etc/group}, as the runtime resolves it before starting the program: a name that is not
 * there stops the container; a name (even a known one) is refused by Kubernetes'
 * {@code runAsNonRoot}; a numeric uid without an entry breaks programs that look users up.
 */
final class UserRule implements Rule {

  static final String NAME = "user";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void check(CheckContext image, List<Finding> findings) {
    String user = image.view().config().user();
    if (user == null || user.isEmpty()) {
      return; // root
    }
    String[] parts = user.split(":", -1);
    if (parts.length > 2 || parts[0].isEmpty() || (parts.length == 2 && parts[1].isEmpty())) {
      findings.add(new Finding(NAME, "USER_INVALID", Severity.ERROR, "User", "User \"" + user
          + "\" is not of the form user, uid, user:group or uid:gid.", "",
          image.fix("Call user(\"65532:65532\") or another uid:gid.", "Set USER 65532:65532 (or another uid:gid).")));
      return;
    }
    Optional<String> passwd = image.text("/etc/passwd");
    Optional<String> group = image.text("/etc/group");
    String name = parts[0];
    boolean numeric = isNumeric(name);
    Optional<String> entry = passwd.flatMap(p -> find(p, name, numeric ? 2 : 0));
    if (!numeric && entry.isEmpty()) {
      findings.add(new Finding(NAME, "USER_UNKNOWN", Severity.ERROR, "/etc/passwd", "User \"" + user + "\" names the"
          + " user \"" + name + "\", but " + (passwd.isEmpty() ? "the image has no /etc/passwd"
              : "the image's /etc/passwd has no such user (it has " + String.join(", ", names(passwd.get())) + ")")
          + "; the runtime looks the name up there before it starts the program.",
          "unable to find user " + name + ": no matching entries in passwd file",
          image.fix("Use a user the image defines (e.g. user(\"65532:65532\") for nonroot), or add your own"
              + " /etc/passwd with addFile.",
              "Use a numeric USER (e.g. USER 65532:65532), or COPY an /etc/passwd that defines " + name + ".")));
    }
    if (parts.length == 2 && !isNumeric(parts[1]) && group.flatMap(g -> find(g, parts[1], 0)).isEmpty()) {
      findings.add(new Finding(NAME, "GROUP_UNKNOWN", Severity.ERROR, "/etc/group", "User \"" + user + "\" names the"
          + " group \"" + parts[1] + "\", but " + (group.isEmpty() ? "the image has no /etc/group"
              : "the image's /etc/group has no such group (it has " + String.join(", ", names(group.get())) + ")") + ".",
          "unable to find group " + parts[1] + ": no matching entries in group file",
          image.fix("Use a numeric gid, or a group the image defines, or add your own /etc/group with addFile.",
              "Use a numeric gid in USER, or COPY an /etc/group that defines " + parts[1] + ".")));
    }
    if (!numeric || (parts.length == 2 && !isNumeric(parts[1]))) {
      String uid = entry.map(e -> e.split(":", -1)).filter(f -> f.length > 3).map(f -> f[2] + ":" + f[3])
          .orElse("65532:65532");
      findings.add(new Finding(NAME, "USER_NOT_NUMERIC", Severity.WARNING, "User", "User \"" + user + "\" is a"
          + " name, not a number: Kubernetes with runAsNonRoot cannot tell that it is not root and refuses to start"
          + " the pod.",
          "container has runAsNonRoot and image has non-numeric user (" + name + "), cannot verify user is non-root",
          image.fix("Call user(\"" + uid + "\") with the numeric ids.", "Set USER " + uid + " (the numeric ids).")));
    }
    Optional<RuntimeNeed> lookups = image.need(RuntimeNeed.Kind.USER_DATABASE);
    if (numeric && entry.isEmpty() && lookups.isPresent()) {
      boolean go = image.isGo();
      findings.add(new Finding(NAME, "USER_WITHOUT_ENTRY", Severity.WARNING, "/etc/passwd", "User \"" + user
          + "\" has no entry in " + (passwd.isEmpty() ? "/etc/passwd (the image has none)" : "the image's /etc/passwd")
          + ", and the program looks users up (" + lookups.get().evidence() + "); those lookups fail.",
          go ? "user: unknown userid " + name : "",
          image.fix("Run as a user the image defines (e.g. user(\"65532:65532\"), nonroot), or add your own"
              + " /etc/passwd with addFile.",
              "COPY an /etc/passwd with a line for uid " + name + " (e.g. app:x:" + name + ":" + name
                  + ":app:/:/sbin/nologin).")));
    }
  }

  static boolean isNumeric(String s) {
    return !s.isEmpty() && s.length() <= 10 && s.chars().allMatch(c -> c >= '0' && c <= '9')
        && Long.parseLong(s) <= Integer.MAX_VALUE;
  }

  /** The line whose field {@code field} (0 name, 2 id) is {@code value}. */
  private static Optional<String> find(String database, String value, int field) {
    return database.lines().filter(l -> !l.startsWith("#")).filter(l -> {
      String[] f = l.split(":", -1);
      return f.length > field && f[field].equals(value);
    }).findFirst();
  }

  private static List<String> names(String database) {
    return database.lines().filter(l -> l.contains(":") && !l.startsWith("#")).map(l -> l.substring(0, l.indexOf(':')))
        .limit(20).toList();
  }
}
