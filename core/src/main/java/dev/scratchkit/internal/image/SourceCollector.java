package dev.scratchkit.internal.image;

import dev.scratchkit.ScratchImageException.Problem;
import dev.scratchkit.elf.ElfFile;
import dev.scratchkit.elf.ElfFormatException;
import dev.scratchkit.oci.ImagePath;
import dev.scratchkit.oci.LayerEntry;
import dev.scratchkit.oci.OciException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns an added file or directory into layer entries: modes normalised (so the host's umask
 * never changes the image), symbolic links kept as links and refused when they lead outside
 * the tree (no host file leaks in), and every ELF file noted for the platform and library
 * checks.
 */
final class SourceCollector {

  private static final Logger LOG = LoggerFactory.getLogger(SourceCollector.class);
  private static final byte[] ELF_MAGIC = {0x7f, 'E', 'L', 'F'};

  private final ImageAssembler.Source source;
  private final List<Problem> problems;
  private final List<ImageAssembler.ImageElf> elfFiles;

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

  void collect(List<LayerEntry> into) {
    Path root = source.source().toAbsolutePath().normalize();
    ImagePath target;
    try {
      target = ImagePath.of(source.pathInImage());
    } catch (OciException e) {
      problems.add(new Problem(source.pathInImage(), e.getMessage()));
      return;
    }
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      problems.add(new Problem(root.toString(), root + " does not exist (to be added at " + target
          + "). Check the path, or create it before build()."));
      return;
    }
    if (source.directory()) {
      if (!Files.isDirectory(root)) {
        problems.add(new Problem(root.toString(), root + " is not a directory; use addFile(" + root + ", \""
            + target + "\") for a single file."));
        return;
      }
      collectTree(root, target, into);
    } else {
      if (Files.isDirectory(root)) {
        problems.add(new Problem(root.toString(), root + " is a directory; use addDirectory(" + root + ", \""
            + target + "\") for a tree."));
        return;
      }
      if (!Files.isRegularFile(root)) {
        problems.add(new Problem(root.toString(), root + " is not a regular file (a device, socket or pipe"
            + " cannot go into an image)."));
        return;
      }
      addFile(root, target, into);
    }
  }

  private void collectTree(Path root, ImagePath target, List<LayerEntry> into) {
    if (!target.isRoot()) {
      into.add(LayerEntry.directory(target, 0755));
    }
    List<Path> paths = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(root)) {
      walk.filter(p -> !p.equals(root)).forEach(paths::add);
    } catch (IOException | java.io.UncheckedIOException e) {
      problems.add(new Problem(root.toString(), root + " cannot be read completely: " + e.getMessage()
          + ". Check its permissions."));
      return;
    }
    for (Path path : paths) {
      ImagePath inImage = target.resolve(root.relativize(path).toString());
      if (Files.isSymbolicLink(path)) {
        addSymlink(root, path, inImage, into);
      } else if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
        into.add(LayerEntry.directory(inImage, 0755));
      } else if (Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
        addFile(path, inImage, into);
      } else {
        problems.add(new Problem(path.toString(), path + " is not a regular file, directory or symbolic link"
            + " (a device, socket or pipe cannot go into an image). Remove it from " + root + "."));
      }
    }
  }

  private void addSymlink(Path root, Path link, ImagePath inImage, List<LayerEntry> into) {
    String text;
    try {
      text = Files.readSymbolicLink(link).toString();
    } catch (IOException e) {
      problems.add(new Problem(link.toString(), link + " is a symbolic link that cannot be read: " + e));
      return;
    }
    Path resolved = link.getParent().resolve(text).normalize();
    if (text.startsWith("/") || !resolved.startsWith(root)) {
      if (elfFiles == null) {
        LOG.warn("left out {}: a symbolic link to {}, outside {}", link, text, root);
        return;
      }
      problems.add(new Problem(link.toString(), link + " is a symbolic link to " + text + ", which is outside "
          + root + ". In the image it would point at something else (or nothing), and following it would copy"
          + " a host file in. Make it a relative link inside the directory, or add the target with addFile."));
      return;
    }
    into.add(LayerEntry.symlink(inImage, text));
  }

  private void addFile(Path file, ImagePath inImage, List<LayerEntry> into) {
    if (!Files.isReadable(file)) {
      problems.add(new Problem(file.toString(), file + " cannot be read by this process (permissions)."
          + " Make it readable, e.g. chmod a+r."));
      return;
    }
    boolean executable = Files.isExecutable(file);
    into.add(LayerEntry.file(inImage, file, executable ? 0755 : 0644));
    if (elfFiles != null && java.util.Arrays.equals(ImageAssembler.head(file, 4), ELF_MAGIC)) {
      try {
        ElfFile elf = ElfFile.read(file);
        elfFiles.add(new ImageAssembler.ImageElf(file, inImage, elf));
      } catch (ElfFormatException e) {
        // An ELF-looking data file is not ours to refuse; it simply takes no part in the checks.
        LOG.warn("{} starts like an ELF file but cannot be read as one ({}); it is added as data", file,
            e.getMessage());
      }
    }
  }
}
