package dev.scratchkit.internal.checks;

import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import dev.scratchkit.elf.ResolvedLibrary;
import dev.scratchkit.internal.view.ImageView;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * glibc's {@code iconv_open} converts between character sets through gconv modules it loads with
 * {@code dlopen()} by the names in {@code gconv-modules} (in the directory compiled into libc,
 * {@code /usr/lib/x86_64-linux-gnu/gconv} on Debian, or {@code GCONV_PATH}). Only UTF-8, ASCII,
 * UCS-2 and UCS-4 are built in: without the modules every other charset is "unsupported". The
 * evidence is an import of {@code iconv_open} by the program or a library of its closure.
 */
public final class GconvRule implements Rule {

  static final String NAME = "gconv";
  /** The functions whose callers load gconv modules. */
  public static final Set<String> FUNCTIONS = Set.of("iconv_open");
  /**
   * Libraries whose import of {@code iconv_open} is no evidence: libstdc++ calls it only for
   * its {@code encoding_state} codecvt extension, whose templates a program instantiates itself
   * (the program then imports iconv_open), so every C++ program would otherwise get the modules.
   */
  public static final Set<String> NOT_EVIDENCE = Set.of("libstdc++.so.6");
  /**
   * Libraries that convert only between the locale's codeset and UTF-8, the JDK's agents'
   * ({@code libinstrument.so} for a {@code -javaagent}'s manifest, {@code libjdwp.so},
   * {@code libsplashscreen.so}): they skip the conversion for UTF-8, and glibc has ASCII (the C
   * locale's) built in, so they need a module only when the environment names a locale of
   * another codeset ({@link #namesOtherCodeset}). Without this every Java image with
   * {@code java.instrument} would carry 8 MB of modules it never loads.
   */
  public static final Set<String> LOCALE_CODESET_ONLY = Set.of("libinstrument.so", "libjdwp.so",
      "libsplashscreen.so");

  /**
   * {@return true if the environment names a locale whose codeset glibc does not have built in:
   * anything but C, POSIX and UTF-8 ({@code de_DE} alone is ISO-8859-1)}
   *
   * @param env the value of a variable, if set
   */
  public static boolean namesOtherCodeset(java.util.function.Function<String, Optional<String>> env) {
    for (String locale : LocaleNames.named(env).values()) {
      String name = locale.split("@")[0];
      int dot = name.indexOf('.');
      String codeset = dot < 0 ? "" : name.substring(dot + 1).toLowerCase(java.util.Locale.ROOT).replace("-", "");
      if (!codeset.equals("utf8")) {
        return true;
      }
    }
    return false;
  }
  /** The configuration glibc reads first, and the cache {@code iconvconfig} makes of it. */
  public static final List<String> CONFIGURATION = List.of("gconv-modules.cache", "gconv-modules");

  @Override
  public String name() {
    return NAME;
  }

  /**
   * {@return glibc's gconv directory: the one compiled into libc.so.6, else the Debian multiarch one
   * next to it}
   *
   * @param libc libc.so.6 on disk
   * @param libcPathInImage its path in the image
   */
  public static String directory(java.nio.file.Path libc, String libcPathInImage) {
    try {
      Optional<String> compiled = CompiledInPaths.gconvDirectory(libc);
      if (compiled.isPresent()) {
        return compiled.get();
      }
    } catch (UncheckedIOException unreadable) {
      // fall back to the layout of the distribution
    }
    String dir = libcPathInImage.substring(0, Math.max(1, libcPathInImage.lastIndexOf('/')));
    String last = dir.substring(dir.lastIndexOf('/') + 1);
    return last.contains("-linux-") ? "/usr/lib/" + last + "/gconv" : "/usr/lib64/gconv";
  }

  @Override
  public void check(CheckContext image, List<Finding> findings) {
    Optional<String> evidence = ImportEvidence.inClosure(image, FUNCTIONS, NOT_EVIDENCE);
    if (evidence.isEmpty()) {
      return;
    }
    ImageView view = image.view();
    ResolvedLibrary glibc = ImportEvidence.glibc(image.closure().orElseThrow()).orElseThrow();
    ImageView.Resolution libc = view.resolve(glibc.pathInImage());
    if (!libc.found() || !libc.node().isFile()) {
      return; // the shared-libraries rule reports it
    }
    String directory = directory(view.localFile(libc.node()), glibc.pathInImage());
    List<String> searched = new ArrayList<>();
    view.envValue("GCONV_PATH").ifPresent(p -> {
      for (String dir : p.split(":")) {
        if (dir.startsWith("/")) {
          searched.add(dir);
        }
      }
    });
    searched.add(directory);
    for (String dir : searched) {
      for (String name : CONFIGURATION) {
        ImageView.Resolution r = view.resolve(dir + "/" + name);
        if (r.found() && r.node().isFile()) {
          return;
        }
      }
    }
    findings.add(new Finding(NAME, "GCONV_MODULES_MISSING", Severity.WARNING, directory + "/gconv-modules",
        evidence.get() + ": glibc converts character sets other than UTF-8, ASCII, UCS-2 and UCS-4 with gconv"
            + " modules it loads by the names in gconv-modules, and the image has no gconv configuration (looked for "
            + String.join(", ", CONFIGURATION) + " in " + String.join(", ", searched) + ").",
        "iconv_open fails: Invalid argument (the iconv command prints \"failed to start conversion processing\")",
        image.fix("Call bundleSharedLibraries(): it adds " + directory + " (gconv-modules, gconv-modules.d and the"
                + " modules) from the same root when the program or a library imports iconv_open; or add it with"
                + " addDirectory(Path.of(\"" + directory + "\"), \"" + directory + "\").",
            "COPY " + directory + " (Debian package libc6) from the build stage to " + directory + ".")));
  }
}
