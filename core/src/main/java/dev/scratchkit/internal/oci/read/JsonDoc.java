package dev.scratchkit.internal.oci.read;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.scratchkit.oci.Digest;
import dev.scratchkit.oci.OciException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Untrusted JSON documents, parsed by Jackson within limits (bytes, nesting depth, number of
 * values, length of numbers; duplicate keys refused), read through typed accessors whose
 * errors name the document and the field, e.g. {@code layers[2].size}.
 */
public final class JsonDoc {

  /** Values (tokens) in one document; bounds the tree's memory to a few tens of MB. */
  public static final int MAX_VALUES = 500_000;

  private final ObjectMapper mapper;
  private final int maxDepth;

  /** @param maxDepth the deepest nesting of arrays and objects accepted */
  public JsonDoc(int maxDepth) {
    this.maxDepth = maxDepth;
    JsonFactory factory = JsonFactory.builder()
        .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(maxDepth).maxNumberLength(64).build())
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        // Messages name the document and the line; they never quote its content.
        .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
        .build();
    this.mapper = new ObjectMapper(factory).enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  }

  /**
   * Parses a whole document (its size was bounded by the caller).
   *
   * @param document names the document in messages, e.g. {@code the manifest sha256:... in /tmp/img}
   * @throws OciException when it is not JSON or exceeds a limit
   */
  public Node parse(byte[] bytes, String document) {
    try {
      try (JsonParser p = mapper.getFactory().createParser(bytes)) {
        int values = 0;
        while (p.nextToken() != null) {
          if (++values > MAX_VALUES) {
            throw new OciException(document + " has more than " + MAX_VALUES + " JSON values, more than any image"
                + " document needs; it is hostile or damaged");
          }
        }
      }
      return new Node(mapper.readTree(bytes), "", document);
    } catch (StreamConstraintsException e) {
      String what = e.getOriginalMessage() != null && e.getOriginalMessage().contains("nesting depth")
          ? "nests arrays and objects deeper than " + maxDepth + " levels (limit jsonDepth)"
          : "exceeds a JSON limit (" + e.getOriginalMessage() + ")";
      throw new OciException(document + " " + what + "; it is hostile or damaged. If you trust it, raise"
          + " OciImages.Limits.withJsonDepth", e);
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      throw new OciException(document + " is not valid JSON (" + e.getOriginalMessage()
          + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr())
          + "); the image is damaged or the file is not an image document", e);
    } catch (IOException e) {
      throw new OciException(document + " cannot be parsed: " + e, e);
    }
  }

  /** Parses into plain values (ordered maps, lists, strings, numbers, booleans, null). */
  public Object parsePlain(byte[] bytes, String document) {
    return plain(parse(bytes, document).node);
  }

  private static Object plain(JsonNode n) {
    if (n.isObject()) {
      Map<String, Object> map = new LinkedHashMap<>();
      n.fields().forEachRemaining(e -> map.put(e.getKey(), plain(e.getValue())));
      return map;
    }
    if (n.isArray()) {
      List<Object> list = new ArrayList<>();
      n.forEach(v -> list.add(plain(v)));
      return list;
    }
    if (n.isTextual()) {
      return n.textValue();
    }
    if (n.isBoolean()) {
      return n.booleanValue();
    }
    if (n.isIntegralNumber() && n.canConvertToLong()) {
      return n.longValue();
    }
    if (n.isNumber()) {
      return n.decimalValue();
    }
    return null;
  }

  /** A value in a document, with its path for messages. */
  public static final class Node {
    private final JsonNode node;
    private final String path;
    private final String document;

    Node(JsonNode node, String path, String document) {
      this.node = node;
      this.path = path;
      this.document = document;
    }

    /** {@return the path of this value, e.g. {@code manifests[0]}, empty for the root} */
    public String path() {
      return path;
    }

    /** {@return the document's description} */
    public String document() {
      return document;
    }

    private String child(String field) {
      return path.isEmpty() ? field : path + "." + field;
    }

    /** Fails unless this value is an object. */
    public Node requireObject() {
      if (!node.isObject()) {
        throw wrong(path.isEmpty() ? "the document" : path, "an object", node);
      }
      return this;
    }

    /** Fails unless this value is an array; returns its elements. */
    public List<Node> requireArray() {
      if (!node.isArray()) {
        throw wrong(path.isEmpty() ? "the document" : path, "an array", node);
      }
      List<Node> out = new ArrayList<>(node.size());
      for (int i = 0; i < node.size(); i++) {
        out.add(new Node(node.get(i), path + "[" + i + "]", document));
      }
      return out;
    }

    private JsonNode field(String field) {
      requireObject();
      JsonNode v = node.get(field);
      return v == null || v.isNull() ? null : v;
    }

    /** {@return whether the object has the field with a non-null value} */
    public boolean has(String field) {
      return field(field) != null;
    }

    /** A required string field. */
    public String string(String field) {
      String s = optString(field);
      if (s == null) {
        throw missing(field, "a string");
      }
      return s;
    }

    /** An optional string field; null when absent or null. */
    public String optString(String field) {
      JsonNode v = field(field);
      if (v == null) {
        return null;
      }
      if (!v.isTextual()) {
        throw wrong(child(field), "a string", v);
      }
      return v.textValue();
    }

    /** A required non-negative integer field. */
    public long size(String field) {
      JsonNode v = field(field);
      if (v == null) {
        throw missing(field, "a non-negative integer");
      }
      if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
        throw wrong(child(field), "a non-negative integer", v);
      }
      return v.longValue();
    }

    /** An optional integer field. */
    public Long optLong(String field) {
      JsonNode v = field(field);
      if (v == null) {
        return null;
      }
      if (!v.isIntegralNumber() || !v.canConvertToLong()) {
        throw wrong(child(field), "an integer", v);
      }
      return v.longValue();
    }

    /** A required digest field. */
    public Digest digest(String field) {
      String s = string(field);
      return asDigest(s, child(field));
    }

    private Digest asDigest(String s, String where) {
      try {
        return Digest.of(s);
      } catch (OciException e) {
        throw new OciException(document + ": " + where + " is \"" + TarReader.printable(s)
            + "\", not a sha256 digest (sha256: and 64 lower-case hex digits); the document is damaged or"
            + " uses an algorithm scratchkit does not read");
      }
    }

    /** An optional object field. */
    public Node optObject(String field) {
      JsonNode v = field(field);
      if (v == null) {
        return null;
      }
      if (!v.isObject()) {
        throw wrong(child(field), "an object", v);
      }
      return new Node(v, child(field), document);
    }

    /** A required object field. */
    public Node object(String field) {
      Node n = optObject(field);
      if (n == null) {
        throw missing(field, "an object");
      }
      return n;
    }

    /** An optional array field's elements; empty when absent or null. */
    public List<Node> optArray(String field) {
      JsonNode v = field(field);
      if (v == null) {
        return List.of();
      }
      return new Node(v, child(field), document).requireArray();
    }

    /** A required array field's elements. */
    public List<Node> array(String field) {
      if (field(field) == null) {
        throw missing(field, "an array");
      }
      return optArray(field);
    }

    /** This value as a string. */
    public String asString() {
      if (!node.isTextual()) {
        throw wrong(path, "a string", node);
      }
      return node.textValue();
    }

    /** This value as a digest. */
    public Digest asDigest() {
      return asDigest(asString(), path);
    }

    /** An optional array of strings; empty when absent or null. */
    public List<String> optStrings(String field) {
      List<String> out = new ArrayList<>();
      for (Node n : optArray(field)) {
        out.add(n.asString());
      }
      return out;
    }

    /** An optional object of string values; empty when absent or null. */
    public Map<String, String> optStringMap(String field) {
      Node o = optObject(field);
      Map<String, String> out = new LinkedHashMap<>();
      if (o != null) {
        for (Iterator<Map.Entry<String, JsonNode>> it = o.node.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          if (!e.getValue().isTextual()) {
            throw wrong(o.child(e.getKey()), "a string", e.getValue());
          }
          out.put(e.getKey(), e.getValue().textValue());
        }
      }
      return out;
    }

    /** The keys of an optional object field; empty when absent or null. */
    public List<String> optKeys(String field) {
      Node o = optObject(field);
      List<String> out = new ArrayList<>();
      if (o != null) {
        o.node.fieldNames().forEachRemaining(out::add);
      }
      return out;
    }

    private OciException missing(String field, String expected) {
      return new OciException(document + ": the field " + child(field) + " is missing; it must be " + expected
          + ". The document is damaged or is not the kind of document expected here");
    }

    private OciException wrong(String where, String expected, JsonNode found) {
      String text = found.isTextual() ? "the string \"" + TarReader.printable(found.textValue()) + "\""
          : found.isNumber() ? "the number " + TarReader.printable(found.asText())
          : found.isBoolean() ? "the boolean " + found.asText()
          : found.isArray() ? "an array" : found.isObject() ? "an object" : "null";
      return new OciException(document + ": the field " + where + " must be " + expected + ", but it is " + text
          + "; the document is damaged or is not the kind of document expected here");
    }
  }
}
