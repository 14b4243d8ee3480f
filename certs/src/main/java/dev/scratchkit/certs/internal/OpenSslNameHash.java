package dev.scratchkit.certs.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1BMPString;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1IA5String;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1PrintableString;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ASN1Set;
import org.bouncycastle.asn1.ASN1T61String;
import org.bouncycastle.asn1.ASN1UTF8String;
import org.bouncycastle.asn1.ASN1UniversalString;
import org.bouncycastle.asn1.ASN1VisibleString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERUTF8String;

/**
 * OpenSSL's {@code X509_NAME_hash} (the {@code -subject_hash} of {@code openssl x509}, the
 * file name in a {@code -CApath} directory).
 *
 * <p>OpenSSL hashes a canonical encoding of the name ({@code x509_name_canon} in
 * {@code crypto/x509/x_name.c}): for each RDN, the DER {@code SET OF} its attribute/value
 * pairs, concatenated without the outer {@code SEQUENCE} header. String values of the types
 * UTF8, BMP, Universal, Printable, T61, IA5 and Visible become UTF8String, with leading and
 * trailing whitespace removed, inner whitespace runs collapsed to one space and ASCII letters
 * lower-cased; other values are kept as they are. The hash is the first four bytes of the
 * SHA-1 of that encoding, read little-endian.
 */
public final class OpenSslNameHash {

  private OpenSslNameHash() {}

  /** The hash as OpenSSL prints it: eight lower-case hex digits. */
  public static String of(X500Principal name) {
    byte[] md = Digests.sha1(canonicalEncoding(name.getEncoded()));
    long value = (md[0] & 0xffL) | (md[1] & 0xffL) << 8 | (md[2] & 0xffL) << 16 | (md[3] & 0xffL) << 24;
    return String.format("%08x", value);
  }

  /** The canonical encoding that OpenSSL hashes; empty for an empty name. */
  static byte[] canonicalEncoding(byte[] nameDer) {
    ASN1Sequence rdns = ASN1Sequence.getInstance(nameDer);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      for (ASN1Encodable rdn : rdns) {
        ASN1Set set = ASN1Set.getInstance(rdn);
        if (set.size() == 0) {
          continue; // OpenSSL keeps no entry for an empty RDN
        }
        List<byte[]> avas = new ArrayList<>();
        for (ASN1Encodable element : set) {
          ASN1Sequence ava = ASN1Sequence.getInstance(element);
          avas.add(new DERSequence(new ASN1Encodable[] {ava.getObjectAt(0), canonicalValue(ava.getObjectAt(1))})
              .getEncoded(ASN1Encoding.DER));
        }
        // DER SET OF order, compared as OpenSSL's der_cmp does: bytes first, then length.
        avas.sort(OpenSslNameHash::derCompare);
        int length = avas.stream().mapToInt(a -> a.length).sum();
        out.write(0x31);
        writeLength(out, length);
        for (byte[] ava : avas) {
          out.write(ava);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static ASN1Encodable canonicalValue(ASN1Encodable value) {
    ASN1Primitive primitive = value.toASN1Primitive();
    String text;
    if (primitive instanceof ASN1UTF8String) {
      text = ((ASN1UTF8String) primitive).getString();
    } else if (primitive instanceof ASN1BMPString) {
      text = ((ASN1BMPString) primitive).getString();
    } else if (primitive instanceof ASN1UniversalString) {
      text = ucs4(((ASN1UniversalString) primitive).getOctets());
    } else if (primitive instanceof ASN1PrintableString
        || primitive instanceof ASN1T61String
        || primitive instanceof ASN1IA5String
        || primitive instanceof ASN1VisibleString) {
      // OpenSSL converts these one byte per character, as Latin-1.
      text = new String(octets(primitive), StandardCharsets.ISO_8859_1);
    } else {
      return primitive;
    }
    return new DERUTF8String(canonicalText(text));
  }

  private static byte[] octets(ASN1Primitive string) {
    if (string instanceof ASN1PrintableString) {
      return ((ASN1PrintableString) string).getOctets();
    }
    if (string instanceof ASN1T61String) {
      return ((ASN1T61String) string).getOctets();
    }
    if (string instanceof ASN1IA5String) {
      return ((ASN1IA5String) string).getOctets();
    }
    return ((ASN1VisibleString) string).getOctets();
  }

  private static String ucs4(byte[] octets) {
    StringBuilder out = new StringBuilder(octets.length / 4);
    for (int i = 0; i + 3 < octets.length; i += 4) {
      int codePoint = (octets[i] & 0xff) << 24 | (octets[i + 1] & 0xff) << 16
          | (octets[i + 2] & 0xff) << 8 | (octets[i + 3] & 0xff);
      out.appendCodePoint(Character.isValidCodePoint(codePoint) ? codePoint : 0xfffd);
    }
    return out.toString();
  }

  /** Whitespace trimmed and collapsed, ASCII lower-cased; everything else unchanged. */
  static String canonicalText(String text) {
    int start = 0;
    int end = text.length();
    while (start < end && isSpace(text.charAt(start))) {
      start++;
    }
    while (end > start && isSpace(text.charAt(end - 1))) {
      end--;
    }
    StringBuilder out = new StringBuilder(end - start);
    int i = start;
    while (i < end) {
      char c = text.charAt(i);
      if (isSpace(c)) {
        out.append(' ');
        while (i < end && isSpace(text.charAt(i))) {
          i++;
        }
      } else {
        out.append(c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c);
        i++;
      }
    }
    return out.toString();
  }

  /** OpenSSL's ossl_isspace: ASCII space, \t, \n, \v, \f, \r. */
  private static boolean isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == 0x0b || c == '\f' || c == '\r';
  }

  private static int derCompare(byte[] a, byte[] b) {
    int common = Math.min(a.length, b.length);
    int cmp = Arrays.compareUnsigned(a, 0, common, b, 0, common);
    return cmp != 0 ? cmp : Integer.compare(a.length, b.length);
  }

  private static void writeLength(ByteArrayOutputStream out, int length) {
    if (length < 0x80) {
      out.write(length);
      return;
    }
    int bytes = length > 0xffffff ? 4 : length > 0xffff ? 3 : length > 0xff ? 2 : 1;
    out.write(0x80 | bytes);
    for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) {
      out.write(length >>> shift);
    }
  }
}
