package dev.scratchkit.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scratchkit.certs.CaBundle;
import dev.scratchkit.elf.Platform;
import dev.scratchkit.oci.ContainerConfig;
import dev.scratchkit.oci.Digest;
import dev.scratchkit.oci.ImagePath;
import dev.scratchkit.oci.ImageSpec;
import dev.scratchkit.oci.LayerCompression;
import dev.scratchkit.oci.LayerEntry;
import dev.scratchkit.oci.LayerSpec;
import dev.scratchkit.oci.OciLayout;
import dev.scratchkit.oci.LayerCache;
import dev.scratchkit.oci.LayerDescriptor;
import dev.scratchkit.oci.ProgressListener;
import dev.scratchkit.registry.Registry;
import dev.scratchkit.registry.RegistryException;
import dev.scratchkit.oci.WriteResult;
import dev.scratchkit.testkit.Fixtures;
import dev.scratchkit.testkit.LocalRegistry;
import dev.scratchkit.testkit.Runc;
import dev.scratchkit.testkit.TestTls;
import dev.scratchkit.testkit.Tools;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pushes to Debian's docker-registry on 127.0.0.1 and checks the result with skopeo, umoci,
 * runc and oci-image-tool.
 */
class RegistryPushTest {

  static {
    // Our push logs at debug; show it so the password check below sees every line we write.
    System.setProperty("org.slf4j.simpleLogger.log.dev.scratchkit.registry.internal", "debug");
  }

  private static final Instant CREATED = Instant.parse("2024-01-02T03:04:05Z");
  private static final String PASSWORD = "s3cret-Pa55word-xyz";

  @TempDir
  Path tmp;

  private static ImageSpec image(Path binary, Platform platform, String... args) {
    return image(binary, "/app", platform, args);
  }

  private static ImageSpec busybox(String... args) {
    return image(Tools.require("busybox"), "/bin/busybox", Platform.LINUX_AMD64, args);
  }

  private static ImageSpec image(Path binary, String path, Platform platform, String... args) {
    LayerSpec base = LayerSpec.of("scratchkit: base files",
        LayerEntry.bytes(ImagePath.of("/etc/passwd"),
            "root:x:0:0:root:/root:/sbin/nologin\n".getBytes(StandardCharsets.UTF_8), 0644),
        LayerEntry.directory(ImagePath.of("/tmp"), 01777));
    LayerSpec app = LayerSpec.of("scratchkit: app", LayerEntry.file(ImagePath.of(path), binary, 0755));
    List<String> entrypoint = new ArrayList<>(List.of(path));
    entrypoint.addAll(List.of(args));
    ContainerConfig config = ContainerConfig.empty().withEntrypoint(entrypoint).withUser("0:0");
    return ImageSpec.of(platform, CREATED, config, List.of(base, app));
  }

  private static String skopeo() {
    return Tools.require("skopeo").toString();
  }

  private static byte[] blob(Path layout, Digest digest) throws Exception {
    return Files.readAllBytes(layout.resolve("blobs/sha256").resolve(digest.hex()));
  }

  /** The events of one push. */
  private static final class Events implements ProgressListener {
    final List<Digest> skipped = new ArrayList<>();
    final List<Digest> written = new ArrayList<>();
    final List<Integer> layersFinished = new ArrayList<>();
    final List<long[]> progress = new ArrayList<>();

    @Override
    public void layerProgress(int index, long done, long total) {
      progress.add(new long[] {index, done, total});
    }

    @Override
    public void layerFinished(int index, LayerDescriptor layer) {
      layersFinished.add(index);
    }

    @Override
    public void blobSkipped(Digest digest, String where) {
      skipped.add(digest);
    }

    @Override
    public void targetWritten(Digest digest, String where) {
      written.add(digest);
    }
  }

  @Test
  void aPushReportsTheLayersItCompressesAndKeepsThemInItsCache() throws Exception {
    ImageSpec image = busybox("true");
    long busyboxSize = Files.size(Tools.require("busybox"));
    Path cacheDir = tmp.resolve("push-cache");
    try (LocalRegistry registry = LocalRegistry.start(tmp.resolve("registry"))) {
      Events events = new Events();
      // A cache of its own: empty, so the push compresses both layers and reports their progress.
      WriteResult pushed = Registry.image(registry.host() + "/progress:1").cache(LayerCache.at(cacheDir))
          .write(image, events);
      assertThat(events.layersFinished).containsExactly(0, 1);
      List<long[]> app = events.progress.stream().filter(p -> p[0] == 1).toList();
      assertThat(app).isNotEmpty().allSatisfy(p -> assertThat(p[2]).isEqualTo(busyboxSize));
      assertThat(app.get(app.size() - 1)[1]).isEqualTo(busyboxSize);
      assertThat(events.written).containsExactly(pushed.digest());
      try (Stream<Path> entries = Files.list(cacheDir.resolve("layers-v1"))) {
        assertThat(entries.filter(p -> p.toString().endsWith(".rec")).count()).isEqualTo(2);
      }

      // The same push again takes both layers from that cache: no progress, same digest.
      Events again = new Events();
      WriteResult second = Registry.image(registry.host() + "/progress:1").cache(LayerCache.at(cacheDir))
          .write(image, again);
      assertThat(second.digest()).isEqualTo(pushed.digest());
      assertThat(again.progress).isEmpty();
      assertThat(again.layersFinished).containsExactly(0, 1);
    }
  }

