package dev.scratchkit.java;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.scratchkit.JavaApplication;
import dev.scratchkit.ScratchImage;
import dev.scratchkit.ScratchImageException;
import dev.scratchkit.certs.CaBundle;
import dev.scratchkit.oci.DockerDaemon;
import dev.scratchkit.oci.LayerCache;
import dev.scratchkit.oci.LayerSpec;
import dev.scratchkit.oci.OciLayout;
import dev.scratchkit.oci.ProgressListener;
import dev.scratchkit.oci.WriteResult;
import dev.scratchkit.testkit.DockerEngine;
import dev.scratchkit.testkit.Runc;
import dev.scratchkit.testkit.TestTls;
import dev.scratchkit.testkit.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.TestAbortedException;
import org.slf4j.LoggerFactory;
import org.slf4j.simple.SimpleLogger;

/**
 * Java applications in scratch images, checked for real: programs compiled and jarred during
 * the test, images built with {@code javaApplication(...)}, each run with runc and on the
 * Docker engine (testkit's; skipped with the reason where none answers, a failure in strict mode);
 * the programs' own output (and the same program on this machine's JDK) is the oracle.
 *
 * <p>Runtimes are linked once per module set and JDK and kept in the test run's runtime cache
 * (beside the layer cache in {@code target/}), so most tests link nothing.
 */
class JavaApplicationRunTest {

  static final Path TEMURIN_25 = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64");

  static final String HTTPS_CLIENT = """
      import java.net.URI;
      import java.net.http.HttpClient;
      import java.net.http.HttpRequest;
      import java.net.http.HttpResponse;

      public class HttpsClient {
        public static void main(String[] args) throws Exception {
          try {
            HttpResponse<String> response = HttpClient.newHttpClient()
                .send(HttpRequest.newBuilder(URI.create(args[0])).build(), HttpResponse.BodyHandlers.ofString());
            System.out.println(response.statusCode());
          } catch (Exception e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
              System.out.println("failed: " + t);
            }
            System.exit(1);
          }
        }
      }
      """;

  static final String REPORT = """
      package example;

      import com.fasterxml.jackson.databind.ObjectMapper;
      import java.net.InetAddress;
      import java.nio.charset.StandardCharsets;
      import java.nio.file.Files;
      import java.nio.file.Path;
      import java.time.Instant;
      import java.time.ZoneId;
      import java.util.List;
      import java.util.Map;
      import java.util.TreeMap;
      import org.slf4j.Logger;
      import org.slf4j.LoggerFactory;

      public class Report {
        public static void main(String[] args) throws Exception {
          Logger log = LoggerFactory.getLogger(Report.class);
          ObjectMapper mapper = new ObjectMapper();
          Map<String, Object> map = new TreeMap<>();
          map.put("name", "scratch");
          map.put("items", List.of(1, 2, 3));
          map.put("greeting", "grüße, €");
          String json = mapper.writeValueAsString(map);
          System.out.println(json);
          System.out.println("items: " + mapper.readTree(json).get("items").size());
          log.info("logged through {}", "slf4j-simple");
          if (args.length > 0 && args[0].equals("--environment")) {
            for (String p : List.of("user.home", "user.name", "sun.jnu.encoding", "file.encoding", "java.home")) {
              System.out.println(p + "=" + System.getProperty(p));
            }
            Path file = Path.of("/tmp/grüße-€-ölçü.txt");
            Files.writeString(file, "ünïcödé", StandardCharsets.UTF_8);
            try (var names = Files.list(Path.of("/tmp"))) {
              names.filter(p -> p.getFileName().toString().startsWith("gr"))
                  .forEach(p -> System.out.println("listed " + p.getFileName()));
            }
            System.out.println("read " + Files.readString(file, StandardCharsets.UTF_8));
            System.out.println("home writable " + Files.isWritable(Path.of(System.getProperty("user.home"))));
            System.out.println("Berlin " + ZoneId.of("Europe/Berlin").getRules().getOffset(Instant.parse("2026-07-01T00:00:00Z")));
            System.out.println("localhost " + InetAddress.getByName("localhost").getHostAddress());
            System.out.println("max heap MiB " + Runtime.getRuntime().maxMemory() / (1024 * 1024));
          }
        }
      }
      """;

