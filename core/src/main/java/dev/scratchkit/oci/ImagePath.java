package dev.scratchkit.oci;

import java.util.Objects;
import java.util.Optional;

/**
 * An absolute, normalised Unix path inside an image, such as {@code /etc/passwd}.
 *
 * <p>Paths compare by their UTF-8 bytes, the order {@code tar --sort=name} uses, so a
 * directory always sorts before everything inside it.
 *
 * <p>Each name is at most {@value #MAX_NAME_BYTES} bytes in UTF-8 and the whole path at most
 * {@value #MAX_PATH_BYTES}: what Linux file systems hold, so every runtime can unpack the image
 * ({@code umoci unpack} and Docker fail on a longer name).
 *
 * @param path the path, starting with {@code /}, without {@code .}, {@code ..}, empty segments
 *     or a trailing slash (except the root {@code /} itself)
 */
public record ImagePath(String path) implements Comparable<ImagePath> {

  /** The root directory {@code /}. */
  public static final ImagePath ROOT = new ImagePath("/");

  /** The longest name (path segment), in UTF-8 bytes: Linux's {@code NAME_MAX}. */
  public static final int MAX_NAME_BYTES = 255;

  /** The longest path, in UTF-8 bytes: Linux's {@code PATH_MAX} less the terminating NUL. */
  public static final int MAX_PATH_BYTES = 4095;

  /**
   * Validates the path.
   *
   * @param path the path, starting with {@code /}, without {@code .}, {@code ..}, empty segments
   *     or a trailing slash (except the root {@code /} itself)
   * @throws OciException if the path is relative, contains {@code .}, {@code ..}, an empty
   *     segment, a NUL character or an unpaired surrogate, or is too long
   */
  public ImagePath {
    Objects.requireNonNull(path, "path");
    String problem = problem(path);
    if (problem != null) {
      throw new OciException("invalid path in image \"" + printable(path) + "\": " + problem);
    }
  }

  /**
   * Parses a path in the image; one trailing slash is accepted and dropped ({@code /etc/}
   * is {@code /etc}).
   *
   * @param path an absolute Unix path such as {@code /etc/passwd}
   * @return the path
   * @throws OciException naming the path and the fix when it is not absolute and normalised
   */
  public static ImagePath of(String path) {
    Objects.requireNonNull(path, "path");
    if (path.length() > 1 && path.endsWith("/") && !path.endsWith("//")) {
      path = path.substring(0, path.length() - 1);
    }
    return new ImagePath(path);
  }

  private static String problem(String path) {
    // The common case in one pass; every other path gets its problem named by the full check.
    return isPlainNormalised(path) ? null : namedProblem(path);
  }

  /** The full check: what is wrong with {@code path} and the fix, or null when it is valid. */
  static String namedProblem(String path) {
    if (path.isEmpty()) {
      return "it is empty; write an absolute path such as /app";
    }
    if (path.indexOf('\0') >= 0) {
      return "it contains a NUL character, which no file name can hold; remove it";
    }
    if (!path.startsWith("/")) {
      return "it is relative; write it from the image's root, e.g. \"/" + path + "\"";
    }
    if (path.equals("/")) {
      return null;
    }
    String text = textProblem(path, MAX_PATH_BYTES);
    if (text != null) {
      return text;
    }
    if (path.endsWith("/")) {
      return "it ends with a slash; write it without, e.g. \"" + path.replaceAll("/+$", "") + "\"";
    }
    for (String segment : path.substring(1).split("/", -1)) {
      if (segment.isEmpty()) {
        return "it has an empty segment (\"//\"); write it with single slashes";
      }
      if (segment.equals("..")) {
        return "it contains \"..\", which could point outside the image; write the resolved absolute path";
      }
      if (segment.equals(".")) {
        return "it contains \".\"; write the path without it";
      }
      int bytes = utf8Length(segment);
      if (bytes > MAX_NAME_BYTES) {
        return "its name \"" + segment.substring(0, 40) + "...\" is " + bytes + " bytes long in UTF-8; file"
            + " systems hold at most " + MAX_NAME_BYTES + " bytes per name, so the image could not be unpacked"
            + " (umoci unpack, Docker); shorten the name";
      }
    }
    return null;
  }

