package dev.scratchkit.registry;

import static dev.scratchkit.registry.ScriptedServer.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scratchkit.ImageIndex;
import dev.scratchkit.ScratchImage;
import dev.scratchkit.certs.CaBundle;
import dev.scratchkit.doctor.Diagnosis;
import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.ImageDoctor;
import dev.scratchkit.elf.Platform;
import dev.scratchkit.internal.oci.Json;
import dev.scratchkit.oci.ContainerConfig;
import dev.scratchkit.oci.Digest;
import dev.scratchkit.oci.ImagePath;
import dev.scratchkit.oci.ImageSpec;
import dev.scratchkit.oci.LayerCache;
import dev.scratchkit.oci.LayerEntry;
import dev.scratchkit.oci.LayerSpec;
import dev.scratchkit.oci.OciImages;
import dev.scratchkit.oci.OciLayout;
import dev.scratchkit.registry.Registry;
import dev.scratchkit.registry.RegistryException;
import dev.scratchkit.oci.WriteResult;
import dev.scratchkit.testkit.Fixtures;
import dev.scratchkit.testkit.LocalRegistry;
import dev.scratchkit.testkit.TestTls;
import dev.scratchkit.testkit.Tools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pulls from Debian's docker-registry on 127.0.0.1 (and from a scripted server that tampers
 * with what it sends), then examines the pulled layout with the doctor: the findings equal
 * those of the layout that was pushed, and the digests are the pushed ones, as skopeo sees them.
 */
class RegistryPullTest {

  private static final Instant CREATED = Instant.parse("2024-01-02T03:04:05Z");

  @TempDir
  Path tmp;

  private static String skopeo() {
    return Tools.require("skopeo").toString();
  }

  /** A C program linked against the C library, copied alone into an image, as {@code COPY app /app} would. */
  private ImageSpec dynamicWithoutLibraries() {
    Path app = Fixtures.gcc(tmp.resolve("gcc"), "app", "#include <stdio.h>\nint main(void){puts(\"hi\");return 0;}\n");
    return ImageSpec.of(Platform.LINUX_AMD64, CREATED, ContainerConfig.empty().withEntrypoint(List.of("/app")),
        List.of(LayerSpec.of("COPY app /app", LayerEntry.file(ImagePath.of("/app"), app, 0755))));
  }

  private static List<String> findings(Diagnosis d) {
    return d.findings().stream().map(Finding::toString).toList();
  }

  private static Map<String, Object> skopeoInspect(String reference) {
    String json = Tools.run(Duration.ofMinutes(1), null, null, List.of(skopeo(), "inspect", "--tls-verify=false",
        "docker://" + reference)).assertOk().stdout();
    return Json.parseObject(json);
  }

