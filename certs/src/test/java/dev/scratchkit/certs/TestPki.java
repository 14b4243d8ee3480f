package dev.scratchkit.certs;

import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Test certificates made with BouncyCastle: a CA, leaves it signs, keystores holding them. */
final class TestPki {

  private static final AtomicLong SERIAL = new AtomicLong(1000);

  /** A key pair and its certificate. */
  record Issued(KeyPair keys, X509Certificate certificate) {}

  private TestPki() {}

  static KeyPair ecKeys() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    return generator.generateKeyPair();
  }

  /** A self-signed CA certificate for {@code subject}, valid from yesterday for the given days. */
  static Issued ca(X500Name subject, Instant notAfter) throws Exception {
    KeyPair keys = ecKeys();
    X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject,
        BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(Instant.now().minus(1, ChronoUnit.DAYS)),
        Date.from(notAfter), subject, keys.getPublic());
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    return new Issued(keys, sign(builder, keys.getPrivate()));
  }

  static Issued ca(String subject) throws Exception {
    return ca(new X500Name(subject), Instant.now().plus(3650, ChronoUnit.DAYS));
  }

  /** A server certificate for 127.0.0.1 signed by {@code ca}. */
  static Issued server(Issued ca) throws Exception {
    return server(ca, new X500Name("CN=127.0.0.1"));
  }

  /** A server certificate for 127.0.0.1 with the given subject (may be empty) signed by {@code ca}. */
  static Issued server(Issued ca, X500Name subject) throws Exception {
    KeyPair keys = ecKeys();
    X500Name issuer = X500Name.getInstance(ca.certificate().getSubjectX500Principal().getEncoded());
    X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer,
        BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(Instant.now().minus(1, ChronoUnit.DAYS)),
        Date.from(Instant.now().plus(30, ChronoUnit.DAYS)), subject, keys.getPublic());
    builder.addExtension(Extension.subjectAlternativeName, subject.getRDNs().length == 0,
        new GeneralNames(new GeneralName(GeneralName.iPAddress, "127.0.0.1")));
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    return new Issued(keys, sign(builder, ca.keys().getPrivate()));
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key) throws Exception {
    return new JcaX509CertificateConverter()
        .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
  }

  /** Writes a keystore of {@code type} holding a private-key entry and trusted certificates. */
  static Path keyStore(Path file, String type, char[] password, Issued keyEntry, X509Certificate... trusted)
      throws Exception {
    KeyStore store = KeyStore.getInstance(type);
    store.load(null, null);
    if (keyEntry != null) {
      store.setKeyEntry("server", keyEntry.keys().getPrivate(), password,
          new Certificate[] {keyEntry.certificate()});
    }
    for (int i = 0; i < trusted.length; i++) {
      store.setCertificateEntry("trusted-" + i, trusted[i]);
    }
    try (OutputStream out = Files.newOutputStream(file)) {
      store.store(out, password);
    }
    return file;
  }
}
