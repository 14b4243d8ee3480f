package dev.scratchkit.examples;

import dev.scratchkit.ScratchImage;
import dev.scratchkit.oci.LayerDescriptor;
import dev.scratchkit.oci.OciLayout;
import dev.scratchkit.oci.ProgressListener;
import dev.scratchkit.oci.WriteResult;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The quick start: packages a dynamically linked program from this machine ({@code /usr/bin/ls}
 * unless another is given) into a scratch image with its shared libraries, writes it as an OCI
 * layout under {@code target/quickstart-image}, and prints the digest, the layers and how to run
 * it.
 *
 * <p>Run from the repository root: {@code mvn -B -q -Pquickstart -DskipTests verify}, or after a
 * build: {@code java -cp "$(cat examples/target/classpath.txt):examples/target/classes"
 * dev.scratchkit.examples.QuickStart /usr/bin/ls target/ls-image}.
 */
public final class QuickStart {

  private QuickStart() {}

  /**
   * Builds the image.
   *
   * @param args optional: the program to package (default {@code /usr/bin/ls}) and the layout
   *     directory (default {@code target/quickstart-image})
   */
  public static void main(String[] args) {
    Path program = Path.of(args.length > 0 ? args[0] : "/usr/bin/ls");
    Path layout = Path.of(args.length > 1 ? args[1] : "target/quickstart-image").toAbsolutePath();

    ScratchImage image = ScratchImage.builder()
        .entrypoint(program)
        .args("-l", "-a", "/", "/etc", "/etc/ssl/certs", "/tmp")
        .bundleSharedLibraries()
        .label("org.opencontainers.image.title", "scratchkit quick start: " + program.getFileName())
        .build();
    System.out.println("Built " + image);

    WriteResult result = image.writeTo(OciLayout.at(layout).tag("latest"), new ProgressListener() {
      @Override
      public void layerFinished(int index, LayerDescriptor layer) {
        System.out.printf(Locale.ROOT, "  layer %d  %-60s %10s  %s%n", index + 1,
            image.layers().get(index).createdBy(), size(layer.size()), layer.digest());
      }
    });
    System.out.println("Wrote " + result.target());
    System.out.println("Digest " + result.digest());
    System.out.println();
    System.out.println("Run it with runc (as root; a fresh bundle, no terminal):");
    for (String line : runcCommands(layout)) {
      System.out.println("  " + line);
    }
    System.out.println("or with podman:");
    System.out.println("  " + podmanCommand(layout));
    System.out.println("or in a Docker engine:");
    for (String line : dockerCommands(layout)) {
      System.out.println("  " + line);
    }
  }

  /** The runc commands printed for a layout: each a line for {@code sh}, as printed. */
  static java.util.List<String> runcCommands(Path layout) {
    return java.util.List.of(
        "bundle=$(mktemp -d)/bundle",
        "umoci unpack --image " + layout + ":latest \"$bundle\"",
        "jq '.process.terminal = false' \"$bundle/config.json\" > \"$bundle/config.tmp\" && mv \"$bundle/config.tmp\""
            + " \"$bundle/config.json\"",
        "runc run --bundle \"$bundle\" quickstart-$$ && rm -rf \"$bundle\"");
  }

  /** The podman command printed for a layout; the ulimits fit machines with low hard limits. */
  static String podmanCommand(Path layout) {
    return "podman run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 oci:" + layout
        + ":latest";
  }

  /** The Docker commands printed for a layout. */
  static java.util.List<String> dockerCommands(Path layout) {
    return java.util.List.of(
        "skopeo copy --dest-daemon-host \"${DOCKER_HOST:-unix:///var/run/docker.sock}\" oci:" + layout
            + ":latest docker-daemon:scratchkit-quickstart:latest",
        "docker run --rm --network none scratchkit-quickstart:latest");
  }

  private static String size(long bytes) {
    return bytes < 10_000 ? bytes + " B" : bytes < 10_000_000 ? (bytes / 1024) + " KiB" : (bytes >> 20) + " MiB";
  }
}
