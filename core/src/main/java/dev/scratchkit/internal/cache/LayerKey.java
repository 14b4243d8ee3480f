package dev.scratchkit.internal.cache;

import dev.scratchkit.internal.oci.DigestingOutputStream;
import dev.scratchkit.internal.oci.RecentlyUsed;
import dev.scratchkit.internal.oci.SourceFiles;
import dev.scratchkit.oci.LayerEntry;
import dev.scratchkit.oci.LayerSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The cache key of a layer: a SHA-256 over its normalised entries, the creation time and the
 * compression settings, plus the identities of its host files so that a writer can check,
 * after the layer is written, that no source changed meanwhile.
 *
 * <p>A host file enters the key by its content where that is cheap, so a file rewritten with
 * the same bytes (a build tool regenerating a config) is still a hit: a file whose SHA-256 was
 * taken when its entry was made (every ELF file, for the checks) by that digest; a file of at most
 * {@value #HASHED_SIZE} bytes by its SHA-256, taken through the same checked open as writing
 * (which refuses a file that is no longer the recorded one) and remembered in this JVM by its
 * identity, so an unchanged file is not read again. A larger file without a digest enters by its
 * identity (absolute path, size, modification time, change time and inode), so an unchanged large
 * file is never read just to make its key; where the file system gives no file key, its content
 * hash is used instead (read once more, still much cheaper than compressing). The layer writer
 * refuses a file that is no longer the recorded one, so a key never stands for other bytes.
 *
 * @param hex the key, 64 hex digits
 * @param sources each host file with its identity at key time
 */
public record LayerKey(String hex, List<SourceIdentity> sources) {

  /** Bump when the tar framing or the key changes, so old entries are never reused. */
  static final String FORMAT = "scratchkit-layer-cache/2";

  /** Files up to this size enter the key by their content (read once per identity and JVM). */
  static final long HASHED_SIZE = 1 << 20;

  /** A host file and the identity it had; {@code identity} is compared as a whole. */
  public record SourceIdentity(Path path, String identity) {
    /** Validates. */
    public SourceIdentity {
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(identity, "identity");
    }

    // Written out: the generated pair is linked through invokedynamic on first use, 10 to 50 ms of
    // every new JVM. RecordMethodsTest holds them to the generated answers and hashes.
    @Override
    public boolean equals(Object o) {
      return o instanceof SourceIdentity s && path.equals(s.path) && identity.equals(s.identity);
    }

    @Override
    public int hashCode() {
      return 31 * path.hashCode() + identity.hashCode();
    }
  }

  /** Validates and copies. */
  public LayerKey {
    Objects.requireNonNull(hex, "hex");
    sources = List.copyOf(sources);
  }

  /**
   * Computes the key.
   *
   * @param compressionId everything that decides the compressed bytes
   * @throws IOException when a source cannot be examined
   */
  public static LayerKey of(LayerSpec layer, Instant created, String compressionId) throws IOException {
    Made made = MADE.get(layer);
    List<SourceFiles.HostFile> hosts = hosts(layer);
    if (made != null && made.created().equals(created) && made.compressionId().equals(compressionId)
        && made.hosts().equals(hosts)) {
      return made.key(); // the same entries, host files of the same identities: the same key
    }
    LayerKey key = compute(layer, created, compressionId);
    MADE.put(layer, new Made(created, compressionId, hosts, key));
    return key;
  }

  /**
   * A key made in this JVM, with what it was made from beyond the layer's entries (whose equality
   * leaves out the host files' identities).
   */
  private record Made(Instant created, String compressionId, List<SourceFiles.HostFile> hosts, LayerKey key) {}

  /**
   * Keys of recent layers: a rebuild gets the key of an unchanged layer (scratchkit's time zone
   * data, a Java runtime: thousands of entries) without hashing it again; bounded, least recently
   * used out.
   */
  private static final Map<LayerSpec, Made> MADE = RecentlyUsed.map(64);

  /** The recorded host file of every entry that has one, in entry order. */
  private static List<SourceFiles.HostFile> hosts(LayerSpec layer) {
    List<SourceFiles.HostFile> hosts = new ArrayList<>();
    for (LayerEntry e : layer.entries()) {
      SourceFiles.HostFile host = e.source().isPresent() ? SourceFiles.hostFile(e) : null;
      if (host != null) {
        hosts.add(host);
      }
    }
    return hosts;
  }

  private static LayerKey compute(LayerSpec layer, Instant created, String compressionId) throws IOException {
    MessageDigest sha = DigestingOutputStream.newSha256();
    List<SourceIdentity> sources = new ArrayList<>();
    field(sha, FORMAT);
    field(sha, compressionId);
    field(sha, Long.toString(created.getEpochSecond())); // the tar holds whole seconds
    for (LayerEntry e : layer.entries()) {
      field(sha, e.type().name());
      field(sha, e.path().path());
      field(sha, Integer.toOctalString(e.mode()));
      field(sha, e.uid() + ":" + e.gid());
      field(sha, e.link().orElse(""));
      if (e.modified().isPresent()) {
        field(sha, "mtime " + e.modified().get().getEpochSecond());
      }
      if (e.content().isPresent()) {
        field(sha, "bytes " + HexFormat.of().formatHex(DigestingOutputStream.newSha256().digest(e.content().get())));
      } else if (e.source().isPresent()) {
        SourceFiles.HostFile host = SourceFiles.hostFile(e);
        SourceIdentity id = identify(host);
        sources.add(id);
        field(sha, contentOrIdentity(e, host, id));
      } else {
        field(sha, "-");
      }
    }
    return new LayerKey(HexFormat.of().formatHex(sha.digest()), sources);
  }

  /**
   * Whether every host file still has the identity it had when the key was made.
   *
   * @return false when any changed or cannot be examined
   */
  public boolean sourcesUnchanged() {
    for (SourceIdentity s : sources) {
      try {
        if (!identify(SourceFiles.recordNow(s.path())).equals(s)) {
          return false;
        }
      } catch (IOException | RuntimeException e) {
        return false;
      }
    }
    return true;
  }

  /** What of a host file goes into the key: its content digest where cheap, else its identity. */
  private static String contentOrIdentity(LayerEntry e, SourceFiles.HostFile host, SourceIdentity id) {
    String digest = host.sha256();
    if (digest == null && host.size() <= HASHED_SIZE) {
      // Remembered by identity in this JVM; refuses (naming the file) when it is no longer the recorded one.
      digest = SourceFiles.hostFile(SourceFiles.withContentDigest(e)).sha256();
    }
    return digest == null ? id.identity() : "content size=" + host.size() + " sha256=" + digest;
  }

  /** The identity of a recorded host file; the content hash where the file system has no file key. */
  static SourceIdentity identify(SourceFiles.HostFile host) throws IOException {
    if (host.fileKey() == null) {
      return new SourceIdentity(host.path(), "content " + host.path() + " " + host.size() + " sha256="
          + contentHash(host.path()));
    }
    return new SourceIdentity(host.path(), host.identity());
  }

  private static String contentHash(Path p) throws IOException {
    MessageDigest sha = DigestingOutputStream.newSha256();
    byte[] buffer = new byte[64 * 1024];
    try (InputStream in = Files.newInputStream(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      int n;
      while ((n = in.read(buffer)) > 0) {
        sha.update(buffer, 0, n);
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  /** Length-prefixed, so no two different entry lists hash the same bytes. */
  private static void field(MessageDigest sha, String value) {
    byte[] b = value.getBytes(StandardCharsets.UTF_8);
    sha.update((b.length + ":").getBytes(StandardCharsets.US_ASCII));
    sha.update(b);
    sha.update((byte) '\n');
  }

  @Override
  public String toString() {
    return "layer key " + hex + " (" + sources.size() + " host files)";
  }
}
