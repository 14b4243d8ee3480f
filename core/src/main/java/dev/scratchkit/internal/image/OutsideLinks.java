package dev.scratchkit.internal.image;

import dev.scratchkit.DirectoryOptions;
import dev.scratchkit.ScratchImageException.Problem;
import dev.scratchkit.internal.oci.SourceFiles;
import dev.scratchkit.oci.ImagePath;
import dev.scratchkit.oci.LayerEntry;
import dev.scratchkit.oci.OciException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Judges the symbolic links of added directories that lead outside their tree, once every
 * source is collected: a link whose target the image has (added by another call) stays a link;
 * otherwise the directory's {@link DirectoryOptions} decide: refuse (naming the link, its target
 * in the image and the options), copy what it points to on this machine, or leave it out, each
 * logged at info.
 */
final class OutsideLinks {

  private static final Logger LOG = LoggerFactory.getLogger(OutsideLinks.class);
  /** Rounds of copied directories whose own links leave them: beyond, the links are refused. */
  static final int MAX_ROUNDS = 8;

  /**
   * A link that leaves its tree.
   *
   * @param collector the collector of its tree (options, problems, ELF files)
   * @param root the tree's real directory on this machine
   * @param link the link on this machine
   * @param text its text
   * @param inImage where it goes in the image
   * @param leaves why it leaves the tree, in words
   * @param into the layer's entries, where its replacement goes
   */
  record Pending(SourceCollector collector, Path root, Path link, String text, ImagePath inImage, String leaves,
      List<LayerEntry> into) {}

  private OutsideLinks() {}

  /**
   * Judges the pending links; copied directories may bring links of their own, judged in turn.
   *
   * @param pending the links, emptied
   * @param entries every entry the user's sources give, by path (links among them followed)
   * @param problems where refusals go
   */
  static void judge(List<Pending> pending, Map<ImagePath, LayerEntry> entries, List<Problem> problems) {
    NavigableMap<String, LayerEntry> byPath = new TreeMap<>();
    entries.forEach((p, e) -> byPath.put(p.path(), e));
    for (int round = 0; !pending.isEmpty(); round++) {
      List<Pending> now = new ArrayList<>(pending);
      pending.clear();
      for (Pending p : now) {
        judge(p, byPath, problems, round);
      }
    }
  }

  private static void judge(Pending p, NavigableMap<String, LayerEntry> byPath, List<Problem> problems, int round) {
    Walk walk = walk(byPath, inImageTarget(p.inImage().path(), p.text()));
    String target = walk.realPath();
    if (walk.found()) {
      add(p, p.collector().timed(LayerEntry.symlink(p.inImage(), p.text()), p.link()), byPath, problems);
      LOG.info("kept {} as a link to {}: the image has {} (added by another call)", p.inImage(), p.text(), target);
      return;
    }
    DirectoryOptions.OutsideLinks choice = p.collector().sourceOptions().outsideLinks();
    if (choice == DirectoryOptions.OutsideLinks.LEAVE_OUT) {
      LOG.info("left out {} (leaveOutOutsideLinks()): a symbolic link to {}, {}, and the image has no {}", p.link(),
          p.text(), p.leaves(), target);
      return;
    }
    if (choice == DirectoryOptions.OutsideLinks.COPY_TARGET && round < MAX_ROUNDS) {
      copy(p, target, byPath, problems);
      return;
    }
    String source = p.collector().sourcePath();
    String hostTarget = hostTarget(p.link());
    problems.add(new Problem(p.link().toString(), p.link() + " is a symbolic link to " + p.text() + ", "
        + p.leaves() + ". In the image it would point at " + target + ", which the image does not have, and"
        + " following it here would copy a host file in unseen."
        + (choice == DirectoryOptions.OutsideLinks.COPY_TARGET ? " Copied directories led to links leaving them "
            + MAX_ROUNDS + " times over; add the target yourself." : "")
        + " Add its target too" + (hostTarget == null ? "" : " (e.g. add" + (Files.isDirectory(Path.of(hostTarget))
            ? "Directory" : "File") + "(Path.of(\"" + hostTarget + "\"), \"" + target + "\"))")
        + ", or take the tree with addDirectory(Path.of(\"" + source + "\"), \"" + p.collector().sourceInImage()
        + "\", DirectoryOptions.defaults().copyOutsideLinkTargets()) to copy what such links point to, or with"
        + " DirectoryOptions.defaults().leaveOutOutsideLinks() to leave them out."));
  }

