package dev.scratchkit.elf;

import java.nio.ByteOrder;

/**
 * The architecture a library must match to be loaded with a program: ELF class, byte order and
 * machine (and ARM's float ABI), plus the spellings glibc and Debian use for it.
 */
record Target(int elfClass, ByteOrder order, int machine, long flags) {

  private static final long EF_ARM_ABI_FLOAT_SOFT = 0x200;
  private static final long EF_ARM_ABI_FLOAT_HARD = 0x400;

  static Target of(ElfReader.Data d) {
    return new Target(d.elfClass(), d.order(), d.machine(), d.flags());
  }

  private boolean is64() {
    return elfClass == 64;
  }

  private boolean little() {
    return order == ByteOrder.LITTLE_ENDIAN;
  }

  private static int canonicalMachine(int m) {
    return m == 10 ? 8 : m; // EM_MIPS_RS3_LE is MIPS
  }

  boolean accepts(ElfReader.Data d) {
    if (d.elfClass() != elfClass || d.order() != order || canonicalMachine(d.machine()) != canonicalMachine(machine)) {
      return false;
    }
    if (machine == 40) {
      long mine = flags & (EF_ARM_ABI_FLOAT_SOFT | EF_ARM_ABI_FLOAT_HARD);
      long theirs = d.flags() & (EF_ARM_ABI_FLOAT_SOFT | EF_ARM_ABI_FLOAT_HARD);
      return mine == 0 || theirs == 0 || mine == theirs;
    }
    return true;
  }

  /** glibc's ld.so.cache flags for this architecture (_DL_CACHE_DEFAULT_ID), or -1 if unknown. */
  int cacheFlags() {
    int libc6 = 0x0003;
    switch (machine) {
      case 62: return libc6 | (is64() ? 0x0300 : 0x0800);
      case 3: return libc6;
      case 183: return libc6 | 0x0a00;
      case 40:
        if ((flags & EF_ARM_ABI_FLOAT_HARD) != 0) {
          return libc6 | 0x0900;
        }
        return (flags & EF_ARM_ABI_FLOAT_SOFT) != 0 ? libc6 | 0x0b00 : libc6;
      case 21: return libc6 | 0x0500;
      case 20: return libc6;
      case 22: return is64() ? libc6 | 0x0400 : libc6;
      case 43: return libc6 | 0x0100;
      case 2:
      case 18: return libc6;
      case 50: return libc6 | 0x0200;
      case 243: return libc6 | ((flags & 0x6) == 0x4 ? 0x1000 : 0x0f00);
      case 258: return libc6 | ((flags & 0x7) == 0x3 ? 0x1200 : 0x1100);
      default: return -1;
    }
  }

  /** The Debian multiarch tuple, e.g. x86_64-linux-gnu; null if there is none. */
  String multiarch() {
    switch (machine) {
      case 62: return is64() ? "x86_64-linux-gnu" : "x86_64-linux-gnux32";
      case 3: return "i386-linux-gnu";
      case 183: return little() ? "aarch64-linux-gnu" : "aarch64_be-linux-gnu";
      case 40: return (flags & EF_ARM_ABI_FLOAT_HARD) != 0 ? "arm-linux-gnueabihf" : "arm-linux-gnueabi";
      case 21: return little() ? "powerpc64le-linux-gnu" : "powerpc64-linux-gnu";
      case 20: return "powerpc-linux-gnu";
      case 22: return is64() ? "s390x-linux-gnu" : "s390-linux-gnu";
      case 243: return is64() ? "riscv64-linux-gnu" : "riscv32-linux-gnu";
      case 8:
      case 10:
        if (is64()) {
          return little() ? "mips64el-linux-gnuabi64" : "mips64-linux-gnuabi64";
        }
        if ((flags & 0x20) != 0) {
          return little() ? "mips64el-linux-gnuabin32" : "mips64-linux-gnuabin32";
        }
        return little() ? "mipsel-linux-gnu" : "mips-linux-gnu";
      case 258: return "loongarch64-linux-gnu";
      case 43: return "sparc64-linux-gnu";
      case 50: return "ia64-linux-gnu";
      case 4: return "m68k-linux-gnu";
      case 42: return "sh4-linux-gnu";
      case 0x9026: return "alpha-linux-gnu";
      case 15: return "hppa-linux-gnu";
      default: return null;
    }
  }

  /** What {@code $PLATFORM} expands to (the kernel's AT_PLATFORM), or null if unknown. */
  String platformToken(String armVariant) {
    switch (machine) {
      case 62: return "x86_64";
      case 3: return "i686";
      case 183: return "aarch64";
      case 40: return armVariant == null ? "v7l" : armVariant + "l";
      case 21: return little() ? "power8" : "power7";
      case 22: return is64() ? "z900" : null;
      case 43: return "sparc64";
      default: return null;
    }
  }
}
