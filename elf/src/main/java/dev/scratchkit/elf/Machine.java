package dev.scratchkit.elf;

import java.util.Map;

/**
 * The target instruction set, {@code e_machine}: the number and a name for people.
 *
 * @param value the {@code e_machine} number, e.g. 62
 * @param name a name as readelf prints it, e.g. "Advanced Micro Devices X86-64"; "unknown" if
 *     the number is not in this library's table
 */
public record Machine(int value, String name) {

  public static final Machine I386 = new Machine(3, "Intel 80386");
  public static final Machine X86_64 = new Machine(62, "Advanced Micro Devices X86-64");
  public static final Machine ARM = new Machine(40, "ARM");
  public static final Machine AARCH64 = new Machine(183, "AArch64");
  public static final Machine PPC = new Machine(20, "PowerPC");
  public static final Machine PPC64 = new Machine(21, "PowerPC64");
  public static final Machine S390 = new Machine(22, "IBM S/390");
  public static final Machine RISCV = new Machine(243, "RISC-V");
  public static final Machine MIPS = new Machine(8, "MIPS R3000");
  public static final Machine LOONGARCH = new Machine(258, "LoongArch");
  public static final Machine SPARC = new Machine(2, "Sparc");
  public static final Machine SPARCV9 = new Machine(43, "Sparc v9");
  public static final Machine IA_64 = new Machine(50, "Intel IA-64");
  public static final Machine M68K = new Machine(4, "MC68000");
  public static final Machine SH = new Machine(42, "Renesas / SuperH SH");
  public static final Machine ALPHA = new Machine(0x9026, "Alpha");
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

  /** The machine for an {@code e_machine} number; unknown numbers get the name "unknown". */
  public static Machine of(int value) {
    Machine known = KNOWN.get(value);
    return known != null ? known : new Machine(value, "unknown");
  }

  @Override
  public String toString() {
    return name + " (" + value + ")";
  }
}
