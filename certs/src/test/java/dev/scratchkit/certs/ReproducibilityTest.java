package dev.scratchkit.certs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.testkit.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Acceptance item 5: same certificates, same bytes — across runs, input orders and JDKs. */
class ReproducibilityTest {

  static final Path TEMURIN_25 = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64");

  @TempDir Path tmp;

  private static Path jdkCacerts() {
    return Path.of(System.getProperty("java.home"), "lib/security/cacerts");
  }

  /** Relative path to content of every file under {@code dir}. */
  private static Map<String, byte[]> tree(Path dir) throws Exception {
    Map<String, byte[]> files = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.filter(Files::isRegularFile).toList()) {
        files.put(dir.relativize(p).toString(), Files.readAllBytes(p));
      }
    }
    return files;
  }

  private static void assertSameTree(Map<String, byte[]> actual, Map<String, byte[]> expected) {
    assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
    for (String name : expected.keySet()) {
      assertThat(actual.get(name)).as(name).isEqualTo(expected.get(name));
    }
  }

  @Test
  void twoRunsGiveTheSameBytes() throws Exception {
    ExportMain.export(jdkCacerts(), "changeit".toCharArray(), tmp.resolve("run1"));
    ExportMain.export(jdkCacerts(), "changeit".toCharArray(), tmp.resolve("run2"));

    Map<String, byte[]> run1 = tree(tmp.resolve("run1"));
    assertThat(run1).containsKeys("plain.pem", "comments.pem", "changeit.p12", "passwordless.p12", "pem-digest.txt");
    assertThat(run1.keySet().stream().filter(n -> n.startsWith("hashed/"))).hasSize(CaBundle.fromJdk().size());
    assertSameTree(tree(tmp.resolve("run2")), run1);
  }

  @Test
  void inputOrderAndDuplicatesDoNotChangeTheBytes() {
    CaBundle jdk = CaBundle.fromJdk();
    List<X509Certificate> shuffled = new ArrayList<>(jdk.certificates());
    Collections.shuffle(shuffled, new java.util.Random(42));
    shuffled.addAll(jdk.certificates().subList(0, 10));

    CaBundle other = CaBundle.of(shuffled.toArray(X509Certificate[]::new));

    assertThat(other.size()).isEqualTo(jdk.size());
    assertThat(other.toPem()).isEqualTo(jdk.toPem());
    assertThat(other.toPem(PemOptions.withComments())).isEqualTo(jdk.toPem(PemOptions.withComments()));
    assertThat(other.pemDigest()).isEqualTo(jdk.pemDigest()).startsWith("sha256:").hasSize(71);
    assertThat(other).isEqualTo(jdk).hasSameHashCodeAs(jdk);
    assertThat(jdk.plus(jdk)).isEqualTo(jdk);
    assertThat(jdk.plus(other).toString())
        .isEqualTo("CaBundle[" + jdk.size() + " certificates, from " + jdkCacerts() + " + given certificates]");
  }

  @Test
  void jdk17AndTemurin25ReadingTheSameKeystoreWriteTheSameBytes() throws Exception {
    Path java = TEMURIN_25.resolve("bin/java");
    if (!Files.isExecutable(java)) {
      String reason = java + " is not installed (Temurin 25, for the cross-JDK comparison)";
      if (Tools.strict()) {
        Assertions.fail(reason);
      }
      Assumptions.abort(reason);
    }
    Path here = tmp.resolve("jdk17");
    Path there = tmp.resolve("temurin25");
    ExportMain.export(jdkCacerts(), "changeit".toCharArray(), here);

    // CRLF as the platform line separator: PEM output must still use \n only.
    Tools.Result result = Tools.run(Duration.ofMinutes(2), tmp, null, List.of(java.toString(),
        "-Dline.separator=\r\n", "-cp", System.getProperty("java.class.path"),
        ExportMain.class.getName(), jdkCacerts().toString(), "changeit", there.toString()));
    result.assertOk();
    assertThat(result.stdout()).contains("line.separator: \\r\\n");
    Tools.Result version = Tools.runOk(java.toString(), "-version");
    assertThat(version.stderr()).contains("version \"25");

    assertSameTree(tree(there), tree(here));
    assertThat(Files.readString(there.resolve("comments.pem"))).doesNotContain("\r");
    // And the in-process view of Temurin's cacerts (the same file here) agrees.
    assertThat(CaBundle.fromJdk(TEMURIN_25)).isEqualTo(CaBundle.fromJdk());
  }
}
