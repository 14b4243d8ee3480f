package dev.scratchkit.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scratchkit.testkit.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERBMPString;
import org.bouncycastle.asn1.DERIA5String;
import org.bouncycastle.asn1.DERNumericString;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.DERT61String;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.DERUniversalString;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Acceptance item 4: the hashed directory works with openssl verify -CApath, hashes equal openssl's. */
class HashedDirectoryTest {

  @TempDir static Path shared;
  @TempDir Path tmp;

  private static final List<TestPki.Issued> TRICKY = new ArrayList<>();

  private static RDN rdn(ASN1ObjectIdentifier type, ASN1Encodable value) {
    return new RDN(type, value);
  }

  @BeforeAll
  static void trickyNames() throws Exception {
    Instant notAfter = Instant.now().plus(3650, ChronoUnit.DAYS);
    List<X500Name> names = List.of(
        // Upper case, leading/trailing/inner whitespace of every kind OpenSSL collapses.
        new X500Name(new RDN[] {
            rdn(BCStyle.C, new DERPrintableString("DE")),
            rdn(BCStyle.O, new DERUTF8String(" \t Test\u000b\u000c Org  ")),
            rdn(BCStyle.CN, new DERUTF8String("  Mixed   CASE\r\n Root CA  ")),
        }),
        // A multi-valued RDN whose AVAs are not in DER order.
        new X500Name(new RDN[] {
            rdn(BCStyle.C, new DERPrintableString("FR")),
            new RDN(new AttributeTypeAndValue[] {
                new AttributeTypeAndValue(BCStyle.OU, new DERUTF8String("Zeta Unit")),
                new AttributeTypeAndValue(BCStyle.CN, new DERUTF8String("Multi Valued CA")),
            }),
        }),
        // The string types OpenSSL canonicalises, and one it copies (NumericString). VisibleString
        // is canonicalised too, but OpenSSL refuses to parse it in a name, so it is left out.
        new X500Name(new RDN[] {
            rdn(BCStyle.CN, new DERBMPString("BMP Name CA")),
            rdn(BCStyle.O, new DERT61String("T61 \u00c9cole")),
            rdn(BCStyle.EmailAddress, new DERIA5String("PKI@Example.COM")),
            rdn(BCStyle.OU, new DERPrintableString("Printable  OU ")),
            rdn(BCStyle.SERIALNUMBER, new DERNumericString("0123 456")),
        }),
        new X500Name(new RDN[] {
            rdn(BCStyle.CN, new DERUniversalString(ucs4("Universal CA \ud83d\udd12"))),
            rdn(BCStyle.O, new DERUTF8String("\u00dcn\u00efc\u00f6de  GmbH \u00c4\u00d6")),
        }));
    for (X500Name name : names) {
      TRICKY.add(TestPki.ca(name, notAfter));
    }
    // An empty subject (only an end-entity certificate may have one).
    TRICKY.add(TestPki.server(TRICKY.get(0), new X500Name(new RDN[0])));
    // Two different CAs with the same subject: the same hash, files .0 and .1.
    TRICKY.add(TestPki.ca("CN=Twin CA,O=Scratchkit"));
    TRICKY.add(TestPki.ca("CN=Twin CA,O=Scratchkit"));
  }

  private static byte[] ucs4(String text) {
    return text.codePoints()
        .collect(java.io.ByteArrayOutputStream::new, (out, cp) -> {
          out.write(cp >>> 24);
          out.write(cp >>> 16);
          out.write(cp >>> 8);
          out.write(cp);
        }, (a, b) -> a.write(b.toByteArray(), 0, b.size()))
        .toByteArray();
  }

  private static CaBundle trickyBundle() {
    return CaBundle.of(TRICKY.stream().map(TestPki.Issued::certificate).toArray(java.security.cert.X509Certificate[]::new));
  }

  private static List<Path> files(Path dir) throws Exception {
    try (Stream<Path> list = Files.list(dir)) {
      return list.sorted().toList();
    }
  }

  private static void assertNamesMatchOpenssl(Path dir, CaBundle bundle) throws Exception {
    List<Path> files = files(dir);
    List<OpenSslOracle.Seen> seen = OpenSslOracle.x509All(files);
    assertThat(files).hasSize(bundle.size());
    for (int i = 0; i < files.size(); i++) {
      String name = files.get(i).getFileName().toString();
      assertThat(name).as("file named by openssl x509 -subject_hash").startsWith(seen.get(i).subjectHash() + ".");
    }
    assertThat(seen.stream().map(OpenSslOracle.Seen::sha256)).containsExactlyInAnyOrderElementsOf(bundle.fingerprints());
  }

