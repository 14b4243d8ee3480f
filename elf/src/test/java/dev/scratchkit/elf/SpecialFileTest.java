package dev.scratchkit.elf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.scratchkit.testkit.Tools;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files that are not regular files are refused before they are opened: a FIFO would block the
 * open forever (no writer ever comes), a device never ends. Each case must end within seconds.
 */
class SpecialFileTest {

  private static final Duration BOUND = Duration.ofSeconds(10);

  @TempDir
  Path dir;

  private static void assertRefused(Path file, String kind) {
    assertTimeoutPreemptively(BOUND, () -> assertThatThrownBy(() -> ElfFile.read(file))
        .isInstanceOf(ElfFormatException.class)
        .hasMessage(file.toAbsolutePath() + " is not a valid ELF file: it is " + kind
            + ", not a regular file, and is not read (it could block or never end); pass the program file itself"));
  }

  private Path fifo(String name) {
    Path fifo = dir.resolve(name);
    Tools.runOk(Tools.require("mkfifo").toString(), fifo.toString());
    assertThat(Files.isRegularFile(fifo)).isFalse();
    return fifo;
  }

  @Test
  void aFifoIsRefusedWithoutBlocking() {
    assertRefused(fifo("app.fifo"), "a FIFO (named pipe)");
  }

  @Test
  void aSymlinkToAFifoIsRefusedToo() throws Exception {
    Path link = Files.createSymbolicLink(dir.resolve("app"), fifo("real.fifo"));
    assertRefused(link, "a FIFO (named pipe)");
  }

  @Test
  void devZeroAndDevNullAreRefused() {
    assertRefused(Path.of("/dev/zero"), "a character device");
    assertRefused(Path.of("/dev/null"), "a character device");
  }

  @Test
  void aUnixSocketAndADirectoryAreRefused() throws Exception {
    Path socket = dir.resolve("app.sock");
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));
      assertRefused(socket, "a socket");
    }
    assertRefused(dir, "a directory");
  }

  @Test
  void aLibraryThatIsAFifoInASysrootDoesNotHangTheResolver() throws Exception {
    Path root = dir.resolve("root");
    Path lib = Files.createDirectories(root.resolve("lib"));
    Tools.runOk(Tools.require("mkfifo").toString(), lib.resolve("libc.so.6").toString());
    byte[] app = TestElf.create().interpreter("/lib/ld.so").needed("libc.so.6").build();
    Path appFile = Files.write(dir.resolve("app-elf"), app);
    ElfFile elf = ElfFile.read(appFile);
    LibraryClosure closure = assertTimeoutPreemptively(BOUND, () -> LibraryResolver.forRoot(root).resolve(elf));
    assertThat(closure.missing()).isNotEmpty();
  }
}
