package dev.scratchkit.oci.hostile;

import static dev.scratchkit.oci.hostile.Craft.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.scratchkit.oci.OciException;
import dev.scratchkit.oci.OciImages;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile layouts, OCI archives and docker-archives, each generated here byte by byte. Every
 * case must end within 10 s in an {@link OciException} whose message names the input and says
 * what is wrong, without reading or writing anything outside the image: a canary file beside it
 * stays unchanged and its content appears in no message. Run with {@code -Xmx128m} (a surefire
 * execution of its own), so a bound that does not hold shows as an out-of-memory error.
 */
class HostileImagesTest {

  @TempDir
  Path tmp;

  /** What a case does with its input once read: nothing more, or list every layer. */
  enum Action { READ, LIST, FOREIGN_LAYER }

  @FunctionalInterface
  interface Maker {
    /** Writes the input into {@code work} (beside the canary) and returns its path. */
    Path make(Path work, String canary) throws Exception;
  }

  record Case(String name, Maker maker, Action action, OciImages.Limits limits, List<String> expected) {}

  static final List<Case> CASES = new ArrayList<>();

  static void add(String name, Action action, Maker maker, String... expected) {
    CASES.add(new Case(name, maker, action, OciImages.Limits.defaults(), List.of(expected)));
  }

  static void add(String name, Action action, OciImages.Limits limits, Maker maker, String... expected) {
    CASES.add(new Case(name, maker, action, limits, List.of(expected)));
  }

  static Path layout(Path work, Image i) throws IOException {
    return i.layout(work.resolve("image"));
  }

  static Path archive(Path work, Tar t) {
    return write(work.resolve("image.tar"), t.end());
  }

  static Image withIndexTag(Image i, String tag) {
    i.index = utf8(index(tagged(MANIFEST, sha256(i.manifest), i.manifest.length, tag)));
    return i;
  }

  static Image layerTar(byte[] tar) {
    return Image.of(tar, GZIP);
  }

  static String same(byte[] original, String from, String to) {
    String s = new String(original, java.nio.charset.StandardCharsets.UTF_8);
    String forged = s.replace(from, to);
    if (forged.equals(s) || forged.length() != s.length()) {
      throw new IllegalStateException("forgery must change the text and keep its length: " + from + " -> " + to);
    }
    return forged;
  }

