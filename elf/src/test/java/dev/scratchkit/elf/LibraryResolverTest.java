package dev.scratchkit.elf;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The resolver on hand-made sysroots of another architecture (aarch64): nothing in them can run
 * here, so every answer comes from reading files, as for a real foreign sysroot.
 */
class LibraryResolverTest {

  private static final int AARCH64 = 183;
  private static final String INTERP = "/lib/ld-linux-aarch64.so.1";

  @TempDir
  Path root;

  @BeforeEach
  void debianLikeAarch64Sysroot() throws IOException {
    Files.createDirectories(root.resolve("usr/lib/aarch64-linux-gnu"));
    Files.createSymbolicLink(root.resolve("lib"), Path.of("usr/lib"));
    lib("/usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1", TestElf.create().machine(AARCH64).soname("ld-linux-aarch64.so.1"));
    Files.createSymbolicLink(root.resolve("usr/lib/ld-linux-aarch64.so.1"), Path.of("aarch64-linux-gnu/ld-linux-aarch64.so.1"));
    lib("/usr/lib/aarch64-linux-gnu/libc.so.6", TestElf.create().machine(AARCH64).soname("libc.so.6")
        .needed("ld-linux-aarch64.so.1"));
  }

  private Path lib(String imagePath, TestElf elf) throws IOException {
    Path file = root.resolve(imagePath.substring(1));
    Files.createDirectories(file.getParent());
    Files.write(file, elf.build());
    return file;
  }

  private void link(String imagePath, String target) throws IOException {
    Path file = root.resolve(imagePath.substring(1));
    Files.createDirectories(file.getParent());
    Files.createSymbolicLink(file, Path.of(target));
  }

  private static TestElf program(String... needed) {
    return TestElf.create().machine(AARCH64).flags1(ElfFile.DF_1_PIE).interpreter(INTERP).needed(needed);
  }

  private LibraryClosure resolve(String imagePath, TestElf elf) throws IOException {
    return LibraryResolver.forRoot(root).resolve(ElfFile.read(lib(imagePath, elf)));
  }

  @Test
  void resolvesTheInterpreterAndTheClosureBreadthFirstWithEveryLinkFollowed() throws IOException {
    lib("/usr/lib/aarch64-linux-gnu/libfoo.so.1.2.3", TestElf.create().machine(AARCH64).soname("libfoo.so.1")
        .needed("libbar.so.2", "libc.so.6").runpath("$ORIGIN/bar"));
    link("/usr/lib/aarch64-linux-gnu/libfoo.so.1", "libfoo.so.1.2.3");
    lib("/usr/lib/aarch64-linux-gnu/bar/libbar.so.2", TestElf.create().machine(AARCH64).soname("libbar.so.2").needed("libc.so.6"));
    lib("/usr/lib/aarch64-linux-gnu/libz.so.1", TestElf.create().machine(AARCH64).soname("libz.so.1"));

    LibraryClosure closure = resolve("/usr/bin/app", program("libfoo.so.1", "libz.so.1", "libc.so.6"));

    ResolvedLibrary interp = closure.interpreter().orElseThrow();
    assertThat(interp.pathInImage()).isEqualTo(INTERP);
    assertThat(interp.symlinks()).containsExactly(new Symlink("/lib", "usr/lib"),
        new Symlink("/usr/lib/ld-linux-aarch64.so.1", "aarch64-linux-gnu/ld-linux-aarch64.so.1"));
    assertThat(interp.realPathInImage()).isEqualTo("/usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1");
    assertThat(interp.hostPath()).isEqualTo(root.toRealPath().resolve("usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1"));

    assertThat(closure.libraries()).extracting(ResolvedLibrary::name)
        .containsExactly("libfoo.so.1", "libz.so.1", "libc.so.6", "libbar.so.2");
    ResolvedLibrary foo = closure.libraries().get(0);
    assertThat(foo.pathInImage()).isEqualTo("/lib/aarch64-linux-gnu/libfoo.so.1");
    assertThat(foo.foundVia()).isEqualTo(SearchSource.DEFAULT_DIRECTORY);
    assertThat(foo.symlinks()).containsExactly(new Symlink("/lib", "usr/lib"),
        new Symlink("/usr/lib/aarch64-linux-gnu/libfoo.so.1", "libfoo.so.1.2.3"));
    assertThat(foo.realPathInImage()).isEqualTo("/usr/lib/aarch64-linux-gnu/libfoo.so.1.2.3");
    ResolvedLibrary bar = closure.libraries().get(3);
    assertThat(bar.foundVia()).isEqualTo(SearchSource.RUNPATH);
    assertThat(bar.neededBy()).isEqualTo("/lib/aarch64-linux-gnu/libfoo.so.1");
    assertThat(bar.pathInImage()).isEqualTo("/lib/aarch64-linux-gnu/bar/libbar.so.2");
    assertThat(closure.missing()).isEmpty();
    assertThat(closure.isComplete()).isTrue();

    assertThat(closure.files()).extracting(ImageEntry::toString).containsExactly(
        "/lib -> usr/lib",
        "/usr/lib/aarch64-linux-gnu/bar/libbar.so.2 (from " + root.toRealPath() + "/usr/lib/aarch64-linux-gnu/bar/libbar.so.2)",
        "/usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1 (from " + root.toRealPath() + "/usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1)",
        "/usr/lib/aarch64-linux-gnu/libc.so.6 (from " + root.toRealPath() + "/usr/lib/aarch64-linux-gnu/libc.so.6)",
        "/usr/lib/aarch64-linux-gnu/libfoo.so.1 -> libfoo.so.1.2.3",
        "/usr/lib/aarch64-linux-gnu/libfoo.so.1.2.3 (from " + root.toRealPath() + "/usr/lib/aarch64-linux-gnu/libfoo.so.1.2.3)",
        "/usr/lib/aarch64-linux-gnu/libz.so.1 (from " + root.toRealPath() + "/usr/lib/aarch64-linux-gnu/libz.so.1)",
        "/usr/lib/ld-linux-aarch64.so.1 -> aarch64-linux-gnu/ld-linux-aarch64.so.1");
    assertThat(closure.toString()).contains("libfoo.so.1 => /lib/aarch64-linux-gnu/libfoo.so.1");
  }

