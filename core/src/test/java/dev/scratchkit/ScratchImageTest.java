package dev.scratchkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.scratchkit.certs.CaBundle;
import dev.scratchkit.elf.Platform;
import dev.scratchkit.oci.Digest;
import dev.scratchkit.oci.LayerEntry;
import dev.scratchkit.oci.LayerCache;
import dev.scratchkit.oci.LayerSpec;
import dev.scratchkit.oci.OciLayout;
import dev.scratchkit.oci.WriteResult;
import dev.scratchkit.testkit.Fixtures;
import dev.scratchkit.testkit.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code build()} assembles and what it refuses, with the exact messages users see. */
class ScratchImageTest {

  @TempDir static Path work;
  static Path staticHello;

  @BeforeAll
  static void binaries() {
    staticHello = Fixtures.gcc(work.resolve("c"), "hello",
        "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n", "-static");
  }

  @Test
  void defaultImageHasTheDistrolessNonrootFilesystemInOrderedLayers() {
    ScratchImage image = ScratchImage.builder().entrypoint(staticHello).build();
    assertThat(image.platform()).isEqualTo(Platform.LINUX_AMD64);
    assertThat(image.created()).isEqualTo(Instant.EPOCH);
    assertThat(image.config().user()).isEqualTo("65532:65532");
    assertThat(image.config().entrypoint()).containsExactly("/app/hello");
    assertThat(image.config().env()).contains("SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt");
    assertThat(image.layers()).extracting(LayerSpec::createdBy).satisfiesExactly(
        base -> assertThat(base).contains("base files"),
        certs -> assertThat(certs).contains("CA certificates (" + CaBundle.fromJdk().size() + ")"),
        zones -> assertThat(zones).isEqualTo("scratchkit: time zone data"),
        app -> assertThat(app).contains("app"));
    Map<String, LayerEntry> base = entries(image.layers().get(0));
    assertThat(base.get("/tmp").mode()).isEqualTo(01777);
    assertThat(base.get("/home/nonroot").mode()).isEqualTo(0700);
    assertThat(base.get("/home/nonroot").uid()).isEqualTo(65532);
    assertThat(new String(base.get("/etc/passwd").content().orElseThrow()))
        .contains("nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin");
    assertThat(new String(base.get("/etc/nsswitch.conf").content().orElseThrow())).contains("hosts:          files dns");
    Map<String, LayerEntry> certs = entries(image.layers().get(1));
    assertThat(certs.get("/etc/ssl/certs/ca-certificates.crt").mode()).isEqualTo(0644);
    assertThat(entries(image.layers().get(2)).get("/usr/share/zoneinfo/Europe/Berlin").mode()).isEqualTo(0644);
    assertThat(new String(base.get("/etc/services").content().orElseThrow())).contains("443/tcp");
    assertThat(base.get("/etc/protocols").mode()).isEqualTo(0644);
    assertThat(entries(image.layers().get(3)).get("/app/hello").mode()).isEqualTo(0755);
  }

  @Test
  void baseAndCaLayersAreTheSameBlobsInEveryImage() throws IOException {
    Path other = Fixtures.gcc(work.resolve("c"), "other",
        "#include <stdio.h>\nint main(void) { puts(\"other\"); return 0; }\n", "-static");
    WriteResult first = ScratchImage.builder().entrypoint(staticHello).creationTime(Instant.parse("2024-01-01T00:00:00Z"))
        .build().writeTo(OciLayout.at(work.resolve("shared-1")).cache(LayerCache.disabled()));
    WriteResult second = ScratchImage.builder().entrypoint(other).creationTime(Instant.parse("2025-06-01T12:00:00Z"))
        .build().writeTo(OciLayout.at(work.resolve("shared-2")).cache(LayerCache.disabled()));
    assertThat(second.layers().subList(0, 3)).isEqualTo(first.layers().subList(0, 3));
    assertThat(second.layers().get(3).digest()).isNotEqualTo(first.layers().get(3).digest());
    // The app layer carries the creation time; scratchkit's own layers the fixed 1970 time.
    String listing = tarListing(work.resolve("shared-2"), second.layers().get(3).digest());
    assertThat(listing).contains("2025-06-01 12:00:00").doesNotContain("1970-01-01");
    String base = tarListing(work.resolve("shared-2"), second.layers().get(0).digest());
    assertThat(base).contains("1970-01-01 00:00:00").doesNotContain("2025");
  }

