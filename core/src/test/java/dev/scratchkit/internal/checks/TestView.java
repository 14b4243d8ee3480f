package dev.scratchkit.internal.checks;

import dev.scratchkit.doctor.Finding;
import dev.scratchkit.elf.Platform;
import dev.scratchkit.internal.view.ImageView;
import dev.scratchkit.oci.ContainerConfig;
import dev.scratchkit.oci.LayerEntry;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A small image held in memory, for rule tests: layers of files, directories and links, and a
 * config. {@link #good()} is the image every rule passes: a static amd64 program at /app with
 * scratchkit's base files and a CA bundle.
 */
final class TestView {

  static final String PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

  private record Entry(String path, LayerEntry.Type type, int mode, String link, byte[] content) {}

  private final List<List<Entry>> layers = new ArrayList<>();
  private ContainerConfig config = ContainerConfig.empty();
  private List<String> env = new ArrayList<>();
  private Platform platform = Platform.LINUX_AMD64;
  private boolean scratchkit;

  static TestView empty() {
    TestView v = new TestView();
    v.layers.add(new ArrayList<>());
    return v;
  }

  /** The base files, a CA bundle and a static program at /app; user 65532:65532. */
  static TestView good() {
    return empty()
        .dir("/etc", 0755).text("/etc/passwd", "root:x:0:0:root:/root:/sbin/nologin\n"
            + "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")
        .text("/etc/group", "root:x:0:\nnonroot:x:65532:\n").dir("/tmp", 01777).dir("/home/nonroot", 0700)
        .layer().text("/etc/ssl/certs/ca-certificates.crt", PEM)
        .layer().file("/app", TinyElf.program().build(), 0755)
        .entrypoint("/app").user("65532:65532")
        .env("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt");
  }

  TestView layer() {
    layers.add(new ArrayList<>());
    return this;
  }

  TestView file(String path, byte[] content, int mode) {
    layers.get(layers.size() - 1).add(new Entry(path, LayerEntry.Type.FILE, mode, null, content));
    return this;
  }

  TestView text(String path, String content) {
    return file(path, content.getBytes(StandardCharsets.UTF_8), 0644);
  }

  TestView dir(String path, int mode) {
    layers.get(layers.size() - 1).add(new Entry(path, LayerEntry.Type.DIRECTORY, mode, null, null));
    return this;
  }

  TestView symlink(String path, String target) {
    layers.get(layers.size() - 1).add(new Entry(path, LayerEntry.Type.SYMLINK, 0777, target, null));
    return this;
  }

  TestView hardLink(String path, String target) {
    layers.get(layers.size() - 1).add(new Entry(path, LayerEntry.Type.HARD_LINK, 0, target, null));
    return this;
  }

  /** An OCI whiteout of {@code path} in the current layer. */
  TestView whiteout(String path) {
    String parent = ImageView.parent(path);
    String name = path.substring(path.lastIndexOf('/') + 1);
    return file((parent.equals("/") ? "" : parent) + "/.wh." + name, new byte[0], 0644);
  }

  TestView opaque(String dir) {
    return file(dir + "/.wh..wh..opq", new byte[0], 0644);
  }

  TestView entrypoint(String... argv) {
    config = config.withEntrypoint(List.of(argv));
    return this;
  }

  TestView cmd(String... argv) {
    config = config.withCmd(List.of(argv));
    return this;
  }

  TestView user(String user) {
    config = config.withUser(user);
    return this;
  }

  TestView workingDir(String dir) {
    config = config.withWorkingDir(dir);
    return this;
  }

  /** Sets the whole Env, malformed entries allowed. */
  TestView env(String... entries) {
    env = new ArrayList<>(List.of(entries));
    return this;
  }

  TestView addEnv(String entry) {
    env.add(entry);
    return this;
  }

  TestView platform(Platform p) {
    platform = p;
    return this;
  }

  /** Fixes name builder calls, as for scratchkit's candidate image. */
  TestView builtByScratchkit() {
    scratchkit = true;
    return this;
  }

  ImageView build() {
    ImageView.Builder b = new ImageView.Builder("test image", scratchkit, platform, config, env);
    for (int i = 0; i < layers.size(); i++) {
      b.layer("layer " + (i + 1));
      for (Entry e : layers.get(i)) {
        byte[] bytes = e.content();
        b.add(e.path(), e.type(), e.mode(), 0, 0, bytes == null ? 0 : bytes.length, e.link(),
            bytes == null ? null : () -> new ByteArrayInputStream(bytes), null);
      }
    }
    return b.build();
  }

  List<Finding> findings() {
    try (ImageView view = build()) {
      return Rules.check(view);
    }
  }
}
