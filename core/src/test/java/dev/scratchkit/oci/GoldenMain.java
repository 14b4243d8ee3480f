package dev.scratchkit.oci;

import java.nio.file.Path;

/**
 * Writes the test image into a layout and prints its manifest digest; the golden test runs it
 * in another JDK (Temurin 25) to compare digests across JDKs.
 *
 * <p>Usage: {@code GoldenMain BUSYBOX LAYOUT_DIR}
 */
public final class GoldenMain {
  private GoldenMain() {}

  public static void main(String[] args) {
    WriteResult result = OciLayout.at(Path.of(args[1])).tag("golden").cache(LayerCache.disabled()).write(TestImages.busyboxImage(Path.of(args[0])));
    System.out.println(result.digest());
  }
}
