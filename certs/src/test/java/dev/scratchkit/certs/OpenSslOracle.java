package dev.scratchkit.certs;

import dev.scratchkit.testkit.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What the openssl command line makes of certificate files. */
final class OpenSslOracle {

  /** One certificate as openssl sees it. */
  record Seen(String sha256, String subjectHash) {}

  private static final Pattern BLOCK =
      Pattern.compile("-----BEGIN CERTIFICATE-----\n.*?-----END CERTIFICATE-----\n", Pattern.DOTALL);
  private static final Pattern TOTAL = Pattern.compile("Total found: (\\d+)");

  private OpenSslOracle() {}

  /**
   * Every certificate openssl finds in a bundle: {@code openssl storeutl} parses the file and
   * re-encodes each certificate, then {@code openssl x509} prints its fingerprint and hash.
   */
  static List<Seen> readBundle(Path bundle, Path work) throws Exception {
    String openssl = Tools.require("openssl").toString();
    String out = Tools.runOk(openssl, "storeutl", "-certs", bundle.toString()).stdout();
    Matcher total = TOTAL.matcher(out);
    if (!total.find()) {
      throw new AssertionError("no total in openssl storeutl output:\n" + out);
    }
    List<Path> files = new ArrayList<>();
    Matcher block = BLOCK.matcher(out);
    Files.createDirectories(work);
    while (block.find()) {
      Path one = work.resolve("openssl-" + files.size() + ".pem");
      Files.writeString(one, block.group());
      files.add(one);
    }
    List<Seen> seen = x509All(files);
    if (seen.size() != Integer.parseInt(total.group(1))) {
      throw new AssertionError("openssl found " + total.group(1) + " certificates but printed " + seen.size());
    }
    return seen;
  }

  /** {@link #x509} of each file, in order (run in parallel: there are ~150). */
  static List<Seen> x509All(List<Path> files) {
    return files.parallelStream().map(OpenSslOracle::x509).toList();
  }

  /** {@code openssl x509 -noout -subject_hash -fingerprint -sha256} of the first certificate in a file. */
  static Seen x509(Path file) {
    String openssl = Tools.require("openssl").toString();
    String[] lines = Tools.runOk(openssl, "x509", "-noout", "-subject_hash", "-fingerprint", "-sha256", "-in",
        file.toString()).stdout().strip().split("\n");
    String hash = lines[0].strip();
    String fingerprint = lines[1].substring(lines[1].indexOf('=') + 1).replace(":", "").toLowerCase(Locale.ROOT);
    return new Seen(fingerprint, hash);
  }
}