  @Test
  void aPulledImageHasThePushedDigestsAndTheDoctorFindsWhatItFindsInThePushedLayout() throws Exception {
    ScratchImage busybox = ScratchImage.builder().entrypoint(Tools.require("busybox"), "/bin/busybox")
        .args("echo", "hi").creationTime(CREATED).build();
    ImageSpec broken = dynamicWithoutLibraries();
    Path local = tmp.resolve("local");
    WriteResult localBusybox = busybox.writeTo(OciLayout.at(local).tag("busybox"));
    WriteResult localBroken = OciLayout.at(local).tag("broken").write(broken);
    try (LocalRegistry registry = LocalRegistry.start(tmp.resolve("registry"))) {
      String busyboxRef = registry.host() + "/tools/busybox:1";
      String brokenRef = registry.host() + "/app:broken";
      WriteResult pushedBusybox = busybox.writeTo(Registry.image(busyboxRef));
      WriteResult pushedBroken = Registry.image(brokenRef).write(broken);

      Path pulled = Registry.image(busyboxRef).pullTo(tmp.resolve("pulled-busybox"));
      assertThat(pulled).isEqualTo(tmp.resolve("pulled-busybox").toAbsolutePath().normalize());
      Diagnosis fromRegistry = ImageDoctor.examine(Registry.image(brokenRef).pullTo(tmp.resolve("pulled-broken")));

      // the doctor: the same findings as for the pushed layout; busybox is clean, the C program is not
      Diagnosis pulledBusybox = ImageDoctor.examine(pulled);
      assertThat(pulledBusybox.errors()).as(pulledBusybox.toString()).isEmpty();
      assertThat(findings(pulledBusybox))
          .isEqualTo(findings(ImageDoctor.examine(OciImages.read(local).image("busybox"))));
      assertThat(fromRegistry.errors()).extracting(Finding::code).contains("INTERPRETER_MISSING");
      assertThat(fromRegistry.errors().get(0).runtimeError()).isEqualTo("exec /app: no such file or directory");
      assertThat(findings(fromRegistry)).isEqualTo(findings(ImageDoctor.examine(OciImages.read(local)
          .image("broken"))));
      assertThat(fromRegistry.image()).isEqualTo("broken in " + tmp.resolve("pulled-broken"));

      // digests: the pushed ones, in the layout, in the registry (skopeo) and in our result
      OciImages.Image image = OciImages.read(pulled).image("1");
      assertThat(image.manifestDigest()).isEqualTo(pushedBusybox.digest()).isEqualTo(localBusybox.digest());
      assertThat(image.configDigest()).isEqualTo(localBusybox.config().orElseThrow());
      assertThat(image.layers()).extracting(OciImages.Layer::digest)
          .containsExactlyElementsOf(localBusybox.layers().stream().map(l -> l.digest()).toList());
      Map<String, Object> inspect = skopeoInspect(busyboxRef);
      assertThat(inspect.get("Digest")).isEqualTo(pushedBusybox.digest().toString());
      assertThat(inspect.get("Layers")).isEqualTo(image.layers().stream().map(l -> l.digest().toString()).toList());
      assertThat(OciImages.read(tmp.resolve("pulled-broken")).image("broken").manifestDigest())
          .isEqualTo(pushedBroken.digest()).isEqualTo(localBroken.digest())
          .hasToString((String) skopeoInspect(brokenRef).get("Digest"));
      // byte for byte: the manifest blob is the one pushed
      assertThat(Files.readAllBytes(pulled.resolve("blobs/sha256").resolve(image.manifestDigest().hex())))
          .isEqualTo(Files.readAllBytes(local.resolve("blobs/sha256").resolve(localBusybox.digest().hex())));
      // nothing but the layout is left beside it
      try (Stream<Path> siblings = Files.list(tmp)) {
        assertThat(siblings.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("."));
      }

      // a second pull needs a new or empty directory
      assertThatThrownBy(() -> Registry.image(busyboxRef).pullTo(pulled))
          .isInstanceOf(RegistryException.class)
          .hasMessageStartingWith("cannot pull " + busyboxRef + " into " + pulled + ": the directory is not empty")
          .hasMessageContaining("give a new or empty directory");
      Path empty = Files.createDirectory(tmp.resolve("empty"));
      assertThat(OciImages.read(Registry.image(busyboxRef).pullTo(empty)).image("1").manifestDigest())
          .isEqualTo(pushedBusybox.digest());
    }
  }

