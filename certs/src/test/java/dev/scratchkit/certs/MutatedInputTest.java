package dev.scratchkit.certs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged input, generated from valid files with a fixed seed: every outcome is a bundle or a
 * {@link TrustStoreException} naming the file, never another exception.
 */
class MutatedInputTest {

  private static final int ROUNDS = 150;

  @TempDir Path tmp;

  private static byte[] mutate(byte[] original, Random random) {
    byte[] bytes = original.clone();
    switch (random.nextInt(4)) {
      case 0 -> bytes[random.nextInt(bytes.length)] ^= (byte) (1 << random.nextInt(8));
      case 1 -> {
        for (int i = 0; i < 1 + random.nextInt(8); i++) {
          bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
        }
      }
      case 2 -> bytes = Arrays.copyOf(bytes, random.nextInt(bytes.length));
      default -> {
        int at = random.nextInt(bytes.length);
        int length = Math.min(bytes.length - at, 1 + random.nextInt(64));
        byte[] cut = new byte[bytes.length - length];
        System.arraycopy(bytes, 0, cut, 0, at);
        System.arraycopy(bytes, at + length, cut, at, bytes.length - at - length);
        bytes = cut;
      }
    }
    return bytes;
  }

  private void assertOnlyTrustStoreExceptions(byte[] original, String name, boolean pem, char[] password)
      throws Exception {
    Random random = new Random(name.hashCode());
    int refused = 0;
    for (int round = 0; round < ROUNDS; round++) {
      Path file = tmp.resolve(name + "-" + round);
      Files.write(file, mutate(original, random));
      try {
        CaBundle bundle = pem ? CaBundle.fromPem(file) : CaBundle.fromKeyStore(file, password);
        assertThat(bundle.size()).isPositive();
      } catch (TrustStoreException e) {
        refused++;
        assertThat(e.getMessage()).contains(file.toString());
      }
    }
    assertThat(refused).as("mutations refused").isPositive();
  }

  @Test
  void damagedPemFiles() throws Exception {
    byte[] pem = CaBundle.fromJdk().filter(c -> c.getSubjectX500Principal().getName().contains("O=G"))
        .toPem(PemOptions.withComments()).getBytes(StandardCharsets.UTF_8);
    assertOnlyTrustStoreExceptions(pem, "bundle.pem", true, null);
  }

  @Test
  void damagedKeystores() throws Exception {
    TestPki.Issued ca = TestPki.ca("CN=Mutation Root");
    for (String type : new String[] {"JKS", "PKCS12"}) {
      Path store = TestPki.keyStore(tmp.resolve("store." + type), type, "changeit".toCharArray(),
          TestPki.server(ca), ca.certificate());
      assertOnlyTrustStoreExceptions(Files.readAllBytes(store), type, false, "changeit".toCharArray());
    }
    byte[] ours = CaBundle.of(ca.certificate()).toPkcs12("changeit".toCharArray());
    assertOnlyTrustStoreExceptions(ours, "ours.p12", false, "changeit".toCharArray());
  }
}
