package dev.scratchkit.elf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.testkit.Fixtures;
import dev.scratchkit.testkit.Tools;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Go programs built with the Debian Go toolchain during the test run, checked against what
 * {@code go version -m} prints.
 */
class GoFixturesTest {

  private static final String USERS_AND_ZONES = """
      package main

      import (
      	"fmt"
      	"os/user"
      	"time"
      )

      func main() {
      	u, err := user.Lookup("nobody")
      	fmt.Println(u, err)
      	loc, err := time.LoadLocation("Europe/Paris")
      	fmt.Println(loc, err)
      }
      """;

  @TempDir
  static Path dir;

  private static Path hello0;
  private static Path hello1;
  private static Path https0;
  private static Path https1;
  private static Path httpsStripped;
  private static Path arm64;

  @BeforeAll
  static void build() {
    hello0 = Fixtures.go(dir, "hello-cgo0", Fixtures.GO_HELLO, Map.of("CGO_ENABLED", "0"));
    hello1 = Fixtures.go(dir, "hello-cgo1", Fixtures.GO_HELLO, Map.of("CGO_ENABLED", "1"));
    https0 = Fixtures.go(dir, "https-cgo0", Fixtures.GO_HTTPS_CLIENT, Map.of("CGO_ENABLED", "0"));
    https1 = Fixtures.go(dir, "https-cgo1", Fixtures.GO_HTTPS_CLIENT, Map.of("CGO_ENABLED", "1"));
    httpsStripped = Fixtures.go(dir, "https-stripped", Fixtures.GO_HTTPS_CLIENT, Map.of("CGO_ENABLED", "0"),
        "-ldflags=-s -w");
    arm64 = Fixtures.go(dir, "hello-arm64", Fixtures.GO_HELLO, Map.of("GOARCH", "arm64", "CGO_ENABLED", "0"));
  }

  /** The Go version and CGO_ENABLED that {@code go version -m} prints for a binary. */
  private static String[] goVersionM(Path binary) {
    Path go = Tools.require("go");
    String out = Tools.run(Duration.ofMinutes(1), null, Fixtures.goEnvironment(),
        List.of(go.toString(), "version", "-m", binary.toString())).assertOk().stdout();
    Matcher version = Pattern.compile("^\\S+: (go\\S+)", Pattern.MULTILINE).matcher(out);
    Matcher cgo = Pattern.compile("^\\s*build\\s+CGO_ENABLED=(\\d)", Pattern.MULTILINE).matcher(out);
    return new String[] {version.find() ? version.group(1) : null, cgo.find() ? cgo.group(1) : null};
  }

  private static void assertAgreesWithGoVersionM(ElfFile elf) {
    String[] expected = goVersionM(elf.path());
    GoBuildInfo info = elf.goBuildInfo().orElseThrow();
    assertThat(expected[0]).isNotNull();
    assertThat(info.goVersion()).isEqualTo(expected[0]);
    assertThat(info.settings().get("CGO_ENABLED")).isEqualTo(expected[1]);
  }

  @Test
  void helloWithoutCgoIsStatic() {
    ElfFile elf = ElfFile.read(hello0);

    assertAgreesWithGoVersionM(elf);
    assertThat(elf.linkage()).isEqualTo(Linkage.STATIC);
    assertThat(elf.goBuildInfo().orElseThrow().cgoEnabled()).contains(false);
    assertThat(elf.goBuildInfo().orElseThrow().path()).isEqualTo("example.com/hello-cgo0");
    assertThat(elf.platform()).isEqualTo(Platform.LINUX_AMD64);
    assertThat(elf.runtimeNeeds()).isEmpty();
  }

  @Test
  void helloWithCgoEnabledStaysStaticWhenNoPackageUsesCgo() {
    ElfFile elf = ElfFile.read(hello1);

    assertAgreesWithGoVersionM(elf);
    assertThat(elf.goBuildInfo().orElseThrow().cgoEnabled()).contains(true);
    assertThat(elf.linkage()).isEqualTo(Linkage.STATIC);
    assertThat(elf.runtimeNeeds()).isEmpty();
  }

  @Test
  void anHttpsClientWithCgoIsDynamicAndNeedsCaCertificates() {
    ElfFile elf = ElfFile.read(https1);

    assertAgreesWithGoVersionM(elf);
    assertThat(elf.linkage()).isEqualTo(Linkage.DYNAMIC);
    assertThat(elf.interpreter()).contains("/lib64/ld-linux-x86-64.so.2");
    assertThat(elf.neededLibraries()).contains("libc.so.6");
    assertThat(elf.runtimeNeeds()).filteredOn(n -> n.kind() == RuntimeNeed.Kind.CA_CERTIFICATES)
        .singleElement().extracting(RuntimeNeed::evidence).asString()
        .startsWith("Go package crypto/x509 (root CA loading: crypto/x509.");
  }