  static {
    // ---- path traversal in names and references
    add("layout tag with ../", Action.READ, (w, c) -> layout(w, withIndexTag(Image.valid(), "../../etc/passwd")),
        "not a valid reference name", "\"..\" path segment");
    add("oci-archive tag with ../", Action.READ, (w, c) -> archive(w,
        withIndexTag(Image.valid(), "a/../../b").ociArchive()), "not a valid reference name");
    add("layout tag with a control character", Action.READ, (w, c) -> layout(w,
        withIndexTag(Image.valid(), "x\\u0007y")), "not a valid reference name");
    add("docker-archive RepoTag with ../", Action.READ, (w, c) -> archive(w,
        Image.valid().dockerArchive("../../x:1")), "not a valid reference name");
    add("docker-archive Config climbing out", Action.READ, (w, c) -> archive(w,
        new Tar().file("manifest.json", utf8("[{\"Config\":\"../canary.txt\",\"Layers\":[]}]"))),
        "climbs out with \"..\"");
    add("docker-archive Config absolute", Action.READ, (w, c) -> archive(w,
        new Tar().file("manifest.json", utf8("[{\"Config\":\"/etc/passwd\",\"Layers\":[]}]"))), "absolute");
    add("docker-archive layer climbing out", Action.READ, (w, c) -> {
      Image i = Image.valid();
      String m = "[{\"Config\":\"blobs/sha256/" + hex(sha256(i.config)) + "\",\"Layers\":[\"../../canary.txt\"]}]";
      return archive(w, new Tar().file("manifest.json", utf8(m)).file("blobs/sha256/" + hex(sha256(i.config)),
          i.config));
    }, "climbs out with \"..\"");
    add("layer entry ../../evil", Action.LIST, (w, c) -> layout(w, layerTar(new Tar().file("../../evil",
        utf8("x")).end())), "climbs out of the image root");
    add("layer hard link to ../../etc/shadow", Action.LIST, (w, c) -> layout(w, layerTar(new Tar()
        .entry("shadow", '1', new byte[0], "../../etc/shadow").end())), "hard link target", "climbs out");
    add("layer PAX path ../x", Action.LIST, (w, c) -> layout(w, layerTar(new Tar().meta('x', pax("path", "../x"))
        .file("innocent", utf8("x")).end())), "climbs out of the image root");
    add("layer GNU long name a/../../b", Action.LIST, (w, c) -> layout(w, layerTar(new Tar()
        .meta('L', utf8("a/../../" + "b".repeat(200))).file("short", utf8("x")).end())), "climbs out");
    add("index digest with a path", Action.READ, (w, c) -> {
      Image i = Image.valid();
      i.index = utf8(index(tagged(MANIFEST, "sha256:../../../canary.txt", 10, "latest")));
      return layout(w, i);
    }, "not a sha256 digest");
    add("layer entry name with invalid UTF-8", Action.LIST, (w, c) -> {
      byte[] h = header("x", '0', 0, "", true);
      h[0] = (byte) 0xff;
      h[1] = (byte) 0xfe;
      checksum(h, true);
      return layout(w, layerTar(new Tar().raw(h).end()));
    }, "not valid UTF-8");
    add("layer entry name longer than PATH_MAX", Action.LIST, (w, c) -> layout(w, layerTar(new Tar()
        .meta('x', pax("path", "d/".repeat(2100) + "f")).file("f", utf8("x")).end())), "longer than 4096");

    // ---- symlinks and special files where blobs are expected
    add("layer blob is a symlink to the canary", Action.READ, (w, c) -> {
      Image i = Image.valid();
      Path dir = layout(w, i);
      Path blob = dir.resolve("blobs/sha256/" + hex(sha256(i.layer)));
      Files.delete(blob);
      Files.createSymbolicLink(blob, w.resolve("canary.txt"));
      return dir;
    }, "is a symbolic link", "regular file");
    add("config blob is a symlink", Action.READ, (w, c) -> linkBlob(w, i -> i.config), "is a symbolic link");
    add("manifest blob is a symlink", Action.READ, (w, c) -> linkBlob(w, i -> i.manifest), "is a symbolic link");
    add("index.json is a symlink", Action.READ, (w, c) -> {
      Path dir = layout(w, Image.valid());
      Files.move(dir.resolve("index.json"), w.resolve("index.json"));
      Files.createSymbolicLink(dir.resolve("index.json"), w.resolve("index.json"));
      return dir;
    }, "index.json", "is a symbolic link");
    add("blobs/ is a symlink out of the layout", Action.READ, (w, c) -> {
      Path dir = layout(w, Image.valid());
      Files.move(dir.resolve("blobs"), w.resolve("outside-blobs"));
      Files.createSymbolicLink(dir.resolve("blobs"), w.resolve("outside-blobs"));
      return dir;
    }, "blobs", "is a symbolic link", "a directory");
    add("blobs/sha256 is a symlink out of the layout", Action.READ, (w, c) -> {
      Path dir = layout(w, Image.valid());
      Files.move(dir.resolve("blobs/sha256"), w.resolve("outside-sha256"));
      Files.createSymbolicLink(dir.resolve("blobs/sha256"), w.resolve("outside-sha256"));
      return dir;
    }, "sha256", "is a symbolic link");
    add("layer blob is a FIFO", Action.READ, (w, c) -> fifoBlob(w, i -> i.layer), "special file");
    add("config blob is a FIFO", Action.READ, (w, c) -> fifoBlob(w, i -> i.config), "special file");
    add("manifest blob is a FIFO", Action.READ, (w, c) -> fifoBlob(w, i -> i.manifest), "special file");
    add("index.json is a FIFO", Action.READ, (w, c) -> {
      Path dir = layout(w, Image.valid());
      Files.delete(dir.resolve("index.json"));
      mkfifo(dir.resolve("index.json"));
      return dir;
    }, "special file");
    add("the input itself is a FIFO", Action.READ, (w, c) -> {
      mkfifo(w.resolve("image.tar"));
      return w.resolve("image.tar");
    }, "special file");
    add("layer blob is a socket", Action.READ, (w, c) -> {
      Image i = Image.valid();
      Path dir = layout(w, i);
      Path blob = dir.resolve("blobs/sha256/" + hex(sha256(i.layer)));
      Files.delete(blob);
      Path shortDir = Files.createTempDirectory("sk"); // a socket path must fit in 108 bytes: bind, then move
      Path socket = shortDir.resolve("s");
      try (java.nio.channels.ServerSocketChannel server = java.nio.channels.ServerSocketChannel.open(
          java.net.StandardProtocolFamily.UNIX)) {
        server.bind(java.net.UnixDomainSocketAddress.of(socket));
      }
      Files.move(socket, blob);
      Files.delete(shortDir);
      return dir;
    }, "special file");
    add("a layer record that is not of this source, pointing at the canary", Action.FOREIGN_LAYER,
        (w, c) -> layout(w, Image.valid()), "not a layer of this source");
    add("oci-archive with 10,001 members", Action.READ, OciImages.Limits.defaults().withArchiveMembers(10_000),
        (w, c) -> {
      Path file = w.resolve("image.tar");
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
        out.write(new Tar().file("index.json", Image.valid().index).bytes());
        for (int n = 0; n < 10_001; n++) {
          out.write(header("m" + n, '0', 0, "", true));
        }
        out.write(new byte[1024]);
      }
      return file;
    }, "more than 10000 members", "limit archiveMembers");
    add("layer blob is a directory", Action.READ, (w, c) -> {
      Image i = Image.valid();
      Path dir = layout(w, i);
      Path blob = dir.resolve("blobs/sha256/" + hex(sha256(i.layer)));
      Files.delete(blob);
      Files.createDirectory(blob);
      return dir;
    }, "is a directory", "regular file");
    add("oci-archive layer member is a symlink", Action.READ, (w, c) -> {
      Image i = Image.valid();
      Tar t = new Tar().file("index.json", i.index).file("blobs/sha256/" + hex(sha256(i.manifest)), i.manifest)
          .file("blobs/sha256/" + hex(sha256(i.config)), i.config)
          .entry("blobs/sha256/" + hex(sha256(i.layer)), '2', new byte[0], "../../canary.txt");
      return archive(w, t);
    }, "symbolic link", "not a regular file");
    add("oci-archive manifest member is a hard link", Action.READ, (w, c) -> {
      Image i = Image.valid();
      Tar t = new Tar().file("index.json", i.index).entry("blobs/sha256/" + hex(sha256(i.manifest)), '1',
          new byte[0], "index.json");
      return archive(w, t);
    }, "hard link", "not a regular file");
    add("docker-archive layer member is an absolute symlink", Action.READ, (w, c) -> {
      Image i = Image.valid();
      String m = "[{\"Config\":\"blobs/sha256/" + hex(sha256(i.config)) + "\",\"Layers\":[\"layer.tar\"]}]";
      return archive(w, new Tar().file("manifest.json", utf8(m)).file("blobs/sha256/" + hex(sha256(i.config)),
          i.config).entry("layer.tar", '2', new byte[0], "/etc/passwd"));
    }, "symbolic link", "leads outside the archive");
    add("docker-archive layer symlink climbing out of the archive", Action.READ, (w, c) -> archive(w,
        linkedDockerArchive("../../canary.txt")), "leads outside the archive");
    add("docker-archive layer symlink loop", Action.READ, (w, c) -> {
      Image i = Image.valid();
      String m = "[{\"Config\":\"blobs/sha256/" + hex(sha256(i.config)) + "\",\"Layers\":[\"a/layer.tar\"]}]";
      return archive(w, new Tar().file("manifest.json", utf8(m)).file("blobs/sha256/" + hex(sha256(i.config)),
          i.config).entry("a/layer.tar", '2', new byte[0], "../b/layer.tar")
          .entry("b/layer.tar", '2', new byte[0], "../a/layer.tar"));
    }, "more than 8 links");
    add("docker-archive layer symlink to a directory", Action.READ, (w, c) -> archive(w,
        linkedDockerArchive("../blobs")), "is a directory");
    add("docker-archive layer symlink to a missing member", Action.READ, (w, c) -> archive(w,
        linkedDockerArchive("../nothing/layer.tar")), "not in the archive");
    add("docker-archive config member is a FIFO entry", Action.READ, (w, c) -> {
      Image i = Image.valid();
      String m = "[{\"Config\":\"c.json\",\"Layers\":[]}]";
      return archive(w, new Tar().file("manifest.json", utf8(m)).entry("c.json", '6', new byte[0], ""));
    }, "special file");
    add("oci-archive with index.json twice", Action.READ, (w, c) -> {
      Image i = Image.valid();
      return archive(w, i.ociArchive().file("index.json", utf8("{}")));
    }, "two members named \"index.json\"");
    add("layer with a FIFO entry", Action.LIST, (w, c) -> layout(w, layerTar(new Tar()
        .entry("pipe", '6', new byte[0], "").end())), "is a FIFO");
    add("layer with a device entry", Action.LIST, (w, c) -> layout(w, layerTar(new Tar()
        .entry("dev/sda", '4', new byte[0], "").end())), "device node");

