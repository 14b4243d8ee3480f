package dev.scratchkit.elf;

import java.util.Objects;
import java.util.Optional;

/**
 * One entry of the dynamic symbol table ({@code .dynsym}): a symbol the file imports (undefined,
 * resolved by the loader from another object) or exports (defined here), with its symbol version
 * where the file has version tables ({@code .gnu.version} with {@code .gnu.version_r} for imports,
 * {@code .gnu.version_d} for exports).
 *
 * <pre>{@code
 * ElfFile.read(Path.of("/usr/bin/true")).importedSymbols().get(0);  // free@GLIBC_2.2.5 (FUNC GLOBAL)
 * }</pre>
 *
 * <p>A plain value: {@link ElfFile} makes it from the file's tables. Constructing one yourself only checks that its parts are
 * present and consistent; it reads no file and proves nothing about one.
 *
 * @param name the symbol name, e.g. {@code pthread_exit}; never empty
 * @param version the version name, e.g. {@code GLIBC_2.2.5}; empty when the symbol is unversioned
 *     (no version tables, or version index 0 or 1) or is a version's own marker symbol (an
 *     absolute symbol named like the version it defines, e.g. {@code GLIBC_2.2.5})
 * @param hidden for a defined symbol, true when its version is not the default one, or is a
 *     version needed from another file (a program's copy-relocated {@code stderr@GLIBC_2.2.5});
 *     readelf then prints {@code name@VERSION} instead of {@code name@@VERSION}. Always false for
 *     an imported symbol
 * @param defined true for a symbol defined in this file ({@code st_shndx} not {@code SHN_UNDEF})
 * @param type the symbol type, {@code ELF_ST_TYPE(st_info)}
 * @param binding the symbol binding, {@code ELF_ST_BIND(st_info)}
 */
public record DynamicSymbol(String name, Optional<String> version, boolean hidden, boolean defined,
    Type type, Binding binding) {

  /** The symbol type ({@code STT_*}). */
  public enum Type {
    /** STT_NOTYPE (0). */
    NOTYPE,
    /** STT_OBJECT (1): a variable or array. */
    OBJECT,
    /** STT_FUNC (2): a function. */
    FUNC,
    /** STT_SECTION (3). */
    SECTION,
    /** STT_FILE (4). */
    FILE,
    /** STT_COMMON (5): an uninitialised common block. */
    COMMON,
    /** STT_TLS (6): a thread-local variable. */
    TLS,
    /** STT_GNU_IFUNC (10): a function whose address a resolver picks at load time. */
    GNU_IFUNC,
    /** Any other value (OS- or processor-specific). */
    OTHER;

    static Type of(int value) {
      switch (value) {
        case 0: return NOTYPE;
        case 1: return OBJECT;
        case 2: return FUNC;
        case 3: return SECTION;
        case 4: return FILE;
        case 5: return COMMON;
        case 6: return TLS;
        case 10: return GNU_IFUNC;
        default: return OTHER;
      }
    }
  }

  /** The symbol binding ({@code STB_*}). */
  public enum Binding {
    /** STB_LOCAL (0): not visible outside the file. */
    LOCAL,
    /** STB_GLOBAL (1). */
    GLOBAL,
    /** STB_WEAK (2): an import that may stay unresolved, or a definition others may override. */
    WEAK,
    /** STB_GNU_UNIQUE (10): one definition in the whole process. */
    GNU_UNIQUE,
    /** Any other value (OS- or processor-specific). */
    OTHER;

    static Binding of(int value) {
      switch (value) {
        case 0: return LOCAL;
        case 1: return GLOBAL;
        case 2: return WEAK;
        case 10: return GNU_UNIQUE;
        default: return OTHER;
      }
    }
  }

  /**
   * Checks the parts.
   *
   * @param name the symbol name
   * @param version the version name, or empty
   * @param hidden true for a defined symbol whose version is not the default
   * @param defined true for a symbol defined in the file
   * @param type the symbol type
   * @param binding the symbol binding
   * @throws NullPointerException if a part is null
   * @throws ElfException if the name or a present version is empty, or an imported
   *     symbol is marked hidden
   */
  public DynamicSymbol {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(binding, "binding");
    if (name.isEmpty()) {
      throw new ElfException(null, "A dynamic symbol needs a name; give the symbol's name, e.g. malloc", null);
    }
    if (version.isPresent() && version.get().isEmpty()) {
      throw new ElfException(null, "The version of the symbol " + name + " is empty; use Optional.empty() for"
          + " an unversioned symbol", null);
    }
    if (hidden && !defined) {
      throw new ElfException(null, "The symbol " + name + " is imported (not defined) but marked hidden; only a"
          + " defined symbol has a hidden version: pass hidden false", null);
    }
  }

  /**
   * {@return the name with its version as readelf prints it: {@code pthread_exit@GLIBC_2.2.5} for
   * an import, {@code memcpy@@GLIBC_2.14} for a default-version export, {@code memcpy@GLIBC_2.2.5}
   * for a hidden-version export, the bare name when unversioned}
   */
  public String nameWithVersion() {
    if (version.isEmpty()) {
      return name;
    }
    return name + (defined && !hidden ? "@@" : "@") + version.get();
  }

  /** {@return e.g. {@code pthread_exit@GLIBC_2.2.5 (FUNC GLOBAL)}} */
  @Override
  public String toString() {
    return nameWithVersion() + " (" + type + " " + binding + ")";
  }
}
