package dev.scratchkit.elf;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** A directory on this machine; symbolic links are reported, never followed. */
final class SysrootFileSystem implements RootFileSystem {
  private final Path root;

  SysrootFileSystem(Path root) {
    this.root = root;
  }

  Path host(String path) {
    Path p = root;
    for (String c : ImageFs.components(path)) {
      p = p.resolve(c);
    }
    return p;
  }

  @Override
  public Optional<RootFileSystem.Node> lookup(String path) {
    Path host = host(path);
    try {
      BasicFileAttributes a = Files.readAttributes(host, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (a.isSymbolicLink()) {
        return Optional.of(new RootFileSystem.Node(RootFileSystem.Type.SYMLINK, Files.readSymbolicLink(host).toString()));
      }
      return Optional.of(new RootFileSystem.Node(a.isRegularFile() ? RootFileSystem.Type.FILE : a.isDirectory() ? RootFileSystem.Type.DIRECTORY : RootFileSystem.Type.OTHER,
          null));
    } catch (IOException | SecurityException | UnsupportedOperationException e) {
      return Optional.empty();
    }
  }

  @Override
  public Path localFile(String path) {
    return host(path);
  }

  @Override
  public List<String> list(String directory) {
    List<String> names = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(host(directory))) {
      for (Path entry : entries) {
        names.add(entry.getFileName().toString());
      }
    } catch (IOException | SecurityException e) {
      return List.of();
    }
    return names;
  }

  @Override
  public Optional<Path> hostDirectory() {
    return Optional.of(root);
  }

  @Override
  public String toString() {
    return root.toString();
  }
}
