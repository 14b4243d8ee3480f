package dev.scratchkit.certs.internal;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.security.cert.X509Certificate;
import java.time.Instant;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

/** PEM output through BouncyCastle's writer, with {@code \n} line endings on every OS. */
public final class PemWriting {

  private PemWriting() {}

  /** One certificate as a PEM block, optionally preceded by its comment header. */
  public static void append(StringBuilder out, X509Certificate certificate, byte[] der, byte[] sha256,
      boolean comments) {
    if (comments) {
      out.append("# Subject: ").append(commentSafe(certificate.getSubjectX500Principal().getName(X500Principal.RFC2253)))
          .append('\n');
      out.append("# SHA-256: ").append(Digests.colonHex(sha256)).append('\n');
      out.append("# Not after: ").append(Instant.ofEpochMilli(certificate.getNotAfter().getTime())).append('\n');
    }
    StringWriter text = new StringWriter(der.length * 4 / 3 + 80);
    try (PemWriter writer = new LfPemWriter(text)) {
      writer.writeObject(new PemObject("CERTIFICATE", der));
    } catch (IOException e) {
      throw new UncheckedIOException("writing to memory failed", e);
    }
    out.append(text);
  }

  /**
   * Keeps a comment on one line: control characters (which could end the comment and start a
   * PEM boundary) are escaped.
   */
  static String commentSafe(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x20 || c == 0x7f || c == 0x85 || c == 0x2028 || c == 0x2029) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  /** BouncyCastle's writer ends lines with the platform separator; a bundle must not. */
  private static final class LfPemWriter extends PemWriter {
    LfPemWriter(Writer out) {
      super(out);
    }

    @Override
    public void newLine() throws IOException {
      write('\n');
    }
  }
}
