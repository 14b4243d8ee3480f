package dev.scratchkit.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input gives a TrustStoreException naming the absolute path, the reason and the fix. */
class BadInputTest {

  private static final String PEM_FIX = "Repair the file (each certificate needs its own -----BEGIN CERTIFICATE----- "
      + "and -----END CERTIFICATE----- lines), or replace it with an intact copy";

  @TempDir static Path dir;
  @TempDir Path tmp;

  private static String pemA;
  private static String pemB;
  private static TestPki.Issued caA;

  @BeforeAll
  static void certificates() throws Exception {
    caA = TestPki.ca("CN=Bad Input A,O=Scratchkit");
    pemA = CaBundle.of(caA.certificate()).toPem();
    pemB = CaBundle.of(TestPki.ca("CN=Bad Input B,O=Scratchkit").certificate()).toPem();
  }

  private Path write(String name, String content) throws Exception {
    return Files.writeString(tmp.resolve(name), content);
  }

  private Path write(String name, byte[] content) throws Exception {
    return Files.write(tmp.resolve(name), content);
  }

  private static TrustStoreException pemError(Path file) {
    try {
      CaBundle.fromPem(file);
    } catch (TrustStoreException e) {
      assertThat(e.path()).contains(file.toAbsolutePath());
      return e;
    }
    throw new AssertionError("no exception for " + file);
  }

  // ------------------------------------------------------------- keystores

  @Test
  void missingKeystoreNamesTheAbsolutePath() {
    Path relative = Path.of("no-such-dir", "cacerts.p12");
    assertThatThrownBy(() -> CaBundle.fromKeyStore(relative, "changeit".toCharArray()))
        .isInstanceOf(TrustStoreException.class)
        .hasMessage("Cannot read keystore " + relative.toAbsolutePath() + ": the file does not exist. Its directory "
            + relative.toAbsolutePath().getParent() + " does not exist either; check the path");
    Path missing = tmp.resolve("missing.p12");
    assertThatThrownBy(() -> CaBundle.fromKeyStore(missing, null))
        .hasMessage("Cannot read keystore " + missing + ": the file does not exist. Check the path");
  }

  @Test
  void directoryInsteadOfKeystore() {
    assertThatThrownBy(() -> CaBundle.fromKeyStore(tmp, null))
        .isInstanceOf(TrustStoreException.class)
        .hasMessage("Cannot read keystore " + tmp + ": it is a directory, not a file. Pass the file itself");
  }

  @Test
  void wrongPasswordSaysSoWithoutRevealingIt() throws Exception {
    Path jks = TestPki.keyStore(tmp.resolve("store.jks"), "JKS", "right-one".toCharArray(), null, caA.certificate());

    TrustStoreException e = (TrustStoreException) org.assertj.core.api.Assertions.catchThrowable(
        () -> CaBundle.fromKeyStore(jks, "wrong-guess".toCharArray()));

    assertThat(e).hasMessage("Cannot read keystore " + jks + ": the keystore integrity check failed. This is "
        + "usually a wrong password (the JDK's cacerts uses \"changeit\"); otherwise the file was modified or "
        + "damaged. Check it with: keytool -list -keystore " + jks);
    assertThat(e.reason()).isEqualTo("the keystore integrity check failed");
    assertThat(e.getMessage()).doesNotContain("wrong-guess").doesNotContain("right-one");
    // Without a password, JKS certificates are readable (no integrity check).
    assertThat(CaBundle.fromKeyStore(jks, null)).isEqualTo(CaBundle.of(caA.certificate()));
  }

  @Test
  void truncatedKeystoresAreCalledDamaged() throws Exception {
    for (String type : new String[] {"JKS", "PKCS12"}) {
      Path good = TestPki.keyStore(tmp.resolve("good." + type), type, "changeit".toCharArray(), null, caA.certificate());
      byte[] bytes = Files.readAllBytes(good);
      Path truncated = write("truncated." + type, Arrays.copyOf(bytes, bytes.length / 2));

      assertThatThrownBy(() -> CaBundle.fromKeyStore(truncated, "changeit".toCharArray()))
          .isInstanceOf(TrustStoreException.class)
          .hasMessageStartingWith("Cannot read keystore " + truncated + ": the " + type + " keystore is damaged")
          .hasMessageEndingWith("Re-create or re-download it; `keytool -list -keystore " + truncated
              + "` shows what is wrong");
    }
  }

