package dev.scratchkit.oci;

import dev.scratchkit.DirectoryOptions;
import dev.scratchkit.ScratchImage;
import java.nio.file.Path;

/** Prints each entry of a tree added with kept times, as "path time": run with and without SOURCE_DATE_EPOCH. */
public final class KeptTimesMain {
  private KeptTimesMain() {}

  public static void main(String[] args) {
    ScratchImage image = ScratchImage.builder().entrypoint(Path.of("/bin/busybox"), "/bin/busybox")
        .addDirectory(Path.of(args[0]), "/opt/t", DirectoryOptions.defaults().keepModificationTimes()).build();
    System.out.println("created " + image.created());
    for (LayerSpec layer : image.layers()) {
      for (LayerEntry e : layer.entries()) {
        if (e.path().path().startsWith("/opt/t")) {
          System.out.println(e.path() + " " + e.modified().map(Object::toString).orElse("-"));
        }
      }
    }
  }
}
