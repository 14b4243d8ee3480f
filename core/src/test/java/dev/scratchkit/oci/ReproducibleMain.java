package dev.scratchkit.oci;

import dev.scratchkit.FileContent;
import dev.scratchkit.ScratchImage;
import java.nio.file.Path;
import java.time.Instant;

/**
 * A child process of {@code ReproducibilityTest}: builds the test's image and writes it to an OCI
 * layout, then to an OCI archive, through the given layer cache; prints {@code layout DIGEST} and
 * {@code archive DIGEST}. Run with {@code -XX:ActiveProcessorCount=N} to choose the number of
 * compression threads.
 *
 * <p>Usage: {@code ReproducibleMain BINARY DATA_FILE SITE_DIR LAYOUT ARCHIVE CACHE_DIR|off}.
 */
public final class ReproducibleMain {
  private ReproducibleMain() {}

  /** The image: a named layer of a large host file, a directory, in-memory files and a link, the program last. */
  public static ScratchImage image(Path binary, Path data, Path site) {
    return ScratchImage.builder().creationTime(Instant.parse("2024-05-01T12:00:00Z"))
        .layer("data").addFile(data, "/srv/data.bin")
        .layer("site").addDirectory(site, "/srv/www")
        .layer("config").addFile("/etc/app.conf", FileContent.utf8("port=8080\n"))
        .addSymlink("/usr/bin/hello", "/app/hello")
        .layer("app").entrypoint(binary)
        .build();
  }

  public static void main(String[] args) {
    LayerCache cache = args[5].equals("off") ? LayerCache.disabled() : LayerCache.at(Path.of(args[5]));
    ScratchImage image = image(Path.of(args[0]), Path.of(args[1]), Path.of(args[2]));
    System.out.println("threads " + Runtime.getRuntime().availableProcessors());
    System.out.println("layout " + image.writeTo(OciLayout.at(Path.of(args[3])).cache(cache)).digest());
    System.out.println("archive " + image.writeTo(OciArchive.at(Path.of(args[4])).cache(cache)).digest());
    System.out.flush();
  }
}