  @Test
  void anHttpsClientWithoutCgoIsStaticAndNeedsCaCertificates() {
    ElfFile elf = ElfFile.read(https0);

    assertAgreesWithGoVersionM(elf);
    assertThat(elf.linkage()).isEqualTo(Linkage.STATIC);
    assertThat(elf.runtimeNeeds()).extracting(RuntimeNeed::kind).containsExactly(RuntimeNeed.Kind.CA_CERTIFICATES);
  }

  @Test
  void aStrippedHttpsClientStillShowsItsNeedsAndBuildInfo() {
    ElfFile elf = ElfFile.read(httpsStripped);

    assertAgreesWithGoVersionM(elf);
    assertThat(elf.sectionHeaders()).extracting(SectionHeader::name).doesNotContain(".symtab");
    assertThat(elf.goBuildInfo().orElseThrow().settings()).containsEntry("-ldflags", "-s -w");
    assertThat(elf.runtimeNeeds()).extracting(RuntimeNeed::kind).containsExactly(RuntimeNeed.Kind.CA_CERTIFICATES);
  }

  @Test
  void withoutSectionHeadersTheBuildInfoAndFunctionNamesAreFoundInTheSegments() throws Exception {
    byte[] bytes = java.nio.file.Files.readAllBytes(httpsStripped);
    java.nio.ByteBuffer header = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    header.putLong(40, 0); // e_shoff
    header.putShort(60, (short) 0); // e_shnum
    header.putShort(62, (short) 0); // e_shstrndx
    Path headless = dir.resolve("https-no-section-headers");
    java.nio.file.Files.write(headless, bytes);

    ElfFile elf = ElfFile.read(headless);

    assertThat(elf.sectionHeaders()).isEmpty();
    assertThat(elf.goBuildInfo()).isEqualTo(ElfFile.read(httpsStripped).goBuildInfo());
    assertThat(elf.runtimeNeeds()).extracting(RuntimeNeed::kind).containsExactly(RuntimeNeed.Kind.CA_CERTIFICATES);
  }

  @Test
  void aCrossBuiltArm64ProgramHasTheArm64Platform() {
    ElfFile elf = ElfFile.read(arm64);

    assertAgreesWithGoVersionM(elf);
    assertThat(elf.machine()).isEqualTo(Machine.AARCH64);
    assertThat(elf.platform()).isEqualTo(Platform.LINUX_ARM64);
    assertThat(elf.linkage()).isEqualTo(Linkage.STATIC);
    assertThat(elf.goBuildInfo().orElseThrow().goarch()).contains("arm64");
  }

  @Test
  void a32BitArmProgramTakesItsVariantFromGoarm() {
    ElfFile elf = ElfFile.read(Fixtures.go(dir, "hello-armv6", Fixtures.GO_HELLO,
        Map.of("GOARCH", "arm", "GOARM", "6", "CGO_ENABLED", "0")));

    assertThat(elf.elfClass()).isEqualTo(32);
    assertThat(elf.platform()).hasToString("linux/arm/v6");
  }

  @Test
  void userLookupsAndNamedTimeZonesAreFlaggedUnlessTzdataIsEmbedded() {
    ElfFile plain = ElfFile.read(Fixtures.go(dir, "users", USERS_AND_ZONES, Map.of("CGO_ENABLED", "0")));
    ElfFile embedded = ElfFile.read(Fixtures.go(dir, "users-tz", USERS_AND_ZONES, Map.of("CGO_ENABLED", "0"),
        "-tags=timetzdata", "-ldflags=-s -w"));

    assertThat(plain.runtimeNeeds()).extracting(RuntimeNeed::kind)
        .containsExactly(RuntimeNeed.Kind.TIMEZONE_DATA, RuntimeNeed.Kind.USER_DATABASE);
    assertThat(plain.runtimeNeeds()).extracting(RuntimeNeed::evidence)
        .contains("Go time.LoadLocation without embedded time/tzdata", "Go package os/user (os/user.Lookup)");
    assertThat(embedded.runtimeNeeds()).extracting(RuntimeNeed::kind).containsExactly(RuntimeNeed.Kind.USER_DATABASE);
  }
}
