package dev.scratchkit.internal.java;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The runtime cache of a JVM whose layer cache is off: a temporary directory, deleted when the
 * JVM exits (the runtime's files must live until the image is written).
 */
final class TempCache {

  private static Path directory;

  private TempCache() {}

  static synchronized Path directory() {
    if (directory == null) {
      try {
        directory = Files.createTempDirectory("scratchkit-jlink-");
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create a temporary directory for the Java runtime", e);
      }
      Path dir = directory;
      Runtime.getRuntime().addShutdownHook(new Thread(() -> RuntimeLinker.deleteTree(dir), "scratchkit-jlink-cleanup"));
    }
    return directory;
  }
}
