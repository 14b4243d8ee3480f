package dev.scratchkit.internal.image;

import dev.scratchkit.oci.ImagePath;
import dev.scratchkit.oci.LayerEntry;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The files every scratchkit image starts with, at parity with distroless
 * {@code static:nonroot}: users and groups, a writable {@code /tmp}, the nonroot home, a
 * resolver configuration that makes {@code localhost} and DNS work, and the service and protocol
 * databases it names ({@link NetworkDatabases}).
 */
public final class BaseFilesystem {

  /** The default user and group id, distroless's {@code nonroot}. */
  public static final int NONROOT = 65532;

  static final String PASSWD = """
      root:x:0:0:root:/root:/sbin/nologin
      nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
      nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
      """;

  static final String GROUP = """
      root:x:0:
      tty:x:5:
      staff:x:50:
      nobody:x:65534:
      nonroot:x:65532:
      """;

  // glibc's NSS and Go's net package both read this; "files dns" makes /etc/hosts win.
  static final String NSSWITCH = """
      passwd:         files
      group:          files
      shadow:         files
      hosts:          files dns
      networks:       files
      protocols:      files
      services:       files
      ethers:         files
      rpc:            files
      """;

  // Without /etc/hosts, "localhost" does not resolve in a container that has no DNS for it.
  static final String HOSTS = """
      127.0.0.1	localhost
      ::1	localhost ip6-localhost ip6-loopback
      """;

  private BaseFilesystem() {}

  /** The entries of the base layer, the network databases from {@code /}. */
  public static List<LayerEntry> entries() {
    return entries(java.nio.file.Path.of("/"));
  }

  /**
   * The entries of the base layer.
   *
   * @param root where {@code /etc/services} and {@code /etc/protocols} come from
   * @return the entries
   */
  public static List<LayerEntry> entries(java.nio.file.Path root) {
    List<LayerEntry> entries = new java.util.ArrayList<>(List.of(
        LayerEntry.directory(ImagePath.of("/etc"), 0755),
        text("/etc/passwd", PASSWD),
        text("/etc/group", GROUP),
        text("/etc/nsswitch.conf", NSSWITCH),
        text("/etc/hosts", HOSTS),
        LayerEntry.directory(ImagePath.of("/tmp"), 01777),
        LayerEntry.directory(ImagePath.of("/root"), 0700),
        LayerEntry.directory(ImagePath.of("/home"), 0755),
        LayerEntry.directory(ImagePath.of("/home/nonroot"), 0700).withOwner(NONROOT, NONROOT)));
    entries.addAll(NetworkDatabases.entries(root));
    return List.copyOf(entries);
  }

  /** The default {@code /etc/passwd}. */
  public static String passwd() {
    return PASSWD;
  }

  /** The default {@code /etc/group}. */
  public static String group() {
    return GROUP;
  }

  private static LayerEntry text(String path, String content) {
    return LayerEntry.bytes(ImagePath.of(path), content.getBytes(StandardCharsets.UTF_8), 0644);
  }
}