  @Test
  void skipsCandidatesOfAnotherClassOrMachineAndReportsWhatIsMissing() throws IOException {
    lib("/opt/first/libdual.so.1", TestElf.create().machine(62).soname("libdual.so.1")); // x86-64
    lib("/opt/second/libdual.so.1", TestElf.create().elf32().machine(40).soname("libdual.so.1")); // arm
    lib("/opt/third/libdual.so.1", TestElf.create().machine(AARCH64).soname("libdual.so.1"));
    Files.writeString(root.resolve("opt/third/notelf.so.1"), "not an ELF file");

    LibraryClosure closure = resolve("/usr/bin/app", program("libdual.so.1", "notelf.so.1", "libc.so.6")
        .rpath("/opt/first:/opt/second:/opt/third"));

    assertThat(closure.libraries()).extracting(ResolvedLibrary::pathInImage)
        .containsExactly("/opt/third/libdual.so.1", "/lib/aarch64-linux-gnu/libc.so.6");
    assertThat(closure.libraries().get(0).foundVia()).isEqualTo(SearchSource.RPATH);
    assertThat(closure.missing()).singleElement().satisfies(m -> {
      assertThat(m.name()).isEqualTo("notelf.so.1");
      assertThat(m.neededBy()).isEqualTo("/usr/bin/app");
      assertThat(m.searched()).containsExactly("/opt/first", "/opt/second", "/opt/third",
          "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib", "/usr/lib");
    });
    assertThat(closure.toString()).contains("MISSING notelf.so.1 (needed by /usr/bin/app; searched /opt/first");
  }

  @Test
  void rpathOfTheLoadingChainAppliesOnlyWithoutRunpath() throws IOException {
    lib("/r1/libdep.so.1", TestElf.create().machine(AARCH64).soname("libdep.so.1"));
    lib("/r1/libmid.so.1", TestElf.create().machine(AARCH64).soname("libmid.so.1").needed("libdep.so.1"));
    lib("/r2/libmid2.so.1", TestElf.create().machine(AARCH64).soname("libmid2.so.1").needed("libdep.so.1").runpath("/nowhere"));

    LibraryClosure inherited = resolve("/usr/bin/a", program("libmid.so.1").rpath("/r1"));
    assertThat(inherited.libraries()).extracting(ResolvedLibrary::pathInImage)
        .containsExactly("/r1/libmid.so.1", "/r1/libdep.so.1");
    assertThat(inherited.libraries().get(1).foundVia()).isEqualTo(SearchSource.RPATH);

    LibraryClosure blocked = resolve("/usr/bin/b", program("libmid2.so.1").rpath("/r1:/r2"));
    assertThat(blocked.missing()).extracting(MissingLibrary::name).containsExactly("libdep.so.1");

    LibraryClosure ignored = resolve("/usr/bin/c", program("libmid.so.1").rpath("/r1").runpath("/nowhere"));
    assertThat(ignored.missing()).extracting(MissingLibrary::name).containsExactly("libmid.so.1");
  }

