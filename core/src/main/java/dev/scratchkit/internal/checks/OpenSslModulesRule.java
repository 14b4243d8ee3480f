package dev.scratchkit.internal.checks;

import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import dev.scratchkit.elf.ResolvedLibrary;
import dev.scratchkit.internal.view.ImageView;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;

/**
 * OpenSSL 3 loads its providers other than {@code default} and {@code base} ({@code legacy} for
 * RC4, DES, MD4 and old PKCS#12 files; {@code fips}) by name from {@code <MODULESDIR>/<name>.so},
 * the directory compiled into libcrypto.so.3 ({@code OPENSSL_MODULES} overrides it). The evidence
 * that a provider is loaded: the command names one ({@code -provider legacy}), or the image's
 * {@code openssl.cnf} does.
 */
public final class OpenSslModulesRule implements Rule {

  static final String NAME = "openssl-modules";
  /** OpenSSL 3's library. */
  public static final String LIBCRYPTO = "libcrypto.so.3";
  /** Debian's MODULESDIR and OPENSSLDIR, when the library's own strings do not say. */
  static final String DEFAULT_MODULES = "/usr/lib/x86_64-linux-gnu/ossl-modules";
  static final String DEFAULT_OPENSSLDIR = "/usr/lib/ssl";
  static final List<String> PROVIDERS = List.of("legacy", "fips");

  @Override
  public String name() {
    return NAME;
  }

  /**
   * {@return the directory OpenSSL loads providers from, as compiled into the library}
   *
   * @param libcrypto libcrypto.so.3 on disk
   */
  public static String modulesDirectory(java.nio.file.Path libcrypto) {
    return compiled(libcrypto, "MODULESDIR").orElse(DEFAULT_MODULES);
  }

  /**
   * {@return OPENSSLDIR, where openssl.cnf is read from by default}
   *
   * @param libcrypto libcrypto.so.3 on disk
   */
  public static String openSslDirectory(java.nio.file.Path libcrypto) {
    return compiled(libcrypto, "OPENSSLDIR").orElse(DEFAULT_OPENSSLDIR);
  }

  private static Optional<String> compiled(java.nio.file.Path libcrypto, String name) {
    try {
      return CompiledInPaths.openSslDirectory(libcrypto, name).filter(d -> d.startsWith("/"));
    } catch (UncheckedIOException e) {
      return Optional.empty();
    }
  }

  @Override
  public void check(CheckContext image, List<Finding> findings) {
    Optional<ResolvedLibrary> libcrypto = image.closure().flatMap(c -> c.libraries().stream()
        .filter(l -> l.name().equals(LIBCRYPTO)).findFirst());
    if (libcrypto.isEmpty()) {
      return;
    }
    ImageView view = image.view();
    ImageView.Resolution library = view.resolve(libcrypto.get().pathInImage());
    if (!library.found() || !library.node().isFile()) {
      return;
    }
    java.nio.file.Path local = view.localFile(library.node());
    Optional<String> evidence = Optional.empty();
    String provider = null;
    List<String> argv = image.argv();
    for (int i = 0; i < argv.size() && evidence.isEmpty(); i++) {
      if (PROVIDERS.contains(argv.get(i)) && i > 0 && argv.get(i - 1).equals("-provider")) {
        provider = argv.get(i);
        evidence = Optional.of("the command passes -provider " + provider);
      }
    }
    if (evidence.isEmpty()) {
      String cnf = view.envValue("OPENSSL_CONF").filter(d -> d.startsWith("/"))
          .orElseGet(() -> openSslDirectory(local) + "/openssl.cnf");
      Optional<String> text = image.text(cnf);
      if (text.isPresent()) {
        for (String line : text.get().lines().toList()) {
          String l = line.contains("#") ? line.substring(0, line.indexOf('#')) : line;
          for (String p : PROVIDERS) {
            if (l.matches("\\s*" + p + "\\s*=.*") || l.matches("\\s*\\[\\s*" + p + "_sect\\s*\\].*")) {
              provider = p;
              evidence = Optional.of(cnf + " loads the " + p + " provider (\"" + line.trim() + "\")");
              break;
            }
          }
          if (evidence.isPresent()) {
            break;
          }
        }
      }
    }
    if (evidence.isEmpty()) {
      return;
    }
    String directory = view.envValue("OPENSSL_MODULES").filter(d -> d.startsWith("/"))
        .orElseGet(() -> modulesDirectory(local));
    String module = directory + "/" + provider + ".so";
    ImageView.Resolution r = view.resolve(module);
    if (r.found() && r.node().isFile()) {
      return;
    }
    findings.add(new Finding(NAME, "OPENSSL_PROVIDER_MISSING", Severity.ERROR, module, libcrypto.get().pathInImage()
        + " (OpenSSL 3) loads providers by name from its MODULESDIR " + directory + ", " + evidence.get()
        + ", and " + CheckContext.why(module, r) + ".",
        "unable to load provider " + provider,
        image.fix("Call bundleSharedLibraries(): it adds " + directory + " from the same root when a program links "
                + LIBCRYPTO + "; or add it with addDirectory(Path.of(\"" + directory + "\"), \"" + directory + "\").",
            "COPY " + directory + " (Debian package libssl3) from the build stage to " + directory + ".")));
  }
}
