package dev.scratchkit.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scratchkit.certs.internal.Digests;
import dev.scratchkit.testkit.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The PKCS12 trust store: keytool, the JDK and openssl read it; its bytes are reproducible. */
class Pkcs12TrustStoreTest {

  @TempDir Path tmp;

  private static final Pattern KEYTOOL_FINGERPRINT =
      Pattern.compile("trustedCertEntry,\\s*\\nCertificate fingerprint \\(SHA-256\\): ([0-9A-F:]+)");

  private static List<String> keytoolTrusted(Path store, String password) {
    String keytool = Tools.require("keytool").toString();
    String out = Tools.runOk(keytool, "-J-Duser.language=en", "-list", "-keystore", store.toString(),
        "-storetype", "PKCS12", "-storepass", password).stdout();
    List<String> fingerprints = new ArrayList<>();
    Matcher m = KEYTOOL_FINGERPRINT.matcher(out);
    while (m.find()) {
      fingerprints.add(m.group(1).replace(":", "").toLowerCase(Locale.ROOT));
    }
    assertThat(out).doesNotContain("PrivateKeyEntry");
    return fingerprints;
  }

  private static List<String> jdkTrusted(Path store, char[] password) throws Exception {
    KeyStore ks = KeyStore.getInstance(store.toFile(), password);
    List<String> fingerprints = new ArrayList<>();
    for (String alias : Collections.list(ks.aliases())) {
      assertThat(ks.isCertificateEntry(alias)).as(alias).isTrue();
      fingerprints.add(Digests.hex(Digests.sha256(ks.getCertificate(alias).getEncoded())));
    }
    return fingerprints;
  }

  @Test
  void keytoolAndTheJdkListEveryCertificateAsTrustedEntry() throws Exception {
    CaBundle jdk = CaBundle.fromJdk();
    Path store = tmp.resolve("truststore.p12");
    jdk.writePkcs12(store, "changeit".toCharArray());

    assertThat(keytoolTrusted(store, "changeit")).containsExactlyInAnyOrderElementsOf(jdk.fingerprints());
    assertThat(jdkTrusted(store, "changeit".toCharArray())).containsExactlyInAnyOrderElementsOf(jdk.fingerprints());
    // A JVM given only -Djavax.net.ssl.trustStore (no password) reads it too.
    assertThat(jdkTrusted(store, null)).containsExactlyInAnyOrderElementsOf(jdk.fingerprints());
    assertThat(CaBundle.fromKeyStore(store, "changeit".toCharArray())).isEqualTo(jdk);
  }

  @Test
  void theIntegrityCheckRejectsAWrongPassword() throws Exception {
    Path store = tmp.resolve("truststore.p12");
    CaBundle.fromJdk().writePkcs12(store, "changeit".toCharArray());
    String keytool = Tools.require("keytool").toString();

    Tools.Result wrong = Tools.run(keytool, "-J-Duser.language=en", "-list", "-keystore", store.toString(),
        "-storepass", "not-it");

    assertThat(wrong.exitCode()).isNotZero();
    assertThat(wrong.stdout() + wrong.stderr()).contains("Integrity check failed");
    assertThatThrownBy(() -> CaBundle.fromKeyStore(store, "not-it".toCharArray()))
        .isInstanceOf(TrustStoreException.class)
        .hasMessageStartingWith("Cannot read keystore " + store + ": the keystore integrity check failed. "
            + "This is usually a wrong password");
  }

  @Test
  void opensslVerifiesTheMacAndReadsEveryCertificate() throws Exception {
    String openssl = Tools.require("openssl").toString();
    CaBundle jdk = CaBundle.fromJdk();
    Path store = tmp.resolve("truststore.p12");
    jdk.writePkcs12(store, "changeit".toCharArray());

    Tools.Result info = Tools.runOk(openssl, "pkcs12", "-info", "-noout", "-in", store.toString(),
        "-passin", "pass:changeit");
    assertThat(info.stderr()).contains("MAC: sha256, Iteration 10000").contains("PKCS7 Data")
        .doesNotContain("Shrouded Keybag").doesNotContain("Key bag");
    Path pem = tmp.resolve("from-p12.pem");
    Tools.runOk(openssl, "pkcs12", "-in", store.toString(), "-passin", "pass:changeit", "-nokeys",
        "-out", pem.toString());
    List<OpenSslOracle.Seen> seen = OpenSslOracle.readBundle(pem, tmp.resolve("split"));
    assertThat(seen.stream().map(OpenSslOracle.Seen::sha256)).containsExactlyInAnyOrderElementsOf(jdk.fingerprints());

    Tools.Result wrong = Tools.run(openssl, "pkcs12", "-info", "-noout", "-in", store.toString(),
        "-passin", "pass:wrong");
    assertThat(wrong.exitCode()).isNotZero();
    assertThat(wrong.stderr()).contains("Mac verify error");
  }