  @Test
  void garbageIsNotAKeystore() throws Exception {
    Path garbage = write("garbage.bin", new byte[] {1, 2, 3, 4, 5, 6});
    assertThatThrownBy(() -> CaBundle.fromKeyStore(garbage, null))
        .hasMessage("Cannot read keystore " + garbage + ": it is not a JKS, JCEKS or PKCS12 keystore (it starts "
            + "with bytes 01020304). Check the path; PEM files load with CaBundle.fromPem(path)");
    Path pem = write("bundle.pem", pemA);
    assertThatThrownBy(() -> CaBundle.fromKeyStore(pem, null))
        .hasMessage("Cannot read keystore " + pem + ": it is a PEM file, not a keystore. Load it with "
            + "CaBundle.fromPem(path)");
    Path empty = write("empty.p12", new byte[0]);
    assertThatThrownBy(() -> CaBundle.fromKeyStore(empty, null))
        .hasMessage("Cannot read keystore " + empty + ": the file is empty. Check the path");
  }

  @Test
  void keystoreWithOnlyAKeyEntryIsAnEmptyResult() throws Exception {
    Path store = TestPki.keyStore(tmp.resolve("keys-only.p12"), "PKCS12", "changeit".toCharArray(),
        TestPki.server(caA));

    assertThatThrownBy(() -> CaBundle.fromKeyStore(store, "changeit".toCharArray()))
        .isInstanceOf(TrustStoreException.class)
        .hasMessage("Cannot read keystore " + store + ": it has no trusted-certificate entries (it holds 1 key "
            + "entry, which is never exported). Import CA certificates with: keytool -importcert -trustcacerts "
            + "-keystore " + store + " -alias NAME -file CA.pem");
  }

  @Test
  void notAJavaHome() {
    Path home = tmp.resolve("not-a-jdk");
    assertThatThrownBy(() -> CaBundle.fromJdk(home))
        .isInstanceOf(TrustStoreException.class)
        .hasMessage("Cannot find the JDK trust store in " + home + ": the directory does not exist. Pass a JDK or "
            + "JRE home (the directory that contains bin/java), e.g. the value of java.home of that JDK");
    assertThatThrownBy(() -> CaBundle.fromJdk(tmp))
        .hasMessageContaining(": it has no lib/security/cacerts. Pass a JDK or JRE home");
  }

  @Test
  void fromJdkReadsACacertsWithAChangedPasswordOrNoPassword() throws Exception {
    Path jksHome = Files.createDirectories(tmp.resolve("jdk-a/lib/security")).getParent().getParent();
    TestPki.keyStore(jksHome.resolve("lib/security/cacerts"), "JKS", "not-changeit".toCharArray(), null,
        caA.certificate());
    assertThat(CaBundle.fromJdk(jksHome)).isEqualTo(CaBundle.of(caA.certificate()));

    // A passwordless PKCS12 cacerts, as JDK 18 and later ship.
    Path p12Home = Files.createDirectories(tmp.resolve("jdk-b/lib/security")).getParent().getParent();
    CaBundle.of(caA.certificate()).writePkcs12(p12Home.resolve("lib/security/cacerts"), null);
    assertThat(CaBundle.fromJdk(p12Home).toString())
        .isEqualTo("CaBundle[1 certificate, from " + p12Home.resolve("lib/security/cacerts") + "]");
  }

  @Test
  void defaultTrustManagerWithAMissingTrustStoreNamesIt() {
    Path missing = tmp.resolve("no-such-truststore.p12");
    String old = System.getProperty("javax.net.ssl.trustStore");
    try {
      System.setProperty("javax.net.ssl.trustStore", missing.toString());
      assertThatThrownBy(CaBundle::fromDefaultTrustManager)
          .isInstanceOf(TrustStoreException.class)
          .hasMessage("Cannot read the trust store of the default trust manager " + missing + ": "
              + "javax.net.ssl.trustStore names a file that does not exist or cannot be read, and the JDK would "
              + "silently use its own cacerts instead. Correct the property, or call CaBundle.fromJdk() if the "
              + "JDK's cacerts is what you want");
    } finally {
      if (old == null) {
        System.clearProperty("javax.net.ssl.trustStore");
      } else {
        System.setProperty("javax.net.ssl.trustStore", old);
      }
    }
  }

  // ------------------------------------------------------------------- PEM

