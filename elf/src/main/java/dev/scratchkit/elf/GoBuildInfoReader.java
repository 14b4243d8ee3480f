package dev.scratchkit.elf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the build information blob the Go linker leaves in every Go binary (Go's
 * {@code debug/buildinfo} format): a 32-byte header {@code "\xff Go buildinf:"}, pointer size and
 * flags; then either varint-prefixed strings (Go 1.18+, flag 0x2) or two pointers to Go string
 * headers followed through the PT_LOAD segments (older Go).
 */
final class GoBuildInfoReader {

  private static final byte[] MAGIC = "\u00ff Go buildinf:".getBytes(StandardCharsets.ISO_8859_1);
  private static final int WINDOW = 64 * 1024;
  private static final int ALIGN = 16;
  private static final int HEADER = 32;

  private GoBuildInfoReader() {}

  static Optional<GoBuildInfo> read(ByteSource src, ElfReader.Data elf) {
    long start = dataStart(elf);
    if (start == -1) {
      return Optional.empty();
    }
    ProgramHeader segment = elf.loadSegmentOf(start);
    long offset;
    long available;
    if (segment != null) {
      offset = segment.offset() + (start - segment.virtualAddress());
      available = segment.fileSize() - (start - segment.virtualAddress());
    } else {
      SectionHeader section = elf.section(".go.buildinfo");
      if (section == null || !section.hasFileContent()) {
        return Optional.empty();
      }
      offset = section.offset();
      available = section.size();
    }
    if (available <= 0 || !src.contains(offset, 0)) {
      return Optional.empty();
    }
    available = Math.min(available, src.size() - offset);
    byte[] window = src.bytes("the Go build info window", offset, Math.min(available, WINDOW));
    int at = findMagic(window);
    if (at < 0) {
      return Optional.empty();
    }
    int ptrSize = window[at + 14] & 0xff;
    int flags = window[at + 15] & 0xff;
    String version;
    String mod;
    if ((flags & 2) != 0) {
      long cursor = offset + at + HEADER;
      long end = offset + available;
      long[] next = new long[1];
      version = varintString(src, cursor, end, next);
      mod = version == null ? null : varintString(src, next[0], end, next);
    } else {
      if (ptrSize != 4 && ptrSize != 8) {
        throw new Defect("the Go build info header gives pointer size " + ptrSize + " (expected 4 or 8)");
      }
      ByteBuffer header = ByteBuffer.wrap(window, at, HEADER)
          .order(flags != 0 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
      long versionAddress = pointer(header, at + 16, ptrSize);
      long modAddress = pointer(header, at + 16 + ptrSize, ptrSize);
      version = stringAt(src, elf, header.order(), ptrSize, versionAddress);
      mod = stringAt(src, elf, header.order(), ptrSize, modAddress);
    }
    if (version == null || version.isEmpty()) {
      return Optional.empty();
    }
    if (mod != null && mod.length() >= 33 && mod.charAt(mod.length() - 17) == '\n') {
      mod = mod.substring(16, mod.length() - 16);
    } else {
      mod = "";
    }
    return Optional.of(parse(version, mod));
  }

  /** The .go.buildinfo section, else the first writable, non-executable PT_LOAD segment. */
  private static long dataStart(ElfReader.Data elf) {
    SectionHeader section = elf.section(".go.buildinfo");
    if (section != null) {
      return section.address();
    }
    for (ProgramHeader p : elf.programHeaders()) {
      if (p.type() == ProgramHeader.PT_LOAD
          && (p.flags() & (ProgramHeader.PF_X | ProgramHeader.PF_W)) == ProgramHeader.PF_W) {
        return p.virtualAddress();
      }
    }
    return -1;
  }

  private static int findMagic(byte[] window) {
    for (int i = 0; i + HEADER <= window.length; i += ALIGN) {
      if (Arrays.equals(window, i, i + MAGIC.length, MAGIC, 0, MAGIC.length)) {
        return i;
      }
    }
    return -1;
  }

  private static long pointer(ByteBuffer b, int at, int ptrSize) {
    return ptrSize == 8 ? b.getLong(at) : b.getInt(at) & 0xffffffffL;
  }

  /** A uvarint length and that many bytes, inside [cursor, end); null when it does not fit. */
  private static String varintString(ByteSource src, long cursor, long end, long[] next) {
    long length = 0;
    int shift = 0;
    long at = cursor;
    while (true) {
      if (at >= end || shift > 63) {
        return null;
      }
      int b = src.bytes("the Go build info", at, 1)[0] & 0xff;
      at++;
      length |= (long) (b & 0x7f) << shift;
      if (b < 0x80) {
        break;
      }
      shift += 7;
    }
    if (length < 0 || length > end - at) {
      return null;
    }
    next[0] = at + length;
    return new String(src.bytes("the Go build info", at, length), StandardCharsets.UTF_8);
  }

  /** Follows a pointer to a Go string header {data, len} and reads the string; null if unmapped. */
  private static String stringAt(ByteSource src, ElfReader.Data elf, ByteOrder order, int ptrSize, long address) {
    ProgramHeader hs = elf.loadSegmentOf(address);
    if (hs == null || address - hs.virtualAddress() > hs.fileSize() - 2L * ptrSize) {
      return null;
    }
    long hoff = hs.offset() + (address - hs.virtualAddress());
    if (!src.contains(hoff, 2L * ptrSize)) {
      return null;
    }
    ByteBuffer header = ByteBuffer.wrap(src.bytes("a Go string header", hoff, 2L * ptrSize)).order(order);
    long data = pointer(header, 0, ptrSize);
    long length = pointer(header, ptrSize, ptrSize);
    ProgramHeader ds = elf.loadSegmentOf(data);
    if (ds == null || length < 0 || Long.compareUnsigned(length, ds.fileSize() - (data - ds.virtualAddress())) > 0) {
      return null;
    }
    long doff = ds.offset() + (data - ds.virtualAddress());
    if (!src.contains(doff, length)) {
      return null;
    }
    return new String(src.bytes("a Go string", doff, length), StandardCharsets.UTF_8);
  }

  /** Parses the module information as Go's runtime/debug.ParseBuildInfo does (lenient). */
  static GoBuildInfo parse(String version, String mod) {
    String path = "";
    GoBuildInfo.Module main = null;
    List<GoBuildInfo.Module> deps = new ArrayList<>();
    Map<String, String> settings = new LinkedHashMap<>();
    int lastKind = 0; // 1 main, 2 dep
    for (String line : mod.split("\n", -1)) {
      if (line.startsWith("path\t")) {
        path = line.substring(5);
      } else if (line.startsWith("mod\t")) {
        main = module(line.substring(4));
        lastKind = main == null ? 0 : 1;
      } else if (line.startsWith("dep\t")) {
        GoBuildInfo.Module dep = module(line.substring(4));
        if (dep != null) {
          deps.add(dep);
          lastKind = 2;
        } else {
          lastKind = 0;
        }
      } else if (line.startsWith("=>\t")) {
        String[] r = line.substring(3).split("\t", -1);
        if (r.length == 3 && lastKind != 0) {
          GoBuildInfo.Module replacement = new GoBuildInfo.Module(r[0], r[1], r[2], Optional.empty());
          if (lastKind == 1) {
            main = new GoBuildInfo.Module(main.path(), main.version(), main.sum(), Optional.of(replacement));
          } else {
            GoBuildInfo.Module last = deps.remove(deps.size() - 1);
            deps.add(new GoBuildInfo.Module(last.path(), last.version(), last.sum(), Optional.of(replacement)));
          }
        }
        lastKind = 0;
      } else if (line.startsWith("build\t")) {
        String[] kv = setting(line.substring(6));
        if (kv != null) {
          settings.put(kv[0], kv[1]);
        }
      }
    }
    return new GoBuildInfo(version, path, Optional.ofNullable(main), deps, settings);
  }

  private static GoBuildInfo.Module module(String columns) {
    String[] c = columns.split("\t", -1);
    if (c.length != 2 && c.length != 3) {
      return null;
    }
    return new GoBuildInfo.Module(c[0], c[1], c.length == 3 ? c[2] : "", Optional.empty());
  }

  /** key=value where either side may be a Go quoted string; null if malformed. */
  private static String[] setting(String kv) {
    if (kv.isEmpty()) {
      return null;
    }
    String key;
    String rawValue;
    if (kv.charAt(0) == '"' || kv.charAt(0) == '`') {
      int end = quotedEnd(kv, 0);
      if (end < 0 || end >= kv.length() || kv.charAt(end) != '=') {
        return null;
      }
      key = unquote(kv.substring(0, end));
      rawValue = kv.substring(end + 1);
    } else {
      int eq = kv.indexOf('=');
      if (eq <= 0) {
        return null;
      }
      key = kv.substring(0, eq);
      rawValue = kv.substring(eq + 1);
    }
    String value = !rawValue.isEmpty() && (rawValue.charAt(0) == '"' || rawValue.charAt(0) == '`')
        ? unquote(rawValue) : rawValue;
    return key == null || value == null ? null : new String[] {key, value};
  }

  /** Index just past the quoted string starting at {@code start}, or -1. */
  private static int quotedEnd(String s, int start) {
    char quote = s.charAt(start);
    for (int i = start + 1; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && quote == '"') {
        i++;
      } else if (c == quote) {
        return i + 1;
      }
    }
    return -1;
  }

