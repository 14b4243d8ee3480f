package dev.scratchkit.internal.compress;

/**
 * Combines the CRC-32 (gzip/zlib polynomial) of two adjacent byte sequences without reading
 * them again: {@code combine(crc(A), crc(B), |B|) == crc(A ++ B)}.
 *
 * <p>The math: a CRC is the message polynomial times x^32 modulo P (reflected, plus the
 * pre/post inversion, which cancels out in the combination). Appending {@code n} bytes to A
 * multiplies A's remainder by x^(8n) mod P, so {@code crc(A ++ B) = crc(A) * x^(8n) mod P xor
 * crc(B)}. x^(8n) is built from a table of x^(2^k) mod P in O(log n) multiplications.
 * Polynomials are kept bit-reflected, as in the CRC itself: bit 31 is x^0, bit 0 is x^31.
 */
public final class Crc32Combine {

  /** The reflected CRC-32 polynomial used by gzip, zlib and {@link java.util.zip.CRC32}. */
  private static final int POLY = 0xedb88320;

  /** x^0 in the reflected representation. */
  private static final int ONE = 0x80000000;

  /** X2N[k] = x^(2^k) mod P, for k = 0..31; the sequence repeats after that for our use. */
  private static final int[] X2N = new int[32];

  static {
    X2N[0] = ONE >>> 1; // x^1
    for (int k = 1; k < X2N.length; k++) {
      X2N[k] = multiplyModP(X2N[k - 1], X2N[k - 1]);
    }
  }

  private Crc32Combine() {}

  /**
   * The CRC-32 of A followed by B.
   *
   * @param crcA the CRC-32 of the first sequence
   * @param crcB the CRC-32 of the second sequence
   * @param lengthB the length in bytes of the second sequence, non-negative
   * @return the CRC-32 of the concatenation
   */
  public static int combine(int crcA, int crcB, long lengthB) {
    if (lengthB < 0) {
      throw new IllegalArgumentException("length of the second sequence is negative: " + lengthB);
    }
    return multiplyModP(xPowerTwoToTheNTimes(lengthB, 3), crcA) ^ crcB;
  }

  /** a(x) * b(x) mod P, both reflected. */
  static int multiplyModP(int a, int b) {
    int m = ONE;
    int product = 0;
    while (m != 0) {
      if ((a & m) != 0) {
        product ^= b;
      }
      m >>>= 1;
      // b *= x (mod P): in the reflected form a shift right, reducing when x^31's bit falls out
      b = (b & 1) != 0 ? (b >>> 1) ^ POLY : b >>> 1;
    }
    return product;
  }

  /** x^(n * 2^k) mod P. */
  private static int xPowerTwoToTheNTimes(long n, int k) {
    int p = ONE;
    while (n != 0) {
      if ((n & 1) != 0) {
        p = multiplyModP(X2N[k & 31], p);
      }
      n >>>= 1;
      k++;
    }
    return p;
  }
}
