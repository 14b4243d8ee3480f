package dev.scratchkit.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.scratchkit.testkit.Tools;
import java.io.RandomAccessFile;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PEM files and keystores that are not regular files are refused before they are opened (a
 * FIFO blocks the open, /dev/zero never ends), and a file over the size limit is refused
 * without being read. Each case ends within seconds.
 */
class SpecialFileTest {

  private static final Duration BOUND = Duration.ofSeconds(10);
  private static final String SPECIAL = ", not a regular file, and is not read (it could block or never end)."
      + " Pass a regular file holding the certificates";

  @TempDir
  Path dir;

  private Path fifo(String name) {
    Path fifo = dir.resolve(name);
    Tools.runOk(Tools.require("mkfifo").toString(), fifo.toString());
    return fifo;
  }

  @Test
  void aFifoIsRefusedAsPemAndAsKeystoreWithoutBlocking() {
    Path fifo = fifo("ca.pem");
    assertTimeoutPreemptively(BOUND, () -> assertThatThrownBy(() -> CaBundle.fromPem(fifo))
        .isInstanceOf(TrustStoreException.class)
        .hasMessage("Cannot read PEM file " + fifo + ": it is a FIFO (named pipe)" + SPECIAL));
    assertTimeoutPreemptively(BOUND, () -> assertThatThrownBy(() -> CaBundle.fromKeyStore(fifo, "changeit".toCharArray()))
        .isInstanceOf(TrustStoreException.class)
        .hasMessage("Cannot read keystore " + fifo + ": it is a FIFO (named pipe)" + SPECIAL));
  }

  @Test
  void aSymlinkToAFifoIsRefused() throws Exception {
    Path link = Files.createSymbolicLink(dir.resolve("cacerts"), fifo("real-fifo"));
    assertTimeoutPreemptively(BOUND, () -> assertThatThrownBy(() -> CaBundle.fromKeyStore(link, null))
        .hasMessage("Cannot read keystore " + link + ": it is a FIFO (named pipe)" + SPECIAL));
  }

  @Test
  void devZeroIsRefusedWithoutReadingIt() {
    Path zero = Path.of("/dev/zero");
    assertTimeoutPreemptively(BOUND, () -> assertThatThrownBy(() -> CaBundle.fromPem(zero))
        .isInstanceOf(TrustStoreException.class)
        .hasMessage("Cannot read PEM file /dev/zero: it is a character device" + SPECIAL));
    assertTimeoutPreemptively(BOUND, () -> assertThatThrownBy(() -> CaBundle.fromKeyStore(zero, null))
        .hasMessage("Cannot read keystore /dev/zero: it is a character device" + SPECIAL));
  }

  @Test
  void aUnixSocketIsRefused() throws Exception {
    Path socket = dir.resolve("ca.sock");
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));
      assertTimeoutPreemptively(BOUND, () -> assertThatThrownBy(() -> CaBundle.fromPem(socket))
          .hasMessage("Cannot read PEM file " + socket + ": it is a socket" + SPECIAL));
    }
  }

  @Test
  void aPemDirectorySkipsAFifoAmongItsFiles() throws Exception {
    Path certs = Files.createDirectories(dir.resolve("certs"));
    Tools.runOk(Tools.require("mkfifo").toString(), certs.resolve("evil.pem").toString());
    TestPki.Issued ca = TestPki.ca("CN=Special File Test,O=Scratchkit");
    Files.writeString(certs.resolve("good.pem"), CaBundle.of(ca.certificate()).toPem());
    CaBundle bundle = assertTimeoutPreemptively(BOUND, () -> CaBundle.fromPem(certs));
    assertThat(bundle.size()).isEqualTo(1);
  }

  @Test
  void aHugePemIsRefusedByItsSizeBeforeAnythingIsRead() throws Exception {
    Path huge = dir.resolve("huge.pem");
    try (RandomAccessFile file = new RandomAccessFile(huge.toFile(), "rw")) {
      file.setLength(4L * 1024 * 1024 * 1024); // sparse: 4 GiB of zeros, no disk used
    }
    long before = usedHeap();
    assertTimeoutPreemptively(BOUND, () -> assertThatThrownBy(() -> CaBundle.fromPem(huge))
        .isInstanceOf(TrustStoreException.class)
        .hasMessage("Cannot read PEM file " + huge + ": it is 4294967296 bytes, more than the limit of 16777216"
            + " bytes (16 MiB) for a trust store. Check that this is the right file"));
    assertThat(usedHeap() - before).isLessThan(64L * 1024 * 1024);
  }

  @Test
  void aPemJustOverTheLimitIsRefusedAndOneAtTheLimitIsRead() throws Exception {
    TestPki.Issued ca = TestPki.ca("CN=Size Limit,O=Scratchkit");
    byte[] pem = CaBundle.of(ca.certificate()).toPem().getBytes(StandardCharsets.US_ASCII);
    Path atLimit = dir.resolve("at-limit.pem");
    byte[] padded = new byte[16 * 1024 * 1024];
    java.util.Arrays.fill(padded, (byte) '\n');
    System.arraycopy(pem, 0, padded, 0, pem.length);
    Files.write(atLimit, padded);
    assertThat(CaBundle.fromPem(atLimit).size()).isEqualTo(1);

    Path over = Files.write(dir.resolve("over.pem"), java.util.Arrays.copyOf(padded, padded.length + 1));
    assertThatThrownBy(() -> CaBundle.fromPem(over))
        .hasMessageContaining("it is 16777217 bytes, more than the limit of 16777216 bytes (16 MiB)");
  }

  private static long usedHeap() {
    Runtime r = Runtime.getRuntime();
    return r.totalMemory() - r.freeMemory();
  }
}
