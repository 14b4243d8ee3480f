package dev.scratchkit.internal.checks;

import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import dev.scratchkit.elf.LibraryClosure;
import dev.scratchkit.elf.ResolvedLibrary;
import dev.scratchkit.elf.RuntimeNeed;
import dev.scratchkit.internal.view.ImageView;
import dev.scratchkit.internal.view.ImageView.Node;
import dev.scratchkit.internal.view.ImageView.Resolution;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A program that evidently verifies TLS servers finds CA certificates where it looks: Go's
 * {@code crypto/x509} (its file and directory lists, or {@code SSL_CERT_FILE} /
 * {@code SSL_CERT_DIR}), OpenSSL (the same variables, else its default {@code cert.pem} and
 * hashed {@code certs} directory), a Java runtime (its {@code lib/security/cacerts}, or
 * {@code javax.net.ssl.trustStore}). A bundle that {@code SSL_CERT_FILE} names must be a regular,
 * non-empty PEM file whatever the program.
 */
final class CaCertificatesRule implements Rule {

  static final String NAME = "ca-certificates";

  /** Go's crypto/x509 certFiles and certDirectories on Linux. */
  static final List<String> GO_FILES = List.of("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
      "/etc/ssl/ca-bundle.pem", "/etc/pki/tls/cacert.pem", "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
      "/etc/ssl/cert.pem");
  static final List<String> GO_DIRS = List.of("/etc/ssl/certs", "/etc/pki/tls/certs");
  /** OPENSSLDIR of common builds: Debian/Ubuntu, Alpine and others, RHEL, source builds. */
  static final List<String> OPENSSL_DIRS = List.of("/usr/lib/ssl", "/etc/ssl", "/etc/pki/tls", "/usr/local/ssl");
  private static final Pattern HASHED = Pattern.compile("[0-9a-f]{8}\\.[0-9]+");
  private static final byte[] PEM = "-----BEGIN CERTIFICATE-----".getBytes(StandardCharsets.US_ASCII);

  private enum Kind { GO, OPENSSL, JAVA }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void check(CheckContext image, List<Finding> findings) {
    ImageView view = image.view();
    Optional<String> certFile = view.envValue("SSL_CERT_FILE").filter(s -> !s.isEmpty());
    Optional<String> evidence = evidence(image);
    Kind kind = kind(image);
    List<String> tried = new ArrayList<>();
    if (evidence.isPresent() && located(image, kind, certFile, tried)) {
      return;
    }
    String problem = certFile.map(f -> bundleProblem(view, f)).orElse(null);
    if (problem != null) {
      // The config promises a bundle there: wrong whatever the program.
      Resolution r = view.resolve(certFile.get());
      String runtime = goError(view, certFile);
      findings.add(new Finding(NAME, "CA_BUNDLE_BROKEN", Severity.WARNING, certFile.get(), "SSL_CERT_FILE names "
          + certFile.get() + ", but " + problem + (evidence.isPresent() ? "; the program verifies TLS servers ("
              + evidence.get() + ") and finds no other certificates" : "; TLS verification will fail") + ".",
          kind == Kind.OPENSSL && evidence.isPresent() ? "certificate verify failed" : runtime,
          image.fix("Keep " + certFile.get() + " free for the CA bundle: move the file you add there"
                  + " (addFile/addDirectory), or give your certificates with caCertificates(CaBundle.fromPem(file)).",
              "COPY a PEM CA bundle (e.g. from the ca-certificates package) to " + certFile.get()
                  + ", or point SSL_CERT_FILE at one.")));
      return;
    }
    if (evidence.isEmpty()) {
      return;
    }
    String runtime = kind == Kind.GO ? goError(view, certFile)
        : kind == Kind.OPENSSL ? "certificate verify failed"
        : "PKIX path building failed";
    findings.add(new Finding(NAME, "CA_CERTIFICATES_MISSING", Severity.WARNING, tried.isEmpty() ? "/etc/ssl/certs"
        : tried.get(0), "The program verifies TLS servers (" + evidence.get() + "), but the image has no CA"
        + " certificates where it looks (" + String.join(", ", tried) + "), so every TLS connection it makes fails.",
        runtime,
        image.fix("Remove noCaCertificates(), or give a bundle with caCertificates(CaBundle.fromJdk()).",
            kind == Kind.JAVA ? "Keep the runtime's lib/security/cacerts in the image (jlink keeps it)."
                : "COPY a CA bundle to /etc/ssl/certs/ca-certificates.crt (e.g. COPY --from=build"
                    + " /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/), and set SSL_CERT_FILE to it.")));
  }

  /**
   * What Go's crypto/x509 reports when it finds no root: its first error other than "not found"
   * while reading its files and directories, else that the server's authority is unknown.
   */
  static String goError(ImageView view, Optional<String> certFile) {
    String first = null;
    for (String f : certFile.map(List::of).orElse(GO_FILES)) {
      Resolution r = view.resolve(f);
      if (r.found() && r.node().isFile()) {
        break; // Go reads the first file it can and stops there
      }
      if (first == null && r.failure() == ImageView.Failure.NOT_A_DIRECTORY) {
        first = "open " + f + ": not a directory";
      } else if (first == null && r.found() && r.node().isDirectory()) {
        first = "read " + f + ": is a directory";
      }
    }
    Optional<List<String>> certDirs = view.envValue("SSL_CERT_DIR").filter(s -> !s.isEmpty())
        .map(s -> Arrays.stream(s.split(":")).filter(d -> !d.isEmpty()).toList());
    for (String d : certDirs.orElse(GO_DIRS)) {
      Resolution r = view.resolve(d);
      if (first == null && (r.failure() == ImageView.Failure.NOT_A_DIRECTORY || r.found() && !r.node().isDirectory())) {
        first = "open " + d + ": not a directory";
      }
    }
    return first == null ? "x509: certificate signed by unknown authority"
        : "x509: failed to load system roots and no roots provided; " + first;
  }

