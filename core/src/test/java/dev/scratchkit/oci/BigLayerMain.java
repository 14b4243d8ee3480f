package dev.scratchkit.oci;

import dev.scratchkit.elf.Platform;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * Writes one file as a one-layer image into a layout with gzip level 1 and prints
 * {@code digest diffId size uncompressedSize millis maxHeapMiB}; run with a small heap.
 *
 * <p>Usage: {@code BigLayerMain SOURCE LAYOUT}
 */
public final class BigLayerMain {
  private BigLayerMain() {}

  public static void main(String[] args) {
    long start = System.nanoTime();
    ImageSpec image = ImageSpec.of(Platform.LINUX_AMD64, Instant.EPOCH, ContainerConfig.empty(),
        List.of(LayerSpec.of("big", LayerEntry.file(ImagePath.of("/data/big.bin"), Path.of(args[0]), 0644))));
    WriteResult r = OciLayout.at(Path.of(args[1])).compressionLevel(1).cache(LayerCache.disabled()).write(image);
    LayerDescriptor l = r.layers().get(0);
    System.out.println(l.digest() + " " + l.diffId() + " " + l.size() + " " + l.uncompressedSize() + " "
        + (System.nanoTime() - start) / 1_000_000 + " " + Runtime.getRuntime().maxMemory() / (1024 * 1024));
  }
}
