package dev.scratchkit.registry;

import dev.scratchkit.testkit.CapturedLog;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scratchkit.elf.Platform;
import dev.scratchkit.oci.ContainerConfig;
import dev.scratchkit.oci.ImagePath;
import dev.scratchkit.oci.ImageSpec;
import dev.scratchkit.oci.LayerCache;
import dev.scratchkit.oci.LayerEntry;
import dev.scratchkit.oci.LayerSpec;
import dev.scratchkit.oci.OciLayout;
import dev.scratchkit.oci.WriteResult;
import dev.scratchkit.testkit.LocalRegistry;
import dev.scratchkit.testkit.Tools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acceptance 4 of issue 18: a fault-injecting proxy ({@link FaultProxy}) in front of Debian's
 * docker-registry resets the connection in the middle of a blob upload, answers 503 once, or
 * 429 with {@code Retry-After: 1}; each push succeeds, logs its retry at info, and the registry
 * (asked directly by skopeo, not through the proxy) serves exactly the manifest of the OCI
 * layout written from the same image. A registry that answers 503 forever fails within the
 * deadline with a message that names it, the status and the fix.
 */
class TransientFailuresTest {

  private static final String UPLOAD = "/v2/app/blobs/uploads/";

  @TempDir
  Path tmp;

  /** One 256 KiB layer of random bytes: an upload large enough to be cut in the middle. */
  private static ImageSpec image() {
    byte[] payload = new byte[256 * 1024];
    new java.util.Random(18).nextBytes(payload);
    LayerSpec layer = LayerSpec.of("scratchkit: data", LayerEntry.bytes(ImagePath.of("/data.bin"), payload, 0644));
    return ImageSpec.of(Platform.LINUX_AMD64, Instant.EPOCH,
        ContainerConfig.empty().withEntrypoint(List.of("/data.bin")), List.of(layer));
  }

  /** Pushes through a proxy with {@code rule}; checks the registry's manifest against the layout's. */
  private String pushThrough(String name, FaultProxy.Rule rule) throws Exception {
    Tools.require("docker-registry");
    String skopeo = Tools.require("skopeo").toString();
    WriteResult local = OciLayout.at(tmp.resolve(name + "-layout")).cache(LayerCache.disabled()).write(image());
    try (LocalRegistry registry = LocalRegistry.start(tmp.resolve(name + "-registry"));
        FaultProxy proxy = new FaultProxy("127.0.0.1", registry.port(), rule)) {
      CapturedLog.Run<WriteResult> push = CapturedLog.during(() -> Registry.image(proxy.host() + "/app:1")
          .cache(LayerCache.disabled()).timeout(Duration.ofMinutes(2)).write(image()));
      assertThat(push.value().digest()).isEqualTo(local.digest());
      assertThat(proxy.faults()).as("faults injected: %s", proxy.log).hasSize(1);

      // The oracle: skopeo reads the manifest from the registry itself, byte for byte the layout's.
      String raw = Tools.run(Duration.ofMinutes(1), null, null, List.of(skopeo, "inspect", "--raw",
          "--tls-verify=false", "docker://" + registry.host() + "/app:1")).assertOk().stdout();
      assertThat(sha256(raw.getBytes(StandardCharsets.UTF_8))).isEqualTo(local.digest().toString());
      Path copied = tmp.resolve(name + "-copied");
      Tools.run(Duration.ofMinutes(2), null, null, List.of(skopeo, "--insecure-policy", "copy",
          "--src-tls-verify=false", "docker://" + registry.host() + "/app:1", "oci:" + copied + ":app")).assertOk();
      assertThat(Files.readAllBytes(copied.resolve("blobs/sha256").resolve(local.layers().get(0).digest().hex())))
          .isEqualTo(Files.readAllBytes(tmp.resolve(name + "-layout/blobs/sha256")
              .resolve(local.layers().get(0).digest().hex())));
      return push.log();
    }
  }

