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
 * at a time under the sysroot, following symbolic links inside the sysroot (an absolute link
 * target restarts at the sysroot, {@code ..} never climbs above it), so a lookup never escapes
 * the sysroot and every link followed is recorded.
 *
 * <p>An application directory outside the sysroot can be laid over one in-image directory: paths
 * reached from the program's {@code $ORIGIN} then walk the host directory instead.
 */
final class ImageFs {

  static final int MAX_LINKS = 40;

  enum Kind { FILE, DIRECTORY }

  /** The result of a walk: the links followed and the real path (in the image and on the host). */
  record Walk(List<Symlink> links, String realPath, Path hostPath, Kind kind) {}

  private final Path sysroot;
  private final List<String> appImageDir;
  private final Path appHostDir;
  private final Map<String, Walk> memo = new HashMap<>();

  ImageFs(Path sysroot, String appImageDir, Path appHostDir) {
    this.sysroot = sysroot;
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
    BasicFileAttributes attributes = null;
    while (!todo.isEmpty()) {
      String c = todo.pollFirst();
      if (c.equals("..")) {
        if (!done.isEmpty()) {
          done.remove(done.size() - 1);
        }
        attributes = null;
        continue;
      }
      done.add(c);
      Path host = host(done, inApp);
      try {
        attributes = Files.readAttributes(host, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      } catch (IOException | SecurityException e) {
        return null;
      }
      if (attributes.isSymbolicLink()) {
        if (links.size() >= MAX_LINKS) {
          return null;
        }
        String text;
        try {
          text = Files.readSymbolicLink(host).toString();
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
          return null;
        }
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
        attributes = null;
      } else if (!todo.isEmpty() && !attributes.isDirectory()) {
        return null;
      }
    }
    Path host = host(done, inApp);
    if (attributes == null) {
      try {
        attributes = Files.readAttributes(host, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      } catch (IOException | SecurityException e) {
        return null;
      }
    }
    Kind kind = attributes.isRegularFile() ? Kind.FILE : attributes.isDirectory() ? Kind.DIRECTORY : null;
    return kind == null ? null : new Walk(List.copyOf(links), join(done), host, kind);
  }

  private Path host(List<String> image, boolean inApp) {
    if (!inApp) {
      Path p = sysroot;
      for (String c : image) {
        p = p.resolve(c);
      }
      return p;
    }
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
