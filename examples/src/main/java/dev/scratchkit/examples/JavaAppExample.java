package dev.scratchkit.examples;

import dev.scratchkit.JavaApplication;
import dev.scratchkit.ScratchImage;
import dev.scratchkit.oci.LayerDescriptor;
import dev.scratchkit.oci.OciLayout;
import dev.scratchkit.oci.ProgressListener;
import dev.scratchkit.oci.WriteResult;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * A jar in, a scratch image that runs out: builds an image of an executable jar on a runtime
 * jlinked for it, writes it as an OCI layout, and prints each layer, saying which ones came
 * from the layer cache (run it twice: the second time only the application layer is
 * compressed, if even that).
 *
 * <p>After a build: {@code java -cp "$(cat examples/target/classpath.txt):examples/target/classes"
 * dev.scratchkit.examples.JavaAppExample target/app.jar target/app-image}.
 */
public final class JavaAppExample {

  private JavaAppExample() {}

  /**
   * Builds the image.
   *
   * @param args the executable jar, and optionally the layout directory (default
   *     {@code target/java-app-image})
   */
  public static void main(String[] args) {
    if (args.length < 1) {
      System.err.println("usage: JavaAppExample app.jar [layout-dir]");
      System.exit(2);
    }
    Path jar = Path.of(args[0]);
    Path layout = Path.of(args.length > 1 ? args[1] : "target/java-app-image").toAbsolutePath();

    ScratchImage image = ScratchImage.builder().javaApplication(JavaApplication.of(jar)).build();
    System.out.println("Built " + image);
    System.out.println("Entrypoint " + String.join(" ", image.config().entrypoint()));

    Set<Integer> compressed = new HashSet<>();
    WriteResult result = image.writeTo(OciLayout.at(layout).tag("latest"), new ProgressListener() {
      @Override
      public void layerProgress(int index, long done, long total) {
        compressed.add(index);
      }

      @Override
      public void layerFinished(int index, LayerDescriptor layer) {
        System.out.printf(Locale.ROOT, "  layer %d  %-70s %10.1f MB  %s%n", index + 1,
            image.layers().get(index).createdBy(), layer.size() / 1e6,
            compressed.contains(index) ? "compressed" : "from the layer cache");
      }
    });
    System.out.println("Wrote " + result.target());
    System.out.println("Digest " + result.digest());
    System.out.println("Run it (as root): umoci unpack --image " + layout + ":latest bundle && runc run --bundle bundle app");
  }
}