  private static void copy(Pending p, String target, NavigableMap<String, LayerEntry> byPath,
      List<Problem> problems) {
    Path real;
    try {
      real = p.link().toRealPath();
    } catch (IOException e) {
      problems.add(new Problem(p.link().toString(), p.link() + " is a symbolic link to " + p.text() + ", " + p.leaves()
          + ", and it leads nowhere on this machine (" + e.getMessage() + "), so copyOutsideLinkTargets() has nothing"
          + " to copy. Fix or remove the link, or take the tree with DirectoryOptions.defaults()"
          + ".leaveOutOutsideLinks() to leave it out."));
      return;
    }
    if (Files.isDirectory(real)) {
      if (p.root().startsWith(real)) {
        problems.add(new Problem(p.link().toString(), p.link() + " is a symbolic link to " + p.text() + ", which is "
            + real + ", a directory that holds the tree " + p.root() + " itself, so copyOutsideLinkTargets() would"
            + " copy the tree into itself. Remove the link, or take the tree with DirectoryOptions.defaults()"
            + ".leaveOutOutsideLinks()."));
        return;
      }
      List<LayerEntry> copied = new ArrayList<>();
      p.collector().collectTree(real, p.inImage(), copied);
      for (LayerEntry e : copied) {
        add(p, e, byPath, problems);
      }
      LOG.info("copied {} into the image at {} (copyOutsideLinkTargets()): {} was a symbolic link to {}, {}; {}"
          + " entries", real, p.inImage(), p.link(), p.text(), p.leaves(), copied.size());
      return;
    }
    if (!Files.isRegularFile(real)) {
      problems.add(new Problem(p.link().toString(), p.link() + " is a symbolic link to " + real + ", which is not a"
          + " regular file or directory (a device, socket or pipe cannot go into an image). Remove the link, or"
          + " take the tree with DirectoryOptions.defaults().leaveOutOutsideLinks()."));
      return;
    }
    try {
      List<LayerEntry> one = new ArrayList<>();
      p.collector().inspect(p.collector().timed(SourceFiles.exactFile(p.inImage(), real,
          Files.isExecutable(real) ? 0755 : 0644), real), one);
      for (LayerEntry e : one) {
        add(p, e, byPath, problems);
      }
      LOG.info("copied {} into the image at {} (copyOutsideLinkTargets()): {} was a symbolic link to {}, {}", real,
          p.inImage(), p.link(), p.text(), p.leaves());
    } catch (OciException e) {
      problems.add(new Problem(real.toString(), e.getMessage()));
    }
  }

  private static void add(Pending p, LayerEntry entry, NavigableMap<String, LayerEntry> byPath,
      List<Problem> problems) {
    try {
      p.into().add(entry);
      byPath.putIfAbsent(entry.path().path(), entry);
    } catch (OciException e) {
      problems.add(new Problem(p.link().toString(), e.getMessage()));
    }
  }

  /** {@return the path the link stands for in the image: its text from the link's directory, {@code ..} kept} */
  static String inImageTarget(String linkPath, String text) {
    return text.startsWith("/") ? text : parent(linkPath) + "/" + text;
  }

  /**
   * Where a path leads among the user's entries.
   *
   * @param realPath the path after every link, or where the walk stopped
   * @param found true if an entry is there (a directory is there when an entry lies below it)
   */
  record Walk(String realPath, boolean found) {}

  /** Follows {@code path} through the entries' links as the kernel would (at most 40). */
  static Walk walk(NavigableMap<String, LayerEntry> byPath, String path) {
    List<String> todo = new ArrayList<>(components(path));
    List<String> done = new ArrayList<>();
    int hops = 0;
    while (!todo.isEmpty()) {
      String c = todo.remove(0);
      if (c.equals("..")) {
        if (!done.isEmpty()) {
          done.remove(done.size() - 1);
        }
        continue;
      }
      done.add(c);
      LayerEntry e = byPath.get("/" + String.join("/", done));
      if (e != null && e.type() == LayerEntry.Type.SYMLINK) {
        if (++hops > 40) {
          return new Walk("/" + String.join("/", done), false);
        }
        String text = e.link().orElseThrow();
        done.remove(done.size() - 1);
        if (text.startsWith("/")) {
          done.clear();
        }
        todo.addAll(0, components(text));
      }
    }
    String at = "/" + String.join("/", done);
    if (done.isEmpty() || byPath.containsKey(at)) {
      return new Walk(at, true);
    }
    String below = byPath.ceilingKey(at + "/");
    return new Walk(at, below != null && below.startsWith(at + "/"));
  }

  private static String hostTarget(Path link) {
    try {
      return SourceFiles.localeFreeText(link.toRealPath());
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static List<String> components(String path) {
    List<String> out = new ArrayList<>();
    for (String part : path.split("/")) {
      if (!part.isEmpty() && !part.equals(".")) {
        out.add(part);
      }
    }
    return out;
  }

  private static String parent(String path) {
    int slash = path.lastIndexOf('/');
    return slash <= 0 ? "" : path.substring(0, slash);
  }
}
