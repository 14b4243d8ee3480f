package dev.scratchkit.certs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.testkit.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Acceptance items 1 and 2: keytool and openssl agree with what we export from the JDK. */
class JdkCacertsTest {

  @TempDir Path tmp;

  /** Fingerprint (lower-case hex) to not-after of every trustedCertEntry, as keytool prints them. */
  private static Map<String, Instant> keytoolTrustedEntries() {
    String keytool = Tools.require("keytool").toString();
    String out = Tools.runOk(keytool, "-J-Duser.language=en", "-J-Duser.country=US", "-J-Duser.timezone=UTC",
        "-list", "-v", "-cacerts", "-storepass", "changeit").stdout();
    DateTimeFormatter format = DateTimeFormatter.ofPattern("EEE MMM dd HH:mm:ss zzz yyyy", Locale.US);
    Map<String, Instant> entries = new HashMap<>();
    for (String entry : out.split("\\*{40,}")) {
      if (!entry.contains("Entry type: trustedCertEntry")) {
        continue;
      }
      String sha256 = null;
      Instant until = null;
      for (String line : entry.split("\n")) {
        String t = line.strip();
        if (t.startsWith("SHA256:")) {
          sha256 = t.substring("SHA256:".length()).strip().replace(":", "").toLowerCase(Locale.ROOT);
        } else if (t.startsWith("Valid from:")) {
          until = ZonedDateTime.parse(t.substring(t.indexOf("until:") + "until:".length()).strip(), format).toInstant();
        }
      }
      entries.put(sha256, until);
    }
    return entries;
  }

  @Test
  void fingerprintsEqualTheTrustedEntriesKeytoolLists() {
    Map<String, Instant> keytool = keytoolTrustedEntries();
    CaBundle jdk = CaBundle.fromJdk();

    assertThat(keytool).hasSizeGreaterThan(100);
    assertThat(jdk.fingerprints()).containsExactlyInAnyOrderElementsOf(keytool.keySet());
    assertThat(jdk.size()).isEqualTo(keytool.size());
    assertThat(jdk.fingerprints()).isSorted();
    assertThat(jdk.toString())
        .isEqualTo("CaBundle[" + keytool.size() + " certificates, from "
            + Path.of(System.getProperty("java.home"), "lib/security/cacerts") + "]");
  }

  @Test
  void withoutExpiredDropsExactlyWhatKeytoolShowsAsExpired() {
    Map<String, Instant> keytool = keytoolTrustedEntries();
    // Far enough ahead that some of today's roots have expired by then.
    Instant at = Instant.parse("2036-01-01T00:00:00Z");
    Set<String> valid = keytool.entrySet().stream()
        .filter(e -> !e.getValue().isBefore(at))
        .map(Map.Entry::getKey)
        .collect(Collectors.toSet());
    assertThat(valid).hasSizeLessThan(keytool.size()).isNotEmpty();

    CaBundle bundle = CaBundle.fromJdk().withoutExpired(at);

    assertThat(bundle.fingerprints()).containsExactlyInAnyOrderElementsOf(valid);
    assertThat(bundle.toString()).contains("without expired at 2036-01-01T00:00:00Z");
    assertThat(CaBundle.fromJdk().withoutExpired(Instant.EPOCH)).isEqualTo(CaBundle.fromJdk());
  }

  @Test
  void opensslReadsThePlainBundleWithOurCountAndFingerprints() throws Exception {
    CaBundle jdk = CaBundle.fromJdk();
    Path pem = tmp.resolve("ca-certificates.crt");
    jdk.writePem(pem);

    List<OpenSslOracle.Seen> seen = OpenSslOracle.readBundle(pem, tmp.resolve("split"));

    assertThat(seen).hasSize(jdk.size());
    assertThat(seen.stream().map(OpenSslOracle.Seen::sha256).toList()).isEqualTo(jdk.fingerprints());
    assertThat(Files.readString(pem)).doesNotContain("\r").endsWith("-----END CERTIFICATE-----\n");
  }

  @Test
  void opensslReadsTheCommentedBundleToo() throws Exception {
    CaBundle jdk = CaBundle.fromJdk();
    Path pem = tmp.resolve("commented.pem");
    jdk.writePem(pem, PemOptions.withComments());
    String text = Files.readString(pem);

    List<OpenSslOracle.Seen> seen = OpenSslOracle.readBundle(pem, tmp.resolve("split"));

    assertThat(seen.stream().map(OpenSslOracle.Seen::sha256).toList()).isEqualTo(jdk.fingerprints());
    assertThat(text.lines().filter(l -> l.startsWith("# SHA-256: ")).count()).isEqualTo(jdk.size());
    assertThat(text).contains("# Subject: CN=ISRG Root X1,O=Internet Security Research Group,C=US\n"
        + "# SHA-256: 96:BC:EC:06:26:49:76:F3:74:60:77:9A:CF:28:C5:A7:CF:E8:A3:C0:AA:E1:1A:8F:FC:EE:05:C0:BD:DF:08:C6\n"
        + "# Not after: 2035-06-04T11:04:38Z\n-----BEGIN CERTIFICATE-----\n");
    // Our own reader reads it back to the same bundle.
    assertThat(CaBundle.fromPem(pem)).isEqualTo(jdk);
  }
}
