package dev.scratchkit.internal.compress;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/** Inputs for compression tests and benchmarks. */
public final class TestData {

  private TestData() {}

  /**
   * {@code size} bytes of real machine code: the ELF files of the JDK and of /usr/bin and
   * /usr/lib/x86_64-linux-gnu, in sorted order, concatenated (and repeated) to length.
   */
  public static byte[] machineCode(int size) {
    byte[] out = new byte[size];
    int filled = 0;
    List<Path> files = elfFiles();
    if (files.isEmpty()) {
      throw new IllegalStateException("no ELF files found in the JDK, /usr/bin or /usr/lib/x86_64-linux-gnu");
    }
    while (filled < size) {
      for (Path file : files) {
        try (InputStream in = Files.newInputStream(file)) {
          int n;
          while (filled < size && (n = in.read(out, filled, size - filled)) > 0) {
            filled += n;
          }
        } catch (IOException e) {
          continue; // unreadable file: skip it
        }
        if (filled == size) {
          break;
        }
      }
    }
    return out;
  }

  /** The ELF files used by {@link #machineCode(int)}, in a fixed order. */
  public static List<Path> elfFiles() {
    List<Path> result = new ArrayList<>();
    for (Path dir : List.of(Path.of(System.getProperty("java.home"), "lib"), Path.of("/usr/bin"),
        Path.of("/usr/lib/x86_64-linux-gnu"))) {
      if (!Files.isDirectory(dir)) {
        continue;
      }
      try (Stream<Path> list = Files.list(dir)) {
        list.filter(p -> Files.isRegularFile(p) && isElf(p)).sorted().forEach(result::add);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return result;
  }

  private static boolean isElf(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      byte[] magic = in.readNBytes(4);
      return magic.length == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
    } catch (IOException e) {
      return false;
    }
  }

  /** Incompressible bytes from a seeded generator. */
  public static byte[] random(int size, long seed) {
    byte[] out = new byte[size];
    new Random(seed).nextBytes(out);
    return out;
  }

  /** Highly compressible text: numbered lines. */
  public static byte[] text(int size) {
    byte[] out = new byte[size];
    int filled = 0;
    for (int i = 0; filled < size; i++) {
      byte[] line = ("line " + i + ": the quick brown fox jumps over the lazy dog\n")
          .getBytes(StandardCharsets.US_ASCII);
      int n = Math.min(line.length, size - filled);
      System.arraycopy(line, 0, out, filled, n);
      filled += n;
    }
    return out;
  }
}
