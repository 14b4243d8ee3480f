package dev.scratchkit.internal.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scratchkit.elf.Platform;
import dev.scratchkit.internal.compress.TestData;
import dev.scratchkit.oci.ContainerConfig;
import dev.scratchkit.oci.Digest;
import dev.scratchkit.oci.ImagePath;
import dev.scratchkit.oci.ImageSpec;
import dev.scratchkit.oci.LayerCache;
import dev.scratchkit.oci.LayerDescriptor;
import dev.scratchkit.oci.LayerEntry;
import dev.scratchkit.oci.LayerSpec;
import dev.scratchkit.oci.OciException;
import dev.scratchkit.oci.OciLayout;
import dev.scratchkit.oci.ProgressListener;
import dev.scratchkit.testkit.Tools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Small layers compressed ahead, on the background thread beside the layer being written: the
 * same blobs, digests and progress events as one layer after the other, with and without the
 * layer cache; a failure ahead surfaces in its layer's turn; an interrupted write leaves the
 * previous image in place.
 */
class ImageWriterTest {

  private static final Instant CREATED = Instant.parse("2024-05-01T12:00:00Z");

  @TempDir Path tmp;

  /** Every listener event, in order, as text. */
  static final class Events implements ProgressListener {
    final List<String> all = new ArrayList<>();

    @Override
    public void layerStarted(int index, int entryCount) {
      all.add("started " + index + " " + entryCount);
    }

    @Override
    public void layerProgress(int index, long done, long total) {
      all.add("progress " + index + " " + done + "/" + total);
    }

    @Override
    public void layerFinished(int index, LayerDescriptor layer) {
      all.add("finished " + index + " " + layer);
    }

    @Override
    public void blobSkipped(Digest digest, String where) {
      all.add("skipped " + digest);
    }
  }

  /** A 3 MiB layer (several gzip blocks, never ahead) between small ones, which are. */
  private ImageSpec image(Path in) throws IOException {
    return image(in, "port=8080\n");
  }

  private ImageSpec image(Path in, String config) throws IOException {
    Files.createDirectories(in);
    Path big = Files.write(in.resolve("big.bin"), TestData.machineCode(3 << 20));
    Path conf = Files.writeString(in.resolve("app.conf"), config);
    Path blob = Files.write(in.resolve("logo.bin"), TestData.random(300_000, 7));
    return ImageSpec.of(Platform.LINUX_AMD64, CREATED, ContainerConfig.empty(), List.of(
        LayerSpec.of("conf", LayerEntry.directory(ImagePath.of("/etc"), 0755),
            LayerEntry.file(ImagePath.of("/etc/app.conf"), conf, 0644)),
        LayerSpec.of("big", LayerEntry.file(ImagePath.of("/app/big.bin"), big, 0755)),
        LayerSpec.of("site", LayerEntry.directory(ImagePath.of("/srv"), 0755),
            LayerEntry.file(ImagePath.of("/srv/logo.bin"), blob, 0644),
            LayerEntry.symlink(ImagePath.of("/srv/latest"), "logo.bin")),
        LayerSpec.of("motd", LayerEntry.bytes(ImagePath.of("/etc/motd"),
            "hello\n".getBytes(StandardCharsets.UTF_8), 0644))));
  }

  /** One write into a new blob directory: the manifest, each layer's blob bytes, events, layers compressed ahead. */
  private record Run(ImageWriter.Written written, List<byte[]> blobs, List<String> events, int ahead) {}

  private Run write(ImageSpec image, String name, boolean ahead, LayerCache cache) throws IOException {
    Path dir = tmp.resolve(name);
    BlobStore store = BlobStore.deferred(dir.resolve("blobs"), dir.resolve("tmp"), name, true);
    Events events = new Events();
    ImageWriter writer = new ImageWriter(store, LayerCompression.defaultGzip(), events, name, cache)
        .compressAhead(ahead);
    ImageWriter.Written w = writer.writeImage(image);
    store.commit(List.of());
    List<byte[]> blobs = new ArrayList<>();
    for (LayerDescriptor d : w.layers()) {
      blobs.add(Files.readAllBytes(store.path(d.digest())));
    }
    return new Run(w, blobs, events.all, writer.layersCompressedAhead());
  }

