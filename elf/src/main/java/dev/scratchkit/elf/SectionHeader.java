package dev.scratchkit.elf;

/**
 * One section header, field names after the ELF specification, with its name resolved.
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

  public static final long SHT_NULL = 0;
  public static final long SHT_PROGBITS = 1;
  public static final long SHT_SYMTAB = 2;
  public static final long SHT_STRTAB = 3;
  public static final long SHT_DYNAMIC = 6;
  public static final long SHT_NOTE = 7;
  public static final long SHT_NOBITS = 8;
  public static final long SHT_DYNSYM = 11;
  public static final long SHT_ARM_ATTRIBUTES = 0x70000003L;

  /** True when the section occupies bytes in the file (not NOBITS, not NULL). */
  public boolean hasFileContent() {
    return type != SHT_NOBITS && type != SHT_NULL;
  }

  @Override
  public String toString() {
    return (name.isEmpty() ? "<unnamed>" : name) + " type=" + ByteSource.hex(type) + " offset="
        + ByteSource.hex(offset) + " size=" + ByteSource.hex(size) + " addr=" + ByteSource.hex(address);
  }
}
