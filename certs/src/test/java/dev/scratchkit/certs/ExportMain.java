package dev.scratchkit.certs;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes every output format of a keystore into a directory; run under different JDKs by
 * {@link ReproducibilityTest} to compare their bytes.
 *
 * <p>Usage: {@code ExportMain <keystore> <password> <out-dir>}
 */
public final class ExportMain {

  private ExportMain() {}

  /**
   * Entry point.
   *
   * @param args keystore, password, output directory
   * @throws Exception on any failure
   */
  public static void main(String[] args) throws Exception {
    export(Path.of(args[0]), args[1].toCharArray(), Path.of(args[2]));
    // Lets the caller check that a CRLF platform separator was really in effect.
    System.out.println("line.separator: " + System.lineSeparator().replace("\r", "\\r").replace("\n", "\\n"));
  }

  static void export(Path keystore, char[] password, Path out) throws Exception {
    CaBundle bundle = CaBundle.fromKeyStore(keystore, password);
    Files.createDirectories(out);
    bundle.writePem(out.resolve("plain.pem"));
    bundle.writePem(out.resolve("comments.pem"), PemOptions.withComments());
    bundle.writePkcs12(out.resolve("changeit.p12"), "changeit".toCharArray());
    bundle.writePkcs12(out.resolve("passwordless.p12"), null);
    bundle.writeHashedDirectory(out.resolve("hashed"));
    Files.writeString(out.resolve("pem-digest.txt"), bundle.pemDigest() + "\n");
  }
}
