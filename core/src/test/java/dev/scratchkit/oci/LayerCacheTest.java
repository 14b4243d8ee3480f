package dev.scratchkit.oci;

import dev.scratchkit.testkit.CapturedLog;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scratchkit.elf.Platform;
import dev.scratchkit.testkit.Tools;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The layer cache: hits give the same bytes without compressing, any change of a source misses,
 * damaged entries are rebuilt and never served, concurrent builds agree, the size stays bounded.
 * gzip/sha256sum from the host check the blobs that come out of the cache.
 */
class LayerCacheTest {

  private static final Instant CREATED = Instant.parse("2024-01-02T03:04:05Z");

  @TempDir
  Path tmp;

  Path cacheDir;
  Path source;

  @BeforeEach
  void setUp() throws IOException {
    cacheDir = tmp.resolve("cache");
    source = tmp.resolve("app.bin");
    write(source, 3 << 20, 1);
  }

  private static void write(Path file, int size, long seed) throws IOException {
    byte[] b = new byte[size];
    Random r = new Random(seed);
    for (int i = 0; i < size; i += 64) {
      b[i] = (byte) r.nextInt(8); // compressible, but not trivially
    }
    Files.write(file, b);
  }

  private ImageSpec image(Path file) {
    return ImageSpec.of(Platform.LINUX_AMD64, CREATED, ContainerConfig.empty(), List.of(
        LayerSpec.of("base", LayerEntry.bytes(ImagePath.of("/etc/hello"), "hi\n".getBytes(StandardCharsets.UTF_8), 0644)),
        LayerSpec.of("app", LayerEntry.file(ImagePath.of("/app"), file, 0755))));
  }

  private WriteResult writeTo(String name, LayerCache cache) {
    return OciLayout.at(tmp.resolve(name)).cache(cache).write(image(source));
  }

  private Path blob(String layout, Digest d) {
    return tmp.resolve(layout).resolve("blobs/sha256").resolve(d.hex());
  }

  private List<Path> entries(String suffix) throws IOException {
    try (Stream<Path> s = Files.list(cacheDir.resolve("layers-v1"))) {
      return s.filter(p -> p.toString().endsWith(suffix)).sorted().toList();
    }
  }

  private static String gunzipSha(Path blob) {
    String out = Tools.run(Duration.ofMinutes(1), null, null, List.of("sh", "-c", "gzip -t '" + blob
        + "' && gzip -dc '" + blob + "' | sha256sum")).assertOk().stdout();
    return "sha256:" + out.split(" ")[0];
  }

