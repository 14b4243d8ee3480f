package dev.scratchkit.elf;

/** The object file type, {@code e_type}. */
public enum ElfType {
  /** ET_NONE (0). */
  NONE(0),
  /** ET_REL (1): an object file ({@code .o}). */
  RELOCATABLE(1),
  /** ET_EXEC (2): an executable loaded at a fixed address. */
  EXECUTABLE(2),
  /** ET_DYN (3): a shared library, a position-independent executable, or both. */
  SHARED_OBJECT(3),
  /** ET_CORE (4): a core dump. */
  CORE(4),
  /** 0xfe00–0xfeff. */
  OS_SPECIFIC(-1),
  /** 0xff00–0xffff. */
  PROCESSOR_SPECIFIC(-1),
  /** Any other value. */
  UNKNOWN(-1);

  private final int value;

  ElfType(int value) {
    this.value = value;
  }

  /**
   * {@return the {@code e_type} value; -1 for {@link #OS_SPECIFIC}, {@link #PROCESSOR_SPECIFIC}
   * and {@link #UNKNOWN}, which each stand for more than one value}
   */
  public int value() {
    return value;
  }

  static ElfType of(int eType) {
    switch (eType) {
      case 0: return NONE;
      case 1: return RELOCATABLE;
      case 2: return EXECUTABLE;
      case 3: return SHARED_OBJECT;
      case 4: return CORE;
      default:
        if (eType >= 0xfe00 && eType <= 0xfeff) {
          return OS_SPECIFIC;
        }
        return eType >= 0xff00 && eType <= 0xffff ? PROCESSOR_SPECIFIC : UNKNOWN;
    }
  }
}