    // ---- every digest and size mismatch
    add("manifest forged, same size", Action.READ, (w, c) -> {
      Image i = Image.valid();
      Path dir = layout(w, i);
      Files.writeString(dir.resolve("blobs/sha256/" + hex(sha256(i.manifest))), same(i.manifest, "\"schemaVersion\":2",
          "\"schemaVersion\":3"));
      return dir;
    }, "has digest", "forged");
    add("manifest size differs from index", Action.READ, (w, c) -> {
      Image i = Image.valid();
      i.index = utf8(index(tagged(MANIFEST, sha256(i.manifest), i.manifest.length + 1, "latest")));
      return layout(w, i);
    }, "bytes but its descriptor says");
    add("config forged with /bin/evil, same size", Action.READ, (w, c) -> {
      Image i = Image.valid();
      Path dir = layout(w, i);
      Files.writeString(dir.resolve("blobs/sha256/" + hex(sha256(i.config))), same(i.config, "\"/hello\"",
          "\"/evil!\""));
      return dir;
    }, "the config", "has digest", "not shown");
    add("config size differs from manifest", Action.READ, (w, c) -> {
      Image i = Image.valid();
      i.manifest = utf8(manifest(descriptor(CONFIG, sha256(i.config), i.config.length - 1),
          descriptor(GZIP, sha256(i.layer), i.layer.length)));
      i.index = utf8(index(tagged(MANIFEST, sha256(i.manifest), i.manifest.length, "latest")));
      return layout(w, i);
    }, "the config", "descriptor says");
    add("layer forged, same size", Action.LIST, (w, c) -> {
      Image i = Image.of(new Tar().file("hello.txt", utf8("hello\n")).end(), TAR);
      Path dir = layout(w, i);
      Files.write(dir.resolve("blobs/sha256/" + hex(sha256(i.layer))), new Tar().file("hello.txt",
          utf8("evil!\n")).end());
      return dir;
    }, "its bytes have digest", "forged");
    add("layer size differs from manifest", Action.READ, (w, c) -> {
      Image i = Image.valid();
      Path dir = layout(w, i);
      Files.write(dir.resolve("blobs/sha256/" + hex(sha256(i.layer))), gzip(new Tar().file("hello.txt",
          utf8("hello, longer\n")).end()));
      return dir;
    }, "the layer", "the manifest", "declares");
    add("diff ID forged in a consistent config", Action.LIST, (w, c) -> layout(w, Image.valid()
        .config(config("\"" + sha256(utf8("other")) + "\"", "\"2024-01-02T03:04:05Z\""))), "diff ID");
    add("layer blob missing", Action.READ, (w, c) -> {
      Image i = Image.valid();
      Path dir = layout(w, i);
      Files.delete(dir.resolve("blobs/sha256/" + hex(sha256(i.layer))));
      return dir;
    }, "is missing");
    add("oci-archive manifest forged", Action.READ, (w, c) -> {
      Image i = Image.valid();
      String digest = sha256(i.manifest);
      i.manifest = utf8(same(i.manifest, "\"schemaVersion\":2", "\"schemaVersion\":3"));
      Tar t = new Tar().file("index.json", i.index).file("blobs/sha256/" + hex(digest), i.manifest);
      return archive(w, t);
    }, "has digest");
    add("oci-archive config forged", Action.READ, (w, c) -> {
      Image i = Image.valid();
      Tar t = new Tar().file("index.json", i.index).file("blobs/sha256/" + hex(sha256(i.manifest)), i.manifest)
          .file("blobs/sha256/" + hex(sha256(i.config)), utf8(same(i.config, "\"/hello\"", "\"/evil!\"")))
          .file("blobs/sha256/" + hex(sha256(i.layer)), i.layer);
      return archive(w, t);
    }, "the config", "has digest");
    add("oci-archive layer forged", Action.LIST, (w, c) -> {
      Image i = Image.of(new Tar().file("hello.txt", utf8("hello\n")).end(), TAR);
      Tar t = new Tar().file("index.json", i.index).file("blobs/sha256/" + hex(sha256(i.manifest)), i.manifest)
          .file("blobs/sha256/" + hex(sha256(i.config)), i.config)
          .file("blobs/sha256/" + hex(sha256(i.layer)), new Tar().file("hello.txt", utf8("evil!\n")).end());
      return archive(w, t);
    }, "its bytes have digest");
    add("oci-archive diff ID forged", Action.LIST, (w, c) -> archive(w, Image.valid()
        .config(config("\"" + sha256(utf8("other")) + "\"", "\"2024-01-02T03:04:05Z\"")).ociArchive()), "diff ID");
    add("docker-archive config forged under its digest name", Action.READ, (w, c) -> {
      Image i = Image.valid();
      String m = "[{\"Config\":\"blobs/sha256/" + hex(sha256(i.config)) + "\",\"Layers\":[]}]";
      return archive(w, new Tar().file("manifest.json", utf8(m)).file("blobs/sha256/" + hex(sha256(i.config)),
          utf8(same(i.config, "\"/hello\"", "\"/evil!\""))));
    }, "has digest", "not shown");
    add("docker-archive layer forged under its digest name", Action.READ, (w, c) -> {
      Image i = Image.valid();
      String m = "[{\"Config\":\"blobs/sha256/" + hex(sha256(i.config)) + "\",\"Layers\":[\"blobs/sha256/"
          + hex(sha256(i.layer)) + "\"]}]";
      return archive(w, new Tar().file("manifest.json", utf8(m)).file("blobs/sha256/" + hex(sha256(i.config)),
          i.config).file("blobs/sha256/" + hex(sha256(i.layer)), gzip(new Tar().file("hello.txt",
          utf8("evil!\n")).end())));
    }, "not the one its name says");
    add("docker-archive diff ID forged", Action.LIST, (w, c) -> archive(w, Image.valid()
        .config(config("\"" + sha256(utf8("other")) + "\"", "\"2024-01-02T03:04:05Z\"")).dockerArchive("a:1")),
        "diff ID");
    add("docker-archive layers and diff IDs differ in number", Action.READ, (w, c) -> archive(w, Image.valid()
        .config(config("", "\"2024-01-02T03:04:05Z\"")).dockerArchive("a:1")), "1 layers", "0 diff IDs");
    add("manifest layers and diff IDs differ in number", Action.READ, (w, c) -> layout(w, Image.valid()
        .config(config("", "\"2024-01-02T03:04:05Z\""))), "lists 1 layers", "0 diff IDs");
    add("descriptor says index, document is a manifest", Action.READ, (w, c) -> {
      Image i = Image.valid();
      i.index = utf8(index(tagged(INDEX, sha256(i.manifest), i.manifest.length, "latest")));
      return layout(w, i);
    }, "disagree");
    add("gzip media type on a plain tar blob", Action.LIST, (w, c) -> {
      Image i = Image.valid();
      i.layer = i.tar;
      return layout(w, i.relink());
    }, "declared as application/vnd.oci.image.layer.v1.tar+gzip", "not compressed");
    add("zstd media type on a gzip blob", Action.LIST, (w, c) -> {
      Image i = Image.valid();
      i.layerMediaType = ZSTD;
      return layout(w, i.relink());
    }, "declared as application/vnd.oci.image.layer.v1.tar+zstd", "gzip-compressed");
    add("unknown layer media type", Action.LIST, (w, c) -> {
      Image i = Image.valid();
      i.layerMediaType = "application/x-evil";
      return layout(w, i.relink());
    }, "not a tar layer");