  /** What shows the program does TLS: Go's crypto/x509, a TLS library in its closure, a Java runtime. */
  private static Optional<String> evidence(CheckContext image) {
    Optional<RuntimeNeed> need = image.need(RuntimeNeed.Kind.CA_CERTIFICATES);
    if (need.isPresent()) {
      return Optional.of(need.get().evidence());
    }
    Optional<LibraryClosure> closure = image.closure();
    if (closure.isPresent()) {
      for (ResolvedLibrary l : closure.get().libraries()) {
        if (l.name().startsWith("libssl.so") || l.name().startsWith("libcrypto.so")) {
          return Optional.of("loads " + l.name());
        }
      }
    }
    if (isJava(image)) {
      return Optional.of("a Java runtime");
    }
    return Optional.empty();
  }

  private static boolean isJava(CheckContext image) {
    return JavaRuntimeRule.runtime(image).isPresent();
  }

  private static Kind kind(CheckContext image) {
    if (image.isGo()) {
      return Kind.GO;
    }
    return isJava(image) ? Kind.JAVA : Kind.OPENSSL;
  }

  private static boolean located(CheckContext image, Kind kind, Optional<String> certFile, List<String> tried) {
    ImageView view = image.view();
    Optional<List<String>> certDirs = view.envValue("SSL_CERT_DIR").filter(s -> !s.isEmpty())
        .map(s -> Arrays.stream(s.split(":")).filter(d -> !d.isEmpty()).toList());
    switch (kind) {
      case GO: {
        List<String> files = certFile.map(List::of).orElse(GO_FILES);
        for (String f : files) {
          tried.add(f);
          if (bundleProblem(view, f) == null) {
            return true;
          }
        }
        for (String d : certDirs.orElse(GO_DIRS)) {
          tried.add(d + "/");
          if (directoryHasPem(view, d, false)) {
            return true;
          }
        }
        return false;
      }
      case OPENSSL: {
        List<String> files = certFile.map(List::of)
            .orElse(OPENSSL_DIRS.stream().map(d -> d + "/cert.pem").toList());
        for (String f : files) {
          tried.add(f);
          if (bundleProblem(view, f) == null) {
            return true;
          }
        }
        for (String d : certDirs.orElse(OPENSSL_DIRS.stream().map(x -> x + "/certs").toList())) {
          tried.add(d + "/");
          if (directoryHasPem(view, d, true)) {
            return true;
          }
        }
        return false;
      }
      default: {
        String store = trustStoreProperty(image).orElseGet(() -> {
          String home = JavaRuntimeRule.runtime(image).orElseThrow().home();
          return (home.equals("/") ? "" : home) + "/lib/security/cacerts";
        });
        tried.add(store);
        Resolution r = view.resolve(store);
        return r.found() && r.node().isFile() && JavaRuntimeRule.trustStoreHasCertificates(view, r.node());
      }
    }
  }

  private static Optional<String> trustStoreProperty(CheckContext image) {
    List<String> words = new ArrayList<>(image.argv());
    image.view().envValue("JAVA_TOOL_OPTIONS").ifPresent(v -> words.addAll(List.of(v.split("\\s+"))));
    image.view().envValue("JDK_JAVA_OPTIONS").ifPresent(v -> words.addAll(List.of(v.split("\\s+"))));
    return words.stream().filter(w -> w.startsWith("-Djavax.net.ssl.trustStore="))
        .map(w -> w.substring("-Djavax.net.ssl.trustStore=".length())).reduce((a, b) -> b);
  }

  /** Null if the path is a regular, non-empty file with a PEM certificate; else what is wrong. */
  static String bundleProblem(ImageView view, String path) {
    Resolution r = view.resolve(path);
    if (!r.found()) {
      return CheckContext.why(path, r);
    }
    Node node = r.node();
    if (!node.isFile()) {
      return path + " is a " + node.type().name().toLowerCase(java.util.Locale.ROOT) + " " + CheckContext.layerOf(node)
          + ", not a file";
    }
    if (node.size() == 0) {
      return path + " is empty " + CheckContext.layerOf(node);
    }
    if (!containsPem(view.read(node, CheckContext.MAX_TEXT))) {
      return path + " " + CheckContext.layerOf(node) + " holds no PEM certificate (no \"-----BEGIN CERTIFICATE-----\")";
    }
    return null;
  }

  private static boolean directoryHasPem(ImageView view, String dir, boolean hashedOnly) {
    Resolution r = view.resolve(dir);
    if (!r.found() || !r.node().isDirectory()) {
      return false;
    }
    int looked = 0;
    for (Node child : view.children(r.realPath())) {
      String name = child.path().substring(child.path().lastIndexOf('/') + 1);
      if (hashedOnly && !HASHED.matcher(name).matches()) {
        continue;
      }
      Resolution c = view.resolve(child.path());
      if (c.found() && c.node().isFile() && containsPem(view.read(c.node(), 64 * 1024))) {
        return true;
      }
      if (++looked >= 64) {
        return false;
      }
    }
    return false;
  }

  private static boolean containsPem(byte[] bytes) {
    outer:
    for (int i = 0; i + PEM.length <= bytes.length; i++) {
      for (int j = 0; j < PEM.length; j++) {
        if (bytes[i + j] != PEM[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
