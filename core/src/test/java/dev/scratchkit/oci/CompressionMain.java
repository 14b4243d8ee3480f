package dev.scratchkit.oci;

import dev.scratchkit.elf.Platform;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * Writes one file as a one-layer image into a layout without the layer cache and prints
 * {@code digest diffId size mediaType}; the tests run it with other processor counts.
 *
 * <p>Usage: {@code CompressionMain gzip|zstd SOURCE LAYOUT}
 */
public final class CompressionMain {
  private CompressionMain() {}

  public static void main(String[] args) {
    ImageSpec image = ImageSpec.of(Platform.LINUX_AMD64, Instant.EPOCH, ContainerConfig.empty(),
        List.of(LayerSpec.of("app", LayerEntry.file(ImagePath.of("/app.bin"), Path.of(args[1]), 0755))));
    LayerCompression c = args[0].equals("zstd") ? LayerCompression.zstd() : LayerCompression.gzip();
    WriteResult r = OciLayout.at(Path.of(args[2])).compression(c).cache(LayerCache.disabled()).write(image);
    LayerDescriptor l = r.layers().get(0);
    System.out.println(l.digest() + " " + l.diffId() + " " + l.size() + " " + l.mediaType());
  }
}