    // ---- tar header bombs and malformed headers
    for (char type : new char[] {'L', 'K', 'x', 'g'}) {
      add("layer " + type + " header claiming 512 MiB", Action.LIST, (w, c) -> {
        Tar t = new Tar().raw(header("././@LongLink", type, 512L << 20, "", true)).raw(new byte[512 * 1024]);
        return layout(w, layerTar(t.bytes()));
      }, "claims 536870912 bytes", "tarHeaderBytes");
    }
    add("oci-archive member with a 512 MiB long name", Action.READ, (w, c) -> archive(w, new Tar()
        .raw(header("././@LongLink", 'L', 512L << 20, "", true)).raw(new byte[512 * 1024])),
        "claims 536870912 bytes", "tarHeaderBytes");
    add("docker-archive member with a 512 MiB PAX header", Action.READ, (w, c) -> archive(w, new Tar()
        .file("manifest.json", utf8("[]")).raw(header("pax", 'x', 512L << 20, "", true))
        .raw(new byte[512 * 1024])), "claims 536870912 bytes");
    add("layer header with a bad checksum", Action.LIST, (w, c) -> layout(w, layerTar(new Tar()
        .raw(header("a", '0', 0, "", false)).end())), "checksum");
    add("layer with ten PAX headers in a row", Action.LIST, (w, c) -> {
      Tar t = new Tar();
      for (int n = 0; n < 10; n++) {
        t.meta('x', pax("comment", "x"));
      }
      return layout(w, layerTar(t.file("a", utf8("x")).end()));
    }, "in a row");
    add("layer PAX size that is not a number", Action.LIST, (w, c) -> layout(w, layerTar(new Tar()
        .meta('x', pax("size", "12abc")).file("a", utf8("x")).end())), "PAX size");
    add("layer size field that is not octal", Action.LIST, (w, c) -> {
      byte[] h = header("a", '0', 0, "", true);
      System.arraycopy(ascii("99999999999"), 0, h, 124, 11);
      checksum(h, true);
      return layout(w, layerTar(new Tar().raw(h).end()));
    }, "not octal");
    add("layer GNU sparse entry", Action.LIST, (w, c) -> layout(w, layerTar(new Tar()
        .entry("sparse", 'S', new byte[0], "").end())), "entry type 'S'");
    add("layer tar truncated inside an entry", Action.LIST, (w, c) -> layout(w, layerTar(new Tar()
        .raw(header("big", '0', 1 << 20, "", true)).raw(new byte[1000]).bytes())), "truncated");
    add("oci-archive truncated inside a member", Action.READ, (w, c) -> {
      byte[] whole = Image.valid().ociArchive().end();
      return write(w.resolve("image.tar"), java.util.Arrays.copyOf(whole, whole.length - 1500));
    }, "truncated");
    add("tar with neither index.json nor manifest.json", Action.READ, (w, c) -> archive(w, new Tar()
        .file("hello", utf8("x"))), "neither index.json");