  @Test
  void threeMistakesAreReportedTogether() throws IOException {
    Path script = Files.writeString(work.resolve("run.sh"), "#!/bin/bash\nexec app\n");
    ScratchImageException e = catchThrowableOfType(ScratchImageException.class, () -> ScratchImage.builder()
        .entrypoint(script)
        .user("appuser")
        .addFile(work.resolve("missing.conf"), "/etc/app.conf")
        .build());
    assertThat(e.problems()).hasSize(3);
    assertThat(e.getMessage())
        .startsWith("The image would not run (3 problems):")
        .contains(script + " is a script (#!/bin/bash)")
        .contains("no user \"appuser\"")
        .contains(work.resolve("missing.conf") + " does not exist");
  }

  @Test
  void explicitPlatformContradictingTheBinaryIsRefused() {
    assertThatThrownBy(() -> ScratchImage.builder().entrypoint(staticHello).platform(Platform.LINUX_ARM64).build())
        .isInstanceOf(ScratchImageException.class)
        .hasMessageContaining("platform(linux/arm64) contradicts " + staticHello + ", which is built for linux/amd64");
  }

  @Test
  void binariesOfDifferentArchitecturesAreRefused() {
    Path arm = Fixtures.go(work, "hello-arm64", Fixtures.GO_HELLO, Map.of("CGO_ENABLED", "0", "GOARCH", "arm64"));
    assertThatThrownBy(() -> ScratchImage.builder().entrypoint(staticHello).addFile(arm, "/app/helper").build())
        .isInstanceOf(ScratchImageException.class)
        .hasMessageContaining("mixes ELF files of different architectures")
        .hasMessageContaining("linux/amd64 (" + staticHello + ")")
        .hasMessageContaining("linux/arm64 (" + arm + ")");
  }

  @Test
  void binaryForAnotherOsIsRefused() {
    Path freebsd = Fixtures.go(work, "hello-freebsd", Fixtures.GO_HELLO,
        Map.of("CGO_ENABLED", "0", "GOOS", "freebsd", "GOARCH", "amd64"));
    assertThatThrownBy(() -> ScratchImage.builder().entrypoint(freebsd).noCaCertificates().build())
        .isInstanceOf(ScratchImageException.class)
        .hasMessageContaining(freebsd + " is a Go program built for GOOS=freebsd")
        .hasMessageContaining("Rebuild with GOOS=linux");
  }

  @Test
  void arm64BinaryGivesAnArm64Image() {
    Path arm = Fixtures.go(work, "hello-arm64", Fixtures.GO_HELLO, Map.of("CGO_ENABLED", "0", "GOARCH", "arm64"));
    assertThat(ScratchImage.builder().entrypoint(arm).build().platform()).isEqualTo(Platform.LINUX_ARM64);
  }

  @Test
  void badImagePathsAreRefused() {
    assertThatThrownBy(() -> ScratchImage.builder().entrypoint(staticHello, "app/hello")
        .addFile(staticHello, "/opt/../etc/x").build())
        .isInstanceOf(ScratchImageException.class)
        .satisfies(t -> assertThat(((ScratchImageException) t).problems()).hasSize(2))
        .hasMessageContaining("app/hello")
        .hasMessageContaining("/opt/../etc/x");
  }

  @Test
  void sameImagePathWithDifferentContentIsRefused() throws IOException {
    Path a = Files.writeString(work.resolve("a.conf"), "a");
    Path b = Files.writeString(work.resolve("b.conf"), "b");
    assertThatThrownBy(() -> ScratchImage.builder().entrypoint(staticHello)
        .addFile(a, "/etc/app.conf").addFile(b, "/etc/app.conf").build())
        .isInstanceOf(ScratchImageException.class)
        .hasMessageContaining("/etc/app.conf twice with different content");
  }

  @Test
  void symlinkLeavingAnAddedDirectoryIsRefused() throws IOException {
    Path dir = Files.createDirectories(work.resolve("site"));
    Files.writeString(dir.resolve("index.html"), "hi");
    Files.createSymbolicLink(dir.resolve("secret"), Path.of("../../../etc/shadow"));
    Files.createSymbolicLink(dir.resolve("home"), Path.of("index.html"));
    assertThatThrownBy(() -> ScratchImage.builder().entrypoint(staticHello).addDirectory(dir, "/srv").build())
        .isInstanceOf(ScratchImageException.class)
        .hasMessageContaining(dir.resolve("secret") + " is a symbolic link to ../../../etc/shadow, which is outside " + dir);
  }

