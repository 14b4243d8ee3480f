package dev.scratchkit.elf;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The OCI platform of an ELF file: architecture names as Go's GOARCH and the OCI image spec spell
 * them, ARM variants as containerd normalises them.
 */
final class Platforms {

  private static final int ATTRIBUTES_LIMIT = 64 * 1024;
  private static final int NOTES_LIMIT = 64 * 1024;

  private Platforms() {}

  static Platform of(ByteSource src, ElfReader.Data elf, Optional<GoBuildInfo> go) {
    String os = os(src, elf, go);
    boolean is64 = elf.elfClass() == 64;
    boolean little = elf.order() == ByteOrder.LITTLE_ENDIAN;
    String arch;
    String variant = null;
    switch (elf.machine()) {
      case 3: // EM_386
        arch = "386";
        break;
      case 62: // EM_X86_64; ELF32 is the x32 ABI, which Go and OCI call amd64p32
        arch = is64 ? "amd64" : "amd64p32";
        break;
      case 40: // EM_ARM
        arch = little ? "arm" : "armbe";
        variant = armVariant(src, elf, go);
        break;
      case 183: // EM_AARCH64; arm64 has no variant (containerd normalises arm64/v8 to arm64)
        arch = little ? "arm64" : "arm64be";
        break;
      case 21: // EM_PPC64
        arch = little ? "ppc64le" : "ppc64";
        break;
      case 20: // EM_PPC
        arch = "ppc";
        break;
      case 22: // EM_S390
        arch = is64 ? "s390x" : "s390";
        break;
      case 243: // EM_RISCV
        arch = is64 ? "riscv64" : "riscv";
        break;
      case 8: // EM_MIPS; ELF32 with EF_MIPS_ABI2 is the n32 ABI of a 64-bit CPU
      case 10: // EM_MIPS_RS3_LE
        if (is64) {
          arch = little ? "mips64le" : "mips64";
        } else if ((elf.flags() & 0x20) != 0) {
          arch = little ? "mips64p32le" : "mips64p32";
        } else {
          arch = little ? "mipsle" : "mips";
        }
        break;
      case 258: // EM_LOONGARCH
        arch = is64 ? "loong64" : "loong32";
        break;
      case 43: // EM_SPARCV9
        arch = "sparc64";
        break;
      case 2: // EM_SPARC
      case 18: // EM_SPARC32PLUS
        arch = "sparc";
        break;
      case 50:
        arch = "ia64";
        break;
      case 4:
        arch = "m68k";
        break;
      case 42:
        arch = "sh4";
        break;
      case 15:
        arch = is64 ? "hppa64" : "hppa";
        break;
      case 0x9026:
        arch = "alpha";
        break;
      default:
        arch = "em" + elf.machine();
        break;
    }
    return new Platform(os, arch, variant);
  }

  private static String os(ByteSource src, ElfReader.Data elf, Optional<GoBuildInfo> go) {
    switch (elf.osAbi()) {
      case 2: return "netbsd";
      case 6: return "solaris";
      case 7: return "aix";
      case 9: return "freebsd";
      case 12: return "openbsd";
      default: break;
    }
    Optional<String> goos = go.flatMap(GoBuildInfo::goos);
    if (goos.isPresent() && !goos.get().isEmpty()) {
      return goos.get();
    }
    String fromNotes = osFromNotes(src, elf);
    return fromNotes != null ? fromNotes : "linux";
  }

  /** The OS named by an ELF note (NetBSD/OpenBSD/FreeBSD owners, or the GNU ABI tag), or null. */
  private static String osFromNotes(ByteSource src, ElfReader.Data elf) {
    for (ProgramHeader p : elf.programHeaders()) {
      if (p.type() != ProgramHeader.PT_NOTE || !src.contains(p.offset(), p.fileSize())) {
        continue;
      }
      byte[] notes = src.bytes("a PT_NOTE segment", p.offset(), Math.min(p.fileSize(), NOTES_LIMIT));
      ElfReader.Fields f = new ElfReader.Fields(notes, elf.order(), false);
      int align = p.alignment() == 8 ? 8 : 4;
      int at = 0;
      while (at + 12 <= notes.length) {
        long namesz = f.u32(at);
        long descsz = f.u32(at + 4);
        long type = f.u32(at + 8);
        long nameStart = at + 12L;
        long descStart = nameStart + pad(namesz, align);
        long next = descStart + pad(descsz, align);
        if (descStart + descsz > notes.length || namesz == 0) {
          break;
        }
        String owner = new String(notes, (int) nameStart, (int) Math.max(0, namesz - 1), StandardCharsets.ISO_8859_1);
        switch (owner) {
          case "NetBSD": return "netbsd";
          case "OpenBSD": return "openbsd";
          case "FreeBSD": return "freebsd";
          case "GNU":
            if (type == 1 && descsz >= 4) {
              long abi = f.u32((int) descStart);
              if (abi == 1) {
                return "hurd";
              } else if (abi == 2) {
                return "solaris";
              } else if (abi == 3) {
                return "freebsd";
              }
            }
            break;
          default:
            break;
        }
        if (next <= at || next > notes.length) {
          break;
        }
        at = (int) next;
      }
    }
    return null;
  }

