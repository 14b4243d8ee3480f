package dev.scratchkit;

import dev.scratchkit.oci.LayerCache;
import dev.scratchkit.oci.OciLayout;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * Builds an image of a tree with non-ASCII names in a JVM of its own, so the test can run it
 * under {@code LANG=C} and {@code LANG=C.UTF-8}: args are the directory holding the entrypoint
 * (its only file, found by listing so its name never passes through a string), the tree, and
 * the layout to write. Prints the JVM's file name encoding and the manifest digest.
 */
public final class FileNamesMain {
  private FileNamesMain() {}

  public static void main(String[] args) throws Exception {
    Path binary;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(Path.of(args[0]))) {
      binary = files.iterator().next();
    }
    ScratchImage image = ScratchImage.builder().entrypoint(binary).addDirectory(Path.of(args[1]), "/srv")
        .creationTime(Instant.EPOCH).build();
    String digest = image.writeTo(OciLayout.at(Path.of(args[2])).tag("latest").cache(LayerCache.disabled()))
        .digest().toString();
    // ASCII only: System.out itself follows the locale
    System.out.println("jnu=" + System.getProperty("sun.jnu.encoding") + " entrypoint="
        + ascii(image.config().entrypoint().toString()) + " digest=" + digest);
  }

  private static String ascii(String s) {
    StringBuilder b = new StringBuilder();
    s.chars().forEach(c -> b.append(c < 0x80 ? String.valueOf((char) c) : String.format("\\u%04x", c)));
    return b.toString();
  }
}
