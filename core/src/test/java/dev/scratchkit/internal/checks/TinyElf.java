package dev.scratchkit.internal.checks;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes small 64-bit little-endian ELF files for rule tests, without a compiler: a program or
 * library of any machine, with an interpreter, DT_NEEDED, DT_SONAME, DT_RUNPATH and, for the
 * runtime-needs scanner, a Go function name table ({@code .gopclntab}).
 */
final class TinyElf {

  static final int X86_64 = 62;
  static final int AARCH64 = 183;

  private int machine = X86_64;
  private String interpreter;
  private final List<String> needed = new ArrayList<>();
  private String soname;
  private String runpath;
  private final List<String> goFunctions = new ArrayList<>();
  private boolean library;
  private int osAbi;

  static TinyElf program() {
    return new TinyElf();
  }

  static TinyElf library(String soname) {
    TinyElf elf = new TinyElf();
    elf.library = true;
    elf.soname = soname;
    return elf;
  }

  TinyElf machine(int m) {
    machine = m;
    return this;
  }

  /** EI_OSABI, e.g. 9 for FreeBSD. */
  TinyElf osAbi(int abi) {
    osAbi = abi;
    return this;
  }

  TinyElf interpreter(String path) {
    interpreter = path;
    return this;
  }

  TinyElf needs(String... names) {
    needed.addAll(List.of(names));
    return this;
  }

  TinyElf runpath(String path) {
    runpath = path;
    return this;
  }

  /** Go function names, e.g. {@code crypto/x509.loadSystemRoots}: makes it a Go program to the scanner. */
  TinyElf go(String... functions) {
    goFunctions.addAll(List.of(functions));
    return this;
  }

  byte[] build() {
    boolean dynamic = interpreter != null || !needed.isEmpty() || soname != null || runpath != null;
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    int phnum = 1 + (interpreter != null ? 1 : 0) + (dynamic ? 1 : 0);
    int dataStart = 64 + phnum * 56;
    // .interp
    int interpOffset = dataStart + data.size();
    if (interpreter != null) {
      data.writeBytes((interpreter + "\0").getBytes(StandardCharsets.UTF_8));
    }
    // .dynstr
    int dynstrOffset = dataStart + data.size();
    ByteArrayOutputStream dynstr = new ByteArrayOutputStream();
    dynstr.write(0);
    List<long[]> dyn = new ArrayList<>();
    for (String n : needed) {
      dyn.add(new long[] {1, add(dynstr, n)});
    }
    if (soname != null) {
      dyn.add(new long[] {14, add(dynstr, soname)});
    }
    if (runpath != null) {
      dyn.add(new long[] {29, add(dynstr, runpath)});
    }
    data.writeBytes(dynstr.toByteArray());
    align(data, dataStart, 8);
    int dynamicOffset = dataStart + data.size();
    if (dynamic) {
      dyn.add(new long[] {5, dynstrOffset}); // DT_STRTAB: address = offset (one PT_LOAD at 0)
      dyn.add(new long[] {10, dynstr.size()});
      if (!library) {
        dyn.add(new long[] {0x6ffffffbL, 0x08000000L}); // DT_FLAGS_1 = DF_1_PIE
      }
      dyn.add(new long[] {0, 0});
      ByteBuffer d = ByteBuffer.allocate(dyn.size() * 16).order(ByteOrder.LITTLE_ENDIAN);
      dyn.forEach(e -> d.putLong(e[0]).putLong(e[1]));
      data.writeBytes(d.array());
    }
    int dynamicSize = dynamic ? dyn.size() * 16 : 0;
    // .gopclntab: a Go 1.2 header, then the names (the scanner reads the whole section then)
    int pclnOffset = dataStart + data.size();
    ByteArrayOutputStream pcln = new ByteArrayOutputStream();
    if (!goFunctions.isEmpty()) {
      pcln.writeBytes(new byte[] {(byte) 0xfb, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0, 0, 1, 8});
      pcln.writeBytes(new byte[8]);
      for (String f : goFunctions) {
        pcln.writeBytes((f + "\0").getBytes(StandardCharsets.UTF_8));
      }
      data.writeBytes(pcln.toByteArray());
    }
    // .shstrtab
    int shstrOffset = dataStart + data.size();
    ByteArrayOutputStream shstr = new ByteArrayOutputStream();
    shstr.write(0);
    long pclnName = add(shstr, ".gopclntab");
    long shstrName = add(shstr, ".shstrtab");
    data.writeBytes(shstr.toByteArray());
    align(data, dataStart, 8);
    int shoff = dataStart + data.size();
    int shnum = goFunctions.isEmpty() ? 2 : 3;
    int total = shoff + shnum * 64;

    ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, (byte) osAbi});
    b.position(16);
    b.putShort((short) (library || dynamic ? 3 : 2)).putShort((short) machine).putInt(1);
    b.putLong(library ? 0 : 0x1000).putLong(64).putLong(shoff).putInt(0);
    b.putShort((short) 64).putShort((short) 56).putShort((short) phnum).putShort((short) 64)
        .putShort((short) shnum).putShort((short) (shnum - 1));
    // PT_LOAD of the whole file at address 0
    b.putInt(1).putInt(5).putLong(0).putLong(0).putLong(0).putLong(total).putLong(total).putLong(0x1000);
    if (interpreter != null) {
      int len = interpreter.length() + 1;
      b.putInt(3).putInt(4).putLong(interpOffset).putLong(interpOffset).putLong(interpOffset).putLong(len)
          .putLong(len).putLong(1);
    }
    if (dynamic) {
      b.putInt(2).putInt(6).putLong(dynamicOffset).putLong(dynamicOffset).putLong(dynamicOffset)
          .putLong(dynamicSize).putLong(dynamicSize).putLong(8);
    }
    b.put(data.toByteArray());
    b.position(shoff + 64); // section 0 is all zeros
    if (!goFunctions.isEmpty()) {
      section(b, pclnName, 1, pclnOffset, pcln.size());
    }
    section(b, shstrName, 3, shstrOffset, shstr.size());
    return b.array();
  }

  private static void section(ByteBuffer b, long name, int type, long offset, long size) {
    b.putInt((int) name).putInt(type).putLong(0).putLong(0).putLong(offset).putLong(size).putInt(0).putInt(0)
        .putLong(1).putLong(0);
  }

  private static long add(ByteArrayOutputStream table, String s) {
    long at = table.size();
    table.writeBytes((s + "\0").getBytes(StandardCharsets.UTF_8));
    return at;
  }

  private static void align(ByteArrayOutputStream out, int base, int to) {
    while ((base + out.size()) % to != 0) {
      out.write(0);
    }
  }
}