  @Test
  void smallLayersCompressedAheadGiveTheSameBlobsDigestsAndEventsAsOneAfterTheOther() throws Exception {
    ImageSpec image = image(tmp.resolve("in"));
    Run serial = write(image, "serial", false, LayerCache.disabled());
    Run ahead = write(image, "ahead", true, LayerCache.disabled());
    LayerCache cache = LayerCache.at(tmp.resolve("cache"));
    Run aheadCold = write(image, "ahead-cold", true, cache);
    Run serialWarm = write(image, "serial-warm", false, cache);
    Run aheadWarm = write(image, "ahead-warm", true, cache);

    // Layers 0, 2 and 3 are small: ahead unless the cache has them; the 3 MiB layer never.
    assertThat(List.of(serial.ahead(), ahead.ahead(), aheadCold.ahead(), serialWarm.ahead(), aheadWarm.ahead()))
        .containsExactly(0, 2, 2, 0, 0);
    for (Run r : List.of(ahead, aheadCold, serialWarm, aheadWarm)) {
      assertThat(r.written().digest()).isEqualTo(serial.written().digest());
      assertThat(r.written().layers()).isEqualTo(serial.written().layers());
      for (int i = 0; i < r.blobs().size(); i++) {
        assertThat(r.blobs().get(i)).as("layer %d", i).isEqualTo(serial.blobs().get(i));
      }
    }
    assertThat(ahead.events()).isEqualTo(serial.events());
    assertThat(aheadCold.events()).isEqualTo(serial.events());
    // From the cache: no content progress, the rest the same.
    assertThat(aheadWarm.events()).isEqualTo(serialWarm.events())
        .noneMatch(e -> e.startsWith("progress"))
        .containsSubsequence(serial.events().stream().filter(e -> !e.startsWith("progress")).toList());
    assertThat(serial.events()).contains("progress 0 10/10", "progress 2 300000/300000", "progress 3 6/6");

    // The blobs compressed ahead are what an independent reader expects: gzip of the tar whose
    // SHA-256 is the diff ID, and tar lists the entries.
    for (int i : new int[] {0, 2, 3}) {
      Path blob = tmp.resolve("layer" + i + ".tar.gz");
      Files.write(blob, ahead.blobs().get(i));
      String diffId = Tools.run(Duration.ofMinutes(1), null, null, List.of("sh", "-c",
          Tools.require("gzip") + " -dc '" + blob + "' | sha256sum")).assertOk().stdout();
      assertThat(diffId).startsWith(ahead.written().layers().get(i).diffId().hex() + " ");
    }
    String listed = Tools.run(Duration.ofMinutes(1), null, null, List.of(Tools.require("tar").toString(), "-tzf",
        tmp.resolve("layer2.tar.gz").toString())).assertOk().stdout();
    assertThat(listed.lines().toList()).containsExactly("srv/", "srv/latest", "srv/logo.bin");
  }

  @Test
  void aSmallLayerThatFailsAheadFailsInItsTurnWithTheMessageOfOneAfterTheOther() throws Exception {
    Path in = tmp.resolve("in");
    ImageSpec image = image(in);
    Files.writeString(in.resolve("logo.bin"), "rewritten"); // layer 2's file changes after the image was built
    List<String> messages = new ArrayList<>();
    List<List<String>> events = new ArrayList<>();
    for (boolean ahead : new boolean[] {false, true}) {
      Path dir = tmp.resolve("fail-" + ahead);
      BlobStore store = BlobStore.deferred(dir.resolve("blobs"), dir.resolve("tmp"), "t", true);
      Events e = new Events();
      ImageWriter writer = new ImageWriter(store, LayerCompression.defaultGzip(), e, "t", LayerCache.disabled())
          .compressAhead(ahead);
      assertThatThrownBy(() -> writer.writeImage(image)).isInstanceOf(OciException.class)
          .satisfies(t -> messages.add(t.getMessage()));
      store.abandon();
      events.add(e.all);
    }
    assertThat(messages.get(1)).isEqualTo(messages.get(0))
        .startsWith("source file " + in.resolve("logo.bin") + " for /srv/logo.bin changed after the image was built");
    assertThat(events.get(1)).isEqualTo(events.get(0));
    assertThat(events.get(1)).last().isEqualTo("started 2 3");
  }

  @Test
  void aWriteInterruptedAtALayerCompressedAheadLeavesThePreviousImage() throws Exception {
    Path layout = tmp.resolve("layout");
    ImageSpec first = image(tmp.resolve("in1"));
    String before = OciLayout.at(layout).cache(LayerCache.disabled()).write(first).digest().toString();
    byte[] index = Files.readAllBytes(layout.resolve("index.json"));
    ImageSpec changed = image(tmp.resolve("in2"), "port=9090\n");
    // Interrupted as layer 2 (compressed ahead while layer 1 was written) comes up.
    ProgressListener interrupter = new ProgressListener() {
      @Override
      public void layerStarted(int i, int entryCount) {
        if (i == 2) {
          Thread.currentThread().interrupt();
        }
      }
    };
    assertThatThrownBy(() -> OciLayout.at(layout).cache(LayerCache.disabled()).write(changed, interrupter))
        .hasMessageStartingWith("cannot write the OCI layout " + layout + ": ")
        .hasMessageContaining("Interrupt")
        .hasMessageEndingWith("; check free space and permissions, then write again (the layout is unchanged)");
    Thread.interrupted(); // clear what the write left
    assertThat(Files.readAllBytes(layout.resolve("index.json"))).isEqualTo(index);
    try (Stream<Path> list = Files.list(layout)) {
      assertThat(list.map(p -> p.getFileName().toString())).doesNotContain(".scratchkit-tmp");
    }
    String inspect = Tools.run(Duration.ofMinutes(1), null, null, List.of(Tools.require("skopeo").toString(),
        "inspect", "oci:" + layout + ":latest")).assertOk().stdout();
    assertThat(inspect).contains("\"Digest\": \"" + before + "\"");
  }
}
