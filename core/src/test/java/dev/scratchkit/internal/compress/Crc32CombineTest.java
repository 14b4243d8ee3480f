package dev.scratchkit.internal.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

class Crc32CombineTest {

  private static int crc(byte[] b, int off, int len) {
    CRC32 c = new CRC32();
    c.update(b, off, len);
    return (int) c.getValue();
  }

  @Test
  void combiningTheCrcsOfTwoPartsGivesTheCrcOfTheWhole() {
    Random random = new Random(42);
    for (int round = 0; round < 2000; round++) {
      byte[] data = new byte[random.nextInt(5000)];
      random.nextBytes(data);
      int split = data.length == 0 ? 0 : random.nextInt(data.length + 1);
      int combined = Crc32Combine.combine(
          crc(data, 0, split), crc(data, split, data.length - split), data.length - split);
      assertThat(combined).as("round %d, %d bytes split at %d", round, data.length, split)
          .isEqualTo(crc(data, 0, data.length));
    }
  }

  @Test
  void anEmptySecondPartLeavesTheCrcUnchanged() {
    assertThat(Crc32Combine.combine(0x12345678, 0, 0)).isEqualTo(0x12345678);
    assertThat(Crc32Combine.combine(0, crc(new byte[] {1, 2, 3}, 0, 3), 3))
        .isEqualTo(crc(new byte[] {1, 2, 3}, 0, 3));
  }

  @Test
  void lengthsBeyondFourGibibytesCombineCorrectly() {
    // 4 GiB + 3 bytes of zeros after a prefix: the CRC of the whole, computed the slow way
    // (about a second with the JDK's intrinsic CRC32), against the combination.
    long zeros = (1L << 32) + 3;
    byte[] prefix = {7, 8, 9};
    byte[] chunk = new byte[1 << 20];
    CRC32 whole = new CRC32();
    whole.update(prefix);
    CRC32 tail = new CRC32();
    for (long left = zeros; left > 0; ) {
      int n = (int) Math.min(chunk.length, left);
      whole.update(chunk, 0, n);
      tail.update(chunk, 0, n);
      left -= n;
    }
    assertThat(Crc32Combine.combine(crc(prefix, 0, 3), (int) tail.getValue(), zeros))
        .isEqualTo((int) whole.getValue());
  }

  @Test
  void aNegativeLengthIsRejected() {
    assertThatThrownBy(() -> Crc32Combine.combine(0, 0, -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("length of the second sequence is negative: -1");
  }
}