  /** Go's strconv.Unquote for the escapes strconv.Quote produces; null if malformed. */
  static String unquote(String s) {
    if (s.length() < 2 || s.charAt(s.length() - 1) != s.charAt(0)) {
      return null;
    }
    if (s.charAt(0) == '`') {
      return s.substring(1, s.length() - 1);
    }
    StringBuilder out = new StringBuilder();
    ByteBuffer bytes = null;
    for (int i = 1; i < s.length() - 1; i++) {
      char c = s.charAt(i);
      if (c != '\\') {
        out.append(c);
        continue;
      }
      if (++i >= s.length() - 1) {
        return null;
      }
      char e = s.charAt(i);
      switch (e) {
        case 'a': out.append('\u0007'); break;
        case 'b': out.append('\b'); break;
        case 'f': out.append('\f'); break;
        case 'n': out.append('\n'); break;
        case 'r': out.append('\r'); break;
        case 't': out.append('\t'); break;
        case 'v': out.append('\u000b'); break;
        case '\\': out.append('\\'); break;
        case '"': out.append('"'); break;
        case '\'': out.append('\''); break;
        case 'x':
        case 'u':
        case 'U': {
          int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          if (i + digits >= s.length()) {
            return null;
          }
          int code;
          try {
            code = Integer.parseUnsignedInt(s.substring(i + 1, i + 1 + digits), 16);
          } catch (NumberFormatException ex) {
            return null;
          }
          if (e == 'x') {
            out.append((char) code); // a raw byte; Go strings are bytes, rare in build settings
          } else if (Character.isValidCodePoint(code)) {
            out.appendCodePoint(code);
          } else {
            return null;
          }
          i += digits;
          break;
        }
        default:
          return null;
      }
    }
    return out.toString();
  }
}