  /** Flips one byte in the middle of {@code file}, keeping its size and modification time. */
  static void damageInPlace(Path file) throws IOException {
    FileTime mtime = Files.getLastModifiedTime(file);
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(f.length() / 2);
      int b = f.read();
      f.seek(f.length() / 2);
      f.write(b ^ 0xff);
    }
    Files.setLastModifiedTime(file, mtime);
  }

  /** The SHA-256 of a file by the host's sha256sum. */
  static String sha256sum(Path file) {
    return "sha256:" + Tools.runOk("sha256sum", file.toString()).stdout().split(" ")[0];
  }

  private Path cachedBlob(Digest d) throws IOException {
    for (Path rec : entries(".rec")) {
      if (Files.readString(rec).contains("digest=" + d + "\n")) {
        return Path.of(rec.toString().replace(".rec", ".blob"));
      }
    }
    throw new AssertionError("no cache entry for " + d);
  }

  @Test
  void aHitGivesTheSameBytesAsNoCacheAndACopyOfItsOwn() throws IOException {
    WriteResult uncached = writeTo("plain", LayerCache.disabled());
    WriteResult cold = writeTo("cold", LayerCache.at(cacheDir));
    WriteResult warm = writeTo("warm", LayerCache.at(cacheDir));
    assertThat(cold.digest()).isEqualTo(uncached.digest());
    assertThat(warm.digest()).isEqualTo(uncached.digest());
    assertThat(warm.layers()).isEqualTo(uncached.layers());
    assertThat(entries(".rec")).hasSize(2);
    // No file is shared between the cache and a target: damage to one cannot reach the other.
    for (LayerDescriptor l : warm.layers()) {
      Path cached = cachedBlob(l.digest());
      for (String layout : List.of("cold", "warm")) {
        assertThat(Files.isSameFile(cached, blob(layout, l.digest()))).isFalse();
        assertThat(Files.getAttribute(blob(layout, l.digest()), "unix:nlink")).isEqualTo(1);
      }
      assertThat(Files.getAttribute(cached, "unix:nlink")).isEqualTo(1);
      assertThat(sha256sum(cached)).isEqualTo(l.digest().toString());
    }
    LayerDescriptor app = warm.layers().get(1);
    assertThat(gunzipSha(blob("warm", app.digest()))).isEqualTo(app.diffId().toString());
    assertThat(Files.readAllBytes(tmp.resolve("warm/index.json")))
        .isEqualTo(Files.readAllBytes(tmp.resolve("plain/index.json")));
  }

  @Test
  void aSourceChangedWithTheSameSizeMissesWhateverItsModificationTime() throws IOException {
    WriteResult first = writeTo("first", LayerCache.at(cacheDir));
    FileTime mtime = Files.getLastModifiedTime(source);
    write(source, 3 << 20, 2); // same size, other bytes
    Files.setLastModifiedTime(source, FileTime.from(mtime.toInstant().plusSeconds(2)));
    WriteResult second = writeTo("second", LayerCache.at(cacheDir));
    assertThat(second.layers().get(1).diffId()).isNotEqualTo(first.layers().get(1).diffId());
    assertThat(gunzipSha(blob("second", second.layers().get(1).digest())))
        .isEqualTo(second.layers().get(1).diffId().toString());

    // Changed again and the old mtime put back (as cp -p or rsync -t do): the change time still differs.
    write(source, 3 << 20, 3);
    Files.setLastModifiedTime(source, FileTime.from(mtime.toInstant().plusSeconds(2)));
    WriteResult third = writeTo("third", LayerCache.at(cacheDir));
    assertThat(third.layers().get(1).diffId()).isNotEqualTo(second.layers().get(1).diffId());
    assertThat(gunzipSha(blob("third", third.layers().get(1).digest())))
        .isEqualTo(third.layers().get(1).diffId().toString());
    // The unchanged base layer was a hit every time.
    assertThat(third.layers().get(0)).isEqualTo(first.layers().get(0));
  }

  @Test
  void aSmallFileRewrittenWithTheSameBytesIsAHitAndOtherBytesMiss() throws IOException {
    Path conf = Files.writeString(tmp.resolve("app.conf"), "port=8080\n");
    java.util.function.Supplier<ImageSpec> image = () -> ImageSpec.of(Platform.LINUX_AMD64, CREATED,
        ContainerConfig.empty(), List.of(LayerSpec.of("config", LayerEntry.file(ImagePath.of("/etc/app.conf"), conf,
            0644))));
    WriteResult first = OciLayout.at(tmp.resolve("conf-1")).cache(LayerCache.at(cacheDir)).write(image.get());
    FileTime mtime = Files.getLastModifiedTime(conf);
    Files.writeString(conf, "port=8080\n"); // rewritten: new change time, and a new modification time
    Files.setLastModifiedTime(conf, FileTime.from(mtime.toInstant().plusSeconds(5)));
    WriteResult second = OciLayout.at(tmp.resolve("conf-2")).cache(LayerCache.at(cacheDir)).write(image.get());
    assertThat(second.layers()).isEqualTo(first.layers());
    assertThat(entries(".rec")).hasSize(1); // a miss would have stored a second record
    Path layer = blob("conf-2", second.layers().get(0).digest());
    // served from the cache: the layout's blob is a copy of the cached one
    assertThat(entries(".blob")).anySatisfy(p -> assertThat(Files.mismatch(p, layer)).isEqualTo(-1L));

    Files.writeString(conf, "port=9090\n"); // same size, other bytes
    Files.setLastModifiedTime(conf, FileTime.from(mtime.toInstant().plusSeconds(5)));
    WriteResult third = OciLayout.at(tmp.resolve("conf-3")).cache(LayerCache.at(cacheDir)).write(image.get());
    assertThat(third.layers().get(0).diffId()).isNotEqualTo(first.layers().get(0).diffId());
    assertThat(gunzipSha(blob("conf-3", third.layers().get(0).digest())))
        .isEqualTo(third.layers().get(0).diffId().toString());
    assertThat(entries(".rec")).hasSize(2);
  }

  @Test
  void aCreationTimeOrCompressionChangeMisses() {
    WriteResult a = writeTo("a", LayerCache.at(cacheDir));
    WriteResult b = OciLayout.at(tmp.resolve("b")).cache(LayerCache.at(cacheDir)).compressionLevel(1).write(image(source));
    ImageSpec later = ImageSpec.of(Platform.LINUX_AMD64, CREATED.plusSeconds(1), ContainerConfig.empty(),
        image(source).layers());
    WriteResult c = OciLayout.at(tmp.resolve("c")).cache(LayerCache.at(cacheDir)).write(later);
    assertThat(b.layers().get(1).digest()).isNotEqualTo(a.layers().get(1).digest());
    assertThat(b.layers().get(1).diffId()).isEqualTo(a.layers().get(1).diffId());
    assertThat(c.layers().get(1).diffId()).isNotEqualTo(a.layers().get(1).diffId());
  }

  @Test
  void aDamagedCacheEntryIsDroppedWithAWarningAndRebuiltNotServed() throws Exception {
    WriteResult good = writeTo("good", LayerCache.disabled());
    writeTo("first", LayerCache.at(cacheDir));
    LayerDescriptor base = good.layers().get(0);
    LayerDescriptor app = good.layers().get(1);
    // The app entry: one byte flipped, size, mtime and inode unchanged, so only its digest tells.
    Path damaged = cachedBlob(app.digest());
    damageInPlace(damaged);
    String damagedSha = sha256sum(damaged);
    // The base entry: truncated.
    Path truncated = cachedBlob(base.digest());
    try (RandomAccessFile f = new RandomAccessFile(truncated.toFile(), "rw")) {
      f.setLength(f.length() - 1);
    }
    CapturedLog.Run<WriteResult> rebuilt = CapturedLog.during(() -> writeTo("rebuilt", LayerCache.at(cacheDir)));
    assertThat(rebuilt.value().digest()).isEqualTo(good.digest());
    for (LayerDescriptor l : rebuilt.value().layers()) {
      assertThat(sha256sum(blob("rebuilt", l.digest()))).isEqualTo(l.digest().toString());
      assertThat(gunzipSha(blob("rebuilt", l.digest()))).isEqualTo(l.diffId().toString());
      // The layout written before the damage shares nothing with the cache: still intact.
      assertThat(sha256sum(blob("first", l.digest()))).isEqualTo(l.digest().toString());
    }
    assertThat(rebuilt.log())
        .contains("WARN dev.scratchkit.internal.cache.LayerCacheStore - layer cache entry " + damaged + " is damaged: it"
            + " has digest " + damagedSha + " instead of " + app.digest() + "; dropped it, compressing layer "
            + app.digest() + " again")
        .contains("layer cache entry " + truncated + " is damaged: its size, mtime and inode are " + (base.size() - 1));
    // The entries were replaced by good ones, which the next build uses without a warning.
    assertThat(sha256sum(cachedBlob(app.digest()))).isEqualTo(app.digest().toString());
    assertThat(sha256sum(cachedBlob(base.digest()))).isEqualTo(base.digest().toString());
    CapturedLog.Run<WriteResult> again = CapturedLog.during(() -> writeTo("again", LayerCache.at(cacheDir)));
    assertThat(again.value().digest()).isEqualTo(good.digest());
    assertThat(again.log()).doesNotContain("WARN").contains("from the layer cache");
    for (LayerDescriptor l : again.value().layers()) {
      assertThat(sha256sum(blob("again", l.digest()))).isEqualTo(l.digest().toString());
    }
  }

  @Test
  void aDamagedBlobInTheTargetLayoutIsRewrittenWithAWarningNotKept() throws Exception {
    WriteResult good = writeTo("layout", LayerCache.at(cacheDir));
    LayerDescriptor app = good.layers().get(1);
    Path appBlob = blob("layout", app.digest());
    Path config = blob("layout", good.config().orElseThrow());

    // With a cache hit: the layer comes from the cache, verified, over the damaged blob.
    damageInPlace(appBlob);
    damageInPlace(config);
    CapturedLog.Run<WriteResult> hit = CapturedLog.during(() -> writeTo("layout", LayerCache.at(cacheDir)));
    assertThat(hit.value().digest()).isEqualTo(good.digest());
    assertThat(hit.log())
        .contains("WARN dev.scratchkit.internal.oci.BlobStore - blob " + appBlob + " of oci-layout " + tmp.resolve("layout")
            + ":latest is damaged: it has digest ")
        .contains(" instead of " + app.digest() + "; writing it again")
        .contains("blob " + config + " of oci-layout ").contains(" instead of " + good.config().orElseThrow() + "; writing it again");

    // Without a cache: the compressed layer replaces the damaged one.
    damageInPlace(appBlob);
    CapturedLog.Run<WriteResult> plain = CapturedLog.during(() -> writeTo("layout", LayerCache.disabled()));
    assertThat(plain.value().digest()).isEqualTo(good.digest());
    assertThat(plain.log()).contains("blob " + appBlob + " of oci-layout ").contains(" instead of " + app.digest());

    // A blob that is a symlink is replaced, not followed: the file it points at stays as it was.
    Path elsewhere = tmp.resolve("elsewhere");
    Files.copy(appBlob, elsewhere);
    Files.delete(appBlob);
    Files.createSymbolicLink(appBlob, elsewhere);
    CapturedLog.Run<WriteResult> link = CapturedLog.during(() -> writeTo("layout", LayerCache.at(cacheDir)));
    assertThat(link.log()).contains("blob " + appBlob + " of oci-layout ").contains("is damaged: it is not a regular file");
    assertThat(Files.isSymbolicLink(appBlob)).isFalse();
    for (Path blob : List.of(appBlob, config, elsewhere)) {
      assertThat(sha256sum(blob)).isEqualTo("sha256:" + blob.getFileName().toString().replace("elsewhere", app.digest().hex()));
    }
    // A blob that is a FIFO is replaced without being opened (opening it would block).
    Files.delete(config);
    Tools.runOk("mkfifo", config.toString());
    CapturedLog.Run<WriteResult> fifo = CapturedLog.during(() -> writeTo("layout", LayerCache.at(cacheDir)));
    assertThat(fifo.log()).contains("blob " + config + " of oci-layout ").contains("is damaged: it is not a regular file");
    assertThat(config).isRegularFile();
    assertThat(sha256sum(config)).isEqualTo(good.config().orElseThrow().toString());
    // Intact blobs are kept as they are, without a warning.
    CapturedLog.Run<WriteResult> intact = CapturedLog.during(() -> writeTo("layout", LayerCache.at(cacheDir)));
    assertThat(intact.log()).doesNotContain("WARN");
  }

  @Test
  void aDamagedOrHalfWrittenRecordIsIgnoredAndReplaced() throws IOException {
    WriteResult good = writeTo("good", LayerCache.at(cacheDir));
    List<Path> records = entries(".rec");
    String text = Files.readString(records.get(0));
    Files.writeString(records.get(0), text.replace("size=", "size=1")); // checksum no longer holds
    Files.writeString(records.get(1), text.substring(0, text.length() / 2)); // cut short
    WriteResult again = writeTo("again", LayerCache.at(cacheDir));
    assertThat(again.digest()).isEqualTo(good.digest());
    assertThat(Files.readString(records.get(0))).contains("check=").doesNotContain("size=1" + good.layers().get(0).size());
    for (LayerDescriptor l : again.layers()) {
      assertThat(gunzipSha(blob("again", l.digest()))).isEqualTo(l.diffId().toString());
    }
  }

  @Test
  void concurrentBuildsAgreeAndLeaveOneEntryPerLayer() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<WriteResult>> results = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        String name = "c" + i;
        results.add(pool.submit(() -> writeTo(name, LayerCache.at(cacheDir))));
      }
      Digest first = results.get(0).get().digest();
      for (Future<WriteResult> r : results) {
        assertThat(r.get().digest()).isEqualTo(first);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(entries(".rec")).hasSize(2);
    assertThat(entries(".blob")).hasSize(2);
    assertThat(entries(".tmp")).isEmpty();
  }

  @Test
  void leastRecentlyUsedEntriesAreEvictedBeyondTheBound() throws IOException {
    Path other = tmp.resolve("other.bin");
    write(other, 3 << 20, 9);
    long appSize = writeTo("a", LayerCache.disabled()).layers().get(1).size();
    LayerCache small = LayerCache.at(cacheDir).maxSize(appSize + appSize / 2);
    writeTo("first", small);
    OciLayout.at(tmp.resolve("second")).cache(small).write(image(other));
    // Only the newest app layer fits (plus the tiny base layer).
    assertThat(entries(".blob")).hasSize(2);
    long total = 0;
    for (Path p : entries(".blob")) {
      total += Files.size(p);
    }
    assertThat(total).isLessThanOrEqualTo(small.maxSize());
    assertThat(LayerCache.at(cacheDir).maxSize(0).maxSize()).isZero();
  }

  @Test
  void aDisabledCacheWritesNothing() {
    writeTo("a", LayerCache.disabled());
    assertThat(cacheDir).doesNotExist();
    assertThat(LayerCache.disabled().enabled()).isFalse();
    assertThat(LayerCache.disabled()).hasToString("layer cache disabled");
  }

  @Test
  void theDefaultDirectoryComesFromPropertyEnvironmentXdgOrHome() {
    assertThat(LayerCache.resolve("/p", Map.of("SCRATCHKIT_CACHE_DIR", "/e"), "/h").directory()).contains(Path.of("/p"));
    assertThat(LayerCache.resolve(null, Map.of("SCRATCHKIT_CACHE_DIR", "/e", "XDG_CACHE_HOME", "/x"), "/h").directory())
        .contains(Path.of("/e"));
    assertThat(LayerCache.resolve(null, Map.of("XDG_CACHE_HOME", "/x"), "/h").directory())
        .contains(Path.of("/x/scratchkit"));
    assertThat(LayerCache.resolve(null, Map.of("XDG_CACHE_HOME", "relative"), "/h").directory())
        .contains(Path.of("/h/.cache/scratchkit"));
    assertThat(LayerCache.resolve("off", Map.of(), "/h").enabled()).isFalse();
    assertThat(LayerCache.resolve(null, Map.of("SCRATCHKIT_CACHE_DIR", "OFF"), "/h").enabled()).isFalse();
    assertThat(LayerCache.resolve(null, Map.of(), "/h")).hasToString("layer cache /h/.cache/scratchkit (max 2048 MiB)");
    assertThatThrownBy(() -> LayerCache.at(cacheDir).maxSize(-1)).isInstanceOf(OciException.class)
        .hasMessageContaining("invalid layer cache size -1").hasMessageContaining(cacheDir.toString());
  }
}
