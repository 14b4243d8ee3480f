package dev.scratchkit.internal.checks;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Paths a library has compiled in, read from its bytes as {@code strings} would: glibc's gconv
 * directory, OpenSSL's {@code OPENSSLDIR} and {@code MODULESDIR}. Reads at most
 * {@link #MAX_BYTES}, one bounded buffer at a time; strings longer than {@link #MAX_STRING} are skipped.
 */
public final class CompiledInPaths {

  static final long MAX_BYTES = 256L << 20;
  static final int MAX_STRING = 4096;

  private CompiledInPaths() {}

  /**
   * {@return the first NUL-terminated printable string of the file that the test accepts}
   *
   * @param file a library on disk
   * @param test e.g. {@code s -> s.endsWith("/gconv")}
   */
  public static Optional<String> first(Path file, Predicate<String> test) {
    byte[] buf = new byte[1 << 16];
    byte[] current = new byte[MAX_STRING];
    int length = 0;
    boolean overlong = false;
    long read = 0;
    try (InputStream in = Files.newInputStream(file)) {
      int n;
      while (read < MAX_BYTES && (n = in.read(buf)) > 0) {
        read += n;
        for (int i = 0; i < n; i++) {
          byte b = buf[i];
          if (b == 0) {
            if (length >= 4 && !overlong) {
              String s = new String(current, 0, length, StandardCharsets.US_ASCII);
              if (test.test(s)) {
                return Optional.of(s);
              }
            }
            length = 0;
            overlong = false;
          } else if (b >= 0x20 && b < 0x7f) {
            if (length < MAX_STRING) {
              current[length++] = b;
            } else {
              overlong = true;
            }
          } else {
            length = 0;
            overlong = false;
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Optional.empty();
  }

  /**
   * {@return glibc's gconv directory, e.g. /usr/lib/x86_64-linux-gnu/gconv}
   *
   * @param libc glibc's libc.so.6
   */
  public static Optional<String> gconvDirectory(Path libc) {
    return first(libc, s -> s.startsWith("/") && s.endsWith("/gconv") && !s.contains(" "));
  }

  /**
   * {@return the directory named by an OpenSSL "NAME: \"dir\"" line, e.g. MODULESDIR}
   *
   * @param libcrypto OpenSSL 3's libcrypto.so.3
   * @param name OPENSSLDIR or MODULESDIR
   */
  public static Optional<String> openSslDirectory(Path libcrypto, String name) {
    String prefix = name + ": \"";
    return first(libcrypto, s -> s.startsWith(prefix) && s.endsWith("\"") && s.length() > prefix.length() + 1)
        .map(s -> s.substring(prefix.length(), s.length() - 1));
  }
}
