package dev.scratchkit.internal.image;

import dev.scratchkit.ScratchImageException.Problem;
import java.util.List;
import java.util.Optional;

/**
 * Checks a {@code User} setting against the image's own {@code /etc/passwd} and
 * {@code /etc/group}: a runtime resolves names there, and fails the container with "no
 * matching entries in passwd file" when a name is missing. Numeric ids need no entry.
 */
final class UserCheck {

  private UserCheck() {}

  static void check(String user, String passwd, String group, List<Problem> problems) {
    if (user.isEmpty()) {
      problems.add(new Problem("user", "user(\"\") is empty. Give a name from /etc/passwd or a numeric"
          + " uid[:gid], e.g. 65532:65532 (nonroot)."));
      return;
    }
    String[] parts = user.split(":", -1);
    if (parts.length > 2 || parts[0].isEmpty() || (parts.length == 2 && parts[1].isEmpty())) {
      problems.add(new Problem("user", "user(\"" + user + "\") is not of the form user, uid, user:group or"
          + " uid:gid, e.g. nonroot or 65532:65532."));
      return;
    }
    String name = parts[0];
    if (!isNumeric(name) && find(passwd, name).isEmpty()) {
      problems.add(new Problem("user", "user(\"" + user + "\"): the image's /etc/passwd has no user \"" + name
          + "\" (it has " + String.join(", ", names(passwd)) + "), so the container would fail with"
          + " \"no matching entries in passwd file\". Use one of those names, a numeric uid such as 65532:65532,"
          + " or add your own /etc/passwd with addFile."));
    }
    if (parts.length == 2 && !isNumeric(parts[1]) && find(group, parts[1]).isEmpty()) {
      problems.add(new Problem("user", "user(\"" + user + "\"): the image's /etc/group has no group \""
          + parts[1] + "\" (it has " + String.join(", ", names(group)) + "). Use one of those names, a"
          + " numeric gid, or add your own /etc/group with addFile."));
    }
  }

  static boolean isNumeric(String s) {
    return !s.isEmpty() && s.length() <= 10 && s.chars().allMatch(c -> c >= '0' && c <= '9')
        && Long.parseLong(s) <= Integer.MAX_VALUE;
  }

  private static Optional<String> find(String database, String name) {
    return database.lines().filter(line -> line.startsWith(name + ":")).findFirst();
  }

  private static List<String> names(String database) {
    return database.lines().filter(line -> line.contains(":") && !line.startsWith("#"))
        .map(line -> line.substring(0, line.indexOf(':'))).toList();
  }
}
