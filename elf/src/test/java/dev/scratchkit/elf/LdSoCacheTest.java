package dev.scratchkit.elf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scratchkit.testkit.Tools;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** glibc's ld.so.cache in its formats and byte orders, and this machine's cache against ldconfig -p. */
class LdSoCacheTest {

  @Test
  void readsThisMachinesCacheAsLdconfigListsIt() throws Exception {
    Path ldconfig = Tools.require("ldconfig");
    Path file = Path.of("/etc/ld.so.cache");
    LdSoCache cache = LdSoCache.parse(Files.readAllBytes(file));
    String listing = Tools.runOk(ldconfig.toString(), "-p").stdout();

    Set<String> expected = new TreeSet<>();
    for (String line : listing.split("\n")) {
      if (line.startsWith("\t")) {
        String name = line.strip().substring(0, line.strip().indexOf(' '));
        String path = line.substring(line.indexOf(" => ") + 4).strip();
        expected.add(name + " " + path);
      }
    }
    Set<String> actual = new TreeSet<>();
    cache.entries().forEach(e -> actual.add(e.name() + " " + e.path()));
    assertThat(expected).hasSizeGreaterThan(100);
    assertThat(actual).isEqualTo(expected);
  }

  @Test
  void readsTheNewFormatInBothByteOrders() {
    for (ByteOrder order : List.of(ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN)) {
      LdSoCache cache = LdSoCache.parse(newFormat(order,
          new LdSoCache.Entry(0x0303, "libz.so.1", "/lib/x86_64-linux-gnu/libz.so.1", 0),
          new LdSoCache.Entry(0x0303, "libz.so.1", "/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libz.so.1", 1L << 62),
          new LdSoCache.Entry(0x0003, "libz.so.1", "/lib/i386-linux-gnu/libz.so.1", 0)));

      assertThat(cache.entries()).hasSize(3);
      assertThat(cache.lookup("libz.so.1", 0x0303)).isEqualTo("/lib/x86_64-linux-gnu/libz.so.1");
      assertThat(cache.lookup("libz.so.1", 0x0003)).isEqualTo("/lib/i386-linux-gnu/libz.so.1");
      assertThat(cache.lookup("libz.so.1", 0x0a03)).isNull();
      assertThat(cache.lookup("libq.so.1", -1)).isNull();
    }
  }

  @Test
  void readsTheOldFormatAloneAndFollowedByTheNewOne() {
    byte[] old = oldFormat(ByteOrder.BIG_ENDIAN, new LdSoCache.Entry(0x0003, "libold.so.1", "/lib/libold.so.1", 0));
    assertThat(LdSoCache.parse(old).lookup("libold.so.1", 0x0003)).isEqualTo("/lib/libold.so.1");

    byte[] oldPart = oldFormat(ByteOrder.LITTLE_ENDIAN, new LdSoCache.Entry(0x0003, "libold.so.1", "/lib/libold.so.1", 0));
    int entriesEnd = 16 + 12;
    byte[] combined = Arrays.copyOf(Arrays.copyOf(oldPart, entriesEnd), (entriesEnd + 7) & ~7);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(combined);
    out.writeBytes(newFormat(ByteOrder.LITTLE_ENDIAN, new LdSoCache.Entry(0x0303, "libnew.so.1", "/lib/libnew.so.1", 0)));
    LdSoCache cache = LdSoCache.parse(out.toByteArray());
    assertThat(cache.lookup("libnew.so.1", 0x0303)).isEqualTo("/lib/libnew.so.1");
  }

  @Test
  void rejectsWhatIsNotACache() {
    assertThatThrownBy(() -> LdSoCache.parse("hello".getBytes(StandardCharsets.US_ASCII))).isInstanceOf(Defect.class);
    byte[] cut = Arrays.copyOf(newFormat(ByteOrder.LITTLE_ENDIAN, new LdSoCache.Entry(3, "a", "/a", 0)), 60);
    assertThatThrownBy(() -> LdSoCache.parse(cut)).isInstanceOf(Defect.class).hasMessageContaining("more than the file holds");
  }

  /** A new-format cache: header, entries, then the strings (offsets from the header's start). */
  static byte[] newFormat(ByteOrder order, LdSoCache.Entry... entries) {
    ByteArrayOutputStream strings = new ByteArrayOutputStream();
    int stringsStart = 48 + entries.length * 24;
    ByteBuffer b = ByteBuffer.allocate(stringsStart).order(order);
    b.put(LdSoCache.NEW_MAGIC.getBytes(StandardCharsets.US_ASCII));
    b.putInt(entries.length);
    b.putInt(0);
    b.put((byte) (order == ByteOrder.LITTLE_ENDIAN ? 2 : 3));
    b.position(48);
    for (LdSoCache.Entry e : entries) {
      int key = stringsStart + strings.size();
      strings.writeBytes((e.name() + "\0").getBytes(StandardCharsets.US_ASCII));
      int value = stringsStart + strings.size();
      strings.writeBytes((e.path() + "\0").getBytes(StandardCharsets.US_ASCII));
      b.putInt(e.flags()).putInt(key).putInt(value).putInt(0).putLong(e.hwcap());
    }
    b.putInt(24, strings.size());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(b.array());
    out.writeBytes(strings.toByteArray());
    return out.toByteArray();
  }

  /** An old-format cache: magic, count, entries, strings (offsets from the end of the entries). */
  static byte[] oldFormat(ByteOrder order, LdSoCache.Entry... entries) {
    ByteArrayOutputStream strings = new ByteArrayOutputStream();
    ByteBuffer b = ByteBuffer.allocate(16 + entries.length * 12).order(order);
    b.put(LdSoCache.OLD_MAGIC.getBytes(StandardCharsets.US_ASCII));
    b.position(12);
    b.putInt(entries.length);
    for (LdSoCache.Entry e : entries) {
      int key = strings.size();
      strings.writeBytes((e.name() + "\0").getBytes(StandardCharsets.US_ASCII));
      int value = strings.size();
      strings.writeBytes((e.path() + "\0").getBytes(StandardCharsets.US_ASCII));
      b.putInt(e.flags()).putInt(key).putInt(value);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(b.array());
    out.writeBytes(strings.toByteArray());
    return out.toByteArray();
  }
}