  @Test
  void base64BetweenCertificatesIsGarbage() throws Exception {
    // A certificate whose BEGIN line was lost.
    String lost = pemB.substring(pemB.indexOf('\n') + 1);
    Path file = write("lost-begin.pem", pemA + lost);

    TrustStoreException e = pemError(file);

    assertThat(e).hasMessage("Cannot read PEM file " + file + ": line " + (pemA.split("\n").length + 1)
        + ": base64 data outside any BEGIN/END block (a BEGIN line is missing or the file is damaged). " + PEM_FIX);
  }

  @Test
  void filesConcatenatedWithoutNewline() throws Exception {
    Path file = write("no-newline.pem", pemA.strip() + pemB);
    assertThat(pemError(file).reason()).startsWith("line ")
        .contains("files were concatenated without a newline");
  }

  @Test
  void truncatedBlock() throws Exception {
    Path file = write("truncated.pem", pemA + pemB.substring(0, pemB.length() / 2));
    int beginLine = pemA.split("\n").length + 1;
    assertThat(pemError(file)).hasMessage("Cannot read PEM file " + file + ": line " + beginLine
        + ": \"-----BEGIN CERTIFICATE-----\" has no END line (the file is truncated). " + PEM_FIX);
  }

  @Test
  void endWithoutBeginAndMismatchedLabels() throws Exception {
    Path stray = write("stray-end.pem", pemA + "-----END CERTIFICATE-----\n");
    assertThat(pemError(stray).reason()).endsWith("an END line without a BEGIN line");
    Path mismatched = write("mismatch.pem", pemA.replace("-----END CERTIFICATE-----", "-----END X509 CRL-----"));
    assertThat(pemError(mismatched).reason())
        .isEqualTo("line " + pemA.split("\n").length + ": \"-----END X509 CRL-----\" closes "
            + "\"-----BEGIN CERTIFICATE-----\" from line 1");
  }

  @Test
  void invalidBase64AndInvalidDerInsideABlock() throws Exception {
    String[] lines = pemA.split("\n");
    lines[3] = lines[3].substring(0, 10) + "*" + lines[3].substring(11);
    Path badChar = write("bad-char.pem", String.join("\n", lines) + "\n");
    assertThat(pemError(badChar).reason()).isEqualTo("line 4: the certificate block that began at line 1 holds "
        + "a line that is not base64");

    // Base64 without its padding may end in a 2- or 3-character unit, but never a 1-character one:
    // cut line 4 so that exactly one character is left over, whatever length this run's key gave.
    lines = pemA.split("\n");
    long body = pemA.lines().filter(l -> !l.startsWith("-----")).flatMapToInt(String::chars).filter(c -> c != '=').count();
    int cut = (int) Math.floorMod(body - 1, 4L);
    lines[3] = lines[3].substring(cut == 0 ? 4 : cut);
    Path badLength = write("bad-length.pem", String.join("\n", lines) + "\n");
    assertThat(pemError(badLength).reason()).startsWith("line 1: the certificate block's base64 is invalid");

    String notACertificate = "-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n";
    Path badDer = write("bad-der.pem", pemA + notACertificate);
    TrustStoreException e = pemError(badDer);
    assertThat(e.reason()).startsWith("the certificate at line " + (pemA.split("\n").length + 1)
        + " is not a valid X.509 certificate");
    assertThat(e.fix()).isEqualTo("Replace it with an intact copy; `openssl x509 -in " + badDer
        + " -noout -text` shows the first one");
  }

  @Test
  void binaryDataAndNonPemFiles() throws Exception {
    Path binary = write("binary.pem", (pemA + "\u0001\u0002junk\n" + pemB).getBytes(StandardCharsets.ISO_8859_1));
    assertThat(pemError(binary).reason()).isEqualTo("line " + (pemA.split("\n").length + 1)
        + ": binary data between certificates (control character 0x1)");

    Path der = write("cert.crt", caA.certificate().getEncoded());
    assertThat(pemError(der)).hasMessage("Cannot read PEM file " + der + ": it is binary DER, not PEM text. "
        + "Convert it with: openssl x509 -inform der -in " + der + " -out cert.pem");

    Path latin1 = write("latin1.pem", ("Titel: \u00e9\n" + pemA).getBytes(StandardCharsets.ISO_8859_1));
    assertThat(pemError(latin1).reason()).isEqualTo("it is not a text file (not valid UTF-8)");
  }

