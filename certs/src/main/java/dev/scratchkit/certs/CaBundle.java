package dev.scratchkit.certs;

import dev.scratchkit.certs.internal.AtomicFiles;
import dev.scratchkit.certs.internal.Digests;
import dev.scratchkit.certs.internal.KeyStoreReader;
import dev.scratchkit.certs.internal.OpenSslNameHash;
import dev.scratchkit.certs.internal.PemReader;
import dev.scratchkit.certs.internal.PemWriting;
import dev.scratchkit.certs.internal.Pkcs12TrustStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An immutable set of trusted CA certificates, and the files TLS clients read it from.
 *
 * <p>Load from the JDK ({@link #fromJdk()}), any keystore, PEM files or certificate
 * objects; combine and filter ({@link #plus}, {@link #withoutExpired}, {@link #filter});
 * write a PEM bundle ({@link #toPem()}, {@link #writePem(Path)}), a PKCS12 trust store
 * ({@link #writePkcs12}) or an OpenSSL hashed directory ({@link #writeHashedDirectory}).
 *
 * <p>Certificates are deduplicated by SHA-256 fingerprint and kept in the order of their
 * fingerprints, whatever the order of the input, so equal sets of certificates give
 * byte-identical output on every run, JDK and operating system. Only trusted-certificate
 * entries are ever read from a keystore; private keys never reach any output.
 *
 * <pre>{@code
 * CaBundle bundle = CaBundle.fromJdk().plus(CaBundle.fromPem(Path.of("corp-ca.pem")));
 * bundle.writePem(Path.of("build/ca-certificates.crt"));
 * }</pre>
 */
public final class CaBundle {

  private static final Logger LOG = LoggerFactory.getLogger(CaBundle.class);
  private static final Pattern HASHED_NAME = Pattern.compile("[0-9a-f]{8}\\.[0-9]+");
  private static final char[] JDK_DEFAULT_PASSWORD = "changeit".toCharArray();

  /** One certificate with its encoding and fingerprint, computed once. */
  private record Entry(X509Certificate certificate, byte[] der, byte[] sha256, String fingerprint) {}

  private final List<Entry> entries;
  private final String source;
  private volatile String pem;

  private CaBundle(List<Entry> entries, String source) {
    this.entries = entries;
    this.source = source;
  }

  // ---------------------------------------------------------------- loading

  /**
   * The trust store file of the running JDK: {@code <java.home>/lib/security/cacerts}.
   *
   * <p>This is the JDK's own file, whatever {@code javax.net.ssl.trustStore} says; for what
   * the JVM's TLS stack actually trusts, use {@link #fromDefaultTrustManager()}. The file is
   * read with the JDK's default password {@code changeit}, or without one (JKS and
   * passwordless PKCS12 need none to list certificates).
   *
   * @return the JDK's trusted certificates
   * @throws TrustStoreException if the file is missing, unreadable or empty
   */
  public static CaBundle fromJdk() {
    return fromJdk(Path.of(System.getProperty("java.home")));
  }

  /**
   * The trust store file of another JDK: {@code <javaHome>/lib/security/cacerts} (or
   * {@code <javaHome>/jre/lib/security/cacerts} for a JDK 8 home).
   *
   * <p>This is the JDK's own file, not {@code javax.net.ssl.trustStore}.
   *
   * @param javaHome the JDK or JRE directory, the one holding {@code bin/java}
   * @return that JDK's trusted certificates
   * @throws TrustStoreException if the file is missing, unreadable or empty
   */
  public static CaBundle fromJdk(Path javaHome) {
    Objects.requireNonNull(javaHome, "javaHome");
    Path home = javaHome.toAbsolutePath().normalize();
    Path cacerts = home.resolve("lib/security/cacerts");
    if (!Files.exists(cacerts) && Files.exists(home.resolve("jre/lib/security/cacerts"))) {
      cacerts = home.resolve("jre/lib/security/cacerts");
    }
    if (!Files.exists(cacerts)) {
      String reason = Files.isDirectory(home)
          ? "it has no lib/security/cacerts"
          : "the directory does not exist";
      throw new TrustStoreException("Cannot find the JDK trust store in", home, reason,
          "Pass a JDK or JRE home (the directory that contains bin/java), e.g. the value of "
              + "java.home of that JDK", null);
    }
    // A cacerts with a changed password: reading certificates needs no integrity check.
    return fromContents(cacerts, KeyStoreReader.readTrustingAnyPassword(cacerts, JDK_DEFAULT_PASSWORD));
  }

  /**
   * What the JVM's default trust manager trusts: the file named by the system property
   * {@code javax.net.ssl.trustStore} when set, else {@code jssecacerts} or {@code cacerts}
   * of the running JDK.
   *
   * <p>Where the property names a missing or unreadable file, the JDK silently falls back to
   * its {@code cacerts}; this method refuses instead, naming the file.
   *
   * @return the certificates the default trust manager accepts as issuers
   * @throws TrustStoreException if the trust manager cannot be initialised or trusts nothing
   */
  public static CaBundle fromDefaultTrustManager() {
    String property = System.getProperty("javax.net.ssl.trustStore");
    Path path = property == null || property.isEmpty() || property.equals("NONE") ? null : Path.of(property);
    String source = path == null ? "the default trust manager" : "the default trust manager (" + path.toAbsolutePath() + ")";
    String action = "Cannot read the trust store of the default trust manager";
    if (path != null && !(Files.isRegularFile(path) && Files.isReadable(path))) {
      // The JDK would quietly fall back to its cacerts here; that hides the mistake.
      throw new TrustStoreException(action, path,
          "javax.net.ssl.trustStore names a file that does not exist or cannot be read, and the JDK "
              + "would silently use its own cacerts instead",
          "Correct the property, or call CaBundle.fromJdk() if the JDK's cacerts is what you want", null);
    }
    X509Certificate[] issuers;
    try {
      TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init((KeyStore) null);
      issuers = Arrays.stream(factory.getTrustManagers())
          .filter(X509TrustManager.class::isInstance)
          .map(X509TrustManager.class::cast)
          .findFirst()
          .map(X509TrustManager::getAcceptedIssuers)
          .orElse(new X509Certificate[0]);
    } catch (KeyStoreException | NoSuchAlgorithmException | RuntimeException e) {
      throw new TrustStoreException(action, path, "initialisation failed (" + e.getMessage() + ")",
          "Check the system properties javax.net.ssl.trustStore, trustStoreType and trustStorePassword", e);
    }
    if (issuers.length == 0) {
      throw new TrustStoreException(action, path, "it trusts no certificate",
          "Check javax.net.ssl.trustStore and javax.net.ssl.trustStorePassword", null);
    }
    CaBundle bundle = create(Arrays.asList(issuers), source);
    LOG.info("Loaded {} trusted certificates from {}", bundle.size(), source);
    return bundle;
  }

  /**
   * The trusted-certificate entries of a JKS, JCEKS or PKCS12 keystore. Private-key and
   * secret-key entries are skipped (with a warning); their keys are never loaded.
   *
   * @param keystore the keystore file
   * @param password its password, or null to read without integrity check
   * @return the trusted certificates
   * @throws TrustStoreException for a missing or damaged file, a wrong password, or a keystore
   *     without trusted-certificate entries
   */
  public static CaBundle fromKeyStore(Path keystore, char[] password) {
    Path file = Objects.requireNonNull(keystore, "keystore").toAbsolutePath().normalize();
    return fromContents(file, KeyStoreReader.read(file, password));
  }

  private static CaBundle fromContents(Path file, KeyStoreReader.Contents contents) {
    if (contents.certificates().isEmpty()) {
      String skipped = contents.skippedKeyEntries() == 0 ? ""
          : " (it holds " + contents.skippedKeyEntries()
              + (contents.skippedKeyEntries() == 1 ? " key entry, which is" : " key entries, which are")
              + " never exported)";
      throw new TrustStoreException("Cannot read keystore", file,
          "it has no trusted-certificate entries" + skipped,
          "Import CA certificates with: keytool -importcert -trustcacerts -keystore " + file
              + " -alias NAME -file CA.pem", null);
    }
    CaBundle bundle = create(contents.certificates(), file.toString());
    LOG.info("Loaded {} trusted certificates from {} ({}{})", bundle.size(), file, contents.type(),
        contents.skippedKeyEntries() == 0 ? "" : ", " + contents.skippedKeyEntries() + " key entries skipped");
    return bundle;
  }

  /**
   * Certificates from PEM: a file holding one or many {@code CERTIFICATE} blocks, or a
   * directory whose {@code .pem}, {@code .crt}, {@code .cer} and {@code <hash>.N} files are
   * read in name order (not recursively).
   *
   * <p>Comment and title lines between blocks are ignored; key blocks are skipped with a
   * warning. What looks like damage is refused: base64 outside a block, two boundaries on one
   * line, binary data, a block without its {@code END} line, or a block that is not a valid
   * certificate.
   *
   * @param path a PEM file or a directory of them
   * @return the certificates
   * @throws TrustStoreException for a missing, damaged or certificate-less file or directory
   */
  public static CaBundle fromPem(Path path) {
    Path file = Objects.requireNonNull(path, "path").toAbsolutePath().normalize();
    List<X509Certificate> certificates = new ArrayList<>();
    if (Files.isDirectory(file)) {
      List<Path> files = pemFiles(file);
      for (Path f : files) {
        certificates.addAll(PemReader.read(f));
      }
      if (certificates.isEmpty()) {
        throw new TrustStoreException("Cannot read PEM directory", file,
            files.isEmpty() ? "it has no .pem, .crt, .cer or <hash>.N files" : "its files hold no certificate",
            "Put PEM certificate files (-----BEGIN CERTIFICATE-----) there, or pass the right directory", null);
      }
    } else {
      certificates.addAll(PemReader.read(file));
      if (certificates.isEmpty()) {
        throw new TrustStoreException("Cannot read PEM file", file, "it holds no certificate",
            "Pass a file with -----BEGIN CERTIFICATE----- blocks", null);
      }
    }
    CaBundle bundle = create(certificates, file.toString());
    LOG.info("Loaded {} certificates from {}", bundle.size(), file);
    return bundle;
  }

  private static List<Path> pemFiles(Path dir) {
    try (Stream<Path> list = Files.list(dir)) {
      List<Path> files = new ArrayList<>();
      for (Path p : (Iterable<Path>) list::iterator) {
        String name = p.getFileName().toString();
        String lower = name.toLowerCase(Locale.ROOT);
        boolean candidate = lower.endsWith(".pem") || lower.endsWith(".crt") || lower.endsWith(".cer")
            || HASHED_NAME.matcher(name).matches();
        if (!candidate) {
          continue;
        }
        if (!Files.isRegularFile(p)) {
          LOG.warn("{}: skipping {}: not a regular file (a FIFO, device, socket or dangling link)", dir, name);
          continue;
        }
        files.add(p);
      }
      files.sort(Comparator.comparing(p -> p.getFileName().toString()));
      return files;
    } catch (IOException e) {
      throw new TrustStoreException("Cannot read PEM directory", dir, "it cannot be listed (" + e + ")",
          "Check the directory's permissions", e);
    }
  }

  /**
   * A bundle of the given certificates.
   *
   * @param certificates the certificates, in any order; duplicates are removed
   * @return the bundle (empty when no certificate is given)
   */
  public static CaBundle of(X509Certificate... certificates) {
    Objects.requireNonNull(certificates, "certificates");
    return create(Arrays.asList(certificates), "given certificates");
  }

  private static CaBundle create(List<X509Certificate> certificates, String source) {
    Map<String, Entry> unique = new TreeMap<>();
    for (X509Certificate certificate : certificates) {
      Objects.requireNonNull(certificate, "certificate");
      byte[] der;
      try {
        der = certificate.getEncoded();
      } catch (CertificateEncodingException e) {
        throw new TrustStoreException("Cannot encode a certificate from", null,
            source + ": " + certificate.getSubjectX500Principal() + " has no valid encoding (" + e.getMessage() + ")",
            "Leave that certificate out", e);
      }
      byte[] sha256 = Digests.sha256(der);
      String fingerprint = Digests.hex(sha256);
      if (unique.putIfAbsent(fingerprint, new Entry(certificate, der, sha256, fingerprint)) != null) {
        LOG.debug("{}: dropping a duplicate of {}", source, certificate.getSubjectX500Principal());
      }
    }
    return new CaBundle(List.copyOf(unique.values()), source);
  }

  private CaBundle derive(List<Entry> kept, String newSource) {
    return new CaBundle(List.copyOf(kept), newSource);
  }

  // ------------------------------------------------------------ combining

  /**
   * This bundle and {@code other} together, duplicates removed.
   *
   * @param other the certificates to add
   * @return a new bundle
   */
  public CaBundle plus(CaBundle other) {
    Objects.requireNonNull(other, "other");
    Map<String, Entry> union = new TreeMap<>();
    for (Entry e : entries) {
      union.put(e.fingerprint(), e);
    }
    for (Entry e : other.entries) {
      union.putIfAbsent(e.fingerprint(), e);
    }
    return derive(new ArrayList<>(union.values()), source + " + " + other.source);
  }

  /**
   * Only the certificates not expired at {@code instant} (not-after on or after it).
   *
   * @param instant the moment to check, e.g. {@code Instant.now()} or the image's creation time
   * @return a new bundle; dropped certificates are logged at debug level
   */
  public CaBundle withoutExpired(Instant instant) {
    Objects.requireNonNull(instant, "instant");
    List<Entry> kept = new ArrayList<>();
    for (Entry e : entries) {
      if (e.certificate().getNotAfter().toInstant().isBefore(instant)) {
        LOG.debug("dropping {}: expired {}", e.certificate().getSubjectX500Principal(),
            e.certificate().getNotAfter().toInstant());
      } else {
        kept.add(e);
      }
    }
    LOG.debug("withoutExpired({}): kept {} of {} certificates", instant, kept.size(), entries.size());
    return derive(kept, source + ", without expired at " + instant);
  }

  /**
   * Only the certificates {@code predicate} accepts.
   *
   * @param predicate the test, e.g. {@code c -> c.getSubjectX500Principal().getName().contains("O=ISRG")}
   * @return a new bundle
   */
  public CaBundle filter(Predicate<X509Certificate> predicate) {
    Objects.requireNonNull(predicate, "predicate");
    List<Entry> kept = new ArrayList<>();
    for (Entry e : entries) {
      if (predicate.test(e.certificate())) {
        kept.add(e);
      }
    }
    return derive(kept, source + ", filtered");
  }

  // --------------------------------------------------------------- values

  /**
   * The certificates, ordered by SHA-256 fingerprint.
   *
   * @return an unmodifiable list
   */
  public List<X509Certificate> certificates() {
    return entries.stream().map(Entry::certificate).toList();
  }

  /**
   * The SHA-256 fingerprints, lower-case hex, in the order of {@link #certificates()}.
   *
   * @return an unmodifiable list
   */
  public List<String> fingerprints() {
    return entries.stream().map(Entry::fingerprint).toList();
  }

  /**
   * The number of certificates.
   *
   * @return the size
   */
  public int size() {
    return entries.size();
  }

  /**
   * Whether the bundle holds no certificate.
   *
   * @return true when empty
   */
  public boolean isEmpty() {
    return entries.isEmpty();
  }

  /**
   * A stable identity of the content: {@code sha256:} and the hex SHA-256 of {@link #toPem()}'s
   * UTF-8 bytes. Equal for equal certificate sets, whatever their source; handy as a cache key.
   *
   * @return the digest, e.g. {@code sha256:3b1f...}
   */
  public String pemDigest() {
    return "sha256:" + Digests.hex(Digests.sha256(toPem().getBytes(StandardCharsets.UTF_8)));
  }

  // --------------------------------------------------------------- output

  /**
   * The bundle as PEM text without comments, {@code \n} line endings, in fingerprint order:
   * what {@code /etc/ssl/certs/ca-certificates.crt} holds.
   *
   * @return the PEM text; empty for an empty bundle
   */
  public String toPem() {
    String text = pem;
    if (text == null) {
      text = toPem(PemOptions.plain());
      pem = text;
    }
    return text;
  }

  /**
   * The bundle as PEM text, {@code \n} line endings, in fingerprint order.
   *
   * @param options whether to add a comment header per certificate
   * @return the PEM text; empty for an empty bundle
   */
  public String toPem(PemOptions options) {
    Objects.requireNonNull(options, "options");
    StringBuilder out = new StringBuilder(entries.size() * 2200);
    for (Entry e : entries) {
      if (options.comments() && out.length() > 0) {
        out.append('\n');
      }
      PemWriting.append(out, e.certificate(), e.der(), e.sha256(), options.comments());
    }
    return out.toString();
  }

  /**
   * Writes {@link #toPem()} to {@code file} (UTF-8, mode 0644), atomically: a temporary file in
   * the same directory is renamed over the target, so readers never see half a bundle.
   *
   * @param file the file to create or replace; missing parent directories are created
   * @throws TrustStoreException if the bundle is empty or the file cannot be written
   */
  public void writePem(Path file) {
    writePem(file, PemOptions.plain());
  }

  /**
   * Writes {@link #toPem(PemOptions)} to {@code file}, atomically, like {@link #writePem(Path)}.
   *
   * @param file the file to create or replace
   * @param options whether to add a comment header per certificate
   * @throws TrustStoreException if the bundle is empty or the file cannot be written
   */
  public void writePem(Path file, PemOptions options) {
    Objects.requireNonNull(file, "file");
    requireNotEmpty("Cannot write PEM bundle", file);
    String text = options.equals(PemOptions.plain()) ? toPem() : toPem(options);
    AtomicFiles.write(file, text.getBytes(StandardCharsets.UTF_8), "PEM bundle");
    LOG.info("Wrote {} certificates to {}", size(), file.toAbsolutePath());
  }

  /**
   * This bundle as a PKCS12 trust store for a JVM (e.g. {@code -Djavax.net.ssl.trustStore}).
   *
   * <p>Every certificate is a trusted-certificate entry (alias: its common name and the start of
   * its fingerprint) and no key. The bytes are reproducible: with a password the integrity
   * check (HMAC-SHA256) uses a salt derived from the content rather than a random one — a trust
   * store holds no secret, and a fixed salt keeps image layers' digests stable. Without a
   * password there is no integrity check, like the JDK's passwordless {@code cacerts}; a JVM
   * then reads it with any password or none.
   *
   * @param password the store password (e.g. {@code "changeit"}), or null for none; not empty
   * @return the encoded store
   */
  public byte[] toPkcs12(char[] password) {
    if (password != null && password.length == 0) {
      throw new IllegalArgumentException(
          "an empty PKCS12 password is read differently by different tools; pass null for no password");
    }
    List<Pkcs12TrustStore.Entry> out = new ArrayList<>();
    Map<String, Integer> used = new HashMap<>();
    for (Entry e : entries) {
      String alias = alias(e);
      int n = used.merge(alias, 1, Integer::sum);
      out.add(new Pkcs12TrustStore.Entry(n == 1 ? alias : alias + "-" + n, e.der()));
    }
    return Pkcs12TrustStore.encode(out, password);
  }

  /**
   * Writes {@link #toPkcs12(char[])} to {@code file}, atomically.
   *
   * @param file the file to create or replace
   * @param password the store password, or null for none
   * @throws TrustStoreException if the bundle is empty or the file cannot be written
   */
  public void writePkcs12(Path file, char[] password) {
    Objects.requireNonNull(file, "file");
    requireNotEmpty("Cannot write PKCS12 trust store", file);
    AtomicFiles.write(file, toPkcs12(password), "PKCS12 trust store");
    LOG.info("Wrote {} certificates to PKCS12 trust store {}", size(), file.toAbsolutePath());
  }

  /**
   * The files of an OpenSSL hashed directory ({@code openssl verify -CApath}, {@code SSL_CERT_DIR}):
   * each certificate as PEM under {@code <subject_hash>.<n>}, the hash being OpenSSL's
   * {@code X509_NAME_hash} and {@code n} counting subjects with the same hash, in bundle order.
   *
   * @return file name to PEM text, sorted by name, unmodifiable
   */
  public Map<String, String> hashedDirectoryFiles() {
    Map<String, Integer> counters = new HashMap<>();
    Map<String, String> files = new TreeMap<>();
    for (Entry e : entries) {
      String hash = OpenSslNameHash.of(e.certificate().getSubjectX500Principal());
      int n = counters.merge(hash, 1, Integer::sum) - 1;
      StringBuilder pemText = new StringBuilder();
      PemWriting.append(pemText, e.certificate(), e.der(), e.sha256(), false);
      files.put(hash + "." + n, pemText.toString());
    }
    return Collections.unmodifiableMap(new LinkedHashMap<>(files));
  }

  /**
   * Writes {@link #hashedDirectoryFiles()} as regular files into {@code dir}, which must not
   * exist yet or be empty. The directory is filled under a temporary name and renamed, so a
   * failure leaves nothing half-written.
   *
   * @param dir the directory to create
   * @throws TrustStoreException if the bundle is empty, the directory is not empty, or it cannot
   *     be written
   */
  public void writeHashedDirectory(Path dir) {
    Objects.requireNonNull(dir, "dir");
    requireNotEmpty("Cannot write hashed directory", dir);
    Map<String, byte[]> files = new LinkedHashMap<>();
    hashedDirectoryFiles().forEach((name, text) -> files.put(name, text.getBytes(StandardCharsets.UTF_8)));
    AtomicFiles.writeDirectory(dir, files, "hashed directory");
    LOG.info("Wrote {} certificates to hashed directory {}", size(), dir.toAbsolutePath());
  }

  private void requireNotEmpty(String action, Path target) {
    if (entries.isEmpty()) {
      throw new TrustStoreException(action, target,
          "the bundle (" + source + ") is empty, so nothing would be trusted",
          "Check the filter or withoutExpired instant that removed every certificate", null);
    }
  }

  /** A readable, deterministic alias: the common name (or organisation) and 8 fingerprint digits. */
  private static String alias(Entry e) {
    X500Name name = X500Name.getInstance(e.certificate().getSubjectX500Principal().getEncoded());
    String label = firstValue(name, BCStyle.CN);
    if (label == null) {
      label = firstValue(name, BCStyle.OU);
    }
    if (label == null) {
      label = firstValue(name, BCStyle.O);
    }
    String slug = label == null ? "" : label.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-")
        .replaceAll("^-|-$", "");
    if (slug.length() > 48) {
      slug = slug.substring(0, 48);
    }
    String prefix = e.fingerprint().substring(0, 8);
    return slug.isEmpty() ? prefix : slug + "-" + prefix;
  }

  private static String firstValue(X500Name name, org.bouncycastle.asn1.ASN1ObjectIdentifier type) {
    for (RDN rdn : name.getRDNs(type)) {
      if (rdn.getFirst() != null && rdn.getFirst().getValue() instanceof ASN1String) {
        return ((ASN1String) rdn.getFirst().getValue()).getString();
      }
    }
    return null;
  }

  // --------------------------------------------------------------- object

  /**
   * Equal when both hold the same certificates; where they came from does not matter.
   *
   * @param other the object to compare with
   * @return whether the certificate sets are equal
   */
  @Override
  public boolean equals(Object other) {
    return other instanceof CaBundle && fingerprints().equals(((CaBundle) other).fingerprints());
  }

  /**
   * A hash of the fingerprints.
   *
   * @return the hash code
   */
  @Override
  public int hashCode() {
    return fingerprints().hashCode();
  }

  /**
   * E.g. {@code CaBundle[144 certificates, from /usr/lib/jvm/java-17-openjdk-amd64/lib/security/cacerts]}.
   *
   * @return the size and source
   */
  @Override
  public String toString() {
    return "CaBundle[" + entries.size() + (entries.size() == 1 ? " certificate" : " certificates")
        + ", from " + source + "]";
  }
}
