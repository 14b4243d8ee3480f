package dev.scratchkit.oci.hostile;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/**
 * Builds hostile inputs byte by byte: raw tar headers (any name, type, size, checksum),
 * gzip and zstd blobs, image documents, and layouts, OCI archives and docker-archives of them.
 * Written independently of the code under test, so a shared mistake cannot hide.
 */
final class Craft {

  static final String GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
  static final String ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd";
  static final String TAR = "application/vnd.oci.image.layer.v1.tar";
  static final String MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  static final String INDEX = "application/vnd.oci.image.index.v1+json";
  static final String CONFIG = "application/vnd.oci.image.config.v1+json";

  private Craft() {}

  // ---- hashing and compression

  static String sha256(byte[] bytes) {
    return "sha256:" + HexFormat.of().formatHex(sha().digest(bytes));
  }

  static String hex(String digest) {
    return digest.substring(7);
  }

  static MessageDigest sha() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] gzip(byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  static byte[] zstd(byte[] data) {
    try {
      return com.github.luben.zstd.Zstd.compress(data, 3);
    } catch (RuntimeException e) {
      throw new IllegalStateException("zstd-jni is needed by this test", e);
    }
  }

  // ---- tar

  /** A tar written header by header. */
  static final class Tar {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Tar file(String name, byte[] data) {
      return entry(name, '0', data, "");
    }

    Tar entry(String name, char type, byte[] data, String link) {
      raw(header(name, type, data.length, link, true));
      raw(data);
      raw(new byte[(512 - data.length % 512) % 512]);
      return this;
    }

    /** A metadata entry (L, K, x, g) holding {@code data}. */
    Tar meta(char type, byte[] data) {
      return entry("././@LongLink", type, data, "");
    }

    Tar raw(byte[] bytes) {
      out.writeBytes(bytes);
      return this;
    }

    byte[] end() {
      out.writeBytes(new byte[1024]);
      return out.toByteArray();
    }

    byte[] bytes() {
      return out.toByteArray();
    }
  }

  static byte[] header(String name, char type, long size, String link, boolean goodChecksum) {
    byte[] h = new byte[512];
    put(h, 0, 100, name.getBytes(StandardCharsets.UTF_8));
    put(h, 100, 8, ascii("0000644"));
    put(h, 108, 8, ascii("0000000"));
    put(h, 116, 8, ascii("0000000"));
    put(h, 124, 12, ascii(String.format("%011o", size)));
    put(h, 136, 12, ascii(String.format("%011o", 1704164645L)));
    h[156] = (byte) type;
    put(h, 157, 100, link.getBytes(StandardCharsets.UTF_8));
    put(h, 257, 6, ascii("ustar\0"));
    put(h, 263, 2, ascii("00"));
    checksum(h, goodChecksum);
    return h;
  }

  static void checksum(byte[] h, boolean good) {
    for (int i = 148; i < 156; i++) {
      h[i] = ' ';
    }
    long sum = 0;
    for (byte b : h) {
      sum += b & 0xff;
    }
    put(h, 148, 8, ascii(String.format("%06o", good ? sum : sum + 1) + "\0 "));
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static void put(byte[] h, int at, int max, byte[] value) {
    System.arraycopy(value, 0, h, at, Math.min(max, value.length));
  }

  static byte[] pax(String key, String value) {
    String rec = " " + key + "=" + value + "\n";
    int len = rec.length() + 1;
    while (String.valueOf(len).length() + rec.length() != len) {
      len++;
    }
    return (len + rec).getBytes(StandardCharsets.UTF_8);
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  // ---- documents

  static String config(String diffIds, String created) {
    return "{\"created\":" + created + ",\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Entrypoint\":"
        + "[\"/hello\"],\"Env\":[\"PATH=/bin\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[" + diffIds + "]}}";
  }

  static String descriptor(String mediaType, String digest, long size) {
    return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest + "\",\"size\":" + size + "}";
  }

  static String manifest(String configDescriptor, String layerDescriptors) {
    return "{\"schemaVersion\":2,\"mediaType\":\"" + MANIFEST + "\",\"config\":" + configDescriptor + ",\"layers\":["
        + layerDescriptors + "]}";
  }

  static String tagged(String mediaType, String digest, long size, String tag) {
    return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest + "\",\"size\":" + size
        + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"" + tag + "\"}}";
  }

  static String index(String descriptors) {
    return "{\"schemaVersion\":2,\"mediaType\":\"" + INDEX + "\",\"manifests\":[" + descriptors + "]}";
  }

  // ---- a whole image

  /** One image: layers, config, manifest and index, each replaceable before writing. */
  static final class Image {
    final Map<String, byte[]> blobs = new LinkedHashMap<>();
    byte[] tar;
    byte[] layer;
    String layerMediaType;
    byte[] config;
    byte[] manifest;
    byte[] index;

    /** A valid image of one gzip layer holding {@code /hello.txt}. */
    static Image valid() {
      return of(new Tar().file("hello.txt", utf8("hello\n")).end(), GZIP);
    }

    static Image of(byte[] tar, String mediaType) {
      Image i = new Image();
      i.tar = tar;
      i.layerMediaType = mediaType;
      i.layer = mediaType.equals(GZIP) ? gzip(tar) : mediaType.equals(ZSTD) ? zstd(tar) : tar;
      i.config = utf8(Craft.config("\"" + sha256(tar) + "\"", "\"2024-01-02T03:04:05Z\""));
      return i.relink();
    }

    /** Recomputes the manifest and index from the current layer and config. */
    Image relink() {
      manifest = utf8(manifest(descriptor(CONFIG, sha256(config), config.length),
          descriptor(layerMediaType, sha256(layer), layer.length)));
      index = utf8(index(tagged(MANIFEST, sha256(manifest), manifest.length, "latest")));
      return this;
    }

    Image config(String json) {
      config = utf8(json);
      return relink();
    }

    Image extra(byte[] blob) {
      blobs.put(sha256(blob), blob);
      return this;
    }

    Map<String, byte[]> allBlobs() {
      Map<String, byte[]> all = new LinkedHashMap<>();
      all.put(sha256(layer), layer);
      all.put(sha256(config), config);
      all.put(sha256(manifest), manifest);
      all.putAll(blobs);
      return all;
    }

    /** Writes an OCI layout directory. */
    Path layout(Path dir) throws IOException {
      Files.createDirectories(dir.resolve("blobs/sha256"));
      Files.write(dir.resolve("oci-layout"), utf8("{\"imageLayoutVersion\":\"1.0.0\"}"));
      for (Map.Entry<String, byte[]> b : allBlobs().entrySet()) {
        Files.write(dir.resolve("blobs/sha256/" + hex(b.getKey())), b.getValue());
      }
      Files.write(dir.resolve("index.json"), index);
      return dir;
    }

    /** The members of an OCI archive, in order. */
    Tar ociArchive() {
      Tar t = new Tar().file("oci-layout", utf8("{\"imageLayoutVersion\":\"1.0.0\"}")).file("index.json", index);
      t.entry("blobs/", '5', new byte[0], "").entry("blobs/sha256/", '5', new byte[0], "");
      for (Map.Entry<String, byte[]> b : allBlobs().entrySet()) {
        t.file("blobs/sha256/" + hex(b.getKey()), b.getValue());
      }
      return t;
    }

    /** The members of a docker-archive (Docker 25+ names), manifest.json first. */
    Tar dockerArchive(String repoTag) {
      String manifestJson = "[{\"Config\":\"blobs/sha256/" + hex(sha256(config)) + "\",\"RepoTags\":[\"" + repoTag
          + "\"],\"Layers\":[\"blobs/sha256/" + hex(sha256(layer)) + "\"]}]";
      return new Tar().file("manifest.json", utf8(manifestJson))
          .file("blobs/sha256/" + hex(sha256(config)), config)
          .file("blobs/sha256/" + hex(sha256(layer)), layer);
    }
  }

  static Path write(Path file, byte[] bytes) {
    try {
      Files.createDirectories(file.getParent());
      return Files.write(file, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void mkfifo(Path at) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("mkfifo", at.toString()).redirectErrorStream(true).start();
    if (p.waitFor() != 0) {
      throw new IOException("mkfifo " + at + " failed: " + new String(p.getInputStream().readAllBytes()));
    }
  }

  /** Writes {@code count} copies of {@code chunk} to {@code out}. */
  static void repeat(OutputStream out, byte[] chunk, long count) throws IOException {
    for (long i = 0; i < count; i++) {
      out.write(chunk);
    }
  }
}