  @Test
  void pushesTheLayoutBytesAndTheImageRunsAfterAPullAndASecondPushUploadsNoBlob() throws Exception {
    ImageSpec image = busybox("echo", "hello from the registry");
    Path layout = tmp.resolve("layout");
    WriteResult local = OciLayout.at(layout).tag("latest").write(image);
    try (LocalRegistry registry = LocalRegistry.start(tmp.resolve("registry"))) {
      Events first = new Events();
      WriteResult pushed = Registry.image(registry.host() + "/app:1").tag("latest").write(image, first);
      assertThat(pushed.digest()).isEqualTo(local.digest());
      assertThat(pushed.target()).isEqualTo("registry " + registry.host() + "/app:1,latest");
      assertThat(first.written).containsExactly(local.digest());
      assertThat(first.skipped).isEmpty();

      // 1. our manifest byte for byte, and the registry's digest header is ours
      for (String tag : List.of("1", "latest")) {
        byte[] raw = Tools.run(Duration.ofMinutes(1), null, null, List.of(skopeo(), "inspect", "--raw",
            "--tls-verify=false", "docker://" + registry.host() + "/app:" + tag)).assertOk().stdout()
            .getBytes(StandardCharsets.UTF_8);
        assertThat(raw).isEqualTo(blob(layout, local.digest()));
      }
      HttpResponse<Void> head = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
              URI.create(registry.url() + "/v2/app/manifests/1"))
              .header("Accept", "application/vnd.oci.image.manifest.v1+json")
              .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
          HttpResponse.BodyHandlers.discarding());
      assertThat(head.statusCode()).isEqualTo(200);
      assertThat(head.headers().firstValue("Docker-Content-Digest")).hasValue(local.digest().toString());

      // pulled back with skopeo, it runs under runc
      Path pulled = tmp.resolve("pulled");
      Tools.run(Duration.ofMinutes(2), null, null, List.of(skopeo(), "--insecure-policy", "copy",
          "--src-tls-verify=false", "docker://" + registry.host() + "/app:1", "oci:" + pulled + ":pulled")).assertOk();
      Tools.Result run = Runc.run(pulled, "pulled", tmp.resolve("runc"));
      assertThat(run.exitCode()).as(run.describe()).isZero();
      assertThat(run.stdout()).isEqualTo("hello from the registry\n");

