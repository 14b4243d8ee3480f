package dev.scratchkit.elf;

import java.util.Map;

/**
 * The target instruction set, {@code e_machine}: the number and a name for people.
 *
 * <p>A plain value: {@link ElfFile} makes it from the file. Constructing one yourself only checks that its parts are
 * present and consistent; it reads no file and proves nothing about one.
 *
 * @param value the {@code e_machine} number, e.g. 62
 * @param name a name as readelf prints it, e.g. "Advanced Micro Devices X86-64"; "unknown" if
 *     the number is not in this library's table
 */
public record Machine(int value, String name) {

  /** EM_386 (3): 32-bit x86. */
  public static final Machine I386 = new Machine(3, "Intel 80386");
  /** EM_X86_64 (62): x86-64, also for the 32-bit x32 ABI. */
  public static final Machine X86_64 = new Machine(62, "Advanced Micro Devices X86-64");
  /** EM_ARM (40): 32-bit ARM. */
  public static final Machine ARM = new Machine(40, "ARM");
  /** EM_AARCH64 (183): 64-bit ARM. */
  public static final Machine AARCH64 = new Machine(183, "AArch64");
  /** EM_PPC (20): 32-bit PowerPC. */
  public static final Machine PPC = new Machine(20, "PowerPC");
  /** EM_PPC64 (21): 64-bit PowerPC, either byte order. */
  public static final Machine PPC64 = new Machine(21, "PowerPC64");
  /** EM_S390 (22): IBM S/390, 31-bit s390 and 64-bit s390x. */
  public static final Machine S390 = new Machine(22, "IBM S/390");
  /** EM_RISCV (243): RISC-V, 32- and 64-bit. */
  public static final Machine RISCV = new Machine(243, "RISC-V");
  /** EM_MIPS (8): MIPS, either byte order and any ABI. */
  public static final Machine MIPS = new Machine(8, "MIPS R3000");
  /** EM_LOONGARCH (258): LoongArch. */
  public static final Machine LOONGARCH = new Machine(258, "LoongArch");
  /** EM_SPARC (2): 32-bit SPARC. */
  public static final Machine SPARC = new Machine(2, "Sparc");
  /** EM_SPARCV9 (43): 64-bit SPARC. */
  public static final Machine SPARCV9 = new Machine(43, "Sparc v9");
  /** EM_IA_64 (50): Intel Itanium. */
  public static final Machine IA_64 = new Machine(50, "Intel IA-64");
  /** EM_68K (4): Motorola 68000. */
  public static final Machine M68K = new Machine(4, "MC68000");
  /** EM_SH (42): SuperH. */
  public static final Machine SH = new Machine(42, "Renesas / SuperH SH");
  /** EM_ALPHA (0x9026): DEC Alpha, the unofficial number Linux uses. */
  public static final Machine ALPHA = new Machine(0x9026, "Alpha");
  /** EM_PARISC (15): HP PA-RISC. */
  public static final Machine PARISC = new Machine(15, "HPPA");

  private static final Map<Integer, Machine> KNOWN = Map.ofEntries(
      Map.entry(0, new Machine(0, "None")),
      Map.entry(I386.value, I386), Map.entry(X86_64.value, X86_64), Map.entry(ARM.value, ARM),
      Map.entry(AARCH64.value, AARCH64), Map.entry(PPC.value, PPC), Map.entry(PPC64.value, PPC64),
      Map.entry(S390.value, S390), Map.entry(RISCV.value, RISCV), Map.entry(MIPS.value, MIPS),
      Map.entry(LOONGARCH.value, LOONGARCH), Map.entry(SPARC.value, SPARC),
      Map.entry(SPARCV9.value, SPARCV9), Map.entry(IA_64.value, IA_64), Map.entry(M68K.value, M68K),
      Map.entry(SH.value, SH), Map.entry(ALPHA.value, ALPHA), Map.entry(PARISC.value, PARISC),
      Map.entry(18, new Machine(18, "Sparc v8+")),
      Map.entry(10, new Machine(10, "MIPS R3000 little-endian")));

  /**
   * The machine for an {@code e_machine} number.
   *
   * @param value the {@code e_machine} number
   * @return the constant for a known number (or a machine named as readelf names it, for the few
   *     other numbers this library knows); for any other number, a machine named "unknown"
   */
  public static Machine of(int value) {
    Machine known = KNOWN.get(value);
    return known != null ? known : new Machine(value, "unknown");
  }

  @Override
  public String toString() {
    return name + " (" + value + ")";
  }
}
