package dev.scratchkit.internal.image;

import dev.scratchkit.DirectoryOptions;
import dev.scratchkit.ScratchImageException.Problem;
import dev.scratchkit.elf.ElfException;
import dev.scratchkit.elf.ElfFile;
import dev.scratchkit.internal.oci.SourceFiles;
import dev.scratchkit.oci.ImagePath;
import dev.scratchkit.oci.LayerEntry;
import dev.scratchkit.oci.OciException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns an added file or directory into layer entries: modes normalised (so the host's umask
 * never changes the image), symbolic links kept as links and refused when they resolve outside
 * the tree (no host file leaks in), names taken as the UTF-8 bytes on disk, every regular file
 * recorded so that writing copies that file and no other, and every ELF file noted for the
 * platform and library checks.
 */
final class SourceCollector {

  private static final Logger LOG = LoggerFactory.getLogger(SourceCollector.class);
  private static final byte[] ELF_MAGIC = {0x7f, 'E', 'L', 'F'};

  private final ImageAssembler.Source source;
  private final List<Problem> problems;
  private final List<ImageAssembler.ImageElf> elfFiles;
  private List<OutsideLinks.Pending> pending;
  private Instant clampTo;

  /**
   * Collects a user's file or tree.
   *
   * @param elfFiles receives the ELF files found
   */
  SourceCollector(ImageAssembler.Source source, List<Problem> problems, List<ImageAssembler.ImageElf> elfFiles) {
    this.source = source;
    this.problems = problems;
    this.elfFiles = elfFiles;
  }

  /**
   * Collects a data tree that scratchkit adds on the user's behalf (time zones): no ELF checks,
   * and links leading outside it are left out rather than refused (zoneinfo's
   * {@code localtime -> /etc/localtime} means nothing in an image).
   */
  static SourceCollector forDataTree(ImageAssembler.Source source, List<Problem> problems) {
    return new SourceCollector(source, problems, null);
  }

  /**
   * Links that leave the tree are handed to {@code pending}, judged once every source is
   * collected ({@link OutsideLinks}), instead of being refused here.
   *
   * @param clamp the latest modification time kept (the creation time when {@code SOURCE_DATE_EPOCH}
   *     is set), or null
   * @return this collector
   */
  SourceCollector judgingOutsideLinksLater(List<OutsideLinks.Pending> pending, Instant clamp) {
    this.pending = pending;
    this.clampTo = clamp;
    return this;
  }

  private DirectoryOptions options() {
    return source.options();
  }

  DirectoryOptions sourceOptions() {
    return source.options();
  }

  /** {@return the directory as given, for messages} */
  String sourcePath() {
    return SourceFiles.localeFreeText(source.source().toAbsolutePath().normalize());
  }

  String sourceInImage() {
    return source.pathInImage();
  }

  /**
   * The entry with the host's modification time when the options keep them: whole seconds, not
   * before 1970, and not after the clamp (reproducible-builds' {@code --clamp-mtime}).
   */
  LayerEntry timed(LayerEntry entry, Path host) {
    if (!options().keepsModificationTimes()) {
      return entry;
    }
    try {
      Instant time = Files.getLastModifiedTime(host, LinkOption.NOFOLLOW_LINKS).toInstant();
      return entry.withModified(clamp(time, clampTo));
    } catch (IOException e) {
      problems.add(new Problem(host.toString(), host + ": its modification time cannot be read (" + e
          + "), and keepModificationTimes() keeps it. Check its permissions."));
      return entry;
    }
  }

  /** {@return the time in whole seconds, at least 1970-01-01, at most {@code clamp} when given} */
  static Instant clamp(Instant time, Instant clamp) {
    Instant t = time.truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    if (t.isBefore(Instant.EPOCH)) {
      t = Instant.EPOCH;
    }
    return clamp != null && t.isAfter(clamp) ? clamp : t;
  }