  @Test
  void anIndexGivesTheImageOfThePlatformAskedForAndNamesThePlatformsItOffers() throws Exception {
    Path busybox = Tools.require("busybox");
    ImageSpec amd64 = imageOf(busybox, Platform.LINUX_AMD64);
    ImageSpec arm64 = imageOf(busybox, Platform.LINUX_ARM64);
    Path local = tmp.resolve("local");
    WriteResult index = OciLayout.at(local).tag("multi").writeIndex(List.of(amd64, arm64), dev.scratchkit.oci.ProgressListener.NONE);
    try (LocalRegistry registry = LocalRegistry.start(tmp.resolve("registry"))) {
      String ref = registry.host() + "/multi:1";
      assertThat(Registry.image(ref).writeIndex(List.of(amd64, arm64), dev.scratchkit.oci.ProgressListener.NONE).digest()).isEqualTo(index.digest());
      List<OciImages.Image> localImages = OciImages.read(local).images();

      Path arm = Registry.image(ref).pullTo(tmp.resolve("arm64"), Platform.LINUX_ARM64);
      OciImages.Image pulledArm = OciImages.read(arm).image("1");
      assertThat(pulledArm.platform()).isEqualTo(Platform.LINUX_ARM64);
      assertThat(pulledArm.manifestDigest()).isEqualTo(localImages.stream()
          .filter(i -> i.platform().equals(Platform.LINUX_ARM64)).findFirst().orElseThrow().manifestDigest());
      Path host = Registry.image(ref).pullTo(tmp.resolve("host"));
      assertThat(OciImages.read(host).image("1").platform().architecture())
          .isEqualTo(System.getProperty("os.arch").equals("aarch64") ? "arm64" : "amd64");

      assertThatThrownBy(() -> Registry.image(ref).pullTo(tmp.resolve("s390x"), Platform.parse("linux/s390x")))
          .isInstanceOf(RegistryException.class)
          .hasMessageStartingWith("cannot pull multi:1 from registry " + registry.host() + ": the tag is an index ("
              + index.digest() + ") without an image for linux/s390x; it offers linux/amd64, linux/arm64.")
          .hasMessageContaining("pullTo(dir, Platform.parse(\"os/arch\"))");
      assertThat(tmp.resolve("s390x")).doesNotExist();
    }
  }

  private static ImageSpec imageOf(Path binary, Platform platform) {
    LayerSpec app = LayerSpec.of("app", LayerEntry.file(ImagePath.of("/bin/busybox"), binary, 0755));
    return ImageSpec.of(platform, CREATED, ContainerConfig.empty().withEntrypoint(List.of("/bin/busybox", "true")),
        List.of(app));
  }

  @Test
  void aMissingTagOrRepositoryNamesTheReferenceAndTheFix() throws Exception {
    try (LocalRegistry registry = LocalRegistry.start(tmp.resolve("registry"))) {
      Registry.image(registry.host() + "/app:1").write(HostileRegistryTest.tinyImage());
      for (String ref : List.of("app:2", "nothing:1")) {
        Path dir = tmp.resolve("pulled-" + ref.replace(':', '-'));
        assertThatThrownBy(() -> Registry.image(registry.host() + "/" + ref).pullTo(dir))
            .isInstanceOf(RegistryException.class)
            .hasMessageStartingWith("cannot pull " + ref + " from registry " + registry.host() + ": the registry has"
                + " no manifest for tag " + ref.split(":")[1] + " of " + ref.split(":")[0] + " (HTTP 404")
            .hasMessageContaining("skopeo list-tags docker://" + registry.host() + "/" + ref.split(":")[0])
            .hasMessageEndingWith("or push the image first");
        assertThat(dir).doesNotExist();
      }
    }
  }

