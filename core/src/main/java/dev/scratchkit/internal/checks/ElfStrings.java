package dev.scratchkit.internal.checks;

import dev.scratchkit.elf.ElfFile;
import dev.scratchkit.elf.SectionHeader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The strings of an ELF file's read-only data ({@code .rodata*}) that can name a file or a
 * program: those starting with {@code /} and short bare words, in file order. Where a compiled-in
 * path or a helper's name is the only sign of a run-time need, this is where it is.
 *
 * <p>Bounded and deterministic: at most {@value #MAX_BYTES} bytes of read-only data are read
 * per file (a program's own strings fit in far less; libraries with megabytes of tables, such as
 * ICU's data, hold no paths worth the time), strings longer than {@value #MAX_LENGTH} bytes or
 * with bytes outside printable ASCII are skipped, and at most {@value #MAX_STRINGS} are kept.
 */
public final class ElfStrings {

  /** Read-only data read per file. */
  static final int MAX_BYTES = 16 << 20;
  /** Longest string kept: {@code PATH_MAX}-sized paths are longer, real data paths far shorter. */
  static final int MAX_LENGTH = 512;
  /** Strings kept per file; a program names tens of paths, not thousands. */
  static final int MAX_STRINGS = 4096;
  /** Bare words kept: program names are short. */
  static final int MAX_WORD = 32;

  private static final long SHF_WRITE = 0x1;
  private static final long SHF_ALLOC = 0x2;
  private static final long SHF_EXECINSTR = 0x4;

  private ElfStrings() {}

  /**
   * Reads the strings.
   *
   * @param file the ELF file on this machine
   * @param elf the same file, read
   * @return the paths and short words, in file order, each once
   */
  static List<String> of(Path file, ElfFile elf) {
    return read(file, elf, false);
  }

  /**
   * Reads the strings, and of each that has spaces its last word too: a linker merges a short
   * string into the tail of a longer one ({@code "coreutils"}, gettext's domain, into
   * {@code "GNU coreutils"}), so a name looked up whole is found there.
   *
   * @param file the ELF file on this machine
   * @param elf the same file, read
   * @return the paths, short words and last words, in file order, each once
   */
  public static List<String> withLastWords(Path file, ElfFile elf) {
    return read(file, elf, true);
  }

  private static List<String> read(Path file, ElfFile elf, boolean lastWords) {
    Set<String> out = new LinkedHashSet<>();
    long budget = MAX_BYTES;
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = channel.size();
      for (SectionHeader s : elf.sectionHeaders()) {
        if (s.type() != SectionHeader.SHT_PROGBITS || (s.flags() & SHF_ALLOC) == 0
            || (s.flags() & (SHF_WRITE | SHF_EXECINSTR)) != 0 || !s.name().startsWith(".rodata")) {
          continue;
        }
        long length = Math.min(s.size(), budget);
        if (s.offset() < 0 || length <= 0 || s.offset() > size || s.offset() + length > size) {
          continue;
        }
        budget -= length;
        scan(channel, s.offset(), length, out, lastWords);
        if (out.size() >= MAX_STRINGS || budget <= 0) {
          break;
        }
      }
    } catch (IOException | RuntimeException e) {
      return List.copyOf(out); // what was read; a malformed table hides nothing a loader would use
    }
    return List.copyOf(out);
  }

  private static void scan(FileChannel channel, long offset, long length, Set<String> out, boolean lastWords)
      throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(length, 1 << 20));
    byte[] current = new byte[MAX_LENGTH];
    int n = 0;
    boolean ok = true;
    long position = 0;
    while (position < length && out.size() < MAX_STRINGS) {
      buffer.clear().limit((int) Math.min(buffer.capacity(), length - position));
      int read = channel.read(buffer, offset + position);
      if (read <= 0) {
        break;
      }
      position += read;
      byte[] b = buffer.array();
      for (int i = 0; i < read; i++) {
        byte c = b[i];
        if (c == 0) {
          if (ok && n > 1) {
            String string = new String(current, 0, n, java.nio.charset.StandardCharsets.US_ASCII);
            keep(string, out);
            int space = string.lastIndexOf(' ');
            if (lastWords && space >= 0 && space + 2 < string.length()) {
              keep(string.substring(space + 1), out);
            }
          }
          n = 0;
          ok = true;
        } else if (c < 0x20 || c > 0x7e || n >= MAX_LENGTH) {
          ok = false;
        } else if (ok) {
          current[n++] = c;
        }
      }
    }
  }

  private static void keep(String s, Set<String> out) {
    if (out.size() >= MAX_STRINGS) {
      return;
    }
    if (s.charAt(0) == '/' || s.length() <= MAX_WORD && s.chars().allMatch(c -> Character.isLetterOrDigit(c)
        || c == '-' || c == '_' || c == '.' || c == '+')) {
      out.add(s);
    }
  }

  /**
   * {@return true if {@code name} is among the strings, whole or as the tail of a longer one:
   * linkers merge a string into the tail of another ({@code "gzip"} inside {@code "ungzip"})}
   *
   * @param strings from {@link #of}
   * @param name e.g. {@code gzip}
   */
  static boolean names(List<String> strings, String name) {
    for (String s : strings) {
      if (s.equals(name) || name.length() >= 4 && s.endsWith(name)) {
        return true;
      }
    }
    return false;
  }

  /** {@return the absolute paths among the strings, a colon-separated list split into its paths} */
  static List<String> paths(List<String> strings) {
    List<String> out = new ArrayList<>();
    for (String s : strings) {
      if (s.charAt(0) != '/') {
        continue;
      }
      for (String part : s.split(":")) {
        if (part.startsWith("/") && !out.contains(part)) {
          out.add(part);
        }
      }
    }
    return out;
  }
}
