package dev.scratchkit.oci;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.elf.Platform;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The content progress events a build tool drives a progress bar with. */
class LayerProgressTest {

  private static final Instant CREATED = Instant.parse("2024-01-02T03:04:05Z");
  private static final long MIB = 1 << 20;

  @TempDir
  Path tmp;

  /** One layerProgress event. */
  record Event(int index, long done, long total) {}

  /** Records progress events and the order of layer events. */
  static final class Recorder implements ProgressListener {
    final List<Event> progress = new ArrayList<>();
    final List<String> order = new ArrayList<>();

    @Override
    public void layerStarted(int index, int entryCount) {
      order.add("started " + index);
    }

    @Override
    public void layerProgress(int index, long done, long total) {
      progress.add(new Event(index, done, total));
      order.add("progress " + index);
    }

    @Override
    public void layerFinished(int index, LayerDescriptor layer) {
      order.add("finished " + index);
    }
  }

  private Path file(String name, long size) throws IOException {
    byte[] b = new byte[(int) size];
    new Random(size).nextBytes(b);
    return Files.write(tmp.resolve(name), b);
  }

  @Test
  void aBigLayerReportsItsContentInSteadyStepsUpToTheTotal() throws IOException {
    Path big = file("big.bin", 40 * MIB + 12345);
    Path small = file("small.bin", 3000);
    byte[] inline = "config\n".getBytes(StandardCharsets.UTF_8);
    ImageSpec image = ImageSpec.of(Platform.LINUX_AMD64, CREATED, ContainerConfig.empty(), List.of(
        LayerSpec.of("base", LayerEntry.bytes(ImagePath.of("/etc/app.conf"), inline, 0644)),
        LayerSpec.of("app", LayerEntry.file(ImagePath.of("/app/big"), big, 0755),
            LayerEntry.file(ImagePath.of("/app/small"), small, 0644),
            LayerEntry.directory(ImagePath.of("/data"), 0755))));
    Recorder events = new Recorder();
    OciLayout.at(tmp.resolve("layout")).cache(LayerCache.disabled()).write(image, events);

    long appTotal = Files.size(big) + Files.size(small);
    List<Event> app = events.progress.stream().filter(e -> e.index() == 1).toList();
    assertThat(app).allSatisfy(e -> assertThat(e.total()).isEqualTo(appTotal));
    assertThat(app.get(app.size() - 1).done()).isEqualTo(appTotal);
    for (int i = 1; i < app.size(); i++) {
      long step = app.get(i).done() - app.get(i - 1).done();
      // At least 1 MiB apart except for the final event, which may follow closely.
      assertThat(step).isGreaterThanOrEqualTo(i == app.size() - 1 ? 1 : MIB);
    }
    assertThat(app.size()).isBetween(30, 42);
    // The small base layer sends only its final event.
    assertThat(events.progress.stream().filter(e -> e.index() == 0).toList())
        .containsExactly(new Event(0, inline.length, inline.length));
    // Progress comes between the start and the end of its layer.
    assertThat(events.order.indexOf("progress 1")).isGreaterThan(events.order.indexOf("started 1"));
    assertThat(events.order.lastIndexOf("progress 1")).isLessThan(events.order.indexOf("finished 1"));
  }

  @Test
  void aLayerFromTheCacheReportsNoProgress() throws IOException {
    Path big = file("big.bin", 5 * MIB);
    ImageSpec image = ImageSpec.of(Platform.LINUX_AMD64, CREATED, ContainerConfig.empty(), List.of(
        LayerSpec.of("app", LayerEntry.file(ImagePath.of("/app"), big, 0755))));
    LayerCache cache = LayerCache.at(tmp.resolve("cache"));
    Recorder cold = new Recorder();
    OciLayout.at(tmp.resolve("cold")).cache(cache).write(image, cold);
    Recorder warm = new Recorder();
    OciLayout.at(tmp.resolve("warm")).cache(cache).write(image, warm);

    assertThat(cold.progress).isNotEmpty().last().isEqualTo(new Event(0, 5 * MIB, 5 * MIB));
    assertThat(warm.progress).isEmpty();
    assertThat(warm.order).containsExactly("started 0", "finished 0");
  }
}