  @Test
  void aRegistryThatNeedsCredentialsSaysSoWithoutThemAndPullsWithThem() throws Exception {
    String password = "pull-Pa55word-xyz";
    TestTls tls = TestTls.create(tmp.resolve("tls"));
    CaBundle ca = CaBundle.fromPem(tls.caCertificate());
    try (LocalRegistry registry = LocalRegistry.start(tmp.resolve("registry"), tls, "alice", password)) {
      String ref = registry.host() + "/team/app:1";
      WriteResult pushed = Registry.image(ref).credentials("alice", password.toCharArray()).trust(ca)
          .write(HostileRegistryTest.tinyImage());
      Path emptyConfig = Files.writeString(tmp.resolve("empty-config.json"), "{\"auths\":{}}");
      Path dir = tmp.resolve("pulled");
      assertThatThrownBy(() -> Registry.image(ref).dockerConfig(emptyConfig).trust(ca).pullTo(dir))
          .isInstanceOf(RegistryException.class)
          .hasMessageStartingWith("cannot pull team/app:1 from registry " + registry.host() + ": HTTP 401"
              + " Unauthorized, the registry needs credentials and there are no credentials")
          .hasMessageContaining("give credentials(user, password) or run docker login " + registry.host());
      assertThat(dir).doesNotExist();
      RegistryException wrong = org.junit.jupiter.api.Assertions.assertThrows(RegistryException.class,
          () -> Registry.image(ref).credentials("alice", "wrong".toCharArray()).trust(ca).pullTo(dir));
      assertThat(wrong.getMessage()).contains("the registry rejected the credentials of user alice")
          .doesNotContain(password);
      assertThatThrownBy(() -> Registry.image(ref).credentials("alice", password.toCharArray()).pullTo(dir))
          .isInstanceOf(RegistryException.class).hasMessageContaining("trust(CaBundle)");

      Path ok = Registry.image(ref).credentials("alice", password.toCharArray()).trust(ca).pullTo(dir);
      assertThat(OciImages.read(ok).image("1").manifestDigest()).isEqualTo(pushed.digest());
      assertThat(registry.log()).doesNotContain(password);
    }
  }

