package dev.scratchkit.java;

import dev.scratchkit.JavaApplication;
import dev.scratchkit.ScratchImage;
import dev.scratchkit.oci.LayerDescriptor;
import dev.scratchkit.oci.OciLayout;
import dev.scratchkit.oci.WriteResult;
import dev.scratchkit.testkit.Tools;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Sizes and start-up of Java images, on demand (not a test): for each JDK, the runtime
 * scratchkit links (jdeps' modules) against a full runtime of every module of the JDK (what
 * an {@code eclipse-temurin} JRE image holds; {@code jlink --add-modules ALL-MODULE-PATH}),
 * each with and without a CDS archive. Start-up is the time from {@code runc run} to the first
 * line the program prints, best of N runs of an unpacked bundle (runc's own start included).
 *
 * <pre>
 * mvn -o -B -q -pl core -am test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -cp core/target/test-classes:core/target/classes:elf/target/classes:certs/target/classes:\
 *   testkit/target/classes:$(cat core/target/cp.txt) dev.scratchkit.java.JavaImageBenchmark [runs]
 * </pre>
 */
public final class JavaImageBenchmark {

  static final String HELLO = """
      public class Hello {
        public static void main(String[] args) {
          System.out.println("hello from " + System.getProperty("java.vm.version"));
        }
      }
      """;

  private JavaImageBenchmark() {}

  public static void main(String[] args) throws Exception {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    Path work = Files.createTempDirectory("java-image-bench");
    Path cache = args.length > 1 ? Path.of(args[1]) : work.resolve("runtimes"); // reuse linked runtimes
    Path classes = JavaPrograms.compile(work.resolve("hello"), Map.of("Hello", HELLO), List.of());
    Path jar = JavaPrograms.jar(classes, work.resolve("hello/hello.jar"), "Hello", null);
    List<Path> jdks = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"))));
    if (Files.isExecutable(JavaApplicationRunTest.TEMURIN_25.resolve("bin/jlink"))) {
      jdks.add(JavaApplicationRunTest.TEMURIN_25);
    }
    System.out.printf("%-28s %-10s %-5s %12s %12s %14s%n", "JDK", "runtime", "CDS", "compressed", "unpacked",
        "first line ms");
    for (Path jdk : jdks) {
      List<String> all = allModules(jdk);
      for (boolean full : new boolean[] {false, true}) {
        for (boolean cds : new boolean[] {false, true}) {
          JavaApplication.Builder app = JavaApplication.builder(jar).jdk(jdk).cds(cds).runtimeCache(cache);
          if (full) {
            app.addModules(all.toArray(String[]::new));
          }
          ScratchImage image = ScratchImage.builder().javaApplication(app.build()).build();
          String name = jdk.getFileName() + (full ? "-full" : "-min") + (cds ? "-cds" : "");
          Path layout = work.resolve("layout-" + name);
          WriteResult written = image.writeTo(OciLayout.at(layout).tag("b"));
          long compressed = written.layers().stream().mapToLong(LayerDescriptor::size).sum();
          long unpacked = written.layers().stream().mapToLong(LayerDescriptor::uncompressedSize).sum();
          long best = firstLine(layout, work.resolve("bundle-" + name), runs);
          System.out.printf("%-28s %-10s %-5s %9.1f MB %9.1f MB %14d%n", jdk.getFileName(),
              full ? "full (" + all.size() + ")" : "jdeps", cds ? "on" : "off", compressed / 1e6, unpacked / 1e6, best);
        }
      }
    }
    System.out.println("work directory (delete when done): " + work);
  }

  /** Every module of the JDK (a JDK that links from its own run-time image refuses jdk.jlink and jdk.jpackage, which needs it). */
  private static List<String> allModules(Path jdk) {
    Tools.Result r = Tools.run(Duration.ofMinutes(1), null, null,
        List.of(jdk.resolve("bin/java").toString(), "--list-modules")).assertOk();
    boolean jmods = Files.isDirectory(jdk.resolve("jmods"));
    return r.stdout().lines().map(l -> l.replaceAll("@.*", "").strip()).filter(l -> !l.isEmpty())
        .filter(l -> jmods || !(l.equals("jdk.jlink") || l.equals("jdk.jpackage"))).toList();
  }

  /** Best time in ms from starting runc to the program's first line of output. */
  private static long firstLine(Path layout, Path bundle, int runs) throws Exception {
    Tools.run(Duration.ofMinutes(5), null, null, List.of("umoci", "unpack", "--image", layout + ":b",
        bundle.toString())).assertOk();
    Path config = bundle.resolve("config.json");
    String edited = Tools.run(Duration.ofSeconds(30), null, null, List.of("jq",
        ".process.terminal = false | .linux.namespaces |= map(select(.type != \"network\"))", config.toString()))
        .assertOk().stdout();
    Files.writeString(config, edited);
    long best = Long.MAX_VALUE;
    for (int i = 0; i < runs; i++) {
      String id = "bench-" + ProcessHandle.current().pid() + "-" + i;
      Path state = Files.createDirectories(bundle.resolveSibling(bundle.getFileName() + "-state"));
      long start = System.nanoTime();
      Process p = new ProcessBuilder("runc", "--root", state.toString(), "run", "--bundle", bundle.toString(), id)
          .redirectErrorStream(true).start();
      p.getOutputStream().close();
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line = r.readLine();
        long ms = (System.nanoTime() - start) / 1_000_000;
        if (line == null || !line.startsWith("hello")) {
          throw new IllegalStateException("unexpected output " + line);
        }
        best = Math.min(best, ms);
        while (r.readLine() != null) {
          // drain
        }
      }
      p.waitFor(1, TimeUnit.MINUTES);
      Tools.run(Duration.ofSeconds(30), null, null, List.of("runc", "--root", state.toString(), "delete", "--force", id));
    }
    return best;
  }
}
