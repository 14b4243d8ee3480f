package dev.scratchkit.internal.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scratchkit.oci.ImagePath;
import dev.scratchkit.oci.LayerEntry;
import dev.scratchkit.oci.LayerSpec;
import dev.scratchkit.oci.OciException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The recorded host file: its digest checked while copying, what is recorded, and names from bytes. */
class SourceFilesTest {

  @TempDir Path tmp;

  @Test
  void bytesThatDoNotHaveTheCheckedDigestFailTheLayer() throws IOException {
    Path file = Files.writeString(tmp.resolve("app"), "the bytes read now");
    LayerEntry entry = LayerEntry.file(ImagePath.of("/app"), file, 0755);
    // as if a check had judged other bytes with the same identity (a clock set back, a raw device write)
    SourceFiles.HostFile judged = SourceFiles.hostFile(entry).withSha256("0".repeat(64));
    LayerEntry checked = SourceFiles.access().file(entry.path(), judged, 0755);
    LayerSpec layer = LayerSpec.of("app", checked);
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    assertThatThrownBy(() -> LayerWriter.write(layer, Instant.EPOCH, LayerCompression.defaultGzip(), sink, n -> { }))
        .isInstanceOf(OciException.class)
        .hasMessage("source file " + file + " for /app changed after the image was built: its content changed: SHA-256"
            + " 057cadf5034d8dcf75ab3379c08bd0f7f9d75b4106b5f9649b535ae1846b6d8e, checked with " + "0".repeat(64)
            + "; build() saw a regular file of 18 bytes. The layer was not written. Build the image again once the"
            + " file is final, and keep it unchanged until writeTo returns");
  }

  @Test
  void aDigestTakenThroughTheCheckedOpenIsKeptAndMatchesTheContent() throws Exception {
    Path file = Files.writeString(tmp.resolve("passwd"), "root:x:0:0::/:/sbin/nologin\n");
    LayerEntry entry = LayerEntry.file(ImagePath.of("/etc/passwd"), file, 0644);
    SourceFiles.Checked read = SourceFiles.readChecked(entry, 1024);
    assertThat(new String(read.content(), java.nio.charset.StandardCharsets.UTF_8)).startsWith("root:x:0:0");
    assertThat(SourceFiles.hostFile(read.entry()).sha256()).isEqualTo(java.util.HexFormat.of().formatHex(
        java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file))));
    assertThat(read.entry()).isEqualTo(entry);
    assertThatThrownBy(() -> SourceFiles.readChecked(entry, 10)).hasMessage("source file " + file + " for /etc/passwd"
        + " has 28 bytes, more than the 10 that scratchkit reads to check it; give a smaller file");
  }

  @Test
  void aLinkIsResolvedWhenTheEntryIsMadeAndAFileFoundByWalkingIsTakenExactly() throws IOException {
    Path real = Files.writeString(tmp.resolve("real"), "x");
    Path link = Files.createSymbolicLink(tmp.resolve("link"), real.getFileName());
    assertThat(LayerEntry.file(ImagePath.of("/a"), link, 0644).source()).contains(real);
    assertThatThrownBy(() -> SourceFiles.exactFile(ImagePath.of("/a"), link, 0644))
        .hasMessage("source file " + link + " for /a is not a regular file but a symbolic link; give a regular file"
            + " (a link inside an added directory is kept as a link)");
    Path dirLink = Files.createSymbolicLink(tmp.resolve("dirlink"), tmp);
    assertThatThrownBy(() -> SourceFiles.exactFile(ImagePath.of("/a"), dirLink.resolve("real"), 0644))
        .hasMessageStartingWith("source file " + dirLink.resolve("real") + " for /a is reached through a symbolic link:"
            + " its directory is really " + tmp);
  }

  @Test
  void namesAreDecodedFromTheirBytes() {
    assertThat(SourceFiles.escaped(new byte[] {'b', 'a', 'd', (byte) 0xff, '\\', '\n'})).isEqualTo("bad\\xFF\\x5C\\x0A");
    assertThat(SourceFiles.utf8Name(tmp.resolve("plain name %41.txt"))).isEqualTo("plain name %41.txt");
    assertThat(SourceFiles.utf8Text(Path.of("../a b/%c"), tmp)).isEqualTo("../a b/%c");
    assertThat(SourceFiles.localeFreeText(Path.of("/"))).isEqualTo("/");
  }
}