  void collect(List<LayerEntry> into) {
    Path given = source.source().toAbsolutePath().normalize();
    ImagePath target;
    try {
      target = ImagePath.of(source.pathInImage());
    } catch (OciException e) {
      problems.add(new Problem(source.pathInImage(), e.getMessage()));
      return;
    }
    if (!Files.exists(given, LinkOption.NOFOLLOW_LINKS)) {
      problems.add(new Problem(given.toString(), given + " does not exist (to be added at " + target
          + "). Check the path, or create it before build()."));
      return;
    }
    if (Files.isSymbolicLink(given) && !Files.exists(given)) {
      problems.add(new Problem(given.toString(), given + " is a symbolic link to " + linkText(given)
          + ", which does not exist (to be added at " + target + "). Point it at the "
          + (source.directory() ? "directory" : "file") + ", or give that path instead."));
      return;
    }
    if (source.directory()) {
      if (!Files.isDirectory(given)) {
        problems.add(new Problem(given.toString(), given + " is not a directory; use addFile(" + given + ", \""
            + target + "\") for a single file."));
        return;
      }
      Path root;
      try {
        // A link to a directory is followed here, once and explicitly; nothing below is followed.
        root = given.toRealPath();
      } catch (IOException e) {
        problems.add(new Problem(given.toString(), given + " cannot be resolved: " + e + ". Check its permissions."));
        return;
      }
      if (!root.equals(given)) {
        LOG.info("{} leads to {}: adding that directory at {}", given, root, target);
      }
      collectTree(root, target, into);
    } else {
      if (Files.isDirectory(given)) {
        problems.add(new Problem(given.toString(), given + " is a directory; use addDirectory(" + given + ", \""
            + target + "\") for a tree."));
        return;
      }
      if (!Files.isRegularFile(given)) {
        problems.add(new Problem(given.toString(), given + " is not a regular file (a device, socket or pipe"
            + " cannot go into an image)."));
        return;
      }
      if (!Files.isReadable(given)) {
        problems.add(new Problem(given.toString(), given + " cannot be read by this process (permissions)."
            + " Make it readable, e.g. chmod a+r."));
        return;
      }
      try {
        inspect(LayerEntry.file(target, given, Files.isExecutable(given) ? 0755 : 0644), into);
      } catch (OciException e) {
        problems.add(new Problem(given.toString(), e.getMessage()));
      }
    }
  }

  /**
   * Walks the tree depth first, in directory order, as {@code find} would: one {@code lstat} per
   * entry gives its type, mode bits and, for a regular file, the identity recorded for it; no
   * link is followed, and links are resolved against what the walk found. A directory that
   * cannot be listed is a problem that ends the walk.
   */
  void collectTree(Path root, ImagePath target, List<LayerEntry> into) {
    if (!target.isRoot()) {
      into.add(timed(LayerEntry.directory(target, 0755), root));
    }
    Map<Path, SourceFiles.Stat> found = new HashMap<>();
    List<Walked> walked = walk(root, target, found);
    if (walked == null) {
      return;
    }
    if (elfFiles == null && pending == null) {
      // A data tree: judged again only when its walk differs from the last one in this JVM.
      List<Object> key = List.of(root, target, options(), String.valueOf(clampTo));
      DataTree last = DATA_TREES.get(key);
      if (last != null && last.walked().equals(walked)) {
        into.addAll(last.entries());
        problems.addAll(last.problems());
        return;
      }
      List<LayerEntry> entries = new ArrayList<>();
      int problemsBefore = problems.size();
      judge(root, walked, found, entries);
      DATA_TREES.put(key, new DataTree(walked, List.copyOf(entries),
          List.copyOf(problems.subList(problemsBefore, problems.size()))));
      into.addAll(entries);
      return;
    }
    judge(root, walked, found, into);
  }

  /**
   * A data tree as the last build in this JVM walked it, and what was made of that walk. Equal
   * walks (every path with the same type, identity, mode and owner) make the same entries, so a
   * rebuild takes them as they are: a link cannot change without a new inode, nor a file's
   * readability without a new mode, owner or change time.
   */
  private record DataTree(List<Walked> walked, List<LayerEntry> entries, List<Problem> problems) {}

  /** The data trees of recent builds (time zones, for one), by root, target and options. */
  private static final Map<List<Object>, DataTree> DATA_TREES = dev.scratchkit.internal.oci.RecentlyUsed.map(16);

  /** Turns the walked entries into layer entries (and problems). */
  private void judge(Path root, List<Walked> walked, Map<Path, SourceFiles.Stat> found, List<LayerEntry> into) {
    java.util.Set<Path> realDirectories = new java.util.HashSet<>();
    TreeLinks links = new TreeLinks(found);
    for (Walked w : walked) {
      Path path = w.path();
      SourceFiles.Stat stat = w.stat();
      if (stat.symlink()) {
        addSymlink(root, path, w.inImage(), into, stat, links);
      } else if (stat.directory()) {
        into.add(timed(LayerEntry.directory(w.inImage(), 0755), stat));
      } else if (stat.regular()) {
        if (!Readable.byThisProcess(path, stat)) {
          problems.add(new Problem(path.toString(), path + " cannot be read by this process (permissions)."
              + " Make it readable, e.g. chmod a+r."));
          continue;
        }
        // A file without an execute bit is not executable for anyone; otherwise ask the kernel, as before.
        int mode = !stat.certainlyNotExecutable() && Files.isExecutable(path) ? 0755 : 0644;
        try {
          inspect(timed(SourceFiles.exactFile(w.inImage(), path, mode, realDirectories, stat), stat), into);
        } catch (OciException e) {
          problems.add(new Problem(path.toString(), e.getMessage()));
        }
      } else {
        problems.add(new Problem(path.toString(), path + " is not a regular file, directory or symbolic link"
            + " (a device, socket or pipe cannot go into an image). Remove it from " + root + "."));
      }
    }
  }

