package dev.scratchkit.elf;

import java.nio.ByteOrder;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An ELF file as read from disk: an immutable value. {@link #read(Path)} reads everything the
 * accessors report through positioned reads of a file channel, never the whole file, and closes
 * the file before it returns.
 *
 * <pre>{@code
 * ElfFile app = ElfFile.read(Path.of("/usr/bin/curl"));
 * app.linkage();          // DYNAMIC
 * app.interpreter();      // Optional[/lib64/ld-linux-x86-64.so.2]
 * app.neededLibraries();  // [libcurl.so.4, libz.so.1, libc.so.6]
 * app.platform();         // linux/amd64
 * app.importedSymbols();  // [ftell@GLIBC_2.2.5 (FUNC GLOBAL), …]
 * }</pre>
 */
public final class ElfFile {

  /** DF_1_NODEFLIB in DT_FLAGS_1: do not search the default library directories. */
  public static final long DF_1_NODEFLIB = 0x800;
  /** DF_1_PIE in DT_FLAGS_1: a position-independent executable. */
  public static final long DF_1_PIE = 0x08000000L;

  private final Path path;
  private final ElfReader.Data data;
  private final Platform platform;
  private final Optional<GoBuildInfo> goBuildInfo;
  private final List<RuntimeNeed> runtimeNeeds;
  /** The dynamic symbols, or null when their tables are malformed ({@link #symbolDefect} says how). */
  private final DynamicSymbolReader.Symbols symbols;
  private final String symbolDefect;

  private ElfFile(Path path, ElfReader.Data data, Platform platform, Optional<GoBuildInfo> go,
      List<RuntimeNeed> runtimeNeeds, DynamicSymbolReader.Symbols symbols, String symbolDefect) {
    this.path = path;
    this.data = data;
    this.platform = platform;
    this.goBuildInfo = go;
    this.runtimeNeeds = runtimeNeeds;
    this.symbols = symbols;
    this.symbolDefect = symbolDefect;
  }

  /**
   * Reads an ELF file.
   *
   * @param file the file to read; relative paths are resolved against the working directory
   * @return the file's headers, dynamic section, dynamic symbols, platform, Go build information and
   *     runtime needs
   * @throws ElfFormatException if the file is not ELF or is malformed, or is not a regular file
   *     (a directory, FIFO, device or socket is refused before it is opened); the message names
   *     the absolute path and the defect
   * @throws ElfException if the file does not exist or cannot be opened or read
   */
  public static ElfFile read(Path file) {
    Objects.requireNonNull(file, "file");
    try (ByteSource source = ByteSource.open(file)) {
      return read(file, source);
    } catch (UncheckedIOException e) {
      throw ElfException.unreadable(file, e.getCause());
    }
  }

  /** Reads from any byte source; {@code path} names the file in messages. */
  static ElfFile read(Path path, ByteSource source) {
    try {
      ElfReader.Data data = ElfReader.read(source);
      Optional<GoBuildInfo> go = GoBuildInfoReader.read(source, data);
      Platform platform = Platforms.of(source, data, go);
      List<RuntimeNeed> needs = RuntimeNeedsScanner.scan(source, data, go);
      // A malformed symbol table fails only the symbol accessors: the loader never reads
      // section headers, so the rest of the file may still be a usable program.
      DynamicSymbolReader.Symbols symbols = null;
      String symbolDefect = null;
      try {
        symbols = DynamicSymbolReader.read(source, data);
      } catch (Defect defect) {
        symbolDefect = defect.getMessage();
      }
      return new ElfFile(path, data, platform, go, needs, symbols, symbolDefect);
    } catch (Defect defect) {
      throw new ElfFormatException(path, defect.getMessage());
    }
  }

  /** Reads only the headers and the dynamic section: what the library resolver needs. */
  static ElfReader.Data readHeaders(Path path) {
    try (ByteSource source = ByteSource.open(path)) {
      return ElfReader.read(source);
    } catch (Defect defect) {
      throw new ElfFormatException(path, defect.getMessage());
    }
  }

  ElfReader.Data data() {
    return data;
  }

  /** {@return the file this was read from, exactly as given to {@link #read}} */
  public Path path() {
    return path;
  }

  /** {@return the ELF class, 32 or 64} */
  public int elfClass() {
    return data.elfClass();
  }

  /** {@return the byte order of the file's data, little- or big-endian} */
  public ByteOrder byteOrder() {
    return data.order();
  }

  /** {@return the object file type, {@code e_type}} */
  public ElfType type() {
    return ElfType.of(data.type());
  }

  /** {@return the instruction set, {@code e_machine}} */
  public Machine machine() {
    return Machine.of(data.machine());
  }

  /** {@return the OS/ABI byte of the identification, {@code e_ident[EI_OSABI]}} */
  public OsAbi osAbi() {
    return OsAbi.of(data.osAbi());
  }

  /**
   * {@return {@code e_flags}, the processor-specific flags (ARM float ABI, MIPS ABI, RISC-V float
   * ABI, …)} The value is the unsigned 32-bit field.
   */
  public long flags() {
    return data.flags();
  }

  /** {@return the entry point's virtual address, {@code e_entry}; 0 if the file has none} */
  public long entry() {
    return data.entry();
  }

  /** {@return the program headers in file order; an unmodifiable list, empty if there are none} */
  public List<ProgramHeader> programHeaders() {
    return data.programHeaders();
  }

  /**
   * {@return the section headers in file order, with names; an unmodifiable list, empty if the
   * file has none}
   */
  public List<SectionHeader> sectionHeaders() {
    return data.sectionHeaders();
  }

  /**
   * {@return the program interpreter (PT_INTERP), e.g. {@code /lib64/ld-linux-x86-64.so.2}; empty
   * if the file has no PT_INTERP segment}
   */
  public Optional<String> interpreter() {
    return Optional.ofNullable(data.interpreter());
  }

  /** {@return the DT_NEEDED entries in order; an unmodifiable list, empty if there are none} */
  public List<String> neededLibraries() {
    return data.needed();
  }

  /** {@return the shared object name, DT_SONAME; empty if the file has none} */
  public Optional<String> soname() {
    return Optional.ofNullable(data.soname());
  }

  /**
   * {@return DT_RUNPATH, unexpanded (it may contain {@code $ORIGIN}, {@code $LIB},
   * {@code $PLATFORM}) and still colon-separated; empty if the file has none}
   */
  public Optional<String> runPath() {
    return Optional.ofNullable(data.runpath());
  }

  /**
   * {@return DT_RPATH, unexpanded and still colon-separated; empty if the file has none} The
   * loader ignores it when DT_RUNPATH is present.
   */
  public Optional<String> rpath() {
    return Optional.ofNullable(data.rpath());
  }

  /** {@return DT_FLAGS_1, 0 when absent; see {@link #DF_1_PIE}, {@link #DF_1_NODEFLIB}} */
  public long flags1() {
    return data.flags1();
  }

  /** {@return true if the file has a dynamic section (a PT_DYNAMIC segment)} */
  public boolean hasDynamicSection() {
    return data.dynamic();
  }

  /**
   * {@link Linkage#DYNAMIC} if the file asks for an interpreter, needs libraries, or is a
   * {@linkplain #isSharedLibrary() shared library}; {@link Linkage#STATIC_PIE} for any other
   * ET_DYN file with a dynamic section (it relocates itself); {@link Linkage#STATIC} otherwise.
   *
   * @return how the program gets its code at run time
   */
  public Linkage linkage() {
    if (data.interpreter() != null || !data.needed().isEmpty()) {
      return Linkage.DYNAMIC;
    }
    if (data.type() == 3 && data.dynamic()) {
      return isSharedLibrary() ? Linkage.DYNAMIC : Linkage.STATIC_PIE;
    }
    return Linkage.STATIC;
  }

  /**
   * True for a shared library as opposed to a position-independent executable: ET_DYN without
   * DF_1_PIE that has a DT_SONAME, or has neither an interpreter nor an entry point.
   * {@code libc.so.6} and {@code ld.so} are libraries although they can be run.
   *
   * @return true for a shared library, false for anything else
   */
  public boolean isSharedLibrary() {
    if (data.type() != 3 || (data.flags1() & DF_1_PIE) != 0) {
      return false;
    }
    return data.soname() != null || (data.interpreter() == null && data.entry() == 0);
  }

  /**
   * {@return true for a program: ET_EXEC, or ET_DYN that is not a
   * {@linkplain #isSharedLibrary() shared library}}
   */
  public boolean isExecutable() {
    return data.type() == 2 || (data.type() == 3 && !isSharedLibrary());
  }

  /** {@return the OCI platform: os, architecture and (for arm) variant} */
  public Platform platform() {
    return platform;
  }

  /**
   * {@return the Go build information; empty if the file is not a Go binary or the Go toolchain's
   * build information block is not found in it}
   */
  public Optional<GoBuildInfo> goBuildInfo() {
    return goBuildInfo;
  }

  /**
   * {@return what the program evidently needs from its filesystem at run time, with the evidence;
   * an unmodifiable list, empty if nothing was found}
   */
  public List<RuntimeNeed> runtimeNeeds() {
    return runtimeNeeds;
  }

  /**
   * The symbols the file imports: the undefined entries of its dynamic symbol table
   * ({@code .dynsym}), in table order, each with the version it asks for where the file has
   * version tables ({@code .gnu.version}, {@code .gnu.version_r}), e.g.
   * {@code pthread_exit@GLIBC_2.2.5}. Weak imports (which may stay unresolved) are included; see
   * {@link DynamicSymbol#binding()}. The null symbol (entry 0) and nameless entries are left out.
   *
   * @return an unmodifiable list; empty if the file has no dynamic symbol table (a static
   *     program, or a file without section headers)
   * @throws ElfFormatException if the dynamic symbol table, its string table or a version table
   *     is malformed; the message names the file and the defect
   */
  public List<DynamicSymbol> importedSymbols() {
    return symbols().imported();
  }

  /**
   * The symbols the file exports: the defined entries of its dynamic symbol table that are not
   * local, in table order, each with its version from {@code .gnu.version_d} where the file has
   * one, e.g. {@code memcpy@@GLIBC_2.14} (the default version) and {@code memcpy@GLIBC_2.2.5} (a
   * hidden, older one; {@link DynamicSymbol#hidden()}).
   *
   * @return an unmodifiable list; empty if the file has no dynamic symbol table
   * @throws ElfFormatException if the dynamic symbol table, its string table or a version table
   *     is malformed; the message names the file and the defect
   */
  public List<DynamicSymbol> exportedSymbols() {
    return symbols().exported();
  }

  private DynamicSymbolReader.Symbols symbols() {
    if (symbolDefect != null) {
      throw new ElfFormatException(path, symbolDefect);
    }
    return symbols;
  }

  /** One line for people: class, byte order, machine, type, platform, linkage, needs. */
  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("ElfFile[").append(path).append(": ELF").append(elfClass())
        .append(byteOrder() == ByteOrder.LITTLE_ENDIAN ? " LE " : " BE ").append(machine().name())
        .append(", ").append(isSharedLibrary() ? "shared library" : isExecutable() ? "executable" : type())
        .append(", ").append(platform).append(", ").append(linkage());
    interpreter().ifPresent(i -> s.append(", interpreter ").append(i));
    if (!neededLibraries().isEmpty()) {
      s.append(", needs ").append(neededLibraries());
    }
    soname().ifPresent(n -> s.append(", soname ").append(n));
    runPath().ifPresent(r -> s.append(", runpath ").append(r));
    rpath().ifPresent(r -> s.append(", rpath ").append(r));
    goBuildInfo.ifPresent(g -> s.append(", ").append(g.goVersion())
        .append(g.cgoEnabled().map(c -> c ? " CGO_ENABLED=1" : " CGO_ENABLED=0").orElse("")));
    if (!runtimeNeeds.isEmpty()) {
      s.append(", runtime needs ").append(runtimeNeeds);
    }
    if (symbols != null && !symbols.imported().isEmpty()) {
      s.append(", imports ").append(symbols.imported().size()).append(" symbols");
    }
    if (symbols != null && !symbols.exported().isEmpty()) {
      s.append(", exports ").append(symbols.exported().size()).append(" symbols");
    }
    return s.append(']').toString();
  }
}