  @Test
  void withoutPasswordThereIsNoMacAndAnyPasswordReadsIt() throws Exception {
    CaBundle jdk = CaBundle.fromJdk();
    Path store = tmp.resolve("passwordless.p12");
    jdk.writePkcs12(store, null);

    assertThat(jdkTrusted(store, null)).containsExactlyInAnyOrderElementsOf(jdk.fingerprints());
    assertThat(jdkTrusted(store, "changeit".toCharArray())).containsExactlyInAnyOrderElementsOf(jdk.fingerprints());
    String openssl = Tools.require("openssl").toString();
    Tools.Result info = Tools.run(openssl, "pkcs12", "-info", "-noout", "-in", store.toString(), "-passin", "pass:");
    assertThat(info.stderr()).contains("Warning: MAC is absent!");
  }

  @Test
  void theDefaultTrustManagerTrustsItWhenNamedByTheSystemProperty() throws Exception {
    TestPki.Issued ca = TestPki.ca("CN=Property Root,O=Scratchkit");
    CaBundle bundle = CaBundle.of(ca.certificate());
    Path store = tmp.resolve("property.p12");
    bundle.writePkcs12(store, "secret".toCharArray());
    String oldStore = System.getProperty("javax.net.ssl.trustStore");
    String oldPassword = System.getProperty("javax.net.ssl.trustStorePassword");
    try {
      System.setProperty("javax.net.ssl.trustStore", store.toString());
      System.setProperty("javax.net.ssl.trustStorePassword", "secret");

      CaBundle trusted = CaBundle.fromDefaultTrustManager();

      assertThat(trusted).isEqualTo(bundle);
      assertThat(trusted.toString()).isEqualTo("CaBundle[1 certificate, from the default trust manager (" + store + ")]");
      // fromJdk is the JDK file, whatever the property says.
      assertThat(CaBundle.fromJdk().size()).isGreaterThan(100);
    } finally {
      restore("javax.net.ssl.trustStore", oldStore);
      restore("javax.net.ssl.trustStorePassword", oldPassword);
    }
    assertThat(CaBundle.fromDefaultTrustManager()).isEqualTo(CaBundle.fromJdk());
  }

  private static void restore(String key, String value) {
    if (value == null) {
      System.clearProperty(key);
    } else {
      System.setProperty(key, value);
    }
  }

  @Test
  void sameCertificatesGiveSameBytesAndReadableAliases() throws Exception {
    CaBundle jdk = CaBundle.fromJdk();
    List<X509Certificate> reversed = new ArrayList<>(jdk.certificates());
    Collections.reverse(reversed);
    CaBundle again = CaBundle.of(reversed.toArray(X509Certificate[]::new));

    assertThat(again.toPkcs12("changeit".toCharArray())).isEqualTo(jdk.toPkcs12("changeit".toCharArray()));
    assertThat(again.toPkcs12(null)).isEqualTo(jdk.toPkcs12(null));
    Path store = tmp.resolve("aliases.p12");
    jdk.writePkcs12(store, "changeit".toCharArray());
    assertThat(Collections.list(KeyStore.getInstance(store.toFile(), "changeit".toCharArray()).aliases()))
        .contains("isrg-root-x1-96bcec06");
    assertThatThrownBy(() -> jdk.toPkcs12(new char[0]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("pass null for no password");
  }

  @Test
  void writesAtomicallyWithMode0644() throws Exception {
    Path store = tmp.resolve("deep/dir/truststore.p12");
    CaBundle.fromJdk().writePkcs12(store, "changeit".toCharArray());

    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(store)))
        .isEqualTo("rw-r--r--");
    try (var list = Files.list(store.getParent())) {
      assertThat(list.toList()).containsExactly(store);
    }
  }
}
