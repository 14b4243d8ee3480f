package dev.scratchkit.oci;

import dev.scratchkit.elf.Platform;
import dev.scratchkit.testkit.Tools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** The image the OCI tests write: Debian's static busybox plus a few files of every kind. */
final class TestImages {

  static final Instant CREATED = Instant.parse("2024-01-02T03:04:05Z");

  private TestImages() {}

  /** {@code /bin/busybox}, skipping (failing in strict mode) when busybox-static is missing. */
  static Path busybox() {
    return Tools.require("busybox");
  }

  static ImageSpec busyboxImage(Path busybox) {
    LayerSpec base = LayerSpec.of("scratchkit: base files",
        LayerEntry.bytes(ImagePath.of("/etc/passwd"),
            "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
                .getBytes(StandardCharsets.UTF_8), 0644),
        LayerEntry.bytes(ImagePath.of("/etc/group"), "root:x:0:\nnonroot:x:65532:\n".getBytes(StandardCharsets.UTF_8), 0644),
        LayerEntry.directory(ImagePath.of("/tmp"), 01777),
        LayerEntry.directory(ImagePath.of("/home/nonroot"), 0700).withOwner(65532, 65532));
    LayerSpec app = LayerSpec.of("scratchkit: app",
        LayerEntry.file(ImagePath.of("/bin/busybox"), busybox, 0755),
        LayerEntry.symlink(ImagePath.of("/bin/sh"), "busybox"),
        LayerEntry.hardLink(ImagePath.of("/bin/echo"), ImagePath.of("/bin/busybox")),
        LayerEntry.bytes(ImagePath.of("/srv/data/hello.txt"), "hello file\n".getBytes(StandardCharsets.UTF_8), 0640)
            .withOwner(65532, 65532));
    ContainerConfig config = ContainerConfig.empty()
        .withEntrypoint(List.of("/bin/busybox", "echo", "hello"))
        .withEnv(List.of("PATH=/bin"))
        .withUser("0:0")
        .withWorkingDir("/")
        .withExposedPorts(List.of("8080/tcp"))
        .withLabels(Map.of("org.opencontainers.image.title", "busybox test", "a.first", "1"));
    return ImageSpec.of(Platform.LINUX_AMD64, CREATED, config, List.of(base, app))
        .withAnnotations(Map.of("org.opencontainers.image.created", CREATED.toString()));
  }
}
