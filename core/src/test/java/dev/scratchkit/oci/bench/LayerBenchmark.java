package dev.scratchkit.oci.bench;

import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainer;
import com.google.cloud.tools.jib.api.TarImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
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
import dev.scratchkit.oci.OciLayout;
import dev.scratchkit.oci.WriteResult;
import java.io.File;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Issue 8's side-by-side benchmark, in one run on the same generated input: a binary made of
 * real machine code (ELF files of the JDK, /usr/bin and /usr/lib/x86_64-linux-gnu concatenated,
 * 256 MiB by default) written as a one-layer {@code FROM scratch} image by
 *
 * <ul>
 *   <li>scratchkit, gzip: cold (empty layer cache) and warm (unchanged input, same cache, a new
 *       layout), each in a new JVM; zstd cold in a new JVM;
 *   <li>jib-core: {@code Jib.fromScratch()} with the file as a layer into a {@link TarImage}, cold
 *       (empty base and application layer caches) and warm (the same caches), each in a new JVM;
 *   <li>the shell: {@code tar | gzip -6 | sha256sum}, {@code tar | pigz -6 -p2 | sha256sum},
 *       {@code tar | zstd -3 -T2 | sha256sum}.
 * </ul>
 *
 * Every time is the wall time of the whole process (JVM start included), the best of the runs.
 * Not part of the test run. From the repository root:
 *
 * <pre>
 * mvn -B -q -pl core test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.scratchkit.oci.bench.LayerBenchmark -Dexec.args="256 5"
 * </pre>
 *
 * (arguments: size in MiB, runs per contender). Needs gzip, pigz, zstd and tar on the PATH.
 */
public final class LayerBenchmark {

  private LayerBenchmark() {}

  private static final Instant CREATED = Instant.EPOCH;

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("child")) {
      child(args);
      return;
    }
    int mib = args.length > 0 ? Integer.parseInt(args[0]) : 256;
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    Path work = Files.createTempDirectory("scratchkit-bench-");
    try {
      run(work, mib, runs);
    } finally {
      deleteTree(work);
    }
  }

  private static void run(Path work, int mib, int runs) throws Exception {
    Path input = work.resolve("in");
    Files.createDirectories(input);
    Path app = input.resolve("app.bin");
    Files.write(app, TestData.machineCode(mib << 20));
    System.out.printf(Locale.ROOT, "input: %s, %d MiB of machine code; %d processors; %s %s; best of %d%n", app, mib,
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name"),
        System.getProperty("java.version"), runs);
    String cp = classPath();
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Map<String, Double> t = new LinkedHashMap<>();
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
    System.out.println();
    System.out.printf(Locale.ROOT, "| %-30s | %8s | %s%n", "contender", "seconds", "output");
    System.out.printf(Locale.ROOT, "|%s|%s|%s%n", "-".repeat(32), "-".repeat(10), "-".repeat(20));
    t.forEach((name, s) -> System.out.printf(Locale.ROOT, "| %-30s | %8.2f | %s%n", name, s, notes.get(name)));
    double cold = t.get("scratchkit gzip cold");
    double warm = t.get("scratchkit gzip warm");
    double jibCold = t.get("jib-core cold");
    double jibWarm = t.get("jib-core warm");
    double pigz = t.get("tar | pigz -6 -p2 | sha256sum");
    double zstd = t.get("scratchkit zstd cold");
    System.out.println();
    check("1a cold <= 0.5 x jib-core cold", cold / jibCold, 0.5);
    // The best times come from different rounds; each round's own ratio shows the spread.
    System.out.printf(Locale.ROOT, "%-42s %s%n", "   1a within each round",
        roundRatios.stream().map(x -> String.format(Locale.ROOT, "%.3f", x)).toList());
    check("1b cold <= 1.2 x tar|pigz -p2|sha256sum", cold / pigz, 1.2);
    check("2a warm <= jib-core warm", warm / jibWarm, 1.0);
    check("2b warm <= 0.1 x our cold", warm / cold, 0.1);
    System.out.printf(Locale.ROOT, "%-42s gzip cold / zstd cold = %.2f (want >= 3): %s%n", "3 zstd >= 3 x faster",
        cold / zstd, cold / zstd >= 3 ? "holds" : "FAILS");
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

  /** Runs one contender, keeps its best time, and returns this run's time in seconds. */
  private static double measure(Map<String, Double> times, Map<String, String> notes, String name, List<String> command)
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
      times.merge(name, seconds, Math::min);
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
