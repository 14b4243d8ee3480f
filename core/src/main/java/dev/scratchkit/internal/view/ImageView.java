package dev.scratchkit.internal.view;

import dev.scratchkit.elf.ElfException;
import dev.scratchkit.elf.ElfFile;
import dev.scratchkit.elf.Platform;
import dev.scratchkit.elf.RootFileSystem;
import dev.scratchkit.oci.ContainerConfig;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * An image as the runtime will see it: platform, config, and the merged file system (layers
 * applied in order with OCI whiteouts, hard links resolved to their files), each regular file's
 * bytes readable whether they come from a host file, bytes in memory or a layer blob.
 *
 * <p>Merging follows overlayfs, the runtime's usual storage: a layer's entry replaces what lower
 * layers have at its exact path; a directory replaced by anything else hides everything below it;
 * a parent directory a layer creates implicitly shadows a lower layer's symlink at that path.
 * Every such change of kind is kept ({@link #changes()}), since a run-time failure often starts
 * there.
 *
 * <p>Memory stays bounded: the view keeps every entry's metadata and the first
 * {@value #HEAD_BYTES} bytes of each file, and a file's whole content only when the source
 * already holds it (host file, bytes) or it is small; any other content is read again from its
 * layer when asked for and then kept in a temporary file, which {@link #close()} deletes.
 */
public final class ImageView implements RootFileSystem, Closeable {

  /** Bytes of every regular file kept for quick checks: ELF header, {@code #!} line. */
  public static final int HEAD_BYTES = 64;
  /** At most this many entries in all layers together. */
  static final int MAX_ENTRIES = 1_000_000;
  /** Symbolic links followed in one lookup, as Linux's own limit. */
  public static final int MAX_LINKS = 40;

  /** The kind of entry in the merged file system; hard links are files. */
  public enum Type { FILE, DIRECTORY, SYMLINK }

  /** Where the bytes of a file come from. */
  public interface Content {
    /** {@return a stream of the file's bytes} @throws IOException if they cannot be read */
    InputStream open() throws IOException;

    /** {@return the file on this machine holding the bytes, if there is one (a host file)} */
    default Optional<Path> hostFile() {
      return Optional.empty();
    }

    /** Told the file's first bytes when a check has read them, to remember them for a rebuild. */
    default void headRead(byte[] head) {}
  }

  /**
   * One entry of the merged file system.
   *
   * @param path absolute, normalised
   * @param type file, directory or symlink
   * @param mode permission bits (07777)
   * @param uid owner
   * @param gid group
   * @param size file size (0 for others)
   * @param link symlink text, else {@code null}
   * @param layer the index of the layer that put it there (0 for the first)
   * @param content a file's bytes, else {@code null}
   * @param head a file's first bytes (up to {@link #HEAD_BYTES}), or {@code null} until read
   */
  public record Node(String path, Type type, int mode, long uid, long gid, long size, String link, int layer,
      Content content, byte[] head) {
    /** {@return true for a directory} */
    public boolean isDirectory() {
      return type == Type.DIRECTORY;
    }

    /** {@return true for a regular file} */
    public boolean isFile() {
      return type == Type.FILE;
    }

    /** {@return true if any execute bit is set} */
    public boolean isExecutable() {
      return (mode & 0111) != 0;
    }

    Node withHead(byte[] bytes) {
      return new Node(path, type, mode, uid, gid, size, link, layer, content, bytes);
    }

    @Override
    public String toString() {
      return type.name().toLowerCase(java.util.Locale.ROOT) + " " + path + " 0" + Integer.toOctalString(mode) + " "
          + uid + ":" + gid + (link != null ? " -> " + link : type == Type.FILE ? " (" + size + " bytes)" : "")
          + " from layer " + (layer + 1);
    }
  }

  /**
   * A path whose kind a layer changed: a directory replaced by a file or link, or the reverse.
   *
   * @param path the path
   * @param layer the index of the layer that changed it
   * @param before what lower layers had there
   * @param after what the layer put there
   * @param hidden paths below a replaced directory that are gone with it, in order
   */
  public record Change(String path, int layer, Node before, Type after, List<String> hidden) {
    /** Copies the list. */
    public Change {
      hidden = List.copyOf(hidden);
    }
  }

  /** Why a path does not lead to an entry. */
  public enum Failure {
    /** Nothing there. */
    MISSING,
    /** A component on the way is a file or a dangling link, not a directory. */
    NOT_A_DIRECTORY,
    /** More than {@link #MAX_LINKS} links. */
    TOO_MANY_LINKS
  }

  /**
   * The result of following a path.
   *
   * @param node the entry found, or {@code null}
   * @param realPath the path after every link, or where the walk stopped
   * @param links each link followed, as {@code path -> target}
   * @param failure why nothing was found, or {@code null}
   * @param blocker the entry on the way that is not a directory, for {@link Failure#NOT_A_DIRECTORY}
   */
  public record Resolution(Node node, String realPath, List<String> links, Failure failure, Node blocker) {
    /** {@return true when an entry was found} */
    public boolean found() {
      return node != null;
    }
  }

  private final String name;
  private final boolean builtByScratchkit;
  private final Platform platform;
  private final ContainerConfig config;
  private final List<String> env;
  private final List<String> layers;
  private final NavigableMap<String, Node> nodes;
  private final List<Change> changes;
  private final List<String> anomalies;
  private final Map<String, Path> localFiles = new HashMap<>();
  private final Map<String, Optional<ElfFile>> elfFiles = new HashMap<>();
  private Path spool;

  ImageView(String name, boolean builtByScratchkit, Platform platform, ContainerConfig config, List<String> env,
      List<String> layers, NavigableMap<String, Node> nodes, List<Change> changes, List<String> anomalies) {
    this.name = name;
    this.builtByScratchkit = builtByScratchkit;
    this.platform = platform;
    this.config = config;
    this.env = List.copyOf(env);
    this.layers = List.copyOf(layers);
    this.nodes = nodes;
    this.changes = List.copyOf(changes);
    this.anomalies = List.copyOf(anomalies);
  }

  /** {@return what the image is, for messages: e.g. {@code app:1 in /tmp/app.tar}} */
  public String name() {
    return name;
  }

  /** {@return true for scratchkit's candidate image, whose fixes are builder calls} */
  public boolean builtByScratchkit() {
    return builtByScratchkit;
  }

  /** {@return the config's platform} */
  public Platform platform() {
    return platform;
  }

  /** {@return the runtime config} */
  public ContainerConfig config() {
    return config;
  }

  /** {@return the {@code Env} entries exactly as the config has them, malformed ones included} */
  public List<String> env() {
    return env;
  }

  /**
   * The value of an environment variable: the last entry of that name wins, as in runc.
   *
   * @param variable e.g. {@code PATH}
   * @return its value, if set
   */
  public Optional<String> envValue(String variable) {
    String value = null;
    for (String e : env) {
      if (e.startsWith(variable + "=")) {
        value = e.substring(variable.length() + 1);
      }
    }
    return Optional.ofNullable(value);
  }

  /** {@return each layer's description, in order} */
  public List<String> layers() {
    return layers;
  }

  /** {@return every entry, sorted by path} */
  public Stream<Node> entries() {
    return nodes.values().stream();
  }

  /** {@return the paths whose kind a layer changed, in layer order} */
  public List<Change> changes() {
    return changes;
  }

  /** {@return entries the merge had to drop (a path above the root, a link to nothing), as sentences} */
  public List<String> anomalies() {
    return anomalies;
  }

  /**
   * The entry at a path, without following a symbolic link there ({@code lstat}).
   *
   * @param path an absolute path, normalised
   * @return the entry
   */
  public Optional<Node> entry(String path) {
    return Optional.ofNullable(nodes.get(normalise(path)));
  }

  /**
   * Follows a path as the kernel does, inside the image root only: links (at most
   * {@value #MAX_LINKS}), an absolute link target restarting at the root, {@code ..} never above it.
   *
   * @param path an absolute path
   * @return what is there, or why nothing is
   */
  public Resolution resolve(String path) {
    Deque<String> todo = new ArrayDeque<>(components(path));
    List<String> done = new ArrayList<>();
    List<String> links = new ArrayList<>();
    Node node = null;
    while (!todo.isEmpty()) {
      String c = todo.pollFirst();
      if (c.equals("..")) {
        if (!done.isEmpty()) {
          done.remove(done.size() - 1);
        }
        node = null;
        continue;
      }
      if (node != null && !node.isDirectory()) {
        return new Resolution(null, join(done), links, Failure.NOT_A_DIRECTORY, node);
      }
      done.add(c);
      node = nodes.get(join(done));
      if (node == null) {
        return new Resolution(null, join(done), links, Failure.MISSING, null);
      }
      if (node.type() == Type.SYMLINK) {
        if (links.size() >= MAX_LINKS) {
          return new Resolution(null, join(done), links, Failure.TOO_MANY_LINKS, null);
        }
        links.add(join(done) + " -> " + node.link());
        done.remove(done.size() - 1);
        if (node.link().startsWith("/")) {
          done.clear();
        }
        List<String> parts = components(node.link());
        for (int i = parts.size() - 1; i >= 0; i--) {
          todo.addFirst(parts.get(i));
        }
        node = done.isEmpty() ? null : nodes.get(join(done));
      }
    }
    if (done.isEmpty()) {
      node = rootNode();
    } else if (node == null) {
      node = nodes.get(join(done));
    }
    return node == null ? new Resolution(null, join(done), links, Failure.MISSING, null)
        : new Resolution(node, join(done), links, null, null);
  }

  private static Node rootNode() {
    return new Node("/", Type.DIRECTORY, 0755, 0, 0, 0, null, 0, null, null);
  }

  /** {@return the entries directly in a directory (given by its real path), sorted} */
  public List<Node> children(String directory) {
    String prefix = directory.equals("/") ? "/" : normalise(directory) + "/";
    List<Node> out = new ArrayList<>();
    for (Node n : nodes.subMap(prefix, true, prefix.substring(0, prefix.length() - 1) + "0", false).values()) {
      if (n.path().indexOf('/', prefix.length()) < 0 && n.path().length() > prefix.length()) {
        out.add(n);
      }
    }
    return out;
  }

  /**
   * A file's first bytes.
   *
   * @param file a regular file of this view
   * @return up to {@link #HEAD_BYTES} bytes
   */
  public byte[] head(Node file) {
    if (file.head() != null) {
      return file.head();
    }
    byte[] head = read(file, HEAD_BYTES);
    file.content().headRead(head);
    nodes.computeIfPresent(file.path(), (p, n) -> n.content() == file.content() ? n.withHead(head) : n);
    return head;
  }

  /**
   * Up to {@code max} bytes of a file.
   *
   * @param file a regular file of this view
   * @param max the most bytes to read
   * @return the bytes, at most {@code max}
   * @throws UncheckedIOException if the content cannot be read
   */
  public byte[] read(Node file, int max) {
    if (!file.isFile()) {
      return new byte[0];
    }
    try (InputStream in = file.content().open()) {
      return in.readNBytes(max);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file.path() + " of " + name + ": " + e.getMessage(), e);
    }
  }

  /**
   * A file on this machine with a regular file's bytes: the host file itself when the image
   * takes it from there, else a temporary copy kept until {@link #close()}.
   *
   * @param file a regular file of this view
   * @return a readable file
   * @throws UncheckedIOException if the content cannot be read or written
   */
  public synchronized Path localFile(Node file) {
    Optional<Path> host = file.content().hostFile();
    if (host.isPresent()) {
      return host.get();
    }
    Path local = localFiles.get(file.path());
    if (local != null) {
      return local;
    }
    try {
      if (spool == null) {
        spool = Files.createTempDirectory("scratchkit-view");
      }
      local = Files.createTempFile(spool, "entry", ".bin");
      try (InputStream in = file.content().open()) {
        Files.copy(in, local, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file.path() + " of " + name + ": " + e.getMessage(), e);
    }
    localFiles.put(file.path(), local);
    return local;
  }

  /**
   * The file read as ELF, once per path.
   *
   * @param file a regular file of this view
   * @return the ELF file, or empty if it is not ELF (or is malformed)
   */
  public synchronized Optional<ElfFile> elf(Node file) {
    if (!file.isFile() || !isElf(head(file))) {
      return Optional.empty();
    }
    return elfFiles.computeIfAbsent(file.path(), p -> {
      try {
        return Optional.of(ElfFiles.read(localFile(file)));
      } catch (ElfException | UncheckedIOException e) {
        return Optional.empty();
      }
    });
  }

  /** {@return true if the bytes start with the ELF magic} */
  public static boolean isElf(byte[] head) {
    return head.length >= 4 && head[0] == 0x7f && head[1] == 'E' && head[2] == 'L' && head[3] == 'F';
  }

  // ---- RootFileSystem, for the library resolver

  @Override
  public Optional<RootFileSystem.Node> lookup(String path) {
    Node n = path.equals("/") ? rootNode() : nodes.get(path);
    if (n == null) {
      return Optional.empty();
    }
    return Optional.of(new RootFileSystem.Node(n.type() == Type.FILE ? RootFileSystem.Type.FILE
        : n.type() == Type.DIRECTORY ? RootFileSystem.Type.DIRECTORY : RootFileSystem.Type.SYMLINK, n.link()));
  }

  @Override
  public Path localFile(String path) {
    Node n = nodes.get(path);
    if (n == null || !n.isFile()) {
      throw new UncheckedIOException(new IOException(path + " is not a regular file of " + name));
    }
    return localFile(n);
  }

  @Override
  public List<String> list(String directory) {
    return children(directory).stream().map(n -> n.path().substring(n.path().lastIndexOf('/') + 1)).toList();
  }

  /** Deletes the temporary copies. */
  @Override
  public synchronized void close() {
    if (spool == null) {
      return;
    }
    try (Stream<Path> files = Files.walk(spool)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // temporary files only; the OS cleans its temp directory
    }
    spool = null;
    localFiles.clear();
  }

  @Override
  public String toString() {
    return "ImageView[" + name + ", " + platform + ", " + layers.size() + " layers, " + nodes.size() + " entries]";
  }

  // ---- paths

  /** The components of a path, without empty ones and {@code .}; {@code ..} is kept. */
  static List<String> components(String path) {
    List<String> out = new ArrayList<>();
    for (String part : path.split("/")) {
      if (!part.isEmpty() && !part.equals(".")) {
        out.add(part);
      }
    }
    return out;
  }

  static String join(List<String> components) {
    return "/" + String.join("/", components);
  }

  /** An absolute path without empty components or {@code .}; {@code ..} is resolved lexically, never above the root. */
  public static String normalise(String path) {
    List<String> out = new ArrayList<>();
    for (String c : components(path)) {
      if (c.equals("..")) {
        if (!out.isEmpty()) {
          out.remove(out.size() - 1);
        }
      } else {
        out.add(c);
      }
    }
    return join(out);
  }

  /** The parent of a normalised path; {@code /} for the root. */
  public static String parent(String path) {
    int slash = path.lastIndexOf('/');
    return slash <= 0 ? "/" : path.substring(0, slash);
  }

  /** Builds a view layer by layer: the merge. */
  public static final class Builder {
    private final String name;
    private final boolean builtByScratchkit;
    private final Platform platform;
    private final ContainerConfig config;
    private final List<String> env;
    private final List<String> layers = new ArrayList<>();
    private final TreeMap<String, Node> nodes = new TreeMap<>();
    private final List<Change> changes = new ArrayList<>();
    private final List<String> anomalies = new ArrayList<>();
    private int count;
    /** Whether a whiteout or replaced directory removed nodes, which may leave a node without its parents. */
    private boolean removedAny;

    /**
     * A view without layers yet.
     *
     * @param name what the image is, for messages
     * @param builtByScratchkit true for scratchkit's candidate image
     * @param platform the config's platform
     * @param config the runtime config
     * @param env the {@code Env} entries exactly as stored
     */
    public Builder(String name, boolean builtByScratchkit, Platform platform, ContainerConfig config,
        List<String> env) {
      this.name = name;
      this.builtByScratchkit = builtByScratchkit;
      this.platform = platform;
      this.config = config;
      this.env = List.copyOf(env);
    }

    /**
     * Starts the next layer.
     *
     * @param description e.g. its history comment or digest
     * @return this
     */
    public Builder layer(String description) {
      layers.add(description);
      return this;
    }

    /**
     * Applies one tar entry of the current layer.
     *
     * @param rawPath the entry's name, as in the tar
     * @param type file, directory, symlink or hard link
     * @param mode permission bits
     * @param uid owner
     * @param gid group
     * @param size a file's size
     * @param link a symlink's text, or a hard link's target path; else {@code null}
     * @param content a file's bytes, else {@code null}
     * @param head a file's first bytes if already at hand, else {@code null}
     * @return this
     * @throws IllegalStateException past {@value ImageView#MAX_ENTRIES} entries
     */
    public Builder add(String rawPath, dev.scratchkit.oci.LayerEntry.Type type, int mode, long uid, long gid,
        long size, String link, Content content, byte[] head) {
      countEntry();
      int layer = layers.size() - 1;
      List<String> parts = components(rawPath);
      if (parts.contains("..")) {
        anomalies.add("layer " + (layer + 1) + " has the entry " + rawPath + ", which climbs out of the root; "
            + "runtimes refuse such a layer");
        return this;
      }
      if (parts.isEmpty()) {
        return this; // the root itself: its metadata does not matter here
      }
      return addAt(join(parts), parts.get(parts.size() - 1), layer, type, mode, uid, gid, size, link, content, head);
    }

    /**
     * As {@link #add(String, dev.scratchkit.oci.LayerEntry.Type, int, long, long, long, String,
     * Content, byte[])} for an entry of scratchkit's own image, whose path is already absolute and
     * normalised: nothing to parse.
     */
    public Builder add(dev.scratchkit.oci.ImagePath imagePath, dev.scratchkit.oci.LayerEntry.Type type, int mode,
        long uid, long gid, long size, String link, Content content, byte[] head) {
      countEntry();
      if (imagePath.isRoot()) {
        return this; // the root itself: its metadata does not matter here
      }
      return addAt(imagePath.path(), imagePath.fileName(), layers.size() - 1, type, mode, uid, gid, size, link,
          content, head);
    }

    /** Counts one more entry, refusing beyond {@link #MAX_ENTRIES}; the first entry opens layer 1 if none was named. */
    private void countEntry() {
      if (layers.isEmpty()) {
        layers.add("layer 1");
      }
      if (++count > MAX_ENTRIES) {
        throw new IllegalStateException(name + " has more than " + MAX_ENTRIES + " layer entries; it is not an"
            + " image a container could start from in reasonable time");
      }
    }

    private Builder addAt(String path, String fileName, int layer, dev.scratchkit.oci.LayerEntry.Type type, int mode,
        long uid, long gid, long size, String link, Content content, byte[] head) {
      String dir = parent(path);
      if (fileName.equals(".wh..wh..opq")) {
        removeBelow(dir, layer, false);
        return this;
      }
      if (fileName.startsWith(".wh.")) {
        String hidden = (dir.equals("/") ? "" : dir) + "/" + fileName.substring(4);
        Node gone = nodes.get(hidden);
        if (gone != null && gone.layer() < layer) {
          removedAny = true;
          nodes.remove(hidden);
          removeBelow(hidden, layer, false);
        }
        return this;
      }
      ensureParents(dir, layer);
      Node node;
      switch (type) {
        case DIRECTORY:
          node = new Node(path, Type.DIRECTORY, mode & 07777, uid, gid, 0, null, layer, null, null);
          break;
        case SYMLINK:
          node = new Node(path, Type.SYMLINK, mode & 07777, uid, gid, 0, link == null ? "" : link, layer, null, null);
          break;
        case HARD_LINK:
          Node target = link == null ? null : nodes.get(normalise(link));
          if (target == null || !target.isFile()) {
            anomalies.add("layer " + (layer + 1) + " has the hard link " + path + " to " + link
                + ", which is not a regular file before it; runtimes refuse such a layer");
            return this;
          }
          node = new Node(path, Type.FILE, target.mode(), target.uid(), target.gid(), target.size(), null, layer,
              target.content(), target.head());
          break;
        default:
          node = new Node(path, Type.FILE, mode & 07777, uid, gid, size, null, layer, content, head);
          break;
      }
      put(node);
      return this;
    }

    private void put(Node node) {
      Node before = nodes.get(node.path());
      if (before != null) {
        if (before.isDirectory() && node.isDirectory()) {
          nodes.put(node.path(), node);
          return;
        }
        if (before.isDirectory() != node.isDirectory()) {
          List<String> hidden = before.isDirectory() ? removeBelow(node.path(), node.layer(), true) : List.of();
          changes.add(new Change(node.path(), node.layer(), before, node.type(), hidden));
        }
      }
      nodes.put(node.path(), node);
    }

    /** Missing parents become directories; a lower layer's file or link there is shadowed (overlayfs). */
    private void ensureParents(String dir, int layer) {
      if (dir.equals("/")) {
        return;
      }
      Node existing = nodes.get(dir);
      if (!removedAny && existing != null && existing.isDirectory()) {
        return; // put after its own parents, none of which was removed since: nothing to do above it
      }
      ensureParents(parent(dir), layer);
      if (existing == null || !existing.isDirectory()) {
        put(new Node(dir, Type.DIRECTORY, 0755, 0, 0, 0, null, layer, null, null));
      }
    }

    /** Removes everything below a directory from lower layers (or from all, for a replaced directory). */
    private List<String> removeBelow(String dir, int layer, boolean all) {
      removedAny = true;
      String prefix = dir.equals("/") ? "/" : dir + "/";
      String end = prefix.substring(0, prefix.length() - 1) + "0";
      NavigableMap<String, Node> below = nodes.subMap(prefix, true, end, false);
      List<String> removed = new ArrayList<>();
      below.values().removeIf(n -> {
        if (all || n.layer() < layer) {
          removed.add(n.path());
          return true;
        }
        return false;
      });
      return removed;
    }

    /** {@return the view} */
    public ImageView build() {
      return new ImageView(name, builtByScratchkit, platform, config, env, layers, nodes, changes, anomalies);
    }
  }
}