  @TempDir static Path work;
  static DockerEngine docker;
  static String dockerMissing;
  static TestTls tls;
  static Path httpsJar;
  static Path reportJar;
  static List<Path> reportClassPath;

  @BeforeAll
  static void programs() {
    tls = TestTls.create(work.resolve("pki"));
    Path classes = JavaPrograms.compile(work.resolve("https"), Map.of("HttpsClient", HTTPS_CLIENT), List.of());
    httpsJar = JavaPrograms.jar(classes, work.resolve("https/https-client.jar"), "HttpsClient", null);
    reportClassPath = List.of(JavaPrograms.jarOf(ObjectMapper.class), JavaPrograms.jarOf(JsonFactory.class),
        JavaPrograms.jarOf(JsonProperty.class), JavaPrograms.jarOf(LoggerFactory.class),
        JavaPrograms.jarOf(SimpleLogger.class));
    reportJar = reportJar(work.resolve("report"), REPORT);
  }

  static Path reportJar(Path dir, String source) {
    Path classes = JavaPrograms.compile(dir, Map.of("example.Report", source), reportClassPath);
    return JavaPrograms.jar(classes, dir.resolve("report.jar"), null, null);
  }

  static JavaApplication.Builder report(Path jar) {
    return JavaApplication.builder(jar).classPath(reportClassPath).mainClass("example.Report")
        .jvmOptions("-Dorg.slf4j.simpleLogger.logFile=System.out");
  }

  /** Where a test's image runs: runc always, the Docker engine where one answers (strict mode: must). */
  enum Engine { RUNC, DOCKER }

  /** One run of an image on one engine. */
  record Ran(Engine engine, Tools.Result result) {
    String stdout() {
      return result.stdout();
    }

    String stderr() {
      return result.stderr();
    }

    int exitCode() {
      return result.exitCode();
    }

    String describe() {
      return engine + ": " + result.describe();
    }
  }

  /** The engines this run has: runc, and Docker unless no engine answers outside strict mode (then said why). */
  static List<Engine> engines() {
    if (docker == null && dockerMissing == null) {
      try {
        docker = DockerEngine.require(); // fails the test in strict mode
      } catch (TestAbortedException e) {
        dockerMissing = e.getMessage();
      }
    }
    if (docker == null) {
      System.err.println("JavaApplicationRunTest runs images with runc only: " + dockerMissing);
      return List.of(Engine.RUNC);
    }
    return List.of(Engine.RUNC, Engine.DOCKER);
  }

  /** Runs the image with its own command, or with {@code args} as the whole command, on every engine. */
  private static List<Ran> runs(ScratchImage image, String name, List<String> args) {
    return runs(image, name, args, false);
  }

  /** @param loopback whether the program talks to 127.0.0.1 (Docker: {@code --network host}, else {@code none}) */
  private static List<Ran> runs(ScratchImage image, String name, List<String> args, boolean loopback) {
    try (Deployed deployed = deploy(image, name, loopback)) {
      return deployed.run(args);
    }
  }

  /**
   * The image's bytes on every engine, once: an OCI layout for runc, loaded into the Docker engine
   * with the daemon target; closing removes it from the engine.
   */
  private static Deployed deploy(ScratchImage image, String name, boolean loopback) {
    Path layout = work.resolve("layout-" + name);
    image.writeTo(OciLayout.at(layout).tag("test"));
    List<Engine> engines = engines();
    String tag = null;
    if (engines.contains(Engine.DOCKER)) {
      tag = "scratchkit-java-test-" + name + ":" + ProcessHandle.current().pid();
      image.writeTo(DockerDaemon.image(tag).environment("DOCKER_HOST", docker.host()));
    }
    return new Deployed(name, layout, tag, loopback, engines);
  }

