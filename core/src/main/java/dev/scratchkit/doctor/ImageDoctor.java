package dev.scratchkit.doctor;

import dev.scratchkit.internal.checks.Rule;
import dev.scratchkit.internal.checks.Rules;
import dev.scratchkit.internal.view.ImageView;
import dev.scratchkit.internal.view.ImageViews;
import dev.scratchkit.oci.OciException;
import dev.scratchkit.oci.OciImages;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Tells why an image would not run, whoever built it: reads the image's own files and config as
 * the runtime will see them (layers merged, whiteouts applied, links followed inside the image)
 * and runs the same rules {@link dev.scratchkit.ScratchImage.Builder#build()} runs on its
 * candidate image.
 *
 * <pre>{@code
 * Diagnosis d = ImageDoctor.examine(Path.of("app.tar"));   // docker save, an OCI layout or archive
 * System.out.println(d);
 * }</pre>
 *
 * <p>An image in a registry is examined once pulled into a layout with
 * {@code dev.scratchkit.registry.Registry.pullTo(Path)} (module {@code scratchkit-registry}), which returns the layout's directory (and
 * verifies every manifest and blob against its digest on the way); the findings are those of the
 * same image in any other form:
 *
 * <pre>{@code
 * Diagnosis d = ImageDoctor.examine(Registry.image("registry.example.com/team/app:1").pullTo(dir));
 * }</pre>
 *
 * <p>What is read is bounded: every entry's metadata, small files and each file's first bytes;
 * larger files (the program, its libraries) are streamed again from their layer when a rule
 * needs them, into temporary files deleted before {@code examine} returns.
 */
public final class ImageDoctor {

  private ImageDoctor() {}

  /**
   * Examines the single image of a {@code docker save} tar, an OCI layout or an OCI archive.
   *
   * @param layoutOrArchive a layout directory or an archive file
   * @return the findings
   * @throws OciException if it cannot be read, or holds several images (pick one with
   *     {@link #examine(OciImages.Image)})
   */
  public static Diagnosis examine(Path layoutOrArchive) {
    OciImages images = OciImages.read(layoutOrArchive);
    List<OciImages.Image> all = images.images();
    if (all.size() != 1) {
      throw new OciException(images.source() + " holds " + all.size() + " images ("
          + all.stream().map(OciImages.Image::toString).collect(Collectors.joining("; ")) + "); pick one:"
          + " ImageDoctor.examine(OciImages.read(path).image(tag))");
    }
    return examine(all.get(0));
  }

  /**
   * Examines one image read with {@link OciImages}; its layers are read from where it was read.
   *
   * @param image an image read with {@link OciImages}, e.g. {@code OciImages.read(path).image("app:1")}
   * @return the findings
   * @throws OciException if a layer cannot be read or does not match its digest
   * @throws IllegalArgumentException if the image was not read with {@link OciImages}
   */
  public static Diagnosis examine(OciImages.Image image) {
    Objects.requireNonNull(image, "image");
    if (image.source() == null) {
      throw new IllegalArgumentException("the image " + image + " was not read with OciImages, so its layers cannot"
          + " be read; pass OciImages.read(path).image(tag)");
    }
    try (ImageView view = ImageViews.of(image.source(), image)) {
      return diagnose(view);
    }
  }

  static Diagnosis diagnose(ImageView view) {
    List<Finding> findings = Rules.check(view);
    return new Diagnosis(view.name(), view.platform(), Rules.all().stream().map(Rule::name).toList(), findings);
  }
}
