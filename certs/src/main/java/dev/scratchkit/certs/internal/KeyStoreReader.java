package dev.scratchkit.certs.internal;

import dev.scratchkit.certs.TrustStoreException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.NoSuchAlgorithmException;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the trusted-certificate entries of a JKS, JCEKS or PKCS12 keystore. Private-key and
 * secret-key entries are counted and skipped; their keys are never loaded.
 */
public final class KeyStoreReader {

  private static final Logger LOG = LoggerFactory.getLogger(KeyStoreReader.class);
  private static final String ACTION = "Cannot read keystore";

  /** What a keystore held. */
  public record Contents(String type, List<X509Certificate> certificates, int skippedKeyEntries) {
    /** Copies the list. */
    public Contents {
      certificates = List.copyOf(certificates);
    }
  }

  /** The password was rejected; {@link #readTrustingAnyPassword} retries without it. */
  private static final class WrongPasswordException extends TrustStoreException {
    private static final long serialVersionUID = 1L;

    WrongPasswordException(Path file, Throwable cause) {
      super(ACTION, file, "the keystore integrity check failed",
          "This is usually a wrong password (the JDK's cacerts uses \"changeit\"); otherwise the "
              + "file was modified or damaged. Check it with: keytool -list -keystore " + file,
          cause);
    }
  }

  private KeyStoreReader() {}

  /**
   * Loads {@code file} with {@code password}, falling back to no integrity check when the
   * password is rejected: a trusted certificate needs no password to be read (a JDK's cacerts
   * whose password was changed).
   *
   * @throws TrustStoreException when the file cannot be read
   */
  public static Contents readTrustingAnyPassword(Path file, char[] password) {
    try {
      return read(file, password);
    } catch (WrongPasswordException e) {
      LOG.debug("{}: the password was rejected; reading without integrity check", file);
      return read(file, null);
    }
  }

  /**
   * Loads {@code file} with {@code password} (null: integrity not checked).
   *
   * @throws TrustStoreException when the file cannot be read, or the integrity check fails
   */
  public static Contents read(Path file, char[] password) {
    byte[] bytes = InputFiles.read(file, ACTION);
    String type = detectType(file, bytes);
    KeyStore store;
    try {
      store = KeyStore.getInstance(type);
      store.load(new ByteArrayInputStream(bytes), password);
    } catch (IOException e) {
      if (e.getCause() instanceof UnrecoverableKeyException
          || String.valueOf(e.getMessage()).contains("password")) {
        throw new WrongPasswordException(file, e);
      }
      throw new TrustStoreException(ACTION, file,
          "the " + type + " keystore is damaged or truncated (" + e + ")",
          "Re-create or re-download it; `keytool -list -keystore " + file + "` shows what is wrong", e);
    } catch (CertificateException e) {
      throw new TrustStoreException(ACTION, file, "a certificate in it cannot be parsed (" + e.getMessage() + ")",
          "Re-create the keystore from valid certificates", e);
    } catch (NoSuchAlgorithmException | KeyStoreException e) {
      throw new TrustStoreException(ACTION, file,
          "this JVM cannot read it (" + e.getMessage() + ")",
          "Read it with the JDK that wrote it, or re-create it as PKCS12", e);
    } catch (RuntimeException e) {
      // Providers throw unchecked exceptions on some malformed input; keep the file in the message.
      throw new TrustStoreException(ACTION, file,
          "the " + type + " keystore is damaged (" + e + ")",
          "Re-create or re-download it", e);
    }
    return entries(file, type, store);
  }

  private static Contents entries(Path file, String type, KeyStore store) {
    List<X509Certificate> certificates = new ArrayList<>();
    int skipped = 0;
    try {
      List<String> aliases = Collections.list(store.aliases());
      Collections.sort(aliases);
      for (String alias : aliases) {
        if (store.isCertificateEntry(alias)) {
          Certificate certificate = store.getCertificate(alias);
          if (certificate instanceof X509Certificate) {
            certificates.add((X509Certificate) certificate);
            LOG.debug("{}: trusted certificate {}", file, alias);
          } else {
            LOG.warn("{}: skipping entry {}: a {} certificate, not X.509", file, alias,
                certificate == null ? "missing" : certificate.getType());
          }
        } else {
          // Key entries: only their alias is looked at; the key is never loaded.
          skipped++;
          LOG.warn("{}: skipping key entry {}: only trusted-certificate entries are exported", file, alias);
        }
      }
    } catch (KeyStoreException e) {
      throw new TrustStoreException(ACTION, file, "its entries cannot be listed (" + e.getMessage() + ")",
          "Re-create the keystore", e);
    }
    return new Contents(type, certificates, skipped);
  }

  private static String detectType(Path file, byte[] bytes) {
    if (bytes.length == 0) {
      throw new TrustStoreException(ACTION, file, "the file is empty", "Check the path", null);
    }
    if (bytes.length >= 4) {
      int magic = ((bytes[0] & 0xff) << 24) | ((bytes[1] & 0xff) << 16) | ((bytes[2] & 0xff) << 8) | (bytes[3] & 0xff);
      if (magic == 0xFEEDFEED) {
        return "JKS";
      }
      if (magic == 0xCECECECE) {
        return "JCEKS";
      }
    }
    if ((bytes[0] & 0xff) == 0x30) {
      return "PKCS12";
    }
    String start = new String(bytes, 0, Math.min(bytes.length, 64), StandardCharsets.ISO_8859_1);
    if (start.contains("-----BEGIN")) {
      throw new TrustStoreException(ACTION, file, "it is a PEM file, not a keystore",
          "Load it with CaBundle.fromPem(path)", null);
    }
    throw new TrustStoreException(ACTION, file,
        "it is not a JKS, JCEKS or PKCS12 keystore (it starts with bytes "
            + Digests.hex(java.util.Arrays.copyOf(bytes, Math.min(bytes.length, 4))) + ")",
        "Check the path; PEM files load with CaBundle.fromPem(path)", null);
  }
}