  /**
   * Whether {@code path} is certainly valid, judged in one pass without allocating: absolute, no
   * NUL, no surrogate (such paths take the full check), no empty, {@code .} or {@code ..}
   * segment, no trailing slash, names and the whole within their UTF-8 limits.
   */
  private static boolean isPlainNormalised(String path) {
    int length = path.length();
    if (length < 2 || path.charAt(0) != '/') {
      return false;
    }
    int total = 0;
    int segmentStart = 1;
    int segmentBytes = 0;
    for (int i = 1; i <= length; i++) {
      char c = i < length ? path.charAt(i) : '/';
      if (c == '/') {
        int segmentLength = i - segmentStart;
        if (segmentLength == 0 || segmentBytes > MAX_NAME_BYTES || (path.charAt(segmentStart) == '.'
            && (segmentLength == 1 || (segmentLength == 2 && path.charAt(segmentStart + 1) == '.')))) {
          return false;
        }
        segmentStart = i + 1;
        segmentBytes = 0;
        total += 1;
        continue;
      }
      if (c == 0 || Character.isSurrogate(c)) {
        return false;
      }
      int bytes = c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
      segmentBytes += bytes;
      total += bytes;
    }
    return total <= MAX_PATH_BYTES; // each name's bytes and one slash per name: the path's length in UTF-8
  }

  /**
   * What makes {@code text} unfit for a path or link text in a tar: an unpaired surrogate (no
   * UTF-8 form: it would turn into "?" and collide with other names) or more than {@code maxBytes}.
   */
  static String textProblem(String text, int maxBytes) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return "it contains an unpaired UTF-16 surrogate (\\u" + String.format("%04X", (int) c) + " at index " + i
            + "), which has no UTF-8 form; fix the string";
      }
    }
    int bytes = utf8Length(text);
    if (bytes > maxBytes) {
      return "it is " + bytes + " bytes long in UTF-8, more than the " + maxBytes + " a Linux path can hold;"
          + " shorten it";
    }
    return null;
  }

  /** UTF-8 length of a string whose surrogates are paired. */
  private static int utf8Length(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c)) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }

  private static String printable(String s) {
    String shown = s.length() > 200 ? s.substring(0, 200) + "..." : s;
    return shown.replace("\0", "\\0");
  }

  /**
   * The directory holding this path.
   *
   * @return the parent, or empty for the root
   */
  public Optional<ImagePath> parent() {
    if (isRoot()) {
      return Optional.empty();
    }
    int slash = path.lastIndexOf('/');
    return Optional.of(slash == 0 ? ROOT : new ImagePath(path.substring(0, slash)));
  }

  /**
   * A path below this one.
   *
   * @param relative one or more segments such as {@code ssl/certs}; must not start with a
   *     slash or contain {@code .} or {@code ..}
   * @return the resolved path
   * @throws OciException if the result is not a normalised absolute path
   */
  public ImagePath resolve(String relative) {
    Objects.requireNonNull(relative, "relative");
    if (relative.startsWith("/")) {
      throw new OciException("cannot resolve \"" + printable(relative) + "\" against " + path
          + ": it is absolute; pass a relative path such as \"" + relative.replaceAll("^/+", "") + "\"");
    }
    return of(isRoot() ? "/" + relative : path + "/" + relative);
  }

  /** {@return whether this is the root directory {@code /}} */
  public boolean isRoot() {
    return path.equals("/");
  }

  /** {@return the last segment ({@code passwd} for {@code /etc/passwd}); empty for the root} */
  public String fileName() {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  /**
   * {@return the name inside a tar archive: the path without its leading slash
   * ({@code etc/passwd}); empty for the root}
   */
  public String tarName() {
    return path.substring(1);
  }

  /**
   * Whether this path is {@code other} or lies below it, segment by segment ({@code /etcetera}
   * does not start with {@code /etc}).
   *
   * @param other the possible ancestor
   * @return true when this path equals {@code other} or is inside it; always true when {@code other} is the root
   */
  public boolean startsWith(ImagePath other) {
    return other.isRoot() || path.equals(other.path) || path.startsWith(other.path + "/");
  }

  /**
   * Compares by UTF-8 bytes, which is code point order. UTF-16 order differs from it only where a
   * surrogate (a code point above U+FFFF) meets a char of U+E000 to U+FFFF, so the first differing
   * chars are compared with surrogates moved above that range; no bytes are made.
   */
  @Override
  public int compareTo(ImagePath other) {
    String a = path;
    String b = other.path;
    int n = Math.min(a.length(), b.length());
    for (int i = 0; i < n; i++) {
      char x = a.charAt(i);
      char y = b.charAt(i);
      if (x != y) {
        return Integer.compare(codePointRank(x), codePointRank(y));
      }
    }
    return Integer.compare(a.length(), b.length());
  }

  private static int codePointRank(char c) {
    return c < 0xD800 ? c : c < 0xE000 ? c + 0x2000 : c - 0x800;
  }

  /** The path itself, e.g. {@code /etc/passwd}. */
  @Override
  public String toString() {
    return path;
  }

  // Written out: the generated pair is linked through invokedynamic on first use, 10 to 50 ms of
  // every new JVM. RecordMethodsTest holds them to the generated answers and hashes.
  @Override
  public boolean equals(Object o) {
    return o instanceof ImagePath p && path.equals(p.path);
  }

  @Override
  public int hashCode() {
    return path.hashCode();
  }
}
