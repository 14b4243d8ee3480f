package dev.scratchkit.oci.hostile;

import dev.scratchkit.oci.OciException;
import dev.scratchkit.oci.OciImages;

/** Lists every layer of an image; prints {@code OciException: message} on failure. For child JVMs. */
public final class ListLayersMain {
  private ListLayersMain() {}

  public static void main(String[] args) {
    try {
      OciImages images = OciImages.read(java.nio.file.Path.of(args[0]));
      for (OciImages.Image image : images.images()) {
        for (OciImages.Layer layer : image.layers()) {
          System.out.println(layer.digest() + " " + images.entries(layer).size());
        }
      }
    } catch (OciException e) {
      System.out.println("OciException: " + e.getMessage());
    }
  }
}
