package dev.scratchkit.certs.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERBMPString;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.AuthenticatedSafe;
import org.bouncycastle.asn1.pkcs.CertBag;
import org.bouncycastle.asn1.pkcs.ContentInfo;
import org.bouncycastle.asn1.pkcs.MacData;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.Pfx;
import org.bouncycastle.asn1.pkcs.SafeBag;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.DigestInfo;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.crypto.PBEParametersGenerator;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.PKCS12ParametersGenerator;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * A PKCS#12 trust store, byte-for-byte reproducible.
 *
 * <p>Each certificate is an unencrypted {@code certBag} (certificates are public) with a
 * friendly name and the attribute by which the JDK recognises a trusted-certificate entry
 * ({@code 2.16.840.1.113894.746875.1.1}, "any extended key usage"). With a password, the
 * file carries an HMAC-SHA256 integrity check (PKCS#12 key derivation, 10000 iterations).
 * Its salt is derived from the content instead of drawn at random: a trust store holds no
 * secret, the salt is only public input to an integrity check, and a fixed salt makes the
 * same certificates give the same bytes, so image layers keep their digest. Without a
 * password there is no MAC at all, like the JDK's own passwordless {@code cacerts} since
 * JDK 18.
 */
public final class Pkcs12TrustStore {

  /** The JDK's attribute for "trusted for this extended key usage" on a certBag. */
  private static final ASN1ObjectIdentifier ORACLE_TRUSTED_KEY_USAGE =
      new ASN1ObjectIdentifier("2.16.840.1.113894.746875.1.1");
  private static final int MAC_ITERATIONS = 10_000;

  /** One certificate and the alias it gets. */
  public record Entry(String alias, byte[] der) {}

  private Pkcs12TrustStore() {}

  /** The encoded trust store; {@code password} null means no integrity check (no MAC). */
  public static byte[] encode(List<Entry> entries, char[] password) {
    try {
      ASN1Encodable[] bags = new ASN1Encodable[entries.size()];
      for (int i = 0; i < bags.length; i++) {
        Entry entry = entries.get(i);
        DERSet attributes = new DERSet(new ASN1Encodable[] {
            new Attribute(PKCSObjectIdentifiers.pkcs_9_at_friendlyName, new DERSet(new DERBMPString(entry.alias()))),
            new Attribute(ORACLE_TRUSTED_KEY_USAGE, new DERSet(KeyPurposeId.anyExtendedKeyUsage.toOID())),
        });
        CertBag certBag = new CertBag(PKCSObjectIdentifiers.x509Certificate, new DEROctetString(entry.der()));
        bags[i] = new SafeBag(PKCSObjectIdentifiers.certBag, certBag, attributes);
      }
      byte[] safeContents = new DERSequence(bags).getEncoded(ASN1Encoding.DER);
      ContentInfo data = new ContentInfo(PKCSObjectIdentifiers.data, new DEROctetString(safeContents));
      byte[] authSafe = new AuthenticatedSafe(new ContentInfo[] {data}).getEncoded(ASN1Encoding.DER);
      ContentInfo outer = new ContentInfo(PKCSObjectIdentifiers.data, new DEROctetString(authSafe));
      MacData mac = password == null ? null : mac(authSafe, password);
      return new Pfx(outer, mac).getEncoded(ASN1Encoding.DER);
    } catch (IOException e) {
      throw new UncheckedIOException("DER encoding in memory failed", e);
    }
  }

  private static MacData mac(byte[] authSafe, char[] password) {
    byte[] salt = Arrays.copyOf(Digests.sha256(authSafe), 16);
    byte[] passwordBytes = PBEParametersGenerator.PKCS12PasswordToBytes(password);
    try {
      PKCS12ParametersGenerator generator = new PKCS12ParametersGenerator(new SHA256Digest());
      generator.init(passwordBytes, salt, MAC_ITERATIONS);
      KeyParameter key = (KeyParameter) generator.generateDerivedMacParameters(256);
      HMac hmac = new HMac(new SHA256Digest());
      hmac.init(key);
      hmac.update(authSafe, 0, authSafe.length);
      byte[] value = new byte[hmac.getMacSize()];
      hmac.doFinal(value, 0);
      DigestInfo digestInfo = new DigestInfo(
          new AlgorithmIdentifier(NISTObjectIdentifiers.id_sha256, DERNull.INSTANCE), value);
      return new MacData(digestInfo, salt, MAC_ITERATIONS);
    } finally {
      Arrays.fill(passwordBytes, (byte) 0);
    }
  }
}