  /** An entry the walk found, where it goes and its {@code lstat}. */
  private record Walked(Path path, ImagePath inImage, SourceFiles.Stat stat) {}

  /**
   * The entries below {@code root}, depth first in directory order, each with its {@code lstat}
   * (also put in {@code found}); null after a problem that ends the walk. The tree is read level
   * by level, so that the lstats of a whole level are taken together ({@link
   * dev.scratchkit.internal.oci.Stats}: in parallel where that pays), then put in depth-first order.
   */
  private List<Walked> walk(Path root, ImagePath target, Map<Path, SourceFiles.Stat> found) {
    Level top = new Level(new Walked(root, target, null));
    List<Level> level = List.of(top);
    while (!level.isEmpty()) {
      // The level's directories, listed; their entries named and examined together.
      List<Path> paths = new ArrayList<>();
      List<ImagePath> inImage = new ArrayList<>();
      List<Level> parents = new ArrayList<>();
      for (Level dir : level) {
        List<Path> entries = list(root, dir.walked().path());
        if (entries == null) {
          return null;
        }
        for (Path path : entries) {
          try {
            inImage.add(dir.walked().inImage().resolve(SourceFiles.utf8Name(path)));
          } catch (OciException e) {
            problems.add(new Problem(path.toString(), e.getMessage())); // a refused directory name takes its tree with it
            continue;
          }
          paths.add(path);
          parents.add(dir);
        }
      }
      SourceFiles.Stat[] stats = dev.scratchkit.internal.oci.Stats.of(paths);
      List<Level> next = new ArrayList<>();
      for (int i = 0; i < paths.size(); i++) {
        Path path = paths.get(i);
        if (stats[i] == null) {
          problems.add(new Problem(path.toString(), path + " disappeared while " + root + " was read. Build again"
              + " once the directory is final."));
          continue;
        }
        found.put(path, stats[i]);
        Level child = new Level(new Walked(path, inImage.get(i), stats[i]));
        parents.get(i).children().add(child);
        if (stats[i].directory()) {
          next.add(child);
        }
      }
      level = next;
    }
    List<Walked> walked = new ArrayList<>();
    Deque<java.util.Iterator<Level>> stack = new ArrayDeque<>();
    stack.push(top.children().iterator());
    while (!stack.isEmpty()) {
      if (!stack.peek().hasNext()) {
        stack.pop();
        continue;
      }
      Level entry = stack.peek().next();
      walked.add(entry.walked());
      if (!entry.children().isEmpty()) {
        stack.push(entry.children().iterator());
      }
    }
    return walked;
  }

  /** An entry of the tree being walked (the root: without an lstat), with the entries below it once its level is read. */
  private record Level(Walked walked, List<Level> children) {
    Level(Walked walked) {
      this(walked, new ArrayList<>());
    }
  }

  /**
   * The links of a tree as its walk found them: whether a path is a link and its text, from the
   * walk's {@code lstat}s and each link read once; paths the walk did not see are asked of the
   * file system.
   */
  static final class TreeLinks {
    private final Map<Path, SourceFiles.Stat> found;
    private final Map<Path, Path> texts = new HashMap<>();

    TreeLinks(Map<Path, SourceFiles.Stat> found) {
      this.found = found;
    }

    boolean isLink(Path path) {
      SourceFiles.Stat stat = found.get(path);
      return stat != null ? stat.symlink() : Files.isSymbolicLink(path);
    }

    Path text(Path link) throws IOException {
      Path text = texts.get(link);
      if (text == null) {
        text = Files.readSymbolicLink(link);
        texts.put(link, text);
      }
      return text;
    }
  }

  /** The entries of {@code directory}, in the order the file system lists them; null (a problem) when it cannot be listed. */
  private List<Path> list(Path root, Path directory) {
    List<Path> entries = new ArrayList<>();
    try (java.nio.file.DirectoryStream<Path> stream = Files.newDirectoryStream(directory)) {
      stream.forEach(entries::add);
    } catch (IOException | java.nio.file.DirectoryIteratorException e) {
      problems.add(new Problem(root.toString(), root + " cannot be read completely: " + directory
          + " cannot be listed (" + e + "). Check its permissions."));
      return null;
    }
    return entries;
  }

  /** As {@link #timed(LayerEntry, Path)}, with the modification time of an {@code lstat} already taken. */
  private LayerEntry timed(LayerEntry entry, SourceFiles.Stat stat) {
    return options().keepsModificationTimes() ? entry.withModified(clamp(stat.modified().toInstant(), clampTo))
        : entry;
  }

