package dev.scratchkit.certs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.interfaces.ECPrivateKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Acceptance item 6: a keystore's private key never appears in any output. */
class PrivateKeyTest {

  @TempDir static Path dir;

  private static TestPki.Issued ca;
  private static TestPki.Issued keyEntry;
  private static TestPki.Issued otherCa;

  @BeforeAll
  static void pki() throws Exception {
    ca = TestPki.ca("CN=Key Test Root,O=Scratchkit");
    otherCa = TestPki.ca("CN=Key Test Other Root,O=Scratchkit");
    keyEntry = TestPki.server(ca);
  }

  /** Every byte string that would betray the key entry. */
  private static List<byte[]> secrets() {
    ECPrivateKey key = (ECPrivateKey) keyEntry.keys().getPrivate();
    byte[] scalar = key.getS().toByteArray();
    byte[] scalar32 = Arrays.copyOfRange(scalar, Math.max(0, scalar.length - 32), scalar.length);
    byte[] pkcs8 = key.getEncoded();
    return List.of(pkcs8, scalar32, Base64.getEncoder().encode(pkcs8), "PRIVATE KEY".getBytes(StandardCharsets.US_ASCII));
  }

  /** Raw bytes plus, for text, every base64 run decoded: a key could hide inside either. */
  private static List<byte[]> views(byte[] output) {
    List<byte[]> views = new ArrayList<>(List.of(output));
    String text = new String(output, StandardCharsets.ISO_8859_1);
    Matcher m = Pattern.compile("-----BEGIN [A-Z ]+-----\n([A-Za-z0-9+/=\n]+)-----END").matcher(text);
    while (m.find()) {
      views.add(Base64.getMimeDecoder().decode(m.group(1)));
    }
    return views;
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  private static void assertNoKeyMaterial(CaBundle bundle) {
    List<byte[]> outputs = new ArrayList<>();
    outputs.add(bundle.toPem().getBytes(StandardCharsets.UTF_8));
    outputs.add(bundle.toPem(PemOptions.withComments()).getBytes(StandardCharsets.UTF_8));
    outputs.add(bundle.toPkcs12("changeit".toCharArray()));
    outputs.add(bundle.toPkcs12(null));
    bundle.hashedDirectoryFiles().values().forEach(v -> outputs.add(v.getBytes(StandardCharsets.UTF_8)));
    byte[] entryCertificate;
    try {
      entryCertificate = keyEntry.certificate().getEncoded();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    for (byte[] output : outputs) {
      for (byte[] view : views(output)) {
        for (byte[] secret : secrets()) {
          assertThat(contains(view, secret)).as("key material in an output").isFalse();
        }
        // Not even the key entry's own certificate: only trusted-certificate entries are read.
        assertThat(contains(view, entryCertificate)).as("the key entry's certificate in an output").isFalse();
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"PKCS12", "JKS", "JCEKS"})
  void aKeystoreWithAPrivateKeyYieldsOnlyItsTrustedCertificates(String type) throws Exception {
    Path store = TestPki.keyStore(dir.resolve("mixed." + type), type, "storepass".toCharArray(), keyEntry,
        ca.certificate(), otherCa.certificate());

    CaBundle bundle = CaBundle.fromKeyStore(store, "storepass".toCharArray());

    assertThat(bundle).isEqualTo(CaBundle.of(ca.certificate(), otherCa.certificate()));
    assertNoKeyMaterial(bundle);
  }

  @Test
  void aPemFileWithAPrivateKeyBlockYieldsOnlyItsCertificates() throws Exception {
    String key = "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(keyEntry.keys().getPrivate().getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
    Path pem = dir.resolve("mixed.pem");
    Files.writeString(pem, CaBundle.of(ca.certificate()).toPem() + key + CaBundle.of(otherCa.certificate()).toPem());
    // The check can fail: the same search finds the key in the input.
    assertThat(views(Files.readAllBytes(pem))).anyMatch(view -> contains(view, secrets().get(0)));

    CaBundle bundle = CaBundle.fromPem(pem);

    assertThat(bundle).isEqualTo(CaBundle.of(ca.certificate(), otherCa.certificate()));
    assertNoKeyMaterial(bundle);
  }
}