      // 3. the same image again: every blob is there already, nothing is uploaded
      int uploadsBefore = count(registry.log(), "POST /v2/app/blobs/uploads/");
      assertThat(uploadsBefore).isEqualTo(local.layers().size() + 1);
      Events second = new Events();
      WriteResult again = Registry.image(registry.host() + "/app:2").write(image, second);
      assertThat(again.digest()).isEqualTo(local.digest());
      List<Digest> blobs = new ArrayList<>(local.layers().stream().map(l -> l.digest()).toList());
      blobs.add(local.config().orElseThrow());
      assertThat(second.skipped).containsExactlyElementsOf(blobs);
      assertThat(count(registry.log(), "POST /v2/app/blobs/uploads/")).isEqualTo(uploadsBefore);
    }
  }

  private static int count(String text, String needle) {
    int n = 0;
    for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
      n++;
    }
    return n;
  }

  @Test
  void zstdLayersArePushedAsTheLayoutHasThem() throws Exception {
    ImageSpec image = busybox("echo", "zstd");
    Path layout = tmp.resolve("layout-zstd");
    WriteResult local = OciLayout.at(layout).compression(LayerCompression.zstd()).write(image);
    try (LocalRegistry registry = LocalRegistry.start(tmp.resolve("registry-zstd"))) {
      WriteResult pushed = Registry.image(registry.host() + "/zstd:1").compression(LayerCompression.zstd()).write(image);
      assertThat(pushed.digest()).isEqualTo(local.digest());
      String raw = Tools.run(Duration.ofMinutes(1), null, null, List.of(skopeo(), "inspect", "--raw",
          "--tls-verify=false", "docker://" + registry.host() + "/zstd:1")).assertOk().stdout();
      assertThat(raw.getBytes(StandardCharsets.UTF_8)).isEqualTo(blob(layout, local.digest()));
      assertThat(raw).contains("application/vnd.oci.image.layer.v1.tar+zstd");
    }
  }

  @Test
  void tlsAndBasicAuthWorkWithTheRightCredentialsAndNameTheRegistryAndThe401WithoutThePassword() throws Exception {
    ImageSpec image = busybox("echo", "hi");
    TestTls tls = TestTls.create(tmp.resolve("tls"));
    CaBundle ca = CaBundle.fromPem(tls.caCertificate());
    List<String> messages = new ArrayList<>();
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream oldErr = System.err;
    PrintStream oldOut = System.out;
    PrintStream tee = new PrintStream(captured, true, StandardCharsets.UTF_8);
    try (LocalRegistry registry = LocalRegistry.start(tmp.resolve("registry"), tls, "alice", PASSWORD)) {
      String ref = registry.host() + "/team/app:1";
      System.setErr(tee);
      System.setOut(tee);
      try {
        WriteResult ok = Registry.image(ref).credentials("alice", PASSWORD.toCharArray()).trust(ca).write(image);

        // wrong password: 401, the registry named, the password nowhere
        RegistryException wrong = catchPush(Registry.image(ref).credentials("alice",
            "not-the-password".toCharArray()).trust(ca), image, messages);
        assertThat(wrong.getMessage()).contains("registry " + registry.host()).contains("401")
            .contains("user alice").contains("check the user name and password");

        // no credentials at all (an empty Docker config)
        Path emptyConfig = Files.writeString(tmp.resolve("empty-config.json"), "{\"auths\":{}}");
        RegistryException none = catchPush(Registry.image(ref).dockerConfig(emptyConfig).trust(ca), image, messages);
        assertThat(none.getMessage()).contains("registry " + registry.host()).contains("401")
            .contains("needs credentials").contains("credentials(user, password)");

        // the JVM's trust store does not know the test CA
        RegistryException untrusted = catchPush(Registry.image(ref).credentials("alice", PASSWORD.toCharArray()),
            image, messages);
        assertThat(untrusted.getMessage()).contains("registry " + registry.host()).contains("TLS certificate")
            .contains("trust(CaBundle)");

        // credentials from a Docker config file, as docker login writes it
        String auth = Base64.getEncoder().encodeToString(("alice:" + PASSWORD).getBytes(StandardCharsets.UTF_8));
        Path config = Files.writeString(tmp.resolve("config.json"),
            "{\"auths\":{\"" + registry.host() + "\":{\"auth\":\"" + auth + "\"}}}");
        WriteResult fromConfig = Registry.image(registry.host() + "/team/app:2").dockerConfig(config).trust(ca)
            .write(image);
        assertThat(fromConfig.digest()).isEqualTo(ok.digest());
      } finally {
        System.setErr(oldErr);
        System.setOut(oldOut);
      }
      String log = captured.toString(StandardCharsets.UTF_8);
      oldErr.print(log);
      assertThat(log).contains("pushed " ); // the capture works: our own info lines are in it
      assertThat(log).doesNotContain(PASSWORD);
      assertThat(messages).allSatisfy(m -> assertThat(m).doesNotContain(PASSWORD));
      assertThat(registry.log()).doesNotContain(PASSWORD);

      // skopeo, trusting the test CA, reads our manifest
      Path certDir = Files.createDirectories(tmp.resolve("certs.d"));
      Files.copy(tls.caCertificate(), certDir.resolve("ca.crt"));
      String raw = Tools.run(Duration.ofMinutes(1), null, null, List.of(skopeo(), "inspect", "--raw",
          "--cert-dir", certDir.toString(), "--creds", "alice:" + PASSWORD,
          "docker://" + registry.host() + "/team/app:1")).assertOk().stdout();
      assertThat(raw).contains("application/vnd.oci.image.manifest.v1+json");
    }
  }

  /** Pushes, expecting a RegistryException; records every message of its cause chain. */
  private static RegistryException catchPush(Registry target, ImageSpec image, List<String> messages) {
    try {
      target.write(image);
    } catch (RegistryException e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        messages.add(String.valueOf(t.getMessage()));
        messages.add(t.toString());
      }
      return e;
    }
    throw new AssertionError("push to " + target + " should have failed");
  }

  @Test
  void anAmd64AndAnArm64GoBinaryMakeOneIndexInTheRegistryAndInALayout() throws Exception {
    Path amd64 = Fixtures.go(tmp, "hello-amd64", Fixtures.GO_HELLO, Map.of("CGO_ENABLED", "0", "GOARCH", "amd64"));
    Path arm64 = Fixtures.go(tmp, "hello-arm64", Fixtures.GO_HELLO, Map.of("CGO_ENABLED", "0", "GOARCH", "arm64"));
    List<ImageSpec> images = List.of(image(amd64, Platform.LINUX_AMD64), image(arm64, Platform.LINUX_ARM64));
    Path layout = tmp.resolve("layout");
    WriteResult local = OciLayout.at(layout).tag("multi").writeIndex(images, ProgressListener.NONE);
    Tools.run(Duration.ofMinutes(1), null, null, List.of(Tools.require("oci-image-tool").toString(), "validate",
        "--type", "image", "--ref", "name=multi", layout.toString())).assertOk();
    try (LocalRegistry registry = LocalRegistry.start(tmp.resolve("registry"))) {
      Events events = new Events();
      WriteResult pushed = Registry.image(registry.host() + "/hello:multi").writeIndex(images, events);
      assertThat(pushed.digest()).isEqualTo(local.digest());
      assertThat(pushed.manifests()).extracting(WriteResult::digest)
          .containsExactlyElementsOf(local.manifests().stream().map(WriteResult::digest).toList());
      // the base layer is the same in both images and goes up once
      assertThat(events.skipped).isEmpty();
      String docker = "docker://" + registry.host() + "/hello:multi";
      byte[] raw = Tools.run(Duration.ofMinutes(1), null, null,
          List.of(skopeo(), "inspect", "--raw", "--tls-verify=false", docker)).assertOk().stdout()
          .getBytes(StandardCharsets.UTF_8);
      assertThat(raw).isEqualTo(blob(layout, local.digest()));
      String index = new String(raw, StandardCharsets.UTF_8);
      assertThat(index).contains("\"architecture\":\"amd64\"").contains("\"architecture\":\"arm64\"");
      String arm = Tools.run(Duration.ofMinutes(1), null, null, List.of(skopeo(), "--override-arch", "arm64",
          "--override-os", "linux", "inspect", "--tls-verify=false", docker)).assertOk().stdout();
      // skopeo reports the digest of what the tag points at (the index) and the arm64 image's layers
      assertThat(arm).contains("\"Architecture\": \"arm64\"").contains("\"Digest\": \"" + local.digest() + "\"")
          .contains(local.manifests().get(1).layers().get(1).digest().toString())
          .doesNotContain(local.manifests().get(0).layers().get(1).digest().toString());
      String armConfig = Tools.run(Duration.ofMinutes(1), null, null, List.of(skopeo(), "--override-arch", "arm64",
          "--override-os", "linux", "inspect", "--config", "--raw", "--tls-verify=false", docker)).assertOk().stdout();
      assertThat(armConfig.getBytes(StandardCharsets.UTF_8))
          .isEqualTo(blob(layout, local.manifests().get(1).config().orElseThrow()));
    }
  }

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void connectionRefusedUnknownHostAndASilentRegistryFailClearlyWithinBoundedTime() throws Exception {
    ImageSpec image = busybox();
    int port = LocalRegistry.freePort();
    long start = System.nanoTime();
    assertThatThrownBy(() -> Registry.image("127.0.0.1:" + port + "/app:1").write(image))
        .isInstanceOf(RegistryException.class)
        .hasMessageContaining("registry 127.0.0.1:" + port).hasMessageContaining("refused")
        .hasMessageContaining("check that the registry runs");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));

    assertThatThrownBy(() -> Registry.image("registry.scratchkit.invalid/app:1").write(image))
        .isInstanceOf(RegistryException.class)
        .hasMessageContaining("registry registry.scratchkit.invalid").hasMessageContaining("unknown host");

    // a registry that accepts connections and never answers: bounded by jib's HTTP timeout
    String old = System.getProperty("jib.httpTimeout");
    System.setProperty("jib.httpTimeout", "2000");
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      long t0 = System.nanoTime();
      assertThatThrownBy(() -> Registry.image("127.0.0.1:" + silent.getLocalPort() + "/app:1").write(image))
          .isInstanceOf(RegistryException.class)
          .hasMessageContaining("registry 127.0.0.1:" + silent.getLocalPort())
          .hasMessageContaining("no answer within 2000 ms");
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(20));
    } finally {
      if (old == null) {
        System.clearProperty("jib.httpTimeout");
      } else {
        System.setProperty("jib.httpTimeout", old);
      }
    }
  }
}
