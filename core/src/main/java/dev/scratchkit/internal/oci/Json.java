package dev.scratchkit.internal.oci;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tiny JSON writer, and a bounded parser (Jackson underneath) for our own documents. Objects
 * are {@link LinkedHashMap}s so that field order is exactly the insertion order (reproducible
 * bytes); numbers parse to {@link Long} or {@link BigDecimal}. Output is compact (no spaces), as
 * registries and Go tools write it. Untrusted images are read through
 * {@code internal.oci.read.JsonDoc} into typed values instead.
 */
public final class Json {

  private Json() {}

  /** A new ordered object. */
  public static Map<String, Object> object() {
    return new LinkedHashMap<>();
  }

  /** Serialises maps, lists, strings, numbers, booleans and null. */
  public static String write(Object value) {
    StringBuilder out = new StringBuilder();
    write(value, out);
    return out.toString();
  }

  private static void write(Object value, StringBuilder out) {
    if (value == null) {
      out.append("null");
    } else if (value instanceof String s) {
      string(s, out);
    } else if (value instanceof Number || value instanceof Boolean) {
      out.append(value instanceof BigDecimal b ? b.toPlainString() : value.toString());
    } else if (value instanceof Map<?, ?> map) {
      out.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : map.entrySet()) {
        if (!first) {
          out.append(',');
        }
        first = false;
        string((String) e.getKey(), out);
        out.append(':');
        write(e.getValue(), out);
      }
      out.append('}');
    } else if (value instanceof List<?> list) {
      out.append('[');
      for (int i = 0; i < list.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        write(list.get(i), out);
      }
      out.append(']');
    } else {
      throw new IllegalArgumentException("not a JSON value: " + value.getClass());
    }
  }

  private static void string(String s, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  /** The largest document {@link #parse} accepts, in UTF-8 bytes. */
  public static final int MAX_PARSE_BYTES = 4 << 20;

  /** Nesting {@link #parse} accepts. */
  public static final int MAX_PARSE_DEPTH = 64;

  /**
   * One parser for every call: building Jackson's mapper costs more than parsing an index. In a
   * holder, so that writing JSON never loads Jackson (its start-up costs a new JVM a few tenths of a
   * second, on one core, at the end of every image write).
   */
  private static final class Parser {
    static final dev.scratchkit.internal.oci.read.JsonDoc INSTANCE =
        new dev.scratchkit.internal.oci.read.JsonDoc(MAX_PARSE_DEPTH);
  }

  /**
   * Parses JSON text with Jackson, within {@link #MAX_PARSE_BYTES} and {@link #MAX_PARSE_DEPTH}
   * (duplicate keys refused), into ordered maps, lists, strings, {@link Long} or
   * {@link BigDecimal} numbers, booleans and null.
   *
   * @throws IllegalArgumentException naming the problem when the text is not JSON or too big
   */
  public static Object parse(String text) {
    byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    if (bytes.length > MAX_PARSE_BYTES) {
      throw new IllegalArgumentException("the document is " + bytes.length + " bytes, more than the "
          + MAX_PARSE_BYTES + " accepted");
    }
    try {
      return Parser.INSTANCE.parsePlain(bytes, "the document");
    } catch (dev.scratchkit.oci.OciException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /**
   * Reads and parses a JSON object file as {@link #parse}, reading at most
   * {@link #MAX_PARSE_BYTES}; a symlink, FIFO, device or socket is refused before it is opened.
   *
   * @throws IllegalArgumentException naming the problem when the file is not a regular file,
   *     too big, or not a JSON object
   */
  public static Map<String, Object> parseObjectFile(java.nio.file.Path file) throws java.io.IOException {
    java.nio.file.attribute.BasicFileAttributes a = java.nio.file.Files.readAttributes(file,
        java.nio.file.attribute.BasicFileAttributes.class, java.nio.file.LinkOption.NOFOLLOW_LINKS);
    if (!a.isRegularFile()) {
      throw new IllegalArgumentException("it is " + (a.isSymbolicLink() ? "a symbolic link" : a.isDirectory()
          ? "a directory" : "a special file") + ", not a regular file");
    }
    byte[] bytes;
    try (java.io.InputStream in = java.nio.file.Files.newInputStream(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      bytes = in.readNBytes(MAX_PARSE_BYTES + 1);
    }
    if (bytes.length > MAX_PARSE_BYTES) {
      throw new IllegalArgumentException("it is larger than the " + MAX_PARSE_BYTES + " bytes accepted");
    }
    return parseObject(new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
  }

  /** Parses JSON text that must be an object, as {@link #parse}. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> parseObject(String text) {
    Object value = parse(text);
    if (!(value instanceof Map)) {
      throw new IllegalArgumentException("expected a JSON object");
    }
    return (Map<String, Object>) value;
  }
}
