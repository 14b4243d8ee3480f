package dev.scratchkit.internal.checks;

import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import dev.scratchkit.internal.view.ImageView;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A locale named by {@code LC_ALL}, {@code LC_*} or {@code LANG} is where glibc's
 * {@code setlocale} looks for it: {@code /usr/lib/locale/locale-archive}, or a directory
 * {@code /usr/lib/locale/<name>} (the codeset normalised, {@code C.UTF-8} → {@code C.utf8}), or
 * {@code LOCPATH}. glibc's {@code C.UTF-8} is such a file locale. Without it {@code setlocale}
 * fails and the program silently runs in the C locale: ASCII only, so {@code wc -m} counts bytes.
 * The evidence is the environment and an import of {@code setlocale} or {@code newlocale}.
 */
public final class LocaleRule implements Rule {

  static final String NAME = "locale";
  /** The functions that read the environment's locale. */
  public static final Set<String> FUNCTIONS = Set.of("setlocale", "newlocale");

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void check(CheckContext image, List<Finding> findings) {
    ImageView view = image.view();
    Map<String, String> named = LocaleNames.named(view::envValue);
    if (named.isEmpty()) {
      return;
    }
    Optional<String> evidence = ImportEvidence.inClosure(image, FUNCTIONS);
    if (evidence.isEmpty()) {
      return;
    }
    Optional<String> locpath = view.envValue("LOCPATH").filter(p -> !p.isEmpty());
    List<String> directories = new ArrayList<>();
    if (locpath.isPresent()) {
      for (String dir : locpath.get().split(":")) {
        if (dir.startsWith("/")) {
          directories.add(ImageView.normalise(dir));
        }
      }
    } else {
      directories.add(LocaleNames.DIRECTORY);
    }
    Set<String> archived = locpath.isPresent() ? Set.of() : archiveNames(view);
    for (Map.Entry<String, String> e : named.entrySet()) {
      String locale = e.getValue();
      if (archived.contains(LocaleNames.normalised(locale))) {
        continue;
      }
      List<String> looked = new ArrayList<>();
      boolean found = false;
      for (String dir : directories) {
        for (String candidate : LocaleNames.candidates(locale)) {
          String path = dir + "/" + candidate + "/LC_CTYPE";
          looked.add(path);
          ImageView.Resolution r = view.resolve(path);
          found |= r.found() && r.node().isFile();
        }
      }
      if (found) {
        continue;
      }
      String dir = directories.get(0) + "/" + LocaleNames.normalised(locale);
      findings.add(new Finding(NAME, "LOCALE_MISSING", Severity.ERROR, dir, e.getKey() + "=" + locale
          + " in the environment names the locale " + locale + ", and " + evidence.get() + ", but the image has"
          + " no such locale (looked for " + String.join(", ", looked)
          + (locpath.isPresent() ? "; LOCPATH is set, so no archive is read" : " and in " + LocaleNames.ARCHIVE)
          + "), so setlocale fails and the program silently runs in the C locale (ASCII: a multibyte character"
          + " counts as several, e.g. wc -m counts bytes).",
          "no error: the program runs in the C locale",
          image.fix("Call bundleSharedLibraries(): it adds the locale named in the environment from the same root"
                  + " (the directory " + dir + ", or taken out of the root's locale-archive); or add it with"
                  + " addDirectory(Path.of(\"" + dir + "\"), \"" + dir + "\").",
              "COPY " + dir + " from the build stage (Debian: C.utf8 comes with libc-bin; generate others with"
                  + " localedef --no-archive -i " + language(locale) + " -f UTF-8 " + dir + "), or use"
                  + " LANG=C.UTF-8 with /usr/lib/locale/C.utf8.")));
    }
  }

  private static String language(String locale) {
    int end = locale.length();
    for (char c : new char[] {'.', '@'}) {
      int i = locale.indexOf(c);
      if (i >= 0 && i < end) {
        end = i;
      }
    }
    return locale.substring(0, end);
  }

  private static Set<String> archiveNames(ImageView view) {
    ImageView.Resolution r = view.resolve(LocaleNames.ARCHIVE);
    if (!r.found() || !r.node().isFile()) {
      return Set.of();
    }
    try {
      LocaleArchive archive = LocaleArchive.open(view.localFile(r.node()));
      try {
        return Set.copyOf(archive.names());
      } finally {
        archive.close();
      }
    } catch (IOException | java.io.UncheckedIOException e) {
      return Set.of(); // glibc cannot read it either
    }
  }
}