  private static long pad(long n, int align) {
    return (n + align - 1) & -align;
  }

  /**
   * v5, v6, v7 or v8 from Tag_CPU_arch in the .ARM.attributes section; else the GOARM build
   * setting of a Go binary; else v7, containerd's default for arm. AArch32 code for ARMv8 maps
   * to v8: containerd knows arm/v8, matches it on arm64 hosts and never on v7 hosts, which could
   * not run it.
   */
  static String armVariant(ByteSource src, ElfReader.Data elf, Optional<GoBuildInfo> go) {
    int cpuArch = armCpuArch(src, elf);
    if (cpuArch >= 0) {
      if (cpuArch <= 5) {
        return "v5"; // pre-v4 to v5TEJ; OCI has no older variant than v5
      } else if (cpuArch <= 9 || cpuArch == 11 || cpuArch == 12) {
        return "v6"; // v6, v6KZ, v6T2, v6K, v6-M, v6S-M
      } else if (cpuArch == 10 || cpuArch == 13) {
        return "v7"; // v7, v7E-M
      }
      return "v8"; // v8-A, v8-R, v8-M and later
    }
    Optional<String> goarm = go.map(g -> g.settings().get("GOARM"));
    if (goarm.isPresent() && goarm.get().matches("[5-7].*")) {
      return "v" + goarm.get().charAt(0);
    }
    return "v7";
  }

  /** Tag_CPU_arch of the "aeabi" file attributes, or -1 if absent or unreadable. */
  static int armCpuArch(ByteSource src, ElfReader.Data elf) {
    SectionHeader section = null;
    for (SectionHeader s : elf.sectionHeaders()) {
      if (s.type() == SectionHeader.SHT_ARM_ATTRIBUTES || s.name().equals(".ARM.attributes")) {
        section = s;
        break;
      }
    }
    if (section == null || !section.hasFileContent() || !src.contains(section.offset(), section.size())) {
      return -1;
    }
    byte[] b = src.bytes(".ARM.attributes", section.offset(), Math.min(section.size(), ATTRIBUTES_LIMIT));
    if (b.length < 1 || b[0] != 'A') {
      return -1;
    }
    ElfReader.Fields f = new ElfReader.Fields(b, elf.order(), false);
    int pos = 1;
    while (pos + 4 <= b.length) {
      long length = f.u32(pos);
      if (length < 5 || length > b.length - pos) {
        return -1;
      }
      int end = (int) (pos + length);
      int vendorEnd = pos + 4;
      while (vendorEnd < end && b[vendorEnd] != 0) {
        vendorEnd++;
      }
      String vendor = new String(b, pos + 4, vendorEnd - pos - 4, StandardCharsets.ISO_8859_1);
      if (vendor.equals("aeabi")) {
        int p = vendorEnd + 1;
        while (p + 5 <= end) {
          int tag = b[p] & 0xff;
          long size = f.u32(p + 1);
          if (size < 5 || size > end - p) {
            return -1;
          }
          if (tag == 1) { // Tag_File
            int value = cpuArchIn(b, p + 5, (int) (p + size));
            if (value >= 0) {
              return value;
            }
          }
          p += (int) size;
        }
      }
      pos = end;
    }
    return -1;
  }

  private static int cpuArchIn(byte[] b, int start, int end) {
    int[] cursor = {start};
    while (cursor[0] < end) {
      long tag = uleb(b, cursor, end);
      if (tag < 0) {
        return -1;
      }
      if (tag == 6) {
        long value = uleb(b, cursor, end);
        return value < 0 || value > 1000 ? -1 : (int) value;
      }
      if (tag == 4 || tag == 5 || tag == 67) {
        skipString(b, cursor, end);
      } else if (tag == 32) {
        uleb(b, cursor, end);
        skipString(b, cursor, end);
      } else if (tag == 65) {
        skipString(b, cursor, end);
      } else if (tag < 32 || tag % 2 == 0) {
        if (uleb(b, cursor, end) < 0) {
          return -1;
        }
      } else {
        skipString(b, cursor, end);
      }
    }
    return -1;
  }

  private static long uleb(byte[] b, int[] cursor, int end) {
    long value = 0;
    int shift = 0;
    while (cursor[0] < end && shift < 63) {
      int x = b[cursor[0]++] & 0xff;
      value |= (long) (x & 0x7f) << shift;
      if (x < 0x80) {
        return value;
      }
      shift += 7;
    }
    return -1;
  }

  private static void skipString(byte[] b, int[] cursor, int end) {
    while (cursor[0] < end && b[cursor[0]] != 0) {
      cursor[0]++;
    }
    cursor[0]++;
  }
}
