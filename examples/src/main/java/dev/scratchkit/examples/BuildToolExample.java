package dev.scratchkit.examples;

import dev.scratchkit.ScratchImage;
import dev.scratchkit.ScratchImageException;
import dev.scratchkit.oci.Digest;
import dev.scratchkit.oci.LayerDescriptor;
import dev.scratchkit.oci.OciLayout;
import dev.scratchkit.oci.ProgressListener;
import dev.scratchkit.oci.WriteResult;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Optional;

/**
 * How a build tool (a Maven or Gradle plugin, a CI step) embeds scratchkit: the tool's own
 * settings go into the builder, progress events go to the tool's console instead of being
 * parsed from logs, and a refusal becomes one build error per problem, each with its fix.
 *
 * <p>A Maven mojo would call {@link #execute} from its {@code execute()} method with its
 * parameters and throw {@code MojoFailureException} when it returns empty.
 */
public final class BuildToolExample {

  /** The settings a build tool collects from its users, e.g. a mojo's parameters. */
  public record Settings(Path binary, Path outputDirectory, String tag, boolean bundleSharedLibraries) {}

  private final PrintStream console;

  /**
   * A build step writing to the given console.
   *
   * @param console where the build tool shows progress and errors
   */
  public BuildToolExample(PrintStream console) {
    this.console = console;
  }

  /**
   * Builds and writes the image.
   *
   * @param settings the build tool's settings
   * @return the digest, or empty when the image was refused (the problems were reported)
   */
  public Optional<Digest> execute(Settings settings) {
    ScratchImage.Builder builder = ScratchImage.builder()
        .entrypoint(settings.binary())
        .creationTime(java.time.Instant.EPOCH); // a build tool would pass SOURCE_DATE_EPOCH or the commit time
    if (settings.bundleSharedLibraries()) {
      builder.bundleSharedLibraries();
    }
    ScratchImage image;
    try {
      image = builder.build();
    } catch (ScratchImageException e) {
      for (ScratchImageException.Problem problem : e.problems()) {
        console.println("[ERROR] " + problem.description().replace("\n", "\n[ERROR]   "));
      }
      return Optional.empty();
    }
    image.warnings().forEach(w -> console.println("[WARNING] " + w));
    WriteResult result = image.writeTo(OciLayout.at(settings.outputDirectory()).tag(settings.tag()),
        new ProgressListener() {
          private int quartersShown;

          @Override
          public void layerStarted(int index, int entryCount) {
            quartersShown = 0;
          }

          @Override
          public void layerProgress(int index, long done, long total) {
            // A console shows a line per quarter of a big layer; an IDE would move a progress bar.
            int quarters = (int) (4 * done / total);
            if (done < total && quarters > quartersShown) {
              quartersShown = quarters;
              console.println("[INFO] layer " + (index + 1) + "/" + image.layers().size() + ": " + 25 * quarters
                  + "% of " + total / (1 << 20) + " MiB");
            }
          }

          @Override
          public void layerFinished(int index, LayerDescriptor layer) {
            console.println("[INFO] layer " + (index + 1) + "/" + image.layers().size() + " " + layer.digest()
                + " (" + layer.size() + " bytes)");
          }

          @Override
          public void targetWritten(Digest digest, String where) {
            console.println("[INFO] wrote " + where + " " + digest);
          }
        });
    return Optional.of(result.digest());
  }

  /**
   * Command-line entry, as a CI step would use it.
   *
   * @param args binary, output directory, tag, and optionally {@code --bundle}
   */
  public static void main(String[] args) {
    if (args.length < 3) {
      System.err.println("usage: BuildToolExample BINARY OUTPUT_DIR TAG [--bundle]");
      System.exit(2);
    }
    Settings settings = new Settings(Path.of(args[0]), Path.of(args[1]), args[2],
        args.length > 3 && args[3].equals("--bundle"));
    System.exit(new BuildToolExample(System.out).execute(settings).isPresent() ? 0 : 1);
  }
}
