package dev.scratchkit.elf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The target filesystem seen from this machine: absolute in-image paths are walked one component
 * at a time in a {@link RootFileSystem} (a sysroot, or an image's layers), following symbolic
 * links inside it (an absolute link target restarts at the root, {@code ..} never climbs above
 * it), so a lookup never escapes the root and every link followed is recorded.
 *
 * <p>An application directory outside the sysroot can be laid over one in-image directory: paths
 * reached from the program's {@code $ORIGIN} then walk the host directory instead.
 */
final class ImageFs {

  static final int MAX_LINKS = 40;

  enum Kind { FILE, DIRECTORY }

  /** The result of a walk: the links followed and the real path (in the image; for a file, on this machine). */
  record Walk(List<Symlink> links, String realPath, Path hostPath, Kind kind) {
    Walk withHostPath(Path host) {
      return new Walk(links, realPath, host, kind);
    }
  }

  private final RootFileSystem root;
  private final List<String> appImageDir;
  private final Path appHostDir;
  private final Map<String, Walk> memo = new HashMap<>();

  ImageFs(RootFileSystem root, String appImageDir, Path appHostDir) {
    this.root = root;
    this.appImageDir = appImageDir == null ? null : components(appImageDir);
    this.appHostDir = appHostDir;
  }

  /** Walks an absolute in-image path; {@code app} starts in the application overlay. Null if absent. */
  Walk walk(String imagePath, boolean app) {
    String key = (app ? "A" : "S") + imagePath;
    if (memo.containsKey(key)) {
      return memo.get(key);
    }
    Walk walk = doWalk(imagePath, app && appHostDir != null);
    memo.put(key, walk);
    return walk;
  }

  private Walk doWalk(String imagePath, boolean app) {
    Deque<String> todo = new ArrayDeque<>(components(imagePath));
    List<String> done = new ArrayList<>();
    List<Symlink> links = new ArrayList<>();
    boolean inApp = app;
    RootFileSystem.Node node = new RootFileSystem.Node(RootFileSystem.Type.DIRECTORY, null);
    while (!todo.isEmpty()) {
      String c = todo.pollFirst();
      if (c.equals("..")) {
        if (!done.isEmpty()) {
          done.remove(done.size() - 1);
        }
        node = null;
        continue;
      }
      done.add(c);
      node = lookup(done, inApp);
      if (node == null) {
        return null;
      }
      if (node.type() == RootFileSystem.Type.SYMLINK) {
        if (links.size() >= MAX_LINKS) {
          return null;
        }
        String text = node.linkTarget();
        links.add(new Symlink(join(done), text));
        done.remove(done.size() - 1);
        if (text.startsWith("/")) {
          done.clear();
          inApp = false;
        }
        List<String> parts = components(text);
        for (int i = parts.size() - 1; i >= 0; i--) {
          todo.addFirst(parts.get(i));
        }
        node = null;
      } else if (!todo.isEmpty() && node.type() != RootFileSystem.Type.DIRECTORY) {
        return null;
      }
    }
    if (node == null) {
      node = done.isEmpty() ? new RootFileSystem.Node(RootFileSystem.Type.DIRECTORY, null) : lookup(done, inApp);
      if (node == null) {
        return null;
      }
    }
    Kind kind = node.type() == RootFileSystem.Type.FILE ? Kind.FILE
        : node.type() == RootFileSystem.Type.DIRECTORY ? Kind.DIRECTORY : null;
    if (kind == null) {
      return null;
    }
    // A file of the root gets its local copy only when its content is read (hostPath(walk)).
    Path host = kind == Kind.FILE && inApp ? host(done) : null;
    return new Walk(List.copyOf(links), join(done), host, kind);
  }

  /** The walk of a file with its file on this machine, which the root provides on demand. */
  Walk withContent(Walk walk) {
    return walk.hostPath() != null ? walk : walk.withHostPath(root.localFile(walk.realPath()));
  }

  private RootFileSystem.Node lookup(List<String> done, boolean inApp) {
    if (!inApp) {
      return root.lookup(join(done)).orElse(null);
    }
    Path host = host(done);
    try {
      BasicFileAttributes a = Files.readAttributes(host, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (a.isSymbolicLink()) {
        return new RootFileSystem.Node(RootFileSystem.Type.SYMLINK, Files.readSymbolicLink(host).toString());
      }
      return new RootFileSystem.Node(a.isRegularFile() ? RootFileSystem.Type.FILE
          : a.isDirectory() ? RootFileSystem.Type.DIRECTORY : RootFileSystem.Type.OTHER, null);
    } catch (IOException | SecurityException | UnsupportedOperationException e) {
      return null;
    }
  }

  /** The host path of an in-image path inside the application overlay. */
  private Path host(List<String> image) {
    // In the overlay: the host directory stands for appImageDir; walk relative to it.
    int common = 0;
    while (common < image.size() && common < appImageDir.size() && image.get(common).equals(appImageDir.get(common))) {
      common++;
    }
    Path p = appHostDir;
    for (int i = common; i < appImageDir.size(); i++) {
      p = p.getParent() == null ? p : p.getParent();
    }
    for (int i = common; i < image.size(); i++) {
      p = p.resolve(image.get(i));
    }
    return p;
  }

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

  static String parent(String imagePath) {
    int slash = imagePath.lastIndexOf('/');
    return slash <= 0 ? "/" : imagePath.substring(0, slash);
  }
}