  @Test
  void expandsLibAndPlatformTheDebianWay() throws IOException {
    lib("/opt/lib/aarch64-linux-gnu/aarch64/libtok.so.1", TestElf.create().machine(AARCH64).soname("libtok.so.1"));

    LibraryClosure closure = resolve("/usr/bin/app", program("libtok.so.1").runpath("/opt/${LIB}/$PLATFORM"));

    assertThat(closure.libraries()).extracting(ResolvedLibrary::pathInImage).contains("/opt/lib/aarch64-linux-gnu/aarch64/libtok.so.1");
  }

  @Test
  void noDefaultLibrariesForAnObjectWithNodeflib() throws IOException {
    LibraryClosure closure = resolve("/usr/bin/app", program("libc.so.6").flags1(ElfFile.DF_1_NODEFLIB | ElfFile.DF_1_PIE));

    assertThat(closure.missing()).extracting(MissingLibrary::name).containsExactly("libc.so.6");
  }

  @Test
  void readsLdSoConfWithIncludesWhenTheSysrootHasNoCache() throws IOException {
    lib("/opt/vendor/lib/libvendor.so.3", TestElf.create().machine(AARCH64).soname("libvendor.so.3"));
    Files.createDirectories(root.resolve("etc/ld.so.conf.d"));
    Files.writeString(root.resolve("etc/ld.so.conf"), "# comment\ninclude /etc/ld.so.conf.d/*.conf\n/usr/local/lib\n");
    Files.writeString(root.resolve("etc/ld.so.conf.d/vendor.conf"), "/opt/vendor/lib # vendor\n");
    Files.writeString(root.resolve("etc/ld.so.conf.d/ignored.txt"), "/opt/ignored\n");

    LibraryClosure closure = resolve("/usr/bin/app", program("libvendor.so.3"));

    assertThat(closure.libraries()).singleElement().satisfies(l -> {
      assertThat(l.pathInImage()).isEqualTo("/opt/vendor/lib/libvendor.so.3");
      assertThat(l.foundVia()).isEqualTo(SearchSource.LD_SO_CONF);
    });
  }

  @Test
  void usesTheSysrootsLdSoCacheForItsArchitecture() throws IOException {
    lib("/opt/cached/libcached.so.1", TestElf.create().machine(AARCH64).soname("libcached.so.1"));
    lib("/opt/x86/libcached.so.1", TestElf.create().machine(62).soname("libcached.so.1"));
    Files.createDirectories(root.resolve("etc"));
    Files.write(root.resolve("etc/ld.so.cache"), LdSoCacheTest.newFormat(ByteOrder.LITTLE_ENDIAN,
        new LdSoCache.Entry(0x0303, "libcached.so.1", "/opt/x86/libcached.so.1", 0),
        new LdSoCache.Entry(0x0a03, "libcached.so.1", "/opt/cached/libcached.so.1", 0)));

    LibraryClosure closure = resolve("/usr/bin/app", program("libcached.so.1"));

    assertThat(closure.libraries()).singleElement().satisfies(l -> {
      assertThat(l.pathInImage()).isEqualTo("/opt/cached/libcached.so.1");
      assertThat(l.foundVia()).isEqualTo(SearchSource.LD_SO_CACHE);
    });
  }

  @Test
  void symbolicLinksNeverLeaveTheSysroot(@TempDir Path outside) throws IOException {
    Files.write(outside.resolve("libout.so.1"), TestElf.create().machine(AARCH64).soname("libout.so.1").build());
    String up = "../".repeat(30);
    link("/usr/lib/aarch64-linux-gnu/libout.so.1", up + outside.toRealPath().toString().substring(1) + "/libout.so.1");
    link("/usr/lib/aarch64-linux-gnu/libabs.so.1", outside.toRealPath() + "/libout.so.1");
    link("/usr/lib/aarch64-linux-gnu/libloop.so.1", "libloop.so.1");

    LibraryClosure closure = resolve("/usr/bin/app", program("libout.so.1", "libabs.so.1", "libloop.so.1"));

    assertThat(closure.libraries()).isEmpty();
    assertThat(closure.missing()).extracting(MissingLibrary::name).containsExactly("libout.so.1", "libabs.so.1", "libloop.so.1");
  }