  /** Serves a layout's image as a registry would, passing each reply through {@code tamper}. */
  private static ScriptedServer.Reply serve(Path layout, WriteResult image, Map<String, String> headers,
      java.util.function.BiFunction<String, byte[], byte[]> tamper) {
    return (method, path, head, out) -> {
      byte[] body;
      String type = "application/octet-stream";
      String extra = "";
      if (path.equals("/v2/") || path.equals("/v2")) {
        body = "{}".getBytes(StandardCharsets.UTF_8);
      } else if (path.startsWith("/v2/app/manifests/")) {
        body = Files.readAllBytes(layout.resolve("blobs/sha256").resolve(image.digest().hex()));
        type = "application/vnd.oci.image.manifest.v1+json";
        extra = "Docker-Content-Digest: " + headers.getOrDefault("digest", image.digest().toString()) + "\r\n";
      } else if (path.startsWith("/v2/app/blobs/sha256:")) {
        Path blob = layout.resolve("blobs/sha256").resolve(path.substring("/v2/app/blobs/sha256:".length()));
        if (!Files.exists(blob)) {
          send(out, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
          return;
        }
        body = Files.readAllBytes(blob);
      } else {
        send(out, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        return;
      }
      body = tamper.apply(path, body);
      if (method.equals("HEAD")) {
        body = new byte[0];
      }
      out.write(("HTTP/1.1 200 OK\r\nContent-Type: " + type + "\r\n" + extra + "Content-Length: " + body.length
          + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.write(body);
    };
  }

  private RegistryException pullFrom(ScriptedServer.Reply reply, Path dir) throws Exception {
    try (ScriptedServer server = new ScriptedServer(reply)) {
      RegistryException e = org.junit.jupiter.api.Assertions.assertThrows(RegistryException.class,
          () -> Registry.image(server.host() + "/app:1").timeout(Duration.ofSeconds(30)).pullTo(dir));
      assertThat(e.getMessage()).startsWith("cannot pull app:1 from registry " + server.host() + ": ");
      assertThat(dir).doesNotExist();
      try (Stream<Path> left = Files.list(dir.getParent())) {
        assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(".pull-"));
      }
      return e;
    }
  }

  @Test
  void aManifestOrBlobWhoseBytesDoNotMatchTheirDigestIsRefusedAndNothingIsWritten() throws Exception {
    Path layout = tmp.resolve("source");
    WriteResult image = OciLayout.at(layout).tag("1").cache(LayerCache.disabled())
        .write(HostileRegistryTest.tinyImage());
    Digest layer = image.layers().get(0).digest();

    // served as is, the scripted registry gives the pushed image: the server itself is sound
    try (ScriptedServer server = new ScriptedServer(serve(layout, image, Map.of(), (p, b) -> b))) {
      Path ok = Registry.image(server.host() + "/app:1").pullTo(tmp.resolve("ok"));
      assertThat(OciImages.read(ok).image("1").manifestDigest()).isEqualTo(image.digest());
    }

    // a manifest whose bytes are not what the registry's digest header says
    RegistryException manifest = pullFrom(serve(layout, image, Map.of(), (path, body) ->
        path.contains("/manifests/") ? new String(body, StandardCharsets.UTF_8).replace("\"size\"", " \"size\"")
            .getBytes(StandardCharsets.UTF_8) : body), tmp.resolve("manifest"));
    assertThat(manifest.getMessage()).contains("the registry says the manifest of 1 has the digest " + image.digest()
        + " (Docker-Content-Digest) but the bytes it sent have the digest sha256:")
        .contains("tampered with or damaged and nothing is pulled");

    // a layer with one byte changed: same size, another digest
    RegistryException blob = pullFrom(serve(layout, image, Map.of(), (path, body) -> {
      if (path.endsWith(layer.hex())) {
        body = body.clone();
        body[body.length / 2] ^= 1;
      }
      return body;
    }), tmp.resolve("layer"));
    assertThat(blob.getMessage()).contains("the registry sent other bytes for layer 1 of 1 " + layer + " ("
        + image.layers().get(0).size() + " bytes): they are " + image.layers().get(0).size()
        + " bytes with digest sha256:").contains("so the blob was tampered with or damaged and nothing is pulled");

    // a layer longer than its descriptor says: refused once the declared size is passed
    RegistryException longer = pullFrom(serve(layout, image, Map.of(), (path, body) ->
        path.endsWith(layer.hex()) ? java.util.Arrays.copyOf(body, body.length + 1_000_000) : body),
        tmp.resolve("longer"));
    assertThat(longer.getMessage()).contains("the registry sent more than the " + image.layers().get(0).size()
        + " bytes of layer 1 of 1 " + layer + " that the manifest declares");

    // a manifest reply of 5 MiB is refused, not read into memory whole
    RegistryException huge = pullFrom(serve(layout, image, Map.of(), (path, body) ->
        path.contains("/manifests/") ? new byte[5 << 20] : body), tmp.resolve("huge"));
    assertThat(huge.getMessage()).contains("the registry's manifest reply is larger than 4194304 bytes");
  }

  @Test
  void aRegistryThatDripsTheManifestIsCutOffAtThePullsDeadline() throws Exception {
    ScriptedServer.Reply drip = (method, path, head, out) -> {
      if (!path.contains("/manifests/")) {
        send(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
        return;
      }
      send(out, "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\n"
          + "Content-Length: 100000\r\n\r\n");
      for (int i = 0; i < 100; i++) {
        out.write(' ');
        out.flush();
        Thread.sleep(500);
      }
    };
    try (ScriptedServer server = new ScriptedServer(drip)) {
      Path dir = tmp.resolve("drip");
      long t0 = System.nanoTime();
      RegistryException e = org.junit.jupiter.api.Assertions.assertThrows(RegistryException.class,
          () -> Registry.image(server.host() + "/app:1").timeout(Duration.ofSeconds(8)).pullTo(dir));
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(20));
      assertThat(e.getMessage()).as(server.requests.toString()).startsWith("cannot pull app:1 from registry " + server.host() + ": the pull did"
          + " not finish within its deadline of 8 s (it was pulling the manifest of tag 1;")
          .contains("allow more time with timeout(Duration)");
      assertThat(dir).doesNotExist();
    }
  }
}