    // ---- decompression amplification
    OciImages.Limits small = OciImages.Limits.defaults().withDecompressedBytes(16L << 20, 24L << 20);
    add("gzip layer expanding 1000 times", Action.LIST, small, (w, c) -> bombLayout(w, GZIP, 1), "limit layerBytes");
    add("zstd layer expanding far more", Action.LIST, small, (w, c) -> bombLayout(w, ZSTD, 1), "limit layerBytes");
    add("two layers over the per-source budget", Action.LIST, small, (w, c) -> bombLayout(w, GZIP, 2),
        "limit imageBytes");
    add("docker-archive gzip bomb", Action.LIST, small, (w, c) -> {
      return archive(w, bomb(GZIP).dockerArchive("bomb:1"));
    }, "limit layerBytes");

    // ---- deep and huge JSON, mistyped fields, bad timestamps
    add("index.json nested 100,000 deep", Action.READ, (w, c) -> {
      Image i = Image.valid();
      i.index = utf8("[".repeat(100_000) + "]".repeat(100_000));
      return layout(w, i);
    }, "deeper than 64 levels", "jsonDepth");
    add("config nested 1,000 deep", Action.READ, (w, c) -> layout(w, Image.valid().config(
        "{\"os\":\"linux\",\"architecture\":\"amd64\",\"x\":" + "[".repeat(1000) + "]".repeat(1000) + "}")),
        "deeper than 64 levels");
    add("index.json of 5 MiB", Action.READ, (w, c) -> {
      Image i = Image.valid();
      i.index = utf8("{\"pad\":\"" + "x".repeat(5 << 20) + "\"}");
      return layout(w, i);
    }, "limit jsonBytes");
    add("manifest declared as 5 MiB", Action.READ, (w, c) -> {
      Image i = Image.valid();
      i.index = utf8(index(tagged(MANIFEST, sha256(i.manifest), 5L << 20, "latest")));
      return layout(w, i);
    }, "limit jsonBytes");
    add("docker manifest.json of 5 MiB", Action.READ, (w, c) -> archive(w, new Tar().file("manifest.json",
        utf8("[\"" + "x".repeat(5 << 20) + "\"]"))), "limit jsonBytes");
    add("index.json with 600,000 values", Action.READ, (w, c) -> {
      Image i = Image.valid();
      i.index = utf8("[" + "0,".repeat(600_000) + "0]");
      return layout(w, i);
    }, "more than 500000 JSON values");
    add("manifest with a duplicate key", Action.READ, (w, c) -> {
      Image i = Image.valid();
      i.manifest = utf8(new String(i.manifest, java.nio.charset.StandardCharsets.UTF_8)
          .replace("{\"schemaVersion\":2,", "{\"schemaVersion\":2,\"schemaVersion\":2,"));
      i.index = utf8(index(tagged(MANIFEST, sha256(i.manifest), i.manifest.length, "latest")));
      return layout(w, i);
    }, "not valid JSON", "Duplicate field");
    add("layer size as a string", Action.READ, (w, c) -> {
      Image i = Image.valid();
      i.manifest = utf8(manifest(descriptor(CONFIG, sha256(i.config), i.config.length), "{\"mediaType\":\"" + GZIP
          + "\",\"digest\":\"" + sha256(i.layer) + "\",\"size\":\"" + i.layer.length + "\"}"));
      i.index = utf8(index(tagged(MANIFEST, sha256(i.manifest), i.manifest.length, "latest")));
      return layout(w, i);
    }, "layers[0].size must be a non-negative integer", "the string");
    add("config descriptor without digest", Action.READ, (w, c) -> {
      Image i = Image.valid();
      i.manifest = utf8(manifest("{\"mediaType\":\"" + CONFIG + "\",\"size\":5}", ""));
      i.index = utf8(index(tagged(MANIFEST, sha256(i.manifest), i.manifest.length, "latest")));
      return layout(w, i);
    }, "config.digest is missing");
    add("manifests is not an array", Action.READ, (w, c) -> {
      Image i = Image.valid();
      i.index = utf8("{\"schemaVersion\":2,\"manifests\":{\"a\":1}}");
      return layout(w, i);
    }, "manifests must be an array");
    add("index.json is not JSON", Action.READ, (w, c) -> {
      Image i = Image.valid();
      i.index = utf8("{\"manifests\":[");
      return layout(w, i);
    }, "not valid JSON");
    add("config os is a number", Action.READ, (w, c) -> layout(w, Image.valid().config(
        "{\"os\":7,\"architecture\":\"amd64\",\"rootfs\":{\"diff_ids\":[]}}")), "os must be a string");
    add("schemaVersion 1", Action.READ, (w, c) -> {
      Image i = Image.valid();
      i.index = utf8("{\"schemaVersion\":1,\"manifests\":[]}");
      return layout(w, i);
    }, "schemaVersion 1");
    add("created is not a time", Action.READ, (w, c) -> layout(w, Image.valid().config(config("\"" + sha256(
        new Tar().file("hello.txt", utf8("hello\n")).end()) + "\"", "\"yesterday\""))), "created", "not an RFC 3339");
    add("created is a number", Action.READ, (w, c) -> layout(w, Image.valid().config(config("\"" + sha256(
        new Tar().file("hello.txt", utf8("hello\n")).end()) + "\"", "12345"))), "created must be a string");
    add("created month 13", Action.READ, (w, c) -> layout(w, Image.valid().config(config("\"" + sha256(
        new Tar().file("hello.txt", utf8("hello\n")).end()) + "\"", "\"2024-13-02T03:04:05Z\""))), "not an RFC 3339");
    add("layer PAX mtime not a number", Action.LIST, (w, c) -> layout(w, layerTar(new Tar()
        .meta('x', pax("mtime", "yesterday")).file("a", utf8("x")).end())), "PAX mtime");
    add("layer mtime of 2^62 seconds (base-256)", Action.LIST, (w, c) -> {
      byte[] h = header("a", '0', 0, "", true);
      java.util.Arrays.fill(h, 136, 148, (byte) 0);
      h[136] = (byte) 0x80;
      h[140] = (byte) 0x40; // 2^62
      checksum(h, true);
      return layout(w, layerTar(new Tar().raw(h).end()));
    }, "beyond any representable time");
    add("docker-archive config with a bad created", Action.READ, (w, c) -> archive(w, Image.valid()
        .config(config("\"" + sha256(new Tar().file("hello.txt", utf8("hello\n")).end()) + "\"", "\"noon\""))
        .dockerArchive("a:1")), "not an RFC 3339");

