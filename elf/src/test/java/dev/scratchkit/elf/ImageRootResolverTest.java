package dev.scratchkit.elf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The resolver over a file system that is not a directory on this machine, as an image's merged
 * layers are: every answer comes from {@link RootFileSystem#lookup}, and file contents are only
 * asked for where a candidate library exists.
 */
class ImageRootResolverTest {

  private static final int AARCH64 = 183;

  @TempDir
  Path spool;

  /** An image file system held in maps: nodes by path, contents written out when asked for. */
  private final class MapRoot implements RootFileSystem {
    final Map<String, Node> nodes = new TreeMap<>();
    final Map<String, byte[]> contents = new TreeMap<>();
    final List<String> opened = new ArrayList<>();

    MapRoot dir(String path) {
      nodes.put(path, new Node(Type.DIRECTORY, null));
      return this;
    }

    MapRoot file(String path, byte[] content) {
      nodes.put(path, new Node(Type.FILE, null));
      contents.put(path, content);
      return this;
    }

    MapRoot link(String path, String target) {
      nodes.put(path, new Node(Type.SYMLINK, target));
      return this;
    }

    @Override
    public Optional<Node> lookup(String path) {
      return Optional.ofNullable(nodes.get(path));
    }

    @Override
    public Path localFile(String path) {
      opened.add(path);
      try {
        Path file = Files.createTempFile(spool, "entry", ".bin");
        Files.write(file, contents.get(path));
        return file;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public List<String> list(String directory) {
      String prefix = directory.equals("/") ? "/" : directory + "/";
      return nodes.keySet().stream().filter(p -> p.startsWith(prefix) && p.indexOf('/', prefix.length()) < 0)
          .map(p -> p.substring(prefix.length())).toList();
    }
  }

  private static byte[] lib(String soname, String... needed) {
    return TestElf.create().machine(AARCH64).soname(soname).needed(needed).build();
  }

  private MapRoot debianImage() {
    return new MapRoot().dir("/usr").dir("/usr/lib").dir("/usr/lib/aarch64-linux-gnu").link("/lib", "usr/lib")
        .file("/usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1", lib("ld-linux-aarch64.so.1"))
        .file("/usr/lib/aarch64-linux-gnu/libc.so.6", lib("libc.so.6"))
        .dir("/app").dir("/app/lib").file("/app/lib/libapp.so", lib("libapp.so", "libc.so.6"))
        .dir("/opt").dir("/opt/extra").file("/opt/extra/libextra.so.1", lib("libextra.so.1"));
  }

  private ElfFile program(MapRoot root, String path, TestElf elf) throws IOException {
    byte[] bytes = elf.build();
    root.file(path, bytes);
    Path local = Files.write(spool.resolve("program"), bytes);
    return ElfFile.read(local);
  }

  @Test
  void resolvesInsideTheImageThroughItsLinksOriginAndLibraryPath() throws IOException {
    MapRoot image = debianImage();
    ElfFile app = program(image, "/app/server", TestElf.create().machine(AARCH64).flags1(ElfFile.DF_1_PIE)
        .interpreter("/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1").runpath("$ORIGIN/lib")
        .needed("libapp.so", "libextra.so.1", "libc.so.6"));

    LibraryClosure closure = LibraryResolver.forImage(image).withLibraryPath(List.of("/opt/extra"))
        .resolve(app, "/app/server");

    assertThat(closure.missing()).isEmpty();
    assertThat(closure.interpreter().orElseThrow().realPathInImage())
        .isEqualTo("/usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1");
    assertThat(closure.interpreter().orElseThrow().symlinks()).containsExactly(new Symlink("/lib", "usr/lib"));
    assertThat(closure.libraries()).extracting(l -> l.name() + " " + l.pathInImage() + " " + l.foundVia())
        .containsExactly("libapp.so /app/lib/libapp.so RUNPATH",
            "libextra.so.1 /opt/extra/libextra.so.1 LD_LIBRARY_PATH",
            "libc.so.6 /lib/aarch64-linux-gnu/libc.so.6 DEFAULT_DIRECTORY");
    assertThat(image.opened).doesNotContain("/app/server");
  }

  @Test
  void aLinkClimbingAboveTheRootStaysInsideAndAMissingLibraryNamesWhatWasSearched() throws IOException {
    MapRoot image = debianImage().dir("/lib64").link("/lib64/libevil.so", "../../../../../etc/libevil.so");
    ElfFile app = program(image, "/app/server", TestElf.create().machine(AARCH64).needed("libevil.so", "libc.so.6")
        .runpath("/lib64"));

    LibraryClosure closure = LibraryResolver.forImage(image).resolve(app, "/app/server");

    assertThat(closure.missing()).singleElement().satisfies(m -> {
      assertThat(m.name()).isEqualTo("libevil.so");
      assertThat(m.searched()).startsWith("/lib64").contains("/lib/aarch64-linux-gnu", "/usr/lib");
    });
    assertThat(image.opened).noneMatch(p -> p.contains("evil"));
  }

  @Test
  void aResolverOverAnImageNeedsTheProgramsPathInIt() throws IOException {
    MapRoot image = debianImage();
    ElfFile app = program(image, "/app/server", TestElf.create().machine(AARCH64).needed("libc.so.6"));
    assertThatThrownBy(() -> LibraryResolver.forImage(image).resolve(app))
        .isInstanceOf(ElfException.class).hasMessageContaining("absolute path in it, got none");
    assertThat(LibraryResolver.forImage(image).sysroot()).isNull();
  }
}
