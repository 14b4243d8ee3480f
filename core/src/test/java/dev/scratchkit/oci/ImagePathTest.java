package dev.scratchkit.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link ImagePath}'s one-pass validation and allocation-free order against their definitions:
 * the full check, and the JDK's UTF-8 bytes compared unsigned.
 */
class ImagePathTest {

  /** Characters that reach every branch: ASCII, two- and three-byte UTF-8, both surrogates, the ones above them. */
  private static final char[] ALPHABET = {'a', 'Z', '0', '/', '/', '/', '.', '.', '\0', 'é', 'ß', '中', '\uE000',
      '\uFFFD', '\uFFFF', '\uD83D', '\uDE00', '\uD800', '\uDFFF', '-'};

  @Test
  void acceptsExactlyWhatTheFullCheckAccepts() {
    Random random = new Random(15);
    int accepted = 0;
    for (String path : samples(random, 200_000)) {
      String problem = ImagePath.namedProblem(path);
      boolean valid;
      try {
        new ImagePath(path);
        valid = true;
      } catch (OciException e) {
        valid = false;
        assertThat(e.getMessage()).contains(problem);
      }
      assertThat(valid).as("%s (full check: %s)", escaped(path), problem).isEqualTo(problem == null);
      accepted += valid ? 1 : 0;
    }
    assertThat(accepted).as("valid paths among the samples").isGreaterThan(10_000);
  }

  @Test
  void nameAndPathLimitsAreUtf8BytesAtTheirEdges() {
    String name255 = "é".repeat(127) + "a"; // 255 bytes
    assertThat(new ImagePath("/" + name255).fileName()).isEqualTo(name255);
    assertThatThrownBy(() -> new ImagePath("/" + name255 + "a")).hasMessageContaining("256 bytes long in UTF-8");
    String path4095 = ("/" + "a".repeat(254)).repeat(16) + "/" + "b".repeat(14); // 16 * 255 + 15 bytes
    assertThat(path4095.getBytes(StandardCharsets.UTF_8).length).isEqualTo(4095);
    assertThat(new ImagePath(path4095).path()).isEqualTo(path4095);
    assertThatThrownBy(() -> new ImagePath(path4095 + "b")).hasMessageContaining("4096 bytes long in UTF-8");
    assertThatThrownBy(() -> new ImagePath("/a/.")).hasMessageContaining("contains \".\"");
    assertThatThrownBy(() -> new ImagePath("/..")).hasMessageContaining("contains \"..\"");
    assertThat(new ImagePath("/.../..a/.b").path()).isEqualTo("/.../..a/.b");
  }

  @Test
  void ordersAsUtf8BytesCompareUnsigned() {
    Random random = new Random(16);
    List<ImagePath> paths = new ArrayList<>();
    for (String s : samples(random, 100_000)) {
      if (ImagePath.namedProblem(s) == null) {
        paths.add(new ImagePath(s));
      }
    }
    for (int i = 0; i + 1 < paths.size(); i++) {
      ImagePath a = paths.get(i);
      ImagePath b = paths.get(i + 1);
      int bytes = Integer.signum(Arrays.compareUnsigned(a.path().getBytes(StandardCharsets.UTF_8),
          b.path().getBytes(StandardCharsets.UTF_8)));
      assertThat(Integer.signum(a.compareTo(b))).as("%s vs %s", escaped(a.path()), escaped(b.path()))
          .isEqualTo(bytes);
      assertThat(Integer.signum(b.compareTo(a))).isEqualTo(-bytes);
    }
    // The case UTF-16 order gets wrong: U+1F600 (a surrogate pair) sorts after U+FFFD in UTF-8.
    assertThat(ImagePath.of("/\uD83D\uDE00").compareTo(ImagePath.of("/\uFFFD"))).isPositive();
    assertThat(ImagePath.of("/etc").compareTo(ImagePath.of("/etc/passwd"))).isNegative();
  }

  /** Random strings, half of them made of plausible segments so that many are valid. */
  private static List<String> samples(Random random, int count) {
    List<String> samples = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      StringBuilder b = new StringBuilder();
      if (random.nextBoolean()) {
        int segments = 1 + random.nextInt(4);
        for (int s = 0; s < segments; s++) {
          b.append('/');
          int length = 1 + random.nextInt(4);
          for (int c = 0; c < length; c++) {
            b.append(ALPHABET[random.nextInt(ALPHABET.length)]);
          }
        }
      } else {
        int length = random.nextInt(10);
        for (int c = 0; c < length; c++) {
          b.append(ALPHABET[random.nextInt(ALPHABET.length)]);
        }
      }
      samples.add(b.toString());
    }
    return samples;
  }

  private static String escaped(String s) {
    StringBuilder b = new StringBuilder();
    s.chars().forEach(c -> b.append(c < 0x20 || c > 0x7e ? String.format("\\u%04X", c) : String.valueOf((char) c)));
    return b.toString();
  }
}