    // ---- many tags and entries
    add("70,000 tags", Action.READ, (w, c) -> layout(w, tags(70_000)), "limit jsonBytes");
    add("10,001 tags", Action.READ, (w, c) -> layout(w, tags(10_001)), "limit tags");
    add("400,000 entries in one layer", Action.LIST, (w, c) -> manyEntries(w, 400_000), "limit layerEntries");

    // ---- index cycles and fan-out
    add("index cycle A -> P -> A", Action.READ, (w, c) -> cycle(w, Image.valid()), "has digest", "not the "
        + "sha256:" + "0".repeat(64));
    add("4 levels of 40 references", Action.READ, (w, c) -> fanOut(w, 4, 40), "limit descriptors");
    add("indexes nested 6 deep", Action.READ, (w, c) -> fanOut(w, 6, 1), "limit indexDepth");
  }

  /** A docker-archive whose layer {@code x/layer.tar} is a symlink to {@code target}. */
  static Tar linkedDockerArchive(String target) {
    Image i = Image.valid();
    String m = "[{\"Config\":\"blobs/sha256/" + hex(sha256(i.config)) + "\",\"Layers\":[\"x/layer.tar\"]}]";
    return new Tar().file("manifest.json", utf8(m)).file("blobs/sha256/" + hex(sha256(i.config)), i.config)
        .entry("blobs/", '5', new byte[0], "").entry("x/layer.tar", '2', new byte[0], target);
  }

  static Path linkBlob(Path w, java.util.function.Function<Image, byte[]> which) throws IOException {
    Image i = Image.valid();
    Path dir = layout(w, i);
    Path blob = dir.resolve("blobs/sha256/" + hex(sha256(which.apply(i))));
    Files.move(blob, w.resolve("moved-blob"));
    Files.createSymbolicLink(blob, w.resolve("moved-blob"));
    return dir;
  }

  static Path fifoBlob(Path w, java.util.function.Function<Image, byte[]> which) throws Exception {
    Image i = Image.valid();
    Path dir = layout(w, i);
    Path blob = dir.resolve("blobs/sha256/" + hex(sha256(which.apply(i))));
    Files.delete(blob);
    mkfifo(blob);
    return dir;
  }

  /** A layer of one file of {@code zeros} zero bytes, compressed as it is made (never whole in memory). */
  record Streamed(byte[] blob, String diffId) {}

  static Streamed zeros(String name, long zeros, String mediaType) throws IOException {
    java.io.ByteArrayOutputStream compressed = new java.io.ByteArrayOutputStream();
    java.security.MessageDigest tarSha = sha();
    OutputStream c = mediaType.equals(ZSTD) ? new com.github.luben.zstd.ZstdOutputStream(compressed, 3)
        : new GZIPOutputStream(compressed, 64 * 1024);
    try (OutputStream tar = new java.security.DigestOutputStream(c, tarSha)) {
      tar.write(header(name, '0', zeros, "", true));
      byte[] chunk = new byte[1 << 20];
      for (long left = zeros; left > 0; left -= chunk.length) {
        tar.write(chunk, 0, (int) Math.min(chunk.length, left));
      }
      tar.write(new byte[(int) ((512 - zeros % 512) % 512) + 1024]);
    }
    return new Streamed(compressed.toByteArray(), "sha256:" + java.util.HexFormat.of().formatHex(tarSha.digest()));
  }

  static Image bomb(String mediaType) throws IOException {
    Streamed z = zeros("zeros", 64L << 20, mediaType);
    Image i = Image.valid();
    i.layer = z.blob();
    i.layerMediaType = mediaType;
    i.config = utf8(config("\"" + z.diffId() + "\"", "\"2024-01-02T03:04:05Z\""));
    return i.relink();
  }

  static Path bombLayout(Path w, String mediaType, int layers) throws IOException {
    if (layers == 1) {
      return layout(w, bomb(mediaType));
    }
    // two 12 MiB layers: each under layerBytes (16 MiB), both over imageBytes (24 MiB)
    Streamed a = zeros("zeros", 12L << 20, GZIP);
    Streamed b = zeros("more", 12L << 20, GZIP);
    Image i = Image.valid();
    i.config = utf8(config("\"" + a.diffId() + "\",\"" + b.diffId() + "\"", "\"2024-01-02T03:04:05Z\""));
    i.layer = a.blob();
    i.extra(b.blob());
    i.manifest = utf8(manifest(descriptor(CONFIG, sha256(i.config), i.config.length),
        descriptor(GZIP, sha256(a.blob()), a.blob().length) + "," + descriptor(GZIP, sha256(b.blob()),
        b.blob().length)));
    i.index = utf8(index(tagged(MANIFEST, sha256(i.manifest), i.manifest.length, "latest")));
    return layout(w, i);
  }

  static Image tags(int count) {
    Image i = Image.valid();
    StringBuilder d = new StringBuilder();
    String digest = sha256(i.manifest);
    for (int n = 0; n < count; n++) {
      if (n > 0) {
        d.append(',');
      }
      d.append("{\"digest\":\"").append(digest).append("\",\"size\":").append(i.manifest.length)
          .append(",\"annotations\":{\"org.opencontainers.image.ref.name\":\"t").append(n).append("\"}}");
    }
    i.index = utf8(index(d.toString()));
    return i;
  }

  /**
   * A layer of {@code count} empty-directory entries, streamed: 1,000 headers are compressed
   * once and the gzip member repeated (a multi-member gzip), so 200 MB of tar cost 1 MB on disk.
   */
  static Path manyEntries(Path w, int count) throws IOException {
    Tar block = new Tar();
    for (int n = 0; n < 1000; n++) {
      block.raw(header("d/", '5', 0, "", true));
    }
    byte[] member = gzip(block.bytes());
    byte[] endMember = gzip(new byte[1024]);
    Image i = Image.valid();
    Path dir = layout(w, i);
    Path blob = dir.resolve("blobs/sha256/layer.tmp");
    java.security.MessageDigest sha = sha();
    long size;
    try (OutputStream out = new java.security.DigestOutputStream(new BufferedOutputStream(Files.newOutputStream(blob)),
        sha)) {
      repeat(out, member, count / 1000);
      out.write(endMember);
    }
    size = Files.size(blob);
    String digest = "sha256:" + java.util.HexFormat.of().formatHex(sha.digest());
    Files.move(blob, dir.resolve("blobs/sha256/" + hex(digest)));
    Files.delete(dir.resolve("blobs/sha256/" + hex(sha256(i.layer))));
    i.layer = null;
    i.manifest = utf8(manifest(descriptor(CONFIG, sha256(i.config), i.config.length), descriptor(GZIP, digest, size)));
    Files.write(dir.resolve("blobs/sha256/" + hex(sha256(i.manifest))), i.manifest);
    Files.write(dir.resolve("index.json"), utf8(index(tagged(MANIFEST, sha256(i.manifest), i.manifest.length,
        "latest"))));
    return dir;
  }

  /**
   * index.json → A → P → A. Content addressing makes a true cycle a hash fixed point, so P is
   * stored under a name that is not its digest: the digest check must stop it.
   */
  static Path cycle(Path w, Image i) throws IOException {
    Path dir = layout(w, i);
    String p = "sha256:" + "0".repeat(64);
    byte[] a = utf8(index(descriptor(INDEX, p, 100)));
    String digestA = sha256(a);
    Files.write(dir.resolve("blobs/sha256/" + hex(digestA)), a);
    byte[] back = utf8(index(descriptor(INDEX, digestA, a.length)));
    Files.write(dir.resolve("blobs/sha256/" + hex(p)), java.util.Arrays.copyOf(back, 100));
    Files.write(dir.resolve("index.json"), utf8(index(tagged(INDEX, digestA, a.length, "loop"))));
    return dir;
  }

  /** {@code levels} nested indexes, each listing the next {@code width} times, the last the manifest. */
  static Path fanOut(Path w, int levels, int width) throws IOException {
    Image i = Image.valid();
    Path dir = layout(w, i);
    String childType = MANIFEST;
    String child = sha256(i.manifest);
    long childSize = i.manifest.length;
    for (int level = 0; level < levels; level++) {
      List<String> refs = new ArrayList<>();
      for (int n = 0; n < width; n++) {
        refs.add(descriptor(childType, child, childSize));
      }
      byte[] idx = utf8(index(String.join(",", refs)));
      Files.write(dir.resolve("blobs/sha256/" + hex(sha256(idx))), idx);
      childType = INDEX;
      child = sha256(idx);
      childSize = idx.length;
    }
    Files.write(dir.resolve("index.json"), utf8(index(tagged(INDEX, child, childSize, "fan"))));
    return dir;
  }

  // ---- the run

  @TestFactory
  Stream<DynamicTest> everyHostileInputEndsInAClearOciException() {
    assertThat(CASES.size()).isGreaterThanOrEqualTo(60);
    return CASES.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> run(c)));
  }

  private void run(Case c) throws Exception {
    Path work = Files.createTempDirectory(tmp, "case");
    String canary = "CANARY-" + UUID.randomUUID();
    Path canaryFile = work.resolve("canary.txt");
    Files.writeString(canaryFile, canary);
    Files.setLastModifiedTime(canaryFile, FileTime.fromMillis(1_000_000_000_000L));
    Path input = c.maker().make(work, canary);
    Map<String, String> before = snapshot(work);
    Throwable thrown = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
      try {
        OciImages images = OciImages.read(input, c.limits());
        if (c.action() == Action.FOREIGN_LAYER) {
          OciImages.Layer real = images.images().get(0).layers().get(0);
          images.readLayer(new OciImages.Layer(real.digest(), real.diffId(), real.size(), real.mediaType(),
              "../canary.txt"), (entry, content) -> { });
        }
        if (c.action() == Action.LIST) {
          for (OciImages.Image image : images.images()) {
            for (OciImages.Layer layer : image.layers()) {
              images.readLayer(layer, (entry, content) -> {
                assertThat(new String(content.readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1))
                    .doesNotContain(canary);
              });
            }
          }
        }
        assertThat(images.toString()).doesNotContain(canary);
        return null;
      } catch (OciException e) {
        return e;
      }
    }, c.name());
    assertThat(thrown).as(c.name() + ": expected an OciException").isInstanceOf(OciException.class);
    String message = thrown.getMessage();
    System.out.println(c.name() + "\n  -> " + message); // the report of every case, in the surefire output
    assertThat(message).as(c.name()).contains(input.toString());
    for (String fragment : c.expected()) {
      assertThat(message).as(c.name()).contains(fragment);
    }
    assertThat(message).doesNotContain(canary).as("a forged config is never shown").doesNotContain("evil!");
    assertThat(Files.readString(canaryFile)).isEqualTo(canary);
    assertThat(Files.getLastModifiedTime(canaryFile).toMillis()).isEqualTo(1_000_000_000_000L);
    assertThat(snapshot(work)).as("nothing written beside or inside the image").isEqualTo(before);
  }

  private static Map<String, String> snapshot(Path dir) throws IOException {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.toList()) {
        java.nio.file.attribute.BasicFileAttributes a = Files.readAttributes(p,
            java.nio.file.attribute.BasicFileAttributes.class, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        files.put(dir.relativize(p).toString(), a.size() + " " + a.lastModifiedTime());
      }
    }
    return files;
  }

  @Test
  void runsUnderASmallHeapInItsOwnExecution() {
    if (System.getProperty("scratchkit.hostile.heap") != null) {
      assertThat(Runtime.getRuntime().maxMemory()).isLessThanOrEqualTo(128L << 20);
    }
  }

  @Test
  void aDockerArchiveListingOneLayer20000TimesHashesItOnce() throws Exception {
    byte[] tar = new Tar().raw(header("blob", '0', 8L << 20, "", true)).raw(new byte[8 << 20]).end();
    String diffId = sha256(tar);
    String layerName = "blobs/sha256/" + hex(diffId);
    StringBuilder diffIds = new StringBuilder();
    StringBuilder layers = new StringBuilder();
    for (int n = 0; n < 20_000; n++) {
      diffIds.append(n == 0 ? "" : ",").append('"').append(diffId).append('"');
      layers.append(n == 0 ? "" : ",").append('"').append(layerName).append('"');
    }
    byte[] config = utf8(config(diffIds.toString(), "\"2024-01-02T03:04:05Z\""));
    String m = "[{\"Config\":\"blobs/sha256/" + hex(sha256(config)) + "\",\"RepoTags\":[\"dup:1\"],\"Layers\":["
        + layers + "]}]";
    Path archive = write(tmp.resolve("dup.tar"), new Tar().file("manifest.json", utf8(m))
        .file("blobs/sha256/" + hex(sha256(config)), config).file(layerName, tar).end());
    OciImages.Image image = assertTimeoutPreemptively(Duration.ofSeconds(10),
        () -> OciImages.read(archive).image("dup:1"));
    assertThat(image.layers()).hasSize(20_000);
    assertThat(image.layers().get(19_999).digest().toString()).isEqualTo(diffId);
    assertThat(image.layers().get(0).mediaType()).isEqualTo(TAR);
    assertThat(OciImages.read(archive).entries(image.layers().get(0))).hasSize(1);
  }

  @Test
  void aDockerSaveSymlinkToASharedLayerIsFollowedInsideTheArchiveAndHashedOnce() {
    byte[] tar = new Tar().file("hello.txt", utf8("hello\n")).end();
    byte[] config = utf8(config("\"" + sha256(tar) + "\",\"" + sha256(tar) + "\"", "\"2024-01-02T03:04:05Z\""));
    String m = "[{\"Config\":\"" + hex(sha256(config)) + ".json\",\"RepoTags\":[\"shared:1\"],\"Layers\":"
        + "[\"one/layer.tar\",\"two/layer.tar\"]}]";
    Path archive = write(tmp.resolve("shared.tar"), new Tar().file(hex(sha256(config)) + ".json", config)
        .entry("one/", '5', new byte[0], "").file("one/layer.tar", tar).entry("two/", '5', new byte[0], "")
        .entry("two/layer.tar", '2', new byte[0], "../one/layer.tar").file("manifest.json", utf8(m)).end());
    OciImages images = OciImages.read(archive);
    OciImages.Image image = images.image("shared:1");
    assertThat(image.layers()).extracting(l -> l.digest().toString()).containsExactly(sha256(tar), sha256(tar));
    assertThat(image.layers().get(1).blobPath()).isEqualTo("two/layer.tar");
    assertThat(images.entries(image.layers().get(1))).extracting(OciImages.Entry::path).containsExactly("/hello.txt");
  }

  @Test
  void aBigConfigListedThousandsOfTimesAmongManyJunkBlobsIsReadOnce() throws Exception {
    byte[] config = utf8(config("", "\"2024-01-02T03:04:05Z\"").replace("{\"created\"",
        "{\"pad\":\"" + "x".repeat(3 << 20) + "\",\"created\""));
    String entry = "{\"Config\":\"blobs/sha256/" + hex(sha256(config)) + "\",\"Layers\":[]}";
    String manifest = "[" + String.join(",", java.util.Collections.nCopies(5_000, entry)) + "]";
    Tar t = new Tar().file("manifest.json", utf8(manifest)).file("blobs/sha256/" + hex(sha256(config)), config);
    for (int n = 0; n < 500; n++) {
      byte[] junk = utf8("{\"junk\":" + n + "}");
      t.file("blobs/sha256/" + hex(sha256(junk)), junk);
    }
    Path archive = write(tmp.resolve("big-config.tar"), t.end());
    OciImages images = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> OciImages.read(archive));
    String digest = sha256(config);
    assertThat(images.images()).hasSize(5_000).allMatch(i -> i.configDigest().toString().equals(digest));
  }

  @Test
  void aLegacyDockerSaveLayoutReadsWithVerifiedDigests() {
    byte[] tar = new Tar().file("hello.txt", utf8("hello\n")).end();
    byte[] config = utf8(config("\"" + sha256(tar) + "\"", "\"2024-01-02T03:04:05.123456789Z\""));
    String id = "0".repeat(63) + "1";
    String m = "[{\"Config\":\"" + hex(sha256(config)) + ".json\",\"RepoTags\":[\"legacy:1\"],\"Layers\":[\""
        + id + "/layer.tar\"]}]";
    Path archive = write(tmp.resolve("legacy.tar"), new Tar().file(hex(sha256(config)) + ".json", config)
        .entry(id + "/", '5', new byte[0], "").file(id + "/VERSION", utf8("1.0")).file(id + "/json", utf8("{}"))
        .file(id + "/layer.tar", tar).file("manifest.json", utf8(m))
        .file("repositories", utf8("{\"legacy\":{\"1\":\"" + id + "\"}}")).end());
    OciImages images = OciImages.read(archive);
    assertThat(images.kind()).isEqualTo(OciImages.Kind.DOCKER_ARCHIVE);
    OciImages.Image image = images.image("legacy:1");
    assertThat(image.configDigest().toString()).isEqualTo(sha256(config));
    assertThat(image.layers().get(0).digest().toString()).isEqualTo(sha256(tar));
    assertThat(image.layers().get(0).diffId().toString()).isEqualTo(sha256(tar));
    assertThat(image.manifestJson()).isNull();
    assertThat(image.created()).isEqualTo(java.time.Instant.parse("2024-01-02T03:04:05.123456789Z"));
    assertThat(images.entries(image.layers().get(0))).extracting(OciImages.Entry::toString)
        .containsExactly("file 0644 0:0 6 /hello.txt");
  }
}
