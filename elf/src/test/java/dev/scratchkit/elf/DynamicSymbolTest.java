package dev.scratchkit.elf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scratchkit.testkit.Fixtures;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Imported and exported dynamic symbols of programs built here, and a damaged table's message. */
class DynamicSymbolTest {

  private static final String PTHREAD_EXIT = "#include <pthread.h>\nint main(void){pthread_exit(0);}\n";

  @TempDir
  Path dir;

  @Test
  void aProgramCallingPthreadExitImportsItWithItsGlibcVersion() {
    ElfFile elf = ElfFile.read(Fixtures.gcc(dir, "exit", PTHREAD_EXIT));
    List<String> imports = elf.importedSymbols().stream().map(DynamicSymbol::nameWithVersion).toList();
    assertThat(imports).anyMatch(s -> s.matches("pthread_exit@GLIBC_2\\.[0-9.]+"));
    DynamicSymbol exit = elf.importedSymbols().stream().filter(s -> s.name().equals("pthread_exit"))
        .findFirst().orElseThrow();
    assertThat(exit.defined()).isFalse();
    assertThat(exit.type()).isEqualTo(DynamicSymbol.Type.FUNC);
    assertThat(exit.binding()).isEqualTo(DynamicSymbol.Binding.GLOBAL);
    assertThat(exit.toString()).matches("pthread_exit@GLIBC_2\\.[0-9.]+ \\(FUNC GLOBAL\\)");
    assertThat(elf.exportedSymbols()).noneMatch(s -> s.name().equals("pthread_exit"));
    assertThat(elf.toString()).contains("imports " + elf.importedSymbols().size() + " symbols");
  }

  @Test
  void aLibraryExportsItsDefaultAndHiddenVersions() throws Exception {
    Path libc = Path.of("/usr/lib/x86_64-linux-gnu/libc.so.6");
    Assumptions.assumeTrue(Files.isReadable(libc), "no " + libc);
    List<String> exports = ElfFile.read(libc).exportedSymbols().stream().map(DynamicSymbol::nameWithVersion)
        .toList();
    assertThat(exports).contains("memcpy@@GLIBC_2.14", "memcpy@GLIBC_2.2.5", "GLIBC_2.2.5");
    assertThat(exports).anyMatch(s -> s.startsWith("pthread_exit@@GLIBC_"));
  }

  @Test
  void aProgramWithoutDynamicSymbolsHasNone() {
    ElfFile elf = ElfFile.read(Fixtures.gcc(dir, "static", "int main(void){return 0;}\n", "-static"));
    assertThat(elf.importedSymbols()).isEmpty();
    assertThat(elf.exportedSymbols()).isEmpty();
  }

  @Test
  void aDamagedSymbolTableFailsOnlyTheSymbolAccessorsNamingTheFileAndTheDefect() throws Exception {
    Path program = Fixtures.gcc(dir, "damaged", PTHREAD_EXIT);
    ElfFile good = ElfFile.read(program);
    int dynsym = -1;
    for (int i = 0; i < good.sectionHeaders().size(); i++) {
      if (good.sectionHeaders().get(i).type() == SectionHeader.SHT_DYNSYM) {
        dynsym = i;
      }
    }
    byte[] bytes = Files.readAllBytes(program);
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    long shoff = b.getLong(40);
    int shentsize = b.getShort(58);
    b.putInt((int) (shoff + (long) dynsym * shentsize + 40), 999); // sh_link of .dynsym
    Path damaged = dir.resolve("damaged-link");
    Files.write(damaged, bytes);

    ElfFile elf = ElfFile.read(damaged);
    assertThat(elf.neededLibraries()).isEqualTo(good.neededLibraries());
    int sections = good.sectionHeaders().size();
    String defect = "the string table of the dynamic symbol table (.dynsym, section " + dynsym
        + ") is section 999 (sh_link), which does not exist (there are " + sections + ")";
    assertThatThrownBy(elf::importedSymbols).isInstanceOf(ElfFormatException.class)
        .hasMessage(damaged.toAbsolutePath() + " is not a valid ELF file: " + defect);
    assertThatThrownBy(elf::exportedSymbols).isInstanceOf(ElfFormatException.class).hasMessageEndingWith(defect);
  }
}
