package dev.scratchkit.certs.internal;

import dev.scratchkit.certs.TrustStoreException;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A strict reader of PEM certificate files.
 *
 * <p>Text between blocks is allowed when it is evidently explanatory text (comments, titles,
 * blank lines), as RFC 7468 permits. What suggests a damaged file is refused, with the line
 * number: base64 outside a block (a lost {@code BEGIN} line), two boundaries on one line
 * (files concatenated without a final newline), binary data, a block without its
 * {@code END}, invalid base64 or DER inside a certificate block. Key blocks are skipped with
 * a warning and never decoded.
 */
public final class PemReader {

  private static final Logger LOG = LoggerFactory.getLogger(PemReader.class);
  private static final String ACTION = "Cannot read PEM file";
  private static final Set<String> CERTIFICATE_LABELS =
      Set.of("CERTIFICATE", "X509 CERTIFICATE", "X.509 CERTIFICATE");
  private static final Pattern BASE64_LINE = Pattern.compile("[A-Za-z0-9+/]{16,}={0,2}");
  private static final Pattern BASE64_BODY = Pattern.compile("[A-Za-z0-9+/=]*");

  private PemReader() {}

  /** The certificates in {@code file}, in file order (possibly none). */
  public static List<X509Certificate> read(Path file) {
    byte[] bytes = InputFiles.read(file, ACTION);
    String text = decode(file, bytes);
    List<X509Certificate> certificates = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    String label = null;
    int beginLine = 0;
    StringBuilder body = new StringBuilder();
    for (int i = 0; i < lines.length; i++) {
      int lineNo = i + 1;
      String line = stripCr(lines[i]);
      String trimmed = line.strip();
      if (label == null) {
        if (trimmed.startsWith("-----BEGIN ") && trimmed.endsWith("-----") && boundaries(trimmed) == 1) {
          label = trimmed.substring("-----BEGIN ".length(), trimmed.length() - 5);
          beginLine = lineNo;
          body.setLength(0);
        } else {
          checkOutsideLine(file, trimmed, lineNo);
        }
      } else if (trimmed.startsWith("-----END ") && trimmed.endsWith("-----") && boundaries(trimmed) == 1) {
        String endLabel = trimmed.substring("-----END ".length(), trimmed.length() - 5);
        if (!endLabel.equals(label)) {
          throw garbage(file, lineNo, "\"-----END " + endLabel + "-----\" closes \"-----BEGIN " + label
              + "-----\" from line " + beginLine);
        }
        accept(file, label, beginLine, body, certificates);
        label = null;
      } else if (trimmed.contains("-----")) {
        throw garbage(file, lineNo, "a boundary line inside the " + label + " block that began at line "
            + beginLine + " (an END line is missing, or files were concatenated without a newline)");
      } else if (isCertificate(label)) {
        if (!BASE64_BODY.matcher(trimmed).matches()) {
          throw garbage(file, lineNo, "the certificate block that began at line " + beginLine
              + " holds a line that is not base64");
        }
        body.append(trimmed);
      }
    }
    if (label != null) {
      throw garbage(file, beginLine, "\"-----BEGIN " + label + "-----\" has no END line (the file is truncated)");
    }
    return certificates;
  }

  private static void accept(Path file, String label, int beginLine, StringBuilder body,
      List<X509Certificate> out) {
    if (!isCertificate(label)) {
      if (label.contains("PRIVATE KEY") || label.contains("ENCRYPTED")) {
        LOG.warn("{}: skipping the {} block at line {}: keys are never read or exported", file, label, beginLine);
      } else {
        LOG.warn("{}: skipping the {} block at line {}: not a certificate", file, label, beginLine);
      }
      return;
    }
    byte[] der;
    try {
      der = Base64.getDecoder().decode(body.toString());
    } catch (IllegalArgumentException e) {
      throw garbage(file, beginLine, "the certificate block's base64 is invalid (" + e.getMessage() + ")");
    }
    out.add(parse(file, beginLine, der));
  }

  /** Parses exactly one DER certificate; trailing bytes are refused. */
  static X509Certificate parse(Path file, int line, byte[] der) {
    try {
      ByteArrayInputStream in = new ByteArrayInputStream(der);
      X509Certificate certificate =
          (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
      if (in.available() > 0) {
        throw garbage(file, line, "the certificate block holds " + in.available()
            + " bytes after the certificate");
      }
      return certificate;
    } catch (CertificateException | RuntimeException e) {
      if (e instanceof TrustStoreException) {
        throw (TrustStoreException) e;
      }
      throw new TrustStoreException(ACTION, file,
          "the certificate at line " + line + " is not a valid X.509 certificate (" + e.getMessage() + ")",
          "Replace it with an intact copy; `openssl x509 -in " + file + " -noout -text` shows the first one", e);
    }
  }

  private static void checkOutsideLine(Path file, String trimmed, int lineNo) {
    if (trimmed.isEmpty()) {
      return;
    }
    if (trimmed.contains("-----BEGIN") || trimmed.contains("-----END")) {
      throw garbage(file, lineNo, trimmed.startsWith("-----END")
          ? "an END line without a BEGIN line"
          : "a malformed boundary line (two boundaries on one line mean files were concatenated "
              + "without a final newline)");
    }
    if (BASE64_LINE.matcher(trimmed).matches()) {
      throw garbage(file, lineNo, "base64 data outside any BEGIN/END block (a BEGIN line is missing "
          + "or the file is damaged)");
    }
    for (int i = 0; i < trimmed.length(); i++) {
      char c = trimmed.charAt(i);
      if (c < 0x20 && c != '\t' || c == 0x7f) {
        throw garbage(file, lineNo, "binary data between certificates (control character 0x"
            + Integer.toHexString(c) + ")");
      }
    }
    LOG.debug("{}: ignoring text at line {}", file, lineNo);
  }

  private static String decode(Path file, byte[] bytes) {
    if (bytes.length > 1 && (bytes[0] & 0xff) == 0x30 && (bytes[1] & 0x80) != 0) {
      throw new TrustStoreException(ACTION, file, "it is binary DER, not PEM text",
          "Convert it with: openssl x509 -inform der -in " + file + " -out cert.pem", null);
    }
    try {
      String text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
      // A UTF-8 byte order mark is harmless; drop it.
      return text.startsWith("\uFEFF") ? text.substring(1) : text;
    } catch (CharacterCodingException e) {
      throw new TrustStoreException(ACTION, file, "it is not a text file (not valid UTF-8)",
          "Check the path; keystores load with CaBundle.fromKeyStore(path, password)", e);
    }
  }

  private static int boundaries(String line) {
    int count = 0;
    int from = 0;
    while (true) {
      int begin = line.indexOf("-----BEGIN", from);
      int end = line.indexOf("-----END", from);
      int next = begin < 0 ? end : end < 0 ? begin : Math.min(begin, end);
      if (next < 0) {
        return count;
      }
      count++;
      from = next + 5;
    }
  }

  private static boolean isCertificate(String label) {
    return CERTIFICATE_LABELS.contains(label);
  }

  private static String stripCr(String line) {
    return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
  }

  private static TrustStoreException garbage(Path file, int line, String what) {
    return new TrustStoreException(ACTION, file, "line " + line + ": " + what,
        "Repair the file (each certificate needs its own -----BEGIN CERTIFICATE----- and "
            + "-----END CERTIFICATE----- lines), or replace it with an intact copy", null);
  }
}
