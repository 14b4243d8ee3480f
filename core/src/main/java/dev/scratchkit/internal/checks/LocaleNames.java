package dev.scratchkit.internal.checks;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/** Which locales an environment names, and the names glibc looks them up by. */
public final class LocaleNames {

  /** The variables in the order glibc consults them: LC_ALL wins, then each category's, then LANG. */
  static final List<String> VARIABLES = List.of("LC_ALL", "LC_CTYPE", "LC_NUMERIC", "LC_TIME", "LC_COLLATE",
      "LC_MONETARY", "LC_MESSAGES", "LC_PAPER", "LC_NAME", "LC_ADDRESS", "LC_TELEPHONE", "LC_MEASUREMENT",
      "LC_IDENTIFICATION", "LANG");
  /** Where glibc's locales are (the directory compiled into libc) and its archive. */
  public static final String DIRECTORY = "/usr/lib/locale";
  /** The archive glibc reads before the directories, unless LOCPATH is set. */
  public static final String ARCHIVE = DIRECTORY + "/locale-archive";

  private LocaleNames() {}

  /**
   * {@return variable → locale name for every locale the environment names that is not built into
   * glibc (C, POSIX), e.g. LANG → C.UTF-8}
   *
   * @param env the value of a variable, if set
   */
  public static Map<String, String> named(Function<String, Optional<String>> env) {
    Map<String, String> named = new LinkedHashMap<>();
    Optional<String> all = env.apply("LC_ALL").filter(v -> !v.isEmpty());
    for (String variable : all.isPresent() ? List.of("LC_ALL") : VARIABLES) {
      env.apply(variable).filter(v -> !v.isEmpty() && !v.equals("C") && !v.equals("POSIX"))
          .filter(v -> !v.contains("/") && !v.contains(".."))
          .filter(v -> !named.containsValue(v)).ifPresent(v -> named.put(variable, v));
    }
    return named;
  }

  /**
   * {@return the names a directory locale is found by, as glibc tries them: as given, then with the
   * codeset normalised (en_US.UTF-8 → en_US.utf8: lower case, letters and digits only)}
   *
   * @param name e.g. en_US.UTF-8@euro
   */
  public static List<String> candidates(String name) {
    List<String> out = new ArrayList<>(List.of(name));
    String normalised = normalised(name);
    if (!out.contains(normalised)) {
      out.add(normalised);
    }
    return out;
  }

  /** {@return the name with its codeset normalised, as localedef names archive entries} */
  public static String normalised(String name) {
    int dot = name.indexOf('.');
    if (dot < 0) {
      return name;
    }
    int at = name.indexOf('@', dot);
    String codeset = at < 0 ? name.substring(dot + 1) : name.substring(dot + 1, at);
    StringBuilder n = new StringBuilder();
    boolean digitsOnly = true;
    for (char c : codeset.toCharArray()) {
      if (Character.isLetterOrDigit(c) && c < 128) {
        n.append(Character.toLowerCase(c));
        digitsOnly &= Character.isDigit(c);
      }
    }
    String norm = (digitsOnly && n.length() > 0 ? "iso" : "") + n.toString().toLowerCase(Locale.ROOT);
    return name.substring(0, dot + 1) + norm + (at < 0 ? "" : name.substring(at));
  }
}
