package dev.scratchkit.internal.oci;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tiny JSON writer and parser. Objects are {@link LinkedHashMap}s so that field order is
 * exactly the insertion order (reproducible bytes); numbers parse to {@link Long} or
 * {@link BigDecimal}. Output is compact (no spaces), as registries and Go tools write it.
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

  /**
   * Parses JSON text.
   *
   * @throws IllegalArgumentException with the offset when the text is not JSON
   */
  public static Object parse(String text) {
    Parser p = new Parser(text);
    p.ws();
    Object value = p.value(0);
    p.ws();
    if (p.pos != text.length()) {
      throw p.error("unexpected text after the JSON value");
    }
    return value;
  }

  /** Parses JSON text that must be an object. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> parseObject(String text) {
    Object value = parse(text);
    if (!(value instanceof Map)) {
      throw new IllegalArgumentException("expected a JSON object");
    }
    return (Map<String, Object>) value;
  }

  private static final class Parser {
    private final String s;
    private int pos;

    Parser(String s) {
      this.s = s;
    }

    IllegalArgumentException error(String what) {
      return new IllegalArgumentException("malformed JSON at offset " + pos + ": " + what);
    }

    void ws() {
      while (pos < s.length() && " \t\r\n".indexOf(s.charAt(pos)) >= 0) {
        pos++;
      }
    }

    char peek() {
      if (pos >= s.length()) {
        throw error("unexpected end");
      }
      return s.charAt(pos);
    }

    void expect(char c) {
      if (peek() != c) {
        throw error("expected '" + c + "'");
      }
      pos++;
    }

    Object value(int depth) {
      if (depth > 200) {
        throw error("nested too deeply");
      }
      char c = peek();
      switch (c) {
        case '{': {
          pos++;
          Map<String, Object> map = new LinkedHashMap<>();
          ws();
          if (peek() == '}') {
            pos++;
            return map;
          }
          while (true) {
            ws();
            String key = string();
            ws();
            expect(':');
            ws();
            map.put(key, value(depth + 1));
            ws();
            if (peek() == ',') {
              pos++;
              continue;
            }
            expect('}');
            return map;
          }
        }
        case '[': {
          pos++;
          List<Object> list = new ArrayList<>();
          ws();
          if (peek() == ']') {
            pos++;
            return list;
          }
          while (true) {
            ws();
            list.add(value(depth + 1));
            ws();
            if (peek() == ',') {
              pos++;
              continue;
            }
            expect(']');
            return list;
          }
        }
        case '"':
          return string();
        case 't':
          return literal("true", Boolean.TRUE);
        case 'f':
          return literal("false", Boolean.FALSE);
        case 'n':
          return literal("null", null);
        default:
          return number();
      }
    }

    Object literal(String word, Object value) {
      if (!s.startsWith(word, pos)) {
        throw error("unexpected character");
      }
      pos += word.length();
      return value;
    }

    Object number() {
      int start = pos;
      while (pos < s.length() && "+-0123456789.eE".indexOf(s.charAt(pos)) >= 0) {
        pos++;
      }
      String n = s.substring(start, pos);
      if (n.isEmpty()) {
        throw error("unexpected character");
      }
      try {
        BigDecimal d = new BigDecimal(n);
        if (n.indexOf('.') < 0 && n.indexOf('e') < 0 && n.indexOf('E') < 0) {
          try {
            return d.longValueExact();
          } catch (ArithmeticException e) {
            return d;
          }
        }
        return d;
      } catch (NumberFormatException e) {
        throw error("bad number " + n);
      }
    }

    String string() {
      expect('"');
      StringBuilder out = new StringBuilder();
      while (true) {
        char c = peek();
        pos++;
        if (c == '"') {
          return out.toString();
        }
        if (c != '\\') {
          out.append(c);
          continue;
        }
        char e = peek();
        pos++;
        switch (e) {
          case '"', '\\', '/' -> out.append(e);
          case 'n' -> out.append('\n');
          case 'r' -> out.append('\r');
          case 't' -> out.append('\t');
          case 'b' -> out.append('\b');
          case 'f' -> out.append('\f');
          case 'u' -> {
            if (pos + 4 > s.length()) {
              throw error("short \\u escape");
            }
            try {
              out.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
            } catch (NumberFormatException ex) {
              throw error("bad \\u escape");
            }
            pos += 4;
          }
          default -> throw error("bad escape \\" + e);
        }
      }
    }
  }
}