  @Test
  void noCertificateIsAnEmptyResult() throws Exception {
    Path comments = write("comments-only.pem", "# nothing here\n");
    assertThat(pemError(comments)).hasMessage("Cannot read PEM file " + comments + ": it holds no certificate. "
        + "Pass a file with -----BEGIN CERTIFICATE----- blocks");
    Path empty = Files.createDirectories(tmp.resolve("empty-dir"));
    Files.writeString(empty.resolve("README"), "no certificates\n");
    assertThat(pemError(empty)).hasMessage("Cannot read PEM directory " + empty + ": it has no .pem, .crt, .cer or "
        + "<hash>.N files. Put PEM certificate files (-----BEGIN CERTIFICATE-----) there, or pass the right directory");
    Path missing = tmp.resolve("missing.pem");
    assertThat(pemError(missing)).hasMessage("Cannot read PEM file " + missing + ": the file does not exist. "
        + "Check the path");
  }

  @Test
  void explanatoryTextCommentsAndCrlfAreFine() throws Exception {
    // As in curl's cacert.pem: a title, an underline, then the certificate; CRLF line ends.
    String curlStyle = "##\n## Bundle of CA Root Certificates\n##\n\nBad Input A\n===========\n" + pemA
        + "\nBad Input B\n===========\n" + pemB;
    Path file = write("curl-style.pem", curlStyle.replace("\n", "\r\n"));

    CaBundle bundle = CaBundle.fromPem(file);

    assertThat(bundle.size()).isEqualTo(2);
    assertThat(bundle.toString()).isEqualTo("CaBundle[2 certificates, from " + file + "]");
  }

  @Test
  void directoriesReadPemCrtAndHashFilesInNameOrder() throws Exception {
    Path certs = Files.createDirectories(tmp.resolve("certs"));
    Files.writeString(certs.resolve("a.pem"), pemA);
    Files.writeString(certs.resolve("b.CRT"), pemB);
    Files.writeString(certs.resolve("1234abcd.0"), pemA);
    Files.writeString(certs.resolve("notes.txt"), "-----BEGIN nonsense");
    Files.createSymbolicLink(certs.resolve("dangling.pem"), certs.resolve("gone.pem"));

    CaBundle bundle = CaBundle.fromPem(certs);

    assertThat(bundle.size()).isEqualTo(2);
  }

  // ----------------------------------------------------------------- output

  @Test
  void writingAnEmptyBundleIsRefusedAndWritesNothing() {
    Path target = tmp.resolve("out/ca.pem");
    CaBundle empty = CaBundle.of(caA.certificate()).filter(c -> false);

    assertThatThrownBy(() -> empty.writePem(target))
        .isInstanceOf(TrustStoreException.class)
        .hasMessage("Cannot write PEM bundle " + target + ": the bundle (given certificates, filtered) is empty, "
            + "so nothing would be trusted. Check the filter or withoutExpired instant that removed every certificate");
    assertThatThrownBy(() -> CaBundle.of().writePkcs12(target, null))
        .hasMessageStartingWith("Cannot write PKCS12 trust store " + target + ": the bundle (given certificates) is empty");
    assertThatThrownBy(() -> CaBundle.of(caA.certificate()).withoutExpired(Instant.MAX).writeHashedDirectory(target))
        .hasMessageStartingWith("Cannot write hashed directory " + target + ": the bundle (given certificates, "
            + "without expired at " + Instant.MAX + ") is empty");
    assertThat(target.getParent()).doesNotExist();
    assertThat(empty.toPem()).isEmpty();
    assertThat(empty.isEmpty()).isTrue();
  }

  @Test
  void writingOverADirectoryIsRefused() throws Exception {
    Path target = Files.createDirectories(tmp.resolve("is-a-dir"));
    assertThatThrownBy(() -> CaBundle.of(caA.certificate()).writePem(target))
        .isInstanceOf(TrustStoreException.class)
        .hasMessage("Cannot write PEM bundle " + target + ": it is a directory. Pass the path of the file to "
            + "create, e.g. " + target.resolve("ca-certificates.crt"));
  }

  @Test
  void writePemReplacesAtomicallyAndLeavesNoTemporaryFile() throws Exception {
    Path target = write("ca.pem", "old content\n");
    CaBundle bundle = CaBundle.of(caA.certificate());

    bundle.writePem(target);

    assertThat(Files.readString(target)).isEqualTo(pemA);
    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(target)))
        .isEqualTo("rw-r--r--");
    try (var list = Files.list(tmp)) {
      assertThat(list.toList()).containsExactly(target);
    }
  }
}
