package dev.scratchkit.elf;

/**
 * One section header, field names after the ELF specification, with its name resolved.
 *
 * <p>A plain value: {@link ElfFile} makes it from the file. Constructing one yourself only checks that its parts are
 * present and consistent; it reads no file and proves nothing about one.
 *
 * @param name the section name from the section-name string table, e.g. ".text"
 * @param type sh_type, e.g. {@link #SHT_PROGBITS}
 * @param flags sh_flags
 * @param address sh_addr
 * @param offset sh_offset
 * @param size sh_size
 * @param link sh_link
 * @param info sh_info
 * @param addressAlignment sh_addralign
 * @param entrySize sh_entsize
 */
public record SectionHeader(String name, long type, long flags, long address, long offset,
    long size, long link, long info, long addressAlignment, long entrySize) {

  /** Type SHT_NULL: an unused header. */
  public static final long SHT_NULL = 0;
  /** Type SHT_PROGBITS: contents defined by the program, e.g. {@code .text}, {@code .data}. */
  public static final long SHT_PROGBITS = 1;
  /** Type SHT_SYMTAB: the full symbol table ({@code .symtab}), absent from stripped files. */
  public static final long SHT_SYMTAB = 2;
  /** Type SHT_STRTAB: a string table, e.g. {@code .strtab}, {@code .dynstr}, {@code .shstrtab}. */
  public static final long SHT_STRTAB = 3;
  /** Type SHT_DYNAMIC: the dynamic section ({@code .dynamic}). */
  public static final long SHT_DYNAMIC = 6;
  /** Type SHT_NOTE: notes, e.g. {@code .note.gnu.build-id}. */
  public static final long SHT_NOTE = 7;
  /** Type SHT_NOBITS: occupies memory but no bytes in the file, e.g. {@code .bss}. */
  public static final long SHT_NOBITS = 8;
  /** Type SHT_DYNSYM: the dynamic symbol table ({@code .dynsym}). */
  public static final long SHT_DYNSYM = 11;
  /** Type SHT_ARM_ATTRIBUTES: ARM build attributes ({@code .ARM.attributes}), e.g. the CPU. */
  public static final long SHT_ARM_ATTRIBUTES = 0x70000003L;

  /** {@return true when the section occupies bytes in the file (not NOBITS, not NULL)} */
  public boolean hasFileContent() {
    return type != SHT_NOBITS && type != SHT_NULL;
  }

  @Override
  public String toString() {
    return (name.isEmpty() ? "<unnamed>" : name) + " type=" + ByteSource.hex(type) + " offset="
        + ByteSource.hex(offset) + " size=" + ByteSource.hex(size) + " addr=" + ByteSource.hex(address);
  }
}
