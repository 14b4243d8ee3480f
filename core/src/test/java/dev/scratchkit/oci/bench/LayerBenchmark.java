package dev.scratchkit.oci.bench;

import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainer;
import com.google.cloud.tools.jib.api.TarImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import dev.scratchkit.ScratchImage;
import dev.scratchkit.elf.Platform;
import dev.scratchkit.internal.compress.TestData;
import dev.scratchkit.oci.ContainerConfig;
import dev.scratchkit.oci.ImagePath;
import dev.scratchkit.oci.ImageSpec;
import dev.scratchkit.oci.LayerCache;
import dev.scratchkit.oci.LayerCompression;
import dev.scratchkit.oci.LayerDescriptor;
import dev.scratchkit.oci.LayerEntry;
import dev.scratchkit.oci.LayerSpec;
import dev.scratchkit.oci.OciArchive;
import dev.scratchkit.oci.OciLayout;
import dev.scratchkit.oci.WriteResult;
import dev.scratchkit.testkit.Fixtures;
import java.io.File;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Side-by-side benchmarks of scratchkit, jib-core and the shell, every contender on the same
 * input in the same run. Runs on demand, never in the test suite. Two parts:
 *
 * <p><b>{@code rebuild}</b>: in one JVM, as a build tool or a test suite rebuilds an image after
 * every change. The input is a 20 MiB ELF executable (a static Go program built during the run,
 * padded with machine code; the ELF reader and the checks read it like any binary) and one small
 * config file, each in a layer of its own in every contender, after the same files in the same
 * layers before them (scratchkit's base files, CA certificates and time zone data, which jib-core
 * gets unpacked from scratchkit's image):
 *
 * <ul>
 *   <li>scratchkit: {@code ScratchImage.builder().layer("app").entrypoint(binary)
 *       .layer("config").addFile(config, "/etc/app.conf").build()} written to an OCI layout, and
 *       (with a layer cache of its own) to an OCI archive, each round into the same layout or
 *       archive path with the default CA certificates and base files;
 *   <li>jib-core: {@code Jib.fromScratch()}, one layer per scratchkit layer of its own, then {@code
 *       .addLayer(binary).addLayer(config)}, containerized to a {@link TarImage}, with base and
 *       application layer caches kept between rounds.
 * </ul>
 *
 * Each contender has a config file of its own (same name and bytes). After warm-up rounds, every
 * round times one rebuild of each contender after (a) a change of its config file (new bytes),
 * (b) no change, (c) its config file rewritten with the same bytes (new modification and change
 * time). Before each timed rebuild {@code sync(1)} runs, so that no contender's time includes the
 * disk writing back another's files. The table holds the medians, and the ratios acceptance 1 and
 * 2 of the rebuild issue ask for.
 *
 * <p><b>{@code big}</b>: a binary of real machine code (ELF files of the JDK, /usr/bin and
 * /usr/lib/x86_64-linux-gnu concatenated, 256 MiB by default) as a one-layer image, each
 * contender in a new JVM (its start included): scratchkit gzip cold (empty layer cache) and warm
 * (the same cache, a new layout), zstd cold; jib-core cold (empty caches) and warm; {@code tar |
 * gzip -6 | sha256sum}, {@code tar | pigz -6 -p2 | sha256sum}, {@code tar | zstd -3 -T2 |
 * sha256sum}. Medians (and the best) of the runs, plus each run's own scratchkit/jib-core ratio.
 *
 * <p>From the repository root (no {@code mvn install} needed; needs go, gzip, pigz, zstd, tar):
 *
 * <pre>
 * mvn -o -B -q -pl core -am test-compile dependency:build-classpath \
 *     -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
 * java -cp core/target/test-classes:core/target/classes:$(cat core/target/cp.txt) \
 *     dev.scratchkit.oci.bench.LayerBenchmark rebuild 15     # rounds
 * java -cp core/target/test-classes:core/target/classes:$(cat core/target/cp.txt) \
 *     dev.scratchkit.oci.bench.LayerBenchmark big 256 5      # MiB, runs per contender
 * </pre>
 *
 * Without arguments it runs both with these values.
 */
public final class LayerBenchmark {

  private LayerBenchmark() {}

  private static final Instant CREATED = Instant.EPOCH;
  private static final int REBUILD_BINARY = 20 << 20;
  private static final int WARM_UPS = 3;

  public static void main(String[] args) throws Exception {
    // Both tools quiet: the benchmark times image writing, not a console.
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    String mode = args.length > 0 ? args[0] : "all";
    if (mode.equals("child")) {
      child(args);
      return;
    }
    Path work = Files.createTempDirectory("scratchkit-bench-");
    try {
      if (mode.equals("rebuild") || mode.equals("all")) {
        rebuild(work.resolve("rebuild"), args.length > 1 && mode.equals("rebuild") ? Integer.parseInt(args[1]) : 15);
      }
      if (mode.equals("big") || mode.equals("all")) {
        boolean own = mode.equals("big");
        big(work.resolve("big"), own && args.length > 1 ? Integer.parseInt(args[1]) : 256,
            own && args.length > 2 ? Integer.parseInt(args[2]) : 5);
      }
      if (!List.of("rebuild", "big", "all").contains(mode)) {
        throw new IllegalArgumentException("unknown mode " + mode + "; use rebuild [rounds] or big [MiB] [runs]");
      }
    } finally {
      deleteTree(work);
    }
  }

  // ---- in-process rebuilds ----

  /** One contender of the rebuild benchmark: builds and writes the image, returns its digest. */
  private interface Build {
    String rebuild() throws Exception;
  }

  /** A contender with its own copy of the config file, so that no contender sees another's changes. */
  private record Contender(Path config, Build build) {}

  private enum Change {
    CHANGED("one small file changed"),
    NOTHING("nothing changed"),
    SAME_BYTES("small file rewritten, same bytes");

    final String text;

    Change(String text) {
      this.text = text;
    }
  }

  private static void rebuild(Path dir, int rounds) throws Exception {
    Files.createDirectories(dir);
    Path binary = paddedGoBinary(dir);
    int[] counter = {0};
    Map<String, Contender> contenders = new LinkedHashMap<>();
    Path layout = dir.resolve("layout");
    LayerCache layoutCache = LayerCache.at(dir.resolve("cache-layout"));
    Path layoutConfig = config(dir, "layout");
    contenders.put("scratchkit -> OCI layout", new Contender(layoutConfig, () -> scratchkit(binary, layoutConfig)
        .writeTo(OciLayout.at(layout).cache(layoutCache)).digest().toString()));
    Path archive = dir.resolve("image.tar");
    LayerCache archiveCache = LayerCache.at(dir.resolve("cache-archive"));
    Path archiveConfig = config(dir, "archive");
    contenders.put("scratchkit -> OCI archive", new Contender(archiveConfig, () -> scratchkit(binary, archiveConfig)
        .writeTo(OciArchive.at(archive).cache(archiveCache)).digest().toString()));
    Path jibTar = dir.resolve("jib.tar");
    Path jibCache = dir.resolve("jib-cache");
    Path jibConfig = config(dir, "jib");
    // The same inputs: jib-core gets, each as a layer of its own, the files of scratchkit's own
    // layers (base files, CA certificates, time zone data), unpacked from scratchkit's image.
    List<List<Path>> sameLayers = scratchkitOwnLayers(dir, binary, layoutConfig);
    contenders.put("jib-core -> tar", new Contender(jibConfig, () -> {
      var jib = Jib.fromScratch();
      for (List<Path> layer : sameLayers) {
        jib.addLayer(layer, AbsoluteUnixPath.get("/"));
      }
      return jib.addLayer(List.of(binary), AbsoluteUnixPath.get("/app"))
          .addLayer(List.of(jibConfig), AbsoluteUnixPath.get("/etc"))
          .setEntrypoint("/app/" + binary.getFileName())
          .setCreationTime(CREATED)
          .containerize(Containerizer.to(TarImage.at(jibTar).named("bench:1"))
              .setBaseImageLayersCache(jibCache.resolve("base"))
              .setApplicationLayersCache(jibCache.resolve("app")))
          .getDigest().toString();
    }));
    System.out.printf(Locale.ROOT, "rebuild: %s (%d bytes, static Go program padded with machine code) and %s;"
        + " %d processors; %s %s; %d warm-up rounds, %d rounds%n", binary, Files.size(binary), layoutConfig,
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name"),
        System.getProperty("java.version"), WARM_UPS, rounds);
    System.out.println("load average at the start: " + loadAverage() + (Boolean.getBoolean(WITHOUT_TIME_ZONE_DATA)
        ? "; scratchkit without its time zone layer (-D" + WITHOUT_TIME_ZONE_DATA + "=true)" : ""));

    Map<String, List<Double>> times = new LinkedHashMap<>();
    Map<String, String> digests = new LinkedHashMap<>();
    for (int round = -WARM_UPS; round < rounds; round++) {
      for (Change change : Change.values()) {
        for (Map.Entry<String, Contender> c : contenders.entrySet()) {
          Path config = c.getValue().config();
          if (change == Change.CHANGED) {
            Files.writeString(config, configText(++counter[0]));
          } else if (change == Change.SAME_BYTES) {
            Files.write(config, Files.readAllBytes(config));
          }
          settleDisk();
          long start = System.nanoTime();
          String digest = c.getValue().build().rebuild();
          double ms = (System.nanoTime() - start) / 1e6;
          if (round >= 0) {
            times.computeIfAbsent(change + " " + c.getKey(), k -> new ArrayList<>()).add(ms);
          }
          digests.put(c.getKey(), digest);
        }
      }
    }
    System.out.println("load average at the end: " + loadAverage());
    System.out.println();
    System.out.printf(Locale.ROOT, "| %-34s | %-26s | %10s | %10s |%n", "rebuild", "contender", "median ms",
        "min-max ms");
    System.out.printf(Locale.ROOT, "|%s|%s|%s|%s|%n", "-".repeat(36), "-".repeat(28), "-".repeat(12), "-".repeat(12));
    for (Change change : Change.values()) {
      for (String name : contenders.keySet()) {
        List<Double> t = times.get(change + " " + name);
        System.out.printf(Locale.ROOT, "| %-34s | %-26s | %10.1f | %4.0f-%-5.0f |%n", change.text, name, median(t),
            Collections.min(t), Collections.max(t));
      }
    }
    System.out.println();
    digests.forEach((name, digest) -> System.out.println("last digest " + name + ": " + digest));
    double jibChanged = median(times.get(Change.CHANGED + " jib-core -> tar"));
    double jibNothing = median(times.get(Change.NOTHING + " jib-core -> tar"));
    for (String target : List.of("OCI layout", "OCI archive")) {
      check("1 changed, " + target + " <= jib-core",
          median(times.get(Change.CHANGED + " scratchkit -> " + target)) / jibChanged, 1.0);
    }
    for (String target : List.of("OCI layout", "OCI archive")) {
      check("2 nothing, " + target + " <= 0.5 x jib-core",
          median(times.get(Change.NOTHING + " scratchkit -> " + target)) / jibNothing, 0.5);
    }
    System.out.println();
  }

  /**
   * The files of scratchkit's own layers (all but the app and config layers), unpacked with
   * {@code tar} from an image scratchkit wrote, one directory per layer: what jib-core gets so
   * that both images hold the same files. {@return per layer, its top-level paths}
   */
  private static List<List<Path>> scratchkitOwnLayers(Path dir, Path binary, Path config) throws Exception {
    Path layout = dir.resolve("same-inputs-layout");
    WriteResult written = scratchkit(binary, config).writeTo(OciLayout.at(layout).cache(LayerCache.disabled()));
    List<LayerDescriptor> layers = written.layers();
    List<List<Path>> own = new ArrayList<>();
    for (int i = 0; i < layers.size() - 2; i++) { // the last two: app and config
      Path unpacked = Files.createDirectories(dir.resolve("same-inputs").resolve("layer" + i));
      Path blob = layout.resolve("blobs/sha256/" + layers.get(i).digest().hex());
      Process tar = new ProcessBuilder("tar", "-xzf", blob.toString(), "-C", unpacked.toString()).inheritIO().start();
      if (tar.waitFor() != 0) {
        throw new IOException("tar -xzf " + blob + " failed");
      }
      try (var top = Files.list(unpacked)) {
        own.add(top.sorted().toList());
      }
    }
    deleteTree(layout);
    return own;
  }

  /**
   * Runs {@code sync(1)} before a timed rebuild, so that no contender's time includes the disk
   * writing back what another contender wrote just before (jib-core's tar, say, while scratchkit's
   * archive waits for its own sync).
   */
  private static void settleDisk() throws IOException, InterruptedException {
    Process sync = new ProcessBuilder("sync").inheritIO().start();
    if (sync.waitFor() != 0) {
      throw new IOException("sync failed");
    }
  }

  /**
   * System property: build the images without scratchkit's default time zone layer (900 files and
   * 365 links), to see what that layer costs a rebuild; jib-core's layers come from scratchkit's
   * image, so neither image has it.
   */
  static final String WITHOUT_TIME_ZONE_DATA = "bench.withoutTimeZoneData";

  private static ScratchImage scratchkit(Path binary, Path config) {
    ScratchImage.Builder builder = ScratchImage.builder().creationTime(CREATED)
        .layer("app").entrypoint(binary)
        .layer("config").addFile(config, "/etc/app.conf");
    if (Boolean.getBoolean(WITHOUT_TIME_ZONE_DATA)) {
      builder.withoutTimeZoneData();
    }
    return builder.build();
  }

  /** {@code <dir>/config-<name>/app.conf}: the same file name (the image path) for every contender. */
  private static Path config(Path dir, String name) throws IOException {
    Path config = Files.createDirectories(dir.resolve("config-" + name)).resolve("app.conf");
    Files.writeString(config, configText(0));
    return config;
  }

  private static String configText(int counter) {
    return "port=8080\nrebuild=" + counter + "\n";
  }

  /** A static Go program, padded with machine code to {@value #REBUILD_BINARY} bytes: still the same ELF file. */
  private static Path paddedGoBinary(Path dir) throws IOException {
    Path go = Fixtures.go(dir, "hello", Fixtures.GO_HELLO, Map.of("CGO_ENABLED", "0"), "-trimpath");
    long size = Files.size(go);
    if (size < REBUILD_BINARY) {
      Files.write(go, TestData.machineCode((int) (REBUILD_BINARY - size)), StandardOpenOption.APPEND);
    }
    return go;
  }

  private static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  // ---- big layers, a new JVM per contender ----

  private static void big(Path work, int mib, int runs) throws Exception {
    Path input = work.resolve("in");
    Files.createDirectories(input);
    Path app = input.resolve("app.bin");
    Files.write(app, TestData.machineCode(mib << 20));
    System.out.printf(Locale.ROOT, "big: %s, %d MiB of machine code; %d processors; %s %s; %d runs%n", app, mib,
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name"),
        System.getProperty("java.version"), runs);
    System.out.println("load average at the start: " + loadAverage());
    String cp = classPath();
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Map<String, List<Double>> t = new LinkedHashMap<>();
    Map<String, String> notes = new LinkedHashMap<>();
    List<Double> roundRatios = new ArrayList<>();
    for (int r = 0; r < runs; r++) {
      Path round = work.resolve("round" + r);
      Files.createDirectories(round);
      Path cache = round.resolve("scratchkit-cache");
      double roundCold =
          measure(t, notes, "scratchkit gzip cold", cmd(java, cp, "scratch", "gzip", app, round.resolve("cold"), cache));
      measure(t, notes, "scratchkit gzip warm", cmd(java, cp, "scratch", "gzip", app, round.resolve("warm"), cache));
      measure(t, notes, "scratchkit zstd cold", cmd(java, cp, "scratch", "zstd", app, round.resolve("zstd"),
          round.resolve("zstd-cache")));
      Path jibCache = round.resolve("jib-cache");
      double roundJibCold =
          measure(t, notes, "jib-core cold", cmd(java, cp, "jib", app, round.resolve("jib-cold.tar"), jibCache));
      roundRatios.add(roundCold / roundJibCold);
      measure(t, notes, "jib-core warm", cmd(java, cp, "jib", app, round.resolve("jib-warm.tar"), jibCache));
      String tar = "tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf - -C '" + input + "' app.bin";
      measure(t, notes, "tar | gzip -6 | sha256sum", List.of("sh", "-c", tar + " | gzip -6 -n | sha256sum"));
      measure(t, notes, "tar | pigz -6 -p2 | sha256sum", List.of("sh", "-c", tar + " | pigz -6 -n -p2 | sha256sum"));
      measure(t, notes, "tar | zstd -3 -T2 | sha256sum", List.of("sh", "-c", tar + " | zstd -q -3 -T2 | sha256sum"));
      deleteTree(round);
    }
    System.out.println("load average at the end: " + loadAverage());
    System.out.println();
    System.out.printf(Locale.ROOT, "| %-30s | %8s | %8s | %s%n", "contender", "median s", "best s", "output");
    System.out.printf(Locale.ROOT, "|%s|%s|%s|%s%n", "-".repeat(32), "-".repeat(10), "-".repeat(10), "-".repeat(20));
    t.forEach((name, s) -> System.out.printf(Locale.ROOT, "| %-30s | %8.2f | %8.2f | %s%n", name, median(s),
        Collections.min(s), notes.get(name)));
    double cold = median(t.get("scratchkit gzip cold"));
    double warm = median(t.get("scratchkit gzip warm"));
    double jibCold = median(t.get("jib-core cold"));
    double jibWarm = median(t.get("jib-core warm"));
    double pigz = median(t.get("tar | pigz -6 -p2 | sha256sum"));
    double zstd = median(t.get("scratchkit zstd cold"));
    System.out.println();
    check("3a cold <= 0.5 x jib-core cold", cold / jibCold, 0.5);
    System.out.printf(Locale.ROOT, "%-42s %s%n", "   3a within each run",
        roundRatios.stream().map(x -> String.format(Locale.ROOT, "%.3f", x)).toList());
    check("3b cold <= 1.1 x tar|pigz -p2|sha256sum", cold / pigz, 1.1);
    check("   warm <= jib-core warm", warm / jibWarm, 1.0);
    check("   warm <= 0.1 x our cold", warm / cold, 0.1);
    System.out.printf(Locale.ROOT, "%-42s gzip cold / zstd cold = %.2f%n", "   zstd", cold / zstd);
  }

  /** The 1, 5 and 15 minute load averages of Linux, or a note where there are none: others' work skews the times. */
  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "unknown (" + e + ")";
    }
  }

  private static void check(String what, double ratio, double limit) {
    System.out.printf(Locale.ROOT, "%-42s ratio %.3f (want <= %.1f): %s%n", what, ratio, limit,
        ratio <= limit ? "holds" : "FAILS");
  }

  private static List<String> cmd(Path java, String cp, Object... args) {
    List<String> c = new ArrayList<>(List.of(java.toString(), "-cp", cp, LayerBenchmark.class.getName(), "child"));
    for (Object a : args) {
      c.add(a.toString());
    }
    return c;
  }

  /** Runs one contender, keeps its time, and returns this run's time in seconds. */
  private static double measure(Map<String, List<Double>> times, Map<String, String> notes, String name, List<String> command)
      throws IOException, InterruptedException {
    Path out = Files.createTempFile("bench-", ".out");
    try {
      long start = System.nanoTime();
      Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
      if (!p.waitFor(10, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new IllegalStateException(name + " took more than 10 minutes");
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      String text = Files.readString(out, StandardCharsets.UTF_8).strip();
      if (p.exitValue() != 0) {
        throw new IllegalStateException(name + " failed (exit " + p.exitValue() + "): " + text);
      }
      String[] lines = text.split("\n");
      String last = lines[lines.length - 1];
      System.out.printf(Locale.ROOT, "%-30s %7.2f s  %s%n", name, seconds, last);
      times.computeIfAbsent(name, k -> new ArrayList<>()).add(seconds);
      notes.put(name, last.length() > 90 ? last.substring(0, 90) : last);
      return seconds;
    } finally {
      Files.deleteIfExists(out);
    }
  }

  // ---- the child processes ----

  private static void child(String[] args) throws Exception {
    Path app = Path.of(args[args[1].equals("scratch") ? 3 : 2]);
    if (args[1].equals("scratch")) {
      LayerCompression c = args[2].equals("zstd") ? LayerCompression.zstd() : LayerCompression.gzip();
      ImageSpec image = ImageSpec.of(Platform.LINUX_AMD64, CREATED, ContainerConfig.empty(),
          List.of(LayerSpec.of("app", LayerEntry.file(ImagePath.of("/app.bin"), app, 0755))));
      WriteResult r = OciLayout.at(Path.of(args[4])).compression(c).cache(LayerCache.at(Path.of(args[5])))
          .write(image);
      LayerDescriptor l = r.layers().get(0);
      System.out.println("layer " + l.size() + " bytes " + l.digest().hex().substring(0, 12));
    } else {
      Path tar = Path.of(args[3]);
      Path cache = Path.of(args[4]);
      JibContainer c = Jib.fromScratch()
          .addLayer(List.of(app), AbsoluteUnixPath.get("/"))
          .containerize(Containerizer.to(TarImage.at(tar).named("bench:1"))
              .setBaseImageLayersCache(cache.resolve("base"))
              .setApplicationLayersCache(cache.resolve("app")));
      System.out.println("tar " + Files.size(tar) + " bytes " + c.getDigest().getHash().substring(0, 12));
    }
  }

  /** The class path of this class's loader (exec:java runs it in a class loader of its own). */
  private static String classPath() {
    List<String> entries = new ArrayList<>();
    ClassLoader loader = LayerBenchmark.class.getClassLoader();
    while (loader != null) {
      if (loader instanceof URLClassLoader u) {
        for (URL url : u.getURLs()) {
          try {
            entries.add(Path.of(url.toURI()).toString());
          } catch (Exception e) {
            // not a file
          }
        }
      }
      loader = loader.getParent();
    }
    if (entries.isEmpty()) {
      return System.getProperty("java.class.path");
    }
    return String.join(File.pathSeparator, entries);
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (var walk = Files.walk(root)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