  /** An image on the engines: runc from its layout, Docker by tag; containers are removed after each run. */
  record Deployed(String name, Path layout, String tag, boolean loopback, List<Engine> engines)
      implements AutoCloseable {

    /** Runs the image's own command ({@code args} null) or {@code args} as the whole command, on each engine. */
    List<Ran> run(List<String> args) {
      List<Ran> runs = new ArrayList<>();
      for (Engine engine : engines) {
        if (engine == Engine.RUNC) {
          runs.add(new Ran(engine, Runc.run(layout, "test", work.resolve("run-" + name), args)));
          continue;
        }
        List<String> command = new ArrayList<>(List.of("run", "--rm", "--network", loopback ? "host" : "none"));
        if (args != null) {
          command.addAll(List.of("--entrypoint", args.get(0), tag));
          command.addAll(args.subList(1, args.size()));
        } else {
          command.add(tag);
        }
        runs.add(new Ran(engine, docker.docker(command.toArray(String[]::new))));
      }
      return runs;
    }

    @Override
    public void close() {
      if (tag != null) {
        docker.dockerOk("rmi", tag);
      }
    }
  }

  private static List<String> command(ScratchImage image, String... args) {
    List<String> command = new ArrayList<>(image.config().entrypoint());
    command.addAll(List.of(args));
    return command;
  }

  // --- 1. HTTPS with the image's CA bundle as the runtime's cacerts. ---

  @Test
  void httpsClientTrustsTheTestCaFromTheImageBundleAndFailsWithoutIt() {
    ScratchImage trusting = ScratchImage.builder().javaApplication(JavaApplication.of(httpsJar))
        .caCertificates(CaBundle.fromJdk().plus(CaBundle.fromPem(tls.caCertificate()))).build();
    ScratchImage jdkOnly = ScratchImage.builder().javaApplication(httpsJar).build();
    assertThat(trusting.config().entrypoint()).containsExactly("/opt/java/bin/java", "-jar", "/app/https-client.jar");
    assertThat(trusting.config().user()).isEqualTo("65532:65532");
    assertThat(trusting.files()).extracting(Object::toString)
        .contains("/opt/java/lib/security/cacerts", "/etc/ssl/certs/ca-certificates.crt",
            "/opt/java/lib/server/libjvm.so", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/lib64");
    try (TestTls.Server server = tls.startServer()) {
      for (Ran ok : runs(trusting, "https-trusting", command(trusting, server.url()), true)) {
        assertThat(ok.stdout()).as(ok.describe()).isEqualTo("200\n");
      }
      for (Ran refused : runs(jdkOnly, "https-jdk-only", command(jdkOnly, server.url()), true)) {
        assertThat(refused.stdout()).as(refused.describe()).contains("PKIX path building failed");
        assertThat(refused.exitCode()).as(refused.describe()).isEqualTo(1);
      }
    }
  }

  @Test
  void theRuntimesCacertsHoldsTheImageBundleForKeytoolOfBothJdks() throws IOException {
    CaBundle bundle = CaBundle.fromJdk().plus(CaBundle.fromPem(tls.caCertificate()));
    ScratchImage image = ScratchImage.builder().javaApplication(httpsJar).caCertificates(bundle).build();
    byte[] cacerts = image.layers().stream().flatMap(l -> l.entries().stream())
        .filter(e -> e.path().toString().equals("/opt/java/lib/security/cacerts")).findFirst().orElseThrow()
        .content().orElseThrow();
    Path file = Files.write(work.resolve("cacerts.p12"), cacerts);
    List<Path> jdks = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"))));
    if (Files.isExecutable(TEMURIN_25.resolve("bin/keytool"))) {
      jdks.add(TEMURIN_25);
    }
    for (Path jdk : jdks) {
      Tools.Result listed = Tools.run(Duration.ofMinutes(1), null, null, List.of(jdk.resolve("bin/keytool").toString(),
          "-list", "-keystore", file.toString(), "-storepass", "changeit")).assertOk();
      assertThat(listed.stdout()).as(jdk.toString()).contains("Your keystore contains " + bundle.size() + " entries")
          .contains("trustedCertEntry");
    }
  }

  // --- 2. Dependencies, the environment a JVM expects. ---

  @Test
  void programWithDependencyJarsPrintsWhatItPrintsOnTheHost() {
    ScratchImage image = ScratchImage.builder().javaApplication(report(reportJar).build()).build();
    List<String> onHost = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin/java").toString(),
        "-Dorg.slf4j.simpleLogger.logFile=System.out", "-cp"));
    List<String> cp = new ArrayList<>(List.of(reportJar.toString()));
    reportClassPath.forEach(p -> cp.add(p.toString()));
    onHost.add(String.join(":", cp));
    onHost.add("example.Report");
    Tools.Result host = Tools.run(Duration.ofMinutes(1), null, null, onHost).assertOk();
    assertThat(host.stdout()).contains("{\"greeting\":\"grüße, €\",\"items\":[1,2,3],\"name\":\"scratch\"}",
        "[main] INFO example.Report - logged through slf4j-simple");

