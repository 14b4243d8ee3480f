package dev.scratchkit.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scratchkit.ScratchImage;
import dev.scratchkit.ScratchImageException;
import dev.scratchkit.elf.Platform;
import dev.scratchkit.testkit.Fixtures;
import dev.scratchkit.testkit.Tools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Names and paths an image can hold: at most 255 UTF-8 bytes a name, 4095 a path, no unpaired surrogate. */
class NameLimitsTest {

  @TempDir Path tmp;

  private static String expectedLongName(String path, String name, int bytes) {
    String shown = path.length() > 200 ? path.substring(0, 200) + "..." : path;
    return "invalid path in image \"" + shown + "\": its name \"" + name.substring(0, 40) + "...\" is " + bytes
        + " bytes long in UTF-8; file systems hold at most 255 bytes per name, so the image could not be unpacked"
        + " (umoci unpack, Docker); shorten the name";
  }

  @Test
  void aNameOver255Utf8BytesIsRefusedAnd255IsAccepted() {
    assertThat(ImagePath.of("/d/" + "n".repeat(255)).fileName()).hasSize(255);
    String ascii = "n".repeat(256);
    assertThatThrownBy(() -> ImagePath.of("/d/" + ascii)).isInstanceOf(OciException.class)
        .hasMessage(expectedLongName("/d/" + ascii, ascii, 256));
    // counted in UTF-8 bytes, not chars: 128 x é is 256 bytes, 85 x 日 is 255, 64 emoji are 256
    String accents = "\u00e9".repeat(128);
    assertThatThrownBy(() -> ImagePath.of("/" + accents)).hasMessage(expectedLongName("/" + accents, accents, 256));
    assertThat(ImagePath.of("/" + "\u00e9".repeat(127) + "x")).isNotNull();
    assertThat(ImagePath.of("/" + "\u65e5".repeat(85))).isNotNull();
    String emoji = "\uD83D\uDE00".repeat(64);
    assertThatThrownBy(() -> ImagePath.of("/" + emoji)).hasMessageContaining("is 256 bytes long in UTF-8");
    assertThatThrownBy(() -> ImagePath.of("/etc").resolve(ascii)).hasMessageContaining("is 256 bytes long in UTF-8");
  }

  @Test
  void aPathOver4095BytesIsRefused() {
    String path = ("/" + "p".repeat(200)).repeat(20); // 4020 bytes
    assertThat(ImagePath.of(path)).isNotNull();
    String longer = path + "/" + "q".repeat(80); // 4101
    assertThatThrownBy(() -> ImagePath.of(longer)).hasMessage("invalid path in image \"" + longer.substring(0, 200)
        + "...\": it is 4101 bytes long in UTF-8, more than the 4095 a Linux path can hold; shorten it");
  }

  @Test
  void anUnpairedSurrogateIsRefusedInPathsAndLinkTexts() {
    assertThatThrownBy(() -> ImagePath.of("/a\uD800b")).hasMessage("invalid path in image \"/a\uD800b\": it contains"
        + " an unpaired UTF-16 surrogate (\\uD800 at index 2), which has no UTF-8 form; fix the string");
    assertThatThrownBy(() -> ImagePath.of("/a\uDC00")).hasMessageContaining("(\\uDC00 at index 2)");
    assertThatThrownBy(() -> LayerEntry.symlink(ImagePath.of("/l"), "x\uDBFF")).hasMessage("invalid symlink target"
        + " for /l: it contains an unpaired UTF-16 surrogate (\\uDBFF at index 1), which has no UTF-8 form; fix the string");
    assertThatThrownBy(() -> LayerEntry.symlink(ImagePath.of("/l"), "t".repeat(4096))).hasMessage("invalid symlink"
        + " target for /l: it is 4096 bytes long in UTF-8, more than the 4095 a Linux path can hold; shorten it");
  }

  @Test
  void buildRefusesA300ByteNameNamingIt() throws IOException {
    Path hello = Fixtures.gcc(tmp.resolve("c"), "hello", "int main(void) { return 0; }\n", "-static");
    Path conf = Files.writeString(tmp.resolve("a.conf"), "x");
    String name = "n".repeat(300);
    assertThatThrownBy(() -> ScratchImage.builder().entrypoint(hello).addFile(conf, "/etc/" + name).build())
        .isInstanceOf(ScratchImageException.class)
        .hasMessageContaining(expectedLongName("/etc/" + name, name, 300));
  }

  @Test
  void umociUnpacksA255ByteName() {
    Path umoci = Tools.require("umoci");
    String name = "\u00e9".repeat(127) + "x"; // 255 bytes
    ImageSpec image = ImageSpec.of(Platform.LINUX_AMD64, Instant.EPOCH, ContainerConfig.empty(), List.of(
        LayerSpec.of("names", LayerEntry.bytes(ImagePath.of("/d/" + name), "ok".getBytes(StandardCharsets.UTF_8), 0644))));
    OciLayout.at(tmp.resolve("layout")).tag("latest").cache(LayerCache.disabled()).write(image);
    Tools.run(Duration.ofMinutes(2), null, null, List.of(umoci.toString(), "unpack", "--rootless", "--image",
        tmp.resolve("layout") + ":latest", tmp.resolve("bundle").toString())).assertOk();
    // list by bytes with the shell, independent of this JVM's locale
    String count = Tools.run(Duration.ofMinutes(1), tmp.resolve("bundle/rootfs/d"), java.util.Map.of("LC_ALL", "C"),
        List.of("sh", "-c", "for f in *; do printf %s \"$f\" | wc -c; done")).assertOk().stdout().strip();
    assertThat(count).isEqualTo("255");
  }
}