  @Test
  void aConnectionResetInTheMiddleOfABlobUploadIsRetried() throws Exception {
    AtomicBoolean done = new AtomicBoolean();
    String log = pushThrough("reset", (n, method, path, length) ->
        method.equals("PUT") && path.startsWith(UPLOAD) && length > 200_000 && done.compareAndSet(false, true)
            ? new FaultProxy.ResetMidBody(length / 2) : FaultProxy.FORWARD);
    assertThat(log).containsPattern("INFO dev\\.scratchkit\\.registry\\.internal\\.Retries - registry 127\\.0\\.0\\.1:"
        + "\\d+/app:1: uploading blob sha256:[0-9a-f]{64} \\(\\d+ bytes\\) failed \\((SocketException|"
        + "NoHttpResponseException): [^)]*\\); retry 1 of 4 in 500 ms");
  }

  @Test
  void a503IsRetried() throws Exception {
    AtomicBoolean done = new AtomicBoolean();
    String log = pushThrough("503", (n, method, path, length) ->
        method.equals("POST") && path.startsWith(UPLOAD) && done.compareAndSet(false, true)
            ? new FaultProxy.Answer("HTTP/1.1 503 Service Unavailable", "") : FaultProxy.FORWARD);
    assertThat(log).containsPattern("INFO dev\\.scratchkit\\.registry\\.internal\\.Retries - registry 127\\.0\\.0\\.1:"
        + "\\d+/app:1: uploading blob sha256:[0-9a-f]{64} \\(\\d+ bytes\\) failed \\(HTTP 503\\); retry 1 of 4 in 500 ms");
  }

  @Test
  void a429WithRetryAfterWaitsAsAsked() throws Exception {
    AtomicBoolean done = new AtomicBoolean();
    String log = pushThrough("429", (n, method, path, length) ->
        method.equals("PUT") && path.contains("/manifests/") && done.compareAndSet(false, true)
            ? new FaultProxy.Answer("HTTP/1.1 429 Too Many Requests", "Retry-After: 1\r\n") : FaultProxy.FORWARD);
    assertThat(log).containsPattern("INFO dev\\.scratchkit\\.registry\\.internal\\.Retries - registry 127\\.0\\.0\\.1:"
        + "\\d+/app:1: pushing the manifest sha256:[0-9a-f]{64} as 1 failed \\(HTTP 429\\); retry 1 of 4 in 1 s");
  }

  @Test
  void aRegistryThatKeepsAnswering503FailsWithinTheDeadline() throws Exception {
    Tools.require("docker-registry");
    try (LocalRegistry registry = LocalRegistry.start(tmp.resolve("registry"));
        FaultProxy proxy = new FaultProxy("127.0.0.1", registry.port(), (n, method, path, length) ->
            new FaultProxy.Answer("HTTP/1.1 503 Service Unavailable", ""))) {
      Duration timeout = Duration.ofSeconds(3);
      long start = System.nanoTime();
      assertThatThrownBy(() -> Registry.image(proxy.host() + "/app:1").cache(LayerCache.disabled()).timeout(timeout)
          .write(image()))
          .isInstanceOf(RegistryException.class)
          .hasMessageStartingWith("cannot push app:1 to registry " + proxy.host() + ": it kept failing while"
              + " authenticating (StatusException: HTTP 503 Service Unavailable for GET /v2/: {\"errors\":"
              + "[{\"code\":\"UNAVAILABLE\",\"message\":\"injected by the test proxy\"}]}); 3 attempts were made and"
              + " the next attempt would be in 2 s, past the deadline of 3 s. Check the registry's health and log"
              + " (and any proxy in between), then push again, or allow more time with timeout(Duration)");
      Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
      assertThat(elapsed).isLessThanOrEqualTo(timeout.plusSeconds(2)); // staging included
      assertThat(proxy.log).hasSize(3).allMatch(l -> l.startsWith("GET /v2/ -> Answer"));
    }
  }

  private static String sha256(byte[] bytes) throws Exception {
    return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
