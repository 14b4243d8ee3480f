package dev.scratchkit.oci;

import dev.scratchkit.elf.Platform;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Random;

/**
 * A writer process for the crash and concurrency tests: writes images of pseudo-random
 * content (4 MiB, incompressible, so each write takes a while) to {@code LAYOUT:TAG}, without
 * the layer cache.
 *
 * <p>Usage: {@code WriterMain TARGET TAG SEED COUNT [layout|oci-archive|docker-archive]}
 * (default {@code layout}); prints each manifest digest.
 */
public final class WriterMain {
  private WriterMain() {}

  /** 4 MiB of random bytes, made once per JVM: writing, not generating, should take a writer's time. */
  private static final byte[] RANDOM = random();

  private static byte[] random() {
    byte[] data = new byte[4 << 20];
    new Random(42).nextBytes(data);
    return data;
  }

  static ImageSpec image(long seed) {
    byte[] data = RANDOM.clone();
    java.nio.ByteBuffer.wrap(data).putLong(seed); // each seed its own content, still incompressible
    LayerSpec layer = LayerSpec.of("random " + seed,
        LayerEntry.bytes(ImagePath.of("/data/random.bin"), data, 0644),
        LayerEntry.bytes(ImagePath.of("/data/seed"), Long.toString(seed).getBytes(java.nio.charset.StandardCharsets.UTF_8), 0644));
    return ImageSpec.of(Platform.LINUX_AMD64, Instant.EPOCH,
        ContainerConfig.empty().withEntrypoint(List.of("/data/none")), List.of(layer));
  }

  public static void main(String[] args) {
    Path target = Path.of(args[0]);
    long seed = Long.parseLong(args[2]);
    int count = Integer.parseInt(args[3]);
    String kind = args.length > 4 ? args[4] : "layout";
    for (int i = 0; i < count; i++) {
      // No layer cache: every write must do the full work (a cache hit copies a blob in a few
      // ms, and the crash test's kills would then rarely land in a write), and a child JVM
      // must not fill the user's cache.
      ImageTarget t = switch (kind) {
        case "layout" -> OciLayout.at(target).tag(args[1]).cache(LayerCache.disabled());
        case "oci-archive" -> OciArchive.at(target).tag(args[1]).cache(LayerCache.disabled());
        case "docker-archive" -> DockerArchive.at(target).tag(args[1]).cache(LayerCache.disabled());
        default -> throw new IllegalArgumentException("unknown target kind " + kind);
      };
      System.out.println(t.write(image(seed + i)).digest());
      System.out.flush();
    }
  }
}
