package dev.scratchkit.internal.checks;

import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import dev.scratchkit.internal.view.ImageView;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A program that translates its messages with gettext ({@code dcgettext}, {@code textdomain},
 * …, glibc's own for {@code strerror}) reads them from message catalogs,
 * {@code /usr/share/locale/<language>/LC_MESSAGES/<domain>.mo}, for the language the
 * environment names ({@code LANGUAGE}, {@code LC_ALL}, {@code LC_MESSAGES}, {@code LANG}).
 * Without them it prints English, silently: {@code LANG=de_DE.UTF-8 ls /x} says "cannot access"
 * in the image and "Zugriff … nicht möglich" on the build machine.
 *
 * <p>A warning: English output is what many images want, and which domains a program uses only
 * its strings show. With {@code bundleSharedLibraries()} the image gets the catalogs of the
 * named language whose domain names a string of the program or a library (glibc's is
 * {@code libc}), so the rule speaks for images made elsewhere or roots without them.
 */
public final class MessageCatalogsRule implements Rule {

  static final String NAME = "message-catalogs";
  /** glibc's gettext functions: a caller translates its messages. */
  public static final Set<String> FUNCTIONS = Set.of("gettext", "dgettext", "dcgettext", "ngettext", "dngettext",
      "dcngettext", "textdomain", "bindtextdomain");
  /** Where gettext looks unless {@code bindtextdomain} says otherwise (glibc's compiled-in default). */
  public static final String DIRECTORY = "/usr/share/locale";

  @Override
  public String name() {
    return NAME;
  }

  /**
   * {@return the language directories gettext tries for a locale name, most specific first:
   * {@code de_DE.UTF-8} gives de_DE.UTF-8, de_DE.utf8, de_DE, de.UTF-8, de.utf8, de}
   *
   * @param locale e.g. {@code de_DE.UTF-8@euro}
   */
  public static List<String> languages(String locale) {
    String rest = locale;
    String modifier = "";
    int at = rest.indexOf('@');
    if (at >= 0) {
      modifier = rest.substring(at);
      rest = rest.substring(0, at);
    }
    String codeset = "";
    int dot = rest.indexOf('.');
    if (dot >= 0) {
      codeset = rest.substring(dot + 1);
      rest = rest.substring(0, dot);
    }
    String territory = "";
    int underscore = rest.indexOf('_');
    if (underscore >= 0) {
      territory = rest.substring(underscore);
      rest = rest.substring(0, underscore);
    }
    String normalisedCodeset = codeset.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]", "");
    List<String> out = new ArrayList<>();
    for (String t : territory.isEmpty() ? List.of("") : List.of(territory, "")) {
      for (String c : codeset.isEmpty() ? List.of("") : List.of("." + codeset, "." + normalisedCodeset, "")) {
        String name = rest + t + c + modifier;
        if (!out.contains(name)) {
          out.add(name);
        }
        if (!modifier.isEmpty() && !out.contains(rest + t + c)) {
          out.add(rest + t + c);
        }
      }
    }
    return out;
  }

  /**
   * {@return the languages messages are looked up in: {@code LANGUAGE}'s list when the locale is
   * not C, else the locale of {@code LC_ALL}, {@code LC_MESSAGES} or {@code LANG}; empty for C,
   * POSIX and C.UTF-8, which translate nothing}
   *
   * @param env the value of a variable, if set
   */
  public static List<String> messageLocales(java.util.function.Function<String, Optional<String>> env) {
    Optional<String> locale = Optional.empty();
    for (String variable : List.of("LC_ALL", "LC_MESSAGES", "LANG")) {
      locale = env.apply(variable).filter(v -> !v.isEmpty());
      if (locale.isPresent()) {
        break;
      }
    }
    if (locale.isEmpty() || isUntranslated(locale.get())) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    env.apply("LANGUAGE").ifPresent(list -> {
      for (String l : list.split(":")) {
        if (!l.isEmpty() && !isUntranslated(l) && safe(l) && !out.contains(l)) {
          out.add(l);
        }
      }
    });
    if (out.isEmpty() && safe(locale.get())) {
      out.add(locale.get());
    }
    return out;
  }

  private static boolean isUntranslated(String locale) {
    String base = locale.split("[.@]")[0];
    return base.equals("C") || base.equals("POSIX");
  }

  private static boolean safe(String name) {
    return !name.contains("/") && !name.contains("..");
  }

  @Override
  public void check(CheckContext image, List<Finding> findings) {
    ImageView view = image.view();
    List<String> locales = messageLocales(view::envValue);
    if (locales.isEmpty()) {
      return;
    }
    Optional<String> evidence = ImportEvidence.inClosure(image, FUNCTIONS);
    if (evidence.isEmpty() || ImportEvidence.inClosure(image, LocaleRule.FUNCTIONS).isEmpty()) {
      return; // no gettext, or never leaves the C locale: nothing is translated
    }
    List<String> looked = new ArrayList<>();
    for (String locale : locales) {
      for (String language : languages(locale)) {
        String dir = DIRECTORY + "/" + language + "/LC_MESSAGES";
        looked.add(dir);
        ImageView.Resolution r = view.resolve(dir);
        if (r.found() && r.node().isDirectory() && !view.list(r.node().path()).isEmpty()) {
          return;
        }
      }
    }
    String locale = locales.get(0);
    String language = languages(locale).get(languages(locale).size() - 1);
    findings.add(new Finding(NAME, "MESSAGE_CATALOGS_MISSING", Severity.WARNING, DIRECTORY + "/" + language
        + "/LC_MESSAGES", evidence.get() + ", so it prints its messages in the language the environment names ("
        + locale + "), but the image has no message catalogs for it (looked in " + String.join(", ", looked)
        + "): it prints them in English.", "",
        image.fix("Call bundleSharedLibraries(): it adds the catalogs of " + language + " for the domains the"
                + " program and its libraries name (glibc's is libc), or add them with addFile(Path.of(\""
                + DIRECTORY + "/" + language + "/LC_MESSAGES/<domain>.mo\"), ...).",
            "COPY " + DIRECTORY + "/" + language + "/LC_MESSAGES/<domain>.mo for the program's domains (Debian:"
                + " the program's package, and libc-l10n for glibc's) from the build stage.")));
  }
}