    for (Ran inImage : runs(image, "report", null)) {
      assertThat(inImage.stdout()).as(inImage.describe()).isEqualTo(host.stdout());
    }
    List<String> layers = image.layers().stream().map(LayerSpec::createdBy).toList();
    assertThat(layers).anyMatch(c -> c.startsWith("scratchkit: dependencies (5 jars)"));
    assertThat(layers.get(layers.size() - 1)).startsWith("scratchkit: Java application");
  }

  @Test
  void theJvmFindsItsHomeUtf8FileNamesTimeZonesAndLocalhostAsNonroot() {
    ScratchImage image = ScratchImage.builder().javaApplication(report(reportJar).build())
        .timezoneData(Path.of("/usr/share/zoneinfo")).build();
    assertThat(image.config().env()).contains("JAVA_HOME=/opt/java", "LANG=C.UTF-8", "HOME=/home/nonroot");
    for (Ran result : runs(image, "environment", command(image, "--environment"))) {
      assertThat(result.stdout()).as(result.describe()).contains(
          "user.home=/home/nonroot\n", "user.name=nonroot\n", "sun.jnu.encoding=UTF-8\n", "file.encoding=UTF-8\n",
          "java.home=/opt/java\n", "listed grüße-€-ölçü.txt\n", "read ünïcödé\n", "home writable true\n",
          "Berlin +02:00\n", "localhost 127.0.0.1\n");
    }
  }

  @Test
  void memoryDefaultIsBakedIntoTheRuntimeAndJavaToolOptionsOverrideIt() {
    ScratchImage image = ScratchImage.builder().javaApplication(report(reportJar).build()).build();
    List<String> flags = List.of("/opt/java/bin/java", "-XX:+PrintFlagsFinal", "-version");
    for (Ran baked : runs(image, "flags-default", flags)) {
      assertThat(baked.stdout()).as(baked.describe()).containsPattern("MaxRAMPercentage\\s+= 75\\.0+\\s");
    }

    ScratchImage overridden = ScratchImage.builder().javaApplication(report(reportJar).build())
        .env("JAVA_TOOL_OPTIONS", "-XX:MaxRAMPercentage=50").build();
    for (Ran tool : runs(overridden, "flags-tool-options", flags)) {
      assertThat(tool.stdout()).as(tool.describe()).containsPattern("MaxRAMPercentage\\s+= 50\\.0+\\s");
      assertThat(tool.stderr()).as(tool.describe()).contains("Picked up JAVA_TOOL_OPTIONS: -XX:MaxRAMPercentage=50");
    }
  }

  // --- 3. JDK 17 and Temurin 25; reproducible. ---

  @Test
  void temurin25MakesARunnableImageWithACdsArchive() {
    Assumptions.assumeTrue(Files.isExecutable(TEMURIN_25.resolve("bin/jlink")), TEMURIN_25 + " is not installed");
    ScratchImage image = ScratchImage.builder().javaApplication(report(reportJar).jdk(TEMURIN_25).build()).build();
    // Temurin's libjvm needs no libgcc_s, but glibc loads it for pthread_exit: it comes along.
    assertThat(image.files()).extracting(Object::toString).contains("/opt/java/lib/server/classes.jsa",
        "/usr/lib/x86_64-linux-gnu/libgcc_s.so.1").doesNotContain("/opt/java/lib/libawt_xawt.so");
    assertThat(image.layers()).extracting(LayerSpec::createdBy)
        .anyMatch(c -> c.startsWith("scratchkit: Java runtime, jlink of JDK 25"))
        .contains("scratchkit: Java runtime CDS archive");
    try (Deployed deployed = deploy(image, "temurin25", false)) {
      for (Ran result : deployed.run(command(image, "--environment"))) {
        assertThat(result.stdout()).as(result.describe()).contains("[main] INFO example.Report - logged through",
            "user.home=/home/nonroot\n", "sun.jnu.encoding=UTF-8\n", "listed grüße-€-ölçü.txt\n");
      }
      for (Ran share : deployed.run(List.of("/opt/java/bin/java", "-Xshare:on", "-version"))) {
        assertThat(share.stderr()).as(share.describe()).contains("sharing");
      }
    }
  }

  @Test
  void sameInputsGiveTheSameDigestWithAFreshlyLinkedRuntimeOnJdk17AndTemurin25() {
    List<Path> jdks = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"))));
    if (Files.isExecutable(TEMURIN_25.resolve("bin/jlink"))) {
      jdks.add(TEMURIN_25);
    }
    for (Path jdk : jdks) {
      // Once with the runtime the other tests share (linked by whichever ran first, maybe in an
      // earlier run), once with a runtime linked now into an empty cache: two separate jlinks.
      Set<String> digests = new TreeSet<>();
      for (Path runtimes : new Path[] {null, work.resolve("fresh-" + jdk.getFileName())}) {
        JavaApplication.Builder app = report(reportJar).jdk(jdk);
        if (runtimes != null) {
          app.runtimeCache(runtimes);
        }
        ScratchImage image = ScratchImage.builder().javaApplication(app.build()).build();
        WriteResult written = image.writeTo(OciLayout.at(work.resolve("digest-" + jdk.getFileName() + "-"
            + digests.size())).tag("test").cache(LayerCache.disabled()));
        digests.add(written.digest().toString());
      }
      assertThat(digests).as("digests of two builds with JDK " + jdk).hasSize(1);
      assertThat(work.resolve("fresh-" + jdk.getFileName()).resolve("jlink-v1")).isDirectoryContaining(
          p -> Files.isRegularFile(p.resolve("runtime/release")));
    }
  }

  // --- 5. Rebuild after a change of one class. ---

  @Test
  void rebuildAfterAClassChangeRecompressesOnlyTheApplicationLayer() throws IOException {
    Path cache = work.resolve("rebuild-cache");
    List<Integer> compressed1 = new ArrayList<>();
    ScratchImage first = ScratchImage.builder().javaApplication(report(reportJar(work.resolve("v1"), REPORT))
        .build()).build();
    first.writeTo(OciLayout.at(work.resolve("rebuild-1")).tag("test").cache(LayerCache.at(cache)),
        recorder(compressed1));
    assertThat(compressed1).as("the first build compresses every layer").hasSize(first.layers().size());

    List<Integer> compressed2 = new ArrayList<>();
    Path changed = reportJar(work.resolve("v2"), REPORT.replace("items: ", "count: "));
    ScratchImage second = ScratchImage.builder().javaApplication(report(changed).build()).build();
    assertThat(second.layers()).hasSameSizeAs(first.layers());
    second.writeTo(OciLayout.at(work.resolve("rebuild-2")).tag("test").cache(LayerCache.at(cache)),
        recorder(compressed2));
    int app = second.layers().size() - 1;
    assertThat(second.layers().get(app).createdBy()).startsWith("scratchkit: Java application");
    assertThat(compressed2).as("layers compressed again").containsExactly(app);
    Tools.Result out = Runc.run(work.resolve("rebuild-2"), "test", work.resolve("run-rebuild"));
    assertThat(out.stdout()).as(out.describe()).contains("count: 3");
  }

  private static ProgressListener recorder(List<Integer> compressed) {
    return new ProgressListener() {
      @Override
      public void layerProgress(int index, long done, long total) {
        if (done == total && !compressed.contains(index)) {
          compressed.add(index);
        }
      }
    };
  }

  @Test
  void layersGoFromRuntimeToSnapshotJarsToTheApplicationAndTheClassPathKeepsItsOrder() throws IOException {
    Path snapshot = Files.copy(reportClassPath.get(4), work.resolve("report-helpers-1.1-SNAPSHOT.jar"));
    List<Path> classPath = new ArrayList<>(reportClassPath.subList(0, 4));
    classPath.add(snapshot);
    ScratchImage image = ScratchImage.builder().javaApplication(JavaApplication.builder(reportJar)
        .classPath(classPath).mainClass("example.Report").build()).build();
    assertThat(image.layers()).extracting(l -> l.createdBy().replaceFirst("\\(\\d+\\)$", "(n)")).containsExactly(
        "scratchkit: base files (passwd, group, nsswitch.conf, /tmp)", "scratchkit: CA certificates (n)",
        "scratchkit: shared libraries",
        "scratchkit: Java runtime, jlink of JDK " + System.getProperty("java.version")
            + " (java.base,java.desktop,java.sql,jdk.crypto.ec,jdk.zipfs)",
        "scratchkit: dependencies (4 jars)", "scratchkit: snapshot dependencies (1 jar)",
        "scratchkit: Java application /app/report.jar");
    List<String> cp = new ArrayList<>(List.of("/app/report.jar"));
    classPath.forEach(p -> cp.add("/app/libs/" + p.getFileName()));
    assertThat(image.config().entrypoint()).containsExactly("/opt/java/bin/java", "-cp", String.join(":", cp),
        "example.Report");
  }

  // --- Refusals name the file, the fact and the fix. ---

  @Test
  void aJarWithoutMainClassIsRefusedWithTheFix() {
    Path classes = JavaPrograms.compile(work.resolve("nomain"), Map.of("HttpsClient", HTTPS_CLIENT), List.of());
    Path jar = JavaPrograms.jar(classes, work.resolve("nomain/lib.jar"), null, null);
    assertThatThrownBy(() -> ScratchImage.builder().javaApplication(jar).build())
        .isInstanceOf(ScratchImageException.class)
        .hasMessageContaining(jar + "'s manifest has no Main-Class")
        .hasMessageContaining("mainClass(\"com.example.Main\")");
  }

  @Test
  void aMissingClassPathJarOfTheManifestIsRefused() {
    Path classes = JavaPrograms.compile(work.resolve("cp"), Map.of("HttpsClient", HTTPS_CLIENT), List.of());
    Path jar = JavaPrograms.jar(classes, work.resolve("cp/app.jar"), "HttpsClient", "lib/missing-1.0.jar ../up.jar");
    assertThatThrownBy(() -> ScratchImage.builder().javaApplication(jar).build())
        .isInstanceOf(ScratchImageException.class)
        .hasMessageContaining("names lib/missing-1.0.jar, but " + work.resolve("cp/lib/missing-1.0.jar")
            + " does not exist")
        .hasMessageContaining("Class-Path entry \"../up.jar\" leads outside " + work.resolve("cp"));
  }

  @Test
  void theAgentsLibrariesBringNoGconvModulesForAUtf8OrCLocale() {
    // libinstrument and libjdwp import iconv_open, but convert only between the locale's codeset
    // and UTF-8, which glibc has built in with ASCII: 8 MB of modules would never be loaded.
    ScratchImage image = ScratchImage.builder().javaApplication(JavaApplication.builder(httpsJar)
        .addModules("java.instrument", "jdk.jdwp.agent").build()).build();
    List<String> paths = image.layers().stream().flatMap(l -> l.entries().stream()).map(e -> e.path().path())
        .toList();
    assertThat(paths).anyMatch(p -> p.endsWith("/lib/libinstrument.so")).anyMatch(p -> p.endsWith("/lib/libjdwp.so"))
        .noneMatch(p -> p.contains("/gconv/"));
  }

  @Test
  void anUnknownModuleAndAJreAreRefusedWithTheFix() throws IOException {
    assertThatThrownBy(() -> ScratchImage.builder().javaApplication(JavaApplication.builder(httpsJar)
        .addModules("jdk.localdata").build()).build())
        .isInstanceOf(ScratchImageException.class)
        .hasMessageContaining("addModules(\"jdk.localdata\")")
        .hasMessageContaining("has no module jdk.localdata")
        .hasMessageContaining("--list-modules");
    Path jre = Files.createDirectories(work.resolve("jre/bin"));
    Files.copy(Path.of(System.getProperty("java.home"), "bin/java"), jre.resolve("java"));
    assertThatThrownBy(() -> ScratchImage.builder().javaApplication(JavaApplication.builder(httpsJar)
        .jdk(jre.getParent()).build()).build())
        .isInstanceOf(ScratchImageException.class)
        .hasMessageContaining(jre.getParent().toRealPath() + " has no bin/jlink")
        .hasMessageContaining("Give a full JDK with jdk(Path)");
  }
}