  private void addSymlink(Path root, Path link, ImagePath inImage, List<LayerEntry> into, SourceFiles.Stat stat,
      TreeLinks links) {
    Path text;
    String textUtf8;
    String leaves;
    try {
      text = links.text(link);
      textUtf8 = SourceFiles.utf8Text(text, link);
      leaves = leaves(root, link, text, links);
    } catch (IOException e) {
      problems.add(new Problem(link.toString(), link + " is a symbolic link that cannot be read: " + e));
      return;
    } catch (OciException e) {
      problems.add(new Problem(link.toString(), e.getMessage()));
      return;
    }
    if (leaves != null) {
      if (elfFiles == null) {
        // A tree scratchkit adds itself (zoneinfo's localtime -> /etc/localtime): expected, not a warning.
        LOG.info("left out {}: a symbolic link to {}, {}", link, text, leaves);
        return;
      }
      if (pending != null) {
        pending.add(new OutsideLinks.Pending(this, root, link, textUtf8, inImage, leaves, into));
        return;
      }
      problems.add(new Problem(link.toString(), link + " is a symbolic link to " + text + ", " + leaves
          + ". In the image it would point at something else (or nothing), and following it would copy"
          + " a host file in. Make it a relative link inside the directory, or add the target with addFile."));
      return;
    }
    try {
      into.add(timed(LayerEntry.symlink(inImage, textUtf8), stat));
    } catch (OciException e) {
      problems.add(new Problem(link.toString(), e.getMessage()));
    }
  }

  /**
   * Where {@code link} leads, resolved as the kernel would (each component in turn, through
   * other links of the tree and {@code ..}), not by its text: {@code sub/t -> ..} makes
   * {@code sub/t/../x} leave the tree although the text normalises to {@code sub/x}.
   *
   * @param links the tree's links as its walk found them
   * @return null when it stays inside {@code root}, else why not, for the message
   */
  static String leaves(Path root, Path link, Path text, TreeLinks links) throws IOException {
    String outside = "which is outside " + root;
    if (text.isAbsolute()) {
      return outside + " (an absolute link)";
    }
    List<Path> at = new ArrayList<>();
    root.relativize(link.getParent()).forEach(c -> {
      if (!c.toString().isEmpty()) {
        at.add(c);
      }
    });
    Deque<Path> todo = new ArrayDeque<>();
    pushFront(todo, text);
    List<String> via = new ArrayList<>();
    int hops = 0;
    while (!todo.isEmpty()) {
      Path c = todo.pollFirst();
      String name = c.toString();
      if (name.equals(".")) {
        continue;
      }
      if (name.equals("..")) {
        if (at.isEmpty()) {
          return outside + (via.isEmpty() ? "" : " (resolved through " + String.join(", ", via) + ")");
        }
        at.remove(at.size() - 1);
        continue;
      }
      Path candidate = root;
      for (Path p : at) {
        candidate = candidate.resolve(p);
      }
      candidate = candidate.resolve(c);
      if (links.isLink(candidate)) {
        Path next = links.text(candidate);
        via.add(root.relativize(candidate) + " -> " + next);
        if (++hops > MAX_LINK_HOPS) {
          return "which never resolves: the links form a loop (" + String.join(", ", via.subList(0, 4)) + ", ...)";
        }
        if (next.isAbsolute()) {
          return outside + " (resolved through " + String.join(", ", via) + ", an absolute link)";
        }
        pushFront(todo, next);
        continue;
      }
      at.add(c);
    }
    return null;
  }

  /** As Linux's limit of links followed in one lookup. */
  private static final int MAX_LINK_HOPS = 40;

  private static void pushFront(Deque<Path> todo, Path relative) {
    for (int i = relative.getNameCount() - 1; i >= 0; i--) {
      todo.addFirst(relative.getName(i));
    }
  }

  private static String linkText(Path link) {
    try {
      return Files.readSymbolicLink(link).toString();
    } catch (IOException e) {
      return "(unreadable)";
    }
  }

  /**
   * Adds a file entry; an ELF file is read for the checks and then carries the digest of the
   * bytes that were judged, so the image gets exactly those.
   */
  void inspect(LayerEntry entry, List<LayerEntry> into) {
    Path file = entry.source().orElseThrow();
    if (elfFiles != null && java.util.Arrays.equals(ImageAssembler.head(file, 4), ELF_MAGIC)) {
      try {
        ElfFile elf = dev.scratchkit.internal.view.ElfFiles.read(file);
        entry = SourceFiles.withContentDigest(entry);
        elfFiles.add(new ImageAssembler.ImageElf(file, entry.path(), elf));
      } catch (ElfException e) {
        // An ELF-looking (or unreadable) data file is not ours to refuse; it simply takes no part in the checks.
        LOG.warn("{} starts like an ELF file but cannot be read as one ({}); it is added as data", file,
            e.getMessage());
      }
    }
    into.add(entry);
  }
}