  @Test
  void aProgramOutsideTheSysrootFindsItsOriginLibrariesWhereTheImageWillHoldThem(@TempDir Path build) throws IOException {
    Files.createDirectories(build.resolve("lib"));
    Files.write(build.resolve("lib/libapp.so"), TestElf.create().machine(AARCH64).soname("libapp.so").needed("libc.so.6").build());
    Path app = build.resolve("server");
    Files.write(app, program("libapp.so").runpath("$ORIGIN/lib").build());

    LibraryClosure closure = LibraryResolver.forRoot(root).resolve(ElfFile.read(app), "/app/server");

    assertThat(closure.executable()).isEqualTo("/app/server");
    assertThat(closure.libraries()).extracting(ResolvedLibrary::pathInImage)
        .containsExactly("/app/lib/libapp.so", "/lib/aarch64-linux-gnu/libc.so.6");
    assertThat(closure.libraries().get(0).hostPath()).isEqualTo(build.toRealPath().resolve("lib/libapp.so"));
    assertThat(closure.interpreter()).isPresent();
  }

  @Test
  void aLibraryNeededUnderTwoNamesIsLoadedOnceAndBothPathsAreInTheImage() throws IOException {
    lib("/usr/lib/aarch64-linux-gnu/libtwo.so.1.0", TestElf.create().machine(AARCH64).soname("libtwo.so.1"));
    link("/usr/lib/aarch64-linux-gnu/libtwo.so.1", "libtwo.so.1.0");
    link("/usr/lib/aarch64-linux-gnu/libtwo.so", "libtwo.so.1");

    LibraryClosure closure = resolve("/usr/bin/app", program("libtwo.so.1", "libtwo.so", "libc.so.6"));

    assertThat(closure.libraries()).extracting(ResolvedLibrary::name).containsExactly("libtwo.so.1", "libc.so.6");
    assertThat(closure.aliases()).extracting(ResolvedLibrary::name).containsExactly("libtwo.so");
    List<String> paths = new ArrayList<>();
    closure.files().forEach(e -> paths.add(e.pathInImage()));
    assertThat(paths).contains("/usr/lib/aarch64-linux-gnu/libtwo.so", "/usr/lib/aarch64-linux-gnu/libtwo.so.1",
        "/usr/lib/aarch64-linux-gnu/libtwo.so.1.0");
  }

  @Test
  void aStaticProgramHasAnEmptyClosure() throws IOException {
    LibraryClosure closure = resolve("/usr/bin/static", TestElf.create().machine(AARCH64).type(2));

    assertThat(closure.interpreter()).isEmpty();
    assertThat(closure.libraries()).isEmpty();
    assertThat(closure.files()).isEmpty();
  }

  @Test
  void aMissingInterpreterIsReported() throws IOException {
    LibraryClosure closure = resolve("/usr/bin/app", TestElf.create().machine(AARCH64).interpreter("/lib/ld-musl-aarch64.so.1"));

    assertThat(closure.interpreter()).isEmpty();
    assertThat(closure.missing()).extracting(MissingLibrary::name).containsExactly("/lib/ld-musl-aarch64.so.1");
  }

  @Test
  void namesLoadedAtRunTimeAreSearchedFromTheCallerWithTheirOwnClosure() throws IOException {
    lib("/opt/plugins/libplug.so.2", TestElf.create().machine(AARCH64).soname("libplug.so.2").needed("libdep.so.1"));
    lib("/usr/lib/aarch64-linux-gnu/libdep.so.1", TestElf.create().machine(AARCH64).soname("libdep.so.1")
        .needed("libc.so.6"));
    Path program = lib("/usr/bin/host", program("libc.so.6").runpath("/opt/plugins"));
    LibraryClosure closure = LibraryResolver.forRoot(root).resolveWithLoaded(ElfFile.read(program), "/usr/bin/host",
        List.of("libplug.so.2", "libabsent.so.1", "libc.so.6"));
    assertThat(closure.libraries()).extracting(ResolvedLibrary::name, ResolvedLibrary::neededBy,
        ResolvedLibrary::pathInImage).containsExactly(
            org.assertj.core.groups.Tuple.tuple("libc.so.6", "/usr/bin/host", "/lib/aarch64-linux-gnu/libc.so.6"),
            org.assertj.core.groups.Tuple.tuple("libplug.so.2", "/usr/bin/host", "/opt/plugins/libplug.so.2"),
            org.assertj.core.groups.Tuple.tuple("libdep.so.1", "/opt/plugins/libplug.so.2",
                "/lib/aarch64-linux-gnu/libdep.so.1"));
    assertThat(closure.missing()).extracting(MissingLibrary::name, MissingLibrary::neededBy)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("libabsent.so.1", "/usr/bin/host"));
    // Without names it is the DT_NEEDED closure.
    assertThat(LibraryResolver.forRoot(root).resolveWithLoaded(ElfFile.read(program), "/usr/bin/host", List.of())
        .libraries()).extracting(ResolvedLibrary::name).containsExactly("libc.so.6");
  }
}