  @Test
  void addedDirectoryKeepsInternalLinksAndNormalisesModes() throws IOException {
    Path dir = Files.createDirectories(work.resolve("www"));
    Files.writeString(dir.resolve("index.html"), "hi");
    Files.createSymbolicLink(dir.resolve("home.html"), Path.of("index.html"));
    ScratchImage image = ScratchImage.builder().entrypoint(staticHello).addDirectory(dir, "/srv/www").build();
    // Added directories get a layer of their own, before the entrypoint's.
    assertThat(image.layers().get(image.layers().size() - 2).createdBy()).isEqualTo("scratchkit: directories");
    Map<String, LayerEntry> app = entries(image.layers().get(image.layers().size() - 2));
    assertThat(app.get("/srv/www/home.html").link()).contains("index.html");
    assertThat(app.get("/srv/www/index.html").mode()).isEqualTo(0644);
    assertThat(app.get("/srv/www").mode()).isEqualTo(0755);
  }

  @Test
  void emptyCaBundleIsRefused() {
    assertThatThrownBy(() -> ScratchImage.builder().entrypoint(staticHello)
        .caCertificates(CaBundle.fromJdk().filter(c -> false)).build())
        .isInstanceOf(ScratchImageException.class)
        .hasMessageContaining("The CA bundle is empty")
        .hasMessageContaining("noCaCertificates()");
  }

  @Test
  void nonElfEntrypointIsRefused() throws IOException {
    Path text = Files.writeString(work.resolve("notes.txt"), "just text\n");
    assertThatThrownBy(() -> ScratchImage.builder().entrypoint(text).build())
        .isInstanceOf(ScratchImageException.class)
        .hasMessageContaining(text + " is not an ELF executable");
  }

  @Test
  void ownPasswdDefinesUsers() throws IOException {
    Path passwd = Files.writeString(work.resolve("passwd"), "root:x:0:0::/root:/sbin/nologin\napp:x:1000:1000::/:/sbin/nologin\n");
    ScratchImage image = ScratchImage.builder().entrypoint(staticHello).addFile(passwd, "/etc/passwd").user("app")
        .build();
    assertThat(image.config().user()).isEqualTo("app");
  }

  @Test
  void numericUserWithoutPasswdEntryWarnsWhenTheProgramLooksUpUsers() {
    Path program = Fixtures.go(work, "whoami-go", """
        package main

        import (
        	"fmt"
        	"os/user"
        )

        func main() {
        	u, err := user.Current()
        	fmt.Println(u, err)
        }
        """, Map.of("CGO_ENABLED", "0"));
    assertThat(ScratchImage.builder().entrypoint(program).noCaCertificates().build().warnings()).isEmpty();
    assertThat(ScratchImage.builder().entrypoint(program).noCaCertificates().user("1000").build().warnings())
        .singleElement().asString()
        .contains(program + " evidently looks up users")
        .contains("no entry for uid 1000");
  }

  @Test
  void sourceDateEpochIsNotNeededWhenCreationTimeIsGiven() {
    Instant t = Instant.parse("2024-05-06T07:08:09.5Z");
    assertThat(ScratchImage.builder().entrypoint(staticHello).creationTime(t).build().created())
        .isEqualTo(Instant.parse("2024-05-06T07:08:09Z"));
  }

  /** GNU tar's listing of a layer blob, times in UTC. */
  private static String tarListing(Path layout, Digest layer) {
    return Tools.run(java.time.Duration.ofMinutes(1), null, Map.of("TZ", "UTC"), List.of(Tools.require("tar").toString(),
        "--numeric-owner", "--full-time", "-tvzf", layout.resolve("blobs/sha256").resolve(layer.hex()).toString()))
        .assertOk().stdout();
  }

  private static Map<String, LayerEntry> entries(LayerSpec layer) {
    Map<String, LayerEntry> map = new java.util.TreeMap<>();
    for (LayerEntry e : layer.entries()) {
      map.put(e.path().toString(), e);
    }
    return map;
  }
}
