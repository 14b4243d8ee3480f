package dev.scratchkit;

import dev.scratchkit.elf.Platform;
import dev.scratchkit.oci.ImageSpec;
import dev.scratchkit.oci.ImageTarget;
import dev.scratchkit.oci.ProgressListener;
import dev.scratchkit.oci.WriteResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * A multi-platform image: one {@link ScratchImage} per platform under one OCI image index, so
 * that {@code linux/amd64} and {@code linux/arm64} machines each pull their own.
 *
 * <pre>{@code
 * ImageIndex.of(amd64Image, arm64Image).writeTo(OciLayout.at(dir).tag("latest"));
 * }</pre>
 */
public final class ImageIndex {

  private final List<ScratchImage> images;

  private ImageIndex(List<ScratchImage> images) {
    this.images = List.copyOf(images);
  }

  /**
   * An index of the given images, in the given order.
   *
   * @param images at least one image; each platform at most once
   * @return the index
   * @throws ScratchImageException if there is no image or two images share a platform
   */
  public static ImageIndex of(ScratchImage... images) {
    List<ScratchImage> list = List.of(images);
    if (list.isEmpty()) {
      throw new ScratchImageException(List.of(new ScratchImageException.Problem("index",
          "An image index needs at least one image; pass one ScratchImage per platform.")));
    }
    Map<Platform, List<ScratchImage>> byPlatform = new LinkedHashMap<>();
    for (ScratchImage image : list) {
      byPlatform.computeIfAbsent(image.platform(), p -> new ArrayList<>()).add(image);
    }
    List<ScratchImageException.Problem> problems = new ArrayList<>();
    byPlatform.forEach((platform, same) -> {
      if (same.size() > 1) {
        problems.add(new ScratchImageException.Problem("index", "The index has " + same.size() + " images for "
            + platform + " (" + same.stream().map(i -> i.config().entrypoint().toString())
                .collect(Collectors.joining(", ")) + "); a client could not choose between them."
            + " Give one image per platform."));
      }
    });
    if (!problems.isEmpty()) {
      throw new ScratchImageException(problems);
    }
    return new ImageIndex(list);
  }

  /** {@return the images, one per platform} */
  public List<ScratchImage> images() {
    return images;
  }

  /** {@return the platforms, in order} */
  public List<Platform> platforms() {
    return images.stream().map(ScratchImage::platform).toList();
  }

  /**
   * Writes every image and the index to a target that can hold an index (an OCI layout, an OCI
   * archive or a registry).
   *
   * @param target where the index goes
   * @return the index digest; {@link WriteResult#manifests()} holds each image's result
   */
  public WriteResult writeTo(ImageTarget target) {
    return writeTo(target, ProgressListener.NONE);
  }

  /**
   * Writes every image and the index, reporting progress.
   *
   * @param target where the index goes
   * @param listener receives layer and target events
   * @return the index digest
   */
  public WriteResult writeTo(ImageTarget target, ProgressListener listener) {
    Objects.requireNonNull(target, "target");
    List<ImageSpec> specs = images.stream().map(ScratchImage::spec).toList();
    return target.writeIndex(specs, Objects.requireNonNull(listener, "listener"));
  }

  /** E.g. {@code ImageIndex[linux/amd64, linux/arm64]}. */
  @Override
  public String toString() {
    return "ImageIndex" + platforms();
  }
}