  @Test
  void everyJdkCertificateIsNamedByItsOpensslSubjectHash() throws Exception {
    CaBundle jdk = CaBundle.fromJdk();
    Path dir = tmp.resolve("certs");
    jdk.writeHashedDirectory(dir);

    assertNamesMatchOpenssl(dir, jdk);
    assertThat(CaBundle.fromPem(dir)).isEqualTo(jdk);
  }

  @Test
  void trickyNamesHashAsOpensslDoes() throws Exception {
    CaBundle bundle = trickyBundle();
    Path dir = tmp.resolve("tricky");
    bundle.writeHashedDirectory(dir);

    assertNamesMatchOpenssl(dir, bundle);
    // The twins collide: .0 and .1 of one hash.
    String twin = OpenSslOracle.x509(writeOne(TRICKY.get(TRICKY.size() - 1))).subjectHash();
    assertThat(dir.resolve(twin + ".0")).exists();
    assertThat(dir.resolve(twin + ".1")).exists();
    // The empty name hashes to SHA-1 of nothing.
    assertThat(dir.resolve("eea339da.0")).exists();
  }

  private Path writeOne(TestPki.Issued issued) throws Exception {
    Path file = tmp.resolve("one-" + issued.certificate().getSerialNumber() + ".pem");
    CaBundle.of(issued.certificate()).writePem(file);
    return file;
  }

  @Test
  void opensslVerifyWithCapathFindsTheTestCaOnlyWhenItIsInTheDirectory() throws Exception {
    String openssl = Tools.require("openssl").toString();
    TestPki.Issued mixedCase = TRICKY.get(0);
    TestPki.Issued bmp = TRICKY.get(2);
    Path leaf1 = writeOne(TestPki.server(mixedCase));
    Path leaf2 = writeOne(TestPki.server(bmp));
    CaBundle jdk = CaBundle.fromJdk();
    Path with = tmp.resolve("with");
    Path without = tmp.resolve("without");
    jdk.plus(trickyBundle()).writeHashedDirectory(with);
    jdk.writeHashedDirectory(without);

    for (Path leaf : List.of(leaf1, leaf2)) {
      Tools.Result ok = Tools.run(openssl, "verify", "-CApath", with.toString(), leaf.toString());
      assertThat(ok.stdout()).as(ok.describe()).isEqualTo(leaf + ": OK\n");
      Tools.Result refused = Tools.run(openssl, "verify", "-CApath", without.toString(), leaf.toString());
      assertThat(refused.exitCode()).isNotZero();
      assertThat(refused.stdout() + refused.stderr()).contains("unable to get local issuer certificate");
    }
  }

  @Test
  void refusesANonEmptyDirectoryAndLeavesItAlone() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("busy"));
    Files.writeString(dir.resolve("old.0"), "stale");

    assertThatThrownBy(() -> trickyBundle().writeHashedDirectory(dir))
        .isInstanceOf(TrustStoreException.class)
        .hasMessage("Cannot write hashed directory " + dir + ": the directory is not empty. Pass a new or "
            + "empty directory; old hash files left in place would make OpenSSL trust certificates that "
            + "are no longer in the bundle");
    assertThat(files(dir)).containsExactly(dir.resolve("old.0"));
    assertThat(files(tmp)).containsExactly(dir);
  }

  @Test
  void writesIntoAnEmptyDirectoryAndListsTheFilesInMemory() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("empty"));
    CaBundle bundle = trickyBundle();
    bundle.writeHashedDirectory(dir);

    Map<String, String> inMemory = bundle.hashedDirectoryFiles();
    assertThat(files(dir).stream().map(p -> p.getFileName().toString()).toList())
        .containsExactlyElementsOf(inMemory.keySet());
    for (Map.Entry<String, String> e : inMemory.entrySet()) {
      assertThat(Files.readString(dir.resolve(e.getKey()))).isEqualTo(e.getValue());
    }
    assertThat(files(tmp)).containsExactly(dir);
    assertThat(new JcaX509CertificateHolder(TRICKY.get(4).certificate()).getSubject().getRDNs()).isEmpty();
  }
}
