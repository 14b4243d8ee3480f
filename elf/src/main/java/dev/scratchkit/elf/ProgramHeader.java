package dev.scratchkit.elf;

/**
 * One program header (segment), field names after the ELF specification.
 *
 * <p>A plain value: {@link ElfFile} makes it from the file. Constructing one yourself only checks that its parts are
 * present and consistent; it reads no file and proves nothing about one.
 *
 * @param type p_type, e.g. {@link #PT_LOAD}
 * @param flags p_flags: {@link #PF_X}, {@link #PF_W}, {@link #PF_R}
 * @param offset p_offset, the file offset of the segment
 * @param virtualAddress p_vaddr
 * @param physicalAddress p_paddr
 * @param fileSize p_filesz
 * @param memorySize p_memsz
 * @param alignment p_align
 */
public record ProgramHeader(long type, long flags, long offset, long virtualAddress,
    long physicalAddress, long fileSize, long memorySize, long alignment) {

  /** Type PT_NULL: an unused entry. */
  public static final long PT_NULL = 0;
  /** Type PT_LOAD: a segment mapped into memory. */
  public static final long PT_LOAD = 1;
  /** Type PT_DYNAMIC: the dynamic section (needed libraries, soname, run paths, flags). */
  public static final long PT_DYNAMIC = 2;
  /** Type PT_INTERP: the path of the program interpreter, the dynamic loader. */
  public static final long PT_INTERP = 3;
  /** Type PT_NOTE: notes such as the build ID and the ABI tag. */
  public static final long PT_NOTE = 4;
  /** Type PT_PHDR: the program header table itself. */
  public static final long PT_PHDR = 6;
  /** Type PT_TLS: the thread-local storage template. */
  public static final long PT_TLS = 7;
  /** Type PT_GNU_EH_FRAME: the exception-handling frame lookup table ({@code .eh_frame_hdr}). */
  public static final long PT_GNU_EH_FRAME = 0x6474e550L;
  /** Type PT_GNU_STACK: its flags give the stack's permissions (executable or not). */
  public static final long PT_GNU_STACK = 0x6474e551L;
  /** Type PT_GNU_RELRO: memory the loader makes read-only after relocation. */
  public static final long PT_GNU_RELRO = 0x6474e552L;
  /** Type PT_GNU_PROPERTY: the GNU property note ({@code .note.gnu.property}), e.g. CET or BTI. */
  public static final long PT_GNU_PROPERTY = 0x6474e553L;

  /** Flag PF_X: the segment is executable. */
  public static final long PF_X = 1;
  /** Flag PF_W: the segment is writable. */
  public static final long PF_W = 2;
  /** Flag PF_R: the segment is readable. */
  public static final long PF_R = 4;

  /**
   * {@return the type's name as readelf prints it (LOAD, DYNAMIC, GNU_STACK, …) or, for a type
   * not in this library's table, its number in hex}
   */
  public String typeName() {
    switch ((int) type) {
      case 0: return "NULL";
      case 1: return "LOAD";
      case 2: return "DYNAMIC";
      case 3: return "INTERP";
      case 4: return "NOTE";
      case 5: return "SHLIB";
      case 6: return "PHDR";
      case 7: return "TLS";
      case 0x6474e550: return "GNU_EH_FRAME";
      case 0x6474e551: return "GNU_STACK";
      case 0x6474e552: return "GNU_RELRO";
      case 0x6474e553: return "GNU_PROPERTY";
      default: return ByteSource.hex(type);
    }
  }

  /** True if the segment's virtual address range [vaddr, vaddr + filesz) holds {@code address}. */
  boolean mapsFileAddress(long address) {
    return Long.compareUnsigned(address, virtualAddress) >= 0
        && Long.compareUnsigned(address - virtualAddress, fileSize) < 0;
  }

  @Override
  public String toString() {
    return typeName() + " offset=" + ByteSource.hex(offset) + " vaddr=" + ByteSource.hex(virtualAddress)
        + " filesz=" + ByteSource.hex(fileSize) + " memsz=" + ByteSource.hex(memorySize) + " flags="
        + ((flags & PF_R) != 0 ? "R" : "") + ((flags & PF_W) != 0 ? "W" : "") + ((flags & PF_X) != 0 ? "E" : "");
  }
}
