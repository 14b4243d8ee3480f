package dev.scratchkit.internal.oci.read;

import dev.scratchkit.oci.OciException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The members of an image archive (OCI archive, docker-archive): read once into an index of
 * names, offsets and sizes, then opened by position. Member names are normalised ({@code ./}
 * dropped); a name twice is refused (tools disagree on which copy counts), and so is a member
 * that is a link or special file where content is expected.
 */
public final class ArchiveMembers {

  /** One member: where its data is and what it is. */
  public record Member(String name, char type, long offset, long size, String linkName) {}

  private final Path file;
  private final Map<String, Member> members;

  private ArchiveMembers(Path file, Map<String, Member> members) {
    this.file = file;
    this.members = members;
  }

  /**
   * Reads the member index of {@code file}, which must be a regular file.
   *
   * @param maxMembers the most members accepted
   * @param maxHeaderBytes the largest long-name or PAX header accepted
   */
  public static ArchiveMembers scan(Path file, int maxMembers, long maxHeaderBytes) throws IOException {
    Map<String, Member> members = new HashMap<>();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      TarReader tar = new TarReader(new BufferedInputStream(new ChannelStream(ch, 0, ch.size()), 16 * 1024),
          "the archive " + file, maxHeaderBytes);
      TarReader.Header h;
      while ((h = tar.next()) != null) {
        if (members.size() >= maxMembers) {
          throw new OciException("the archive " + file + " has more than " + maxMembers + " members (limit"
              + " archiveMembers); an image archive has a few per image. It is hostile or not an image archive;"
              + " if you trust it, raise OciImages.Limits.withArchiveMembers");
        }
        String name = normalise(h.name());
        if (name.isEmpty()) {
          continue; // "./", the archive's root directory
        }
        Member m = new Member(name, h.type(), h.dataOffset(), h.size(), h.linkName());
        if (members.putIfAbsent(name, m) != null) {
          throw new OciException("the archive " + file + " has two members named \"" + TarReader.printable(name)
              + "\"; tools disagree on which one counts, so it is refused as ambiguous. Rewrite the archive");
        }
      }
      if (tar.position() > ch.size()) {
        throw new OciException("the archive " + file + " is truncated: its last member ends after the end of the"
            + " file; copy it again");
      }
    }
    return new ArchiveMembers(file, members);
  }

  private static String normalise(String name) {
    String n = name;
    while (n.startsWith("./")) {
      n = n.substring(2);
    }
    while (n.endsWith("/")) {
      n = n.substring(0, n.length() - 1);
    }
    return n.equals(".") ? "" : n;
  }

  /** {@return every member by name} */
  public Map<String, Member> all() {
    return members;
  }

  /**
   * The regular member {@code name}, if present.
   *
   * @throws OciException when it is present but is a link, directory or special file
   */
  public Optional<Member> regular(String name, String what) {
    Member m = members.get(name);
    if (m == null) {
      return Optional.empty();
    }
    if (m.type() != TarReader.FILE) {
      String kind = switch (m.type()) {
        case TarReader.SYMLINK -> "a symbolic link to \"" + TarReader.printable(m.linkName()) + "\"";
        case TarReader.HARD_LINK -> "a hard link to \"" + TarReader.printable(m.linkName()) + "\"";
        case TarReader.DIRECTORY -> "a directory";
        default -> "a special file (device or FIFO)";
      };
      throw new OciException("the archive " + file + " holds " + what + " as the member \""
          + TarReader.printable(name) + "\", which is " + kind + ", not a regular file; links could lead outside"
          + " the archive, so they are refused. Rewrite the archive with the content in place (e.g. skopeo copy)");
    }
    return Optional.of(m);
  }

  /**
   * As {@link #regular}, but a symlink member is followed inside the archive, as {@code docker
   * save} writes them for a layer that several images share ({@code ID2/layer.tar ->
   * ../ID1/layer.tar}). Only the archive's own index is consulted, never the file system; a
   * link that is absolute, climbs above the archive root, loops, or ends at anything but a
   * regular member is refused.
   */
  public Optional<Member> regularFollowingLinks(String name, String what) {
    String at = name;
    for (int hop = 0; hop <= 8; hop++) {
      Member m = members.get(at);
      if (m == null) {
        if (hop == 0) {
          return Optional.empty();
        }
        throw new OciException("the archive " + file + " holds " + what + " as the member \""
            + TarReader.printable(name) + "\", a symbolic link to \"" + TarReader.printable(at)
            + "\", which is not in the archive; it is incomplete or hostile");
      }
      if (m.type() != TarReader.SYMLINK) {
        return regular(at, what);
      }
      String target = m.linkName();
      String resolved = target.startsWith("/") ? null : inside(at, target);
      if (resolved == null) {
        throw new OciException("the archive " + file + " holds " + what + " as the member \""
            + TarReader.printable(name) + "\", a symbolic link to \"" + TarReader.printable(target)
            + "\", which leads outside the archive; it is refused as hostile. Rewrite the archive with the content"
            + " in place (e.g. skopeo copy)");
      }
      at = resolved;
    }
    throw new OciException("the archive " + file + " holds " + what + " as the member \"" + TarReader.printable(name)
        + "\", a symbolic link that goes through more than 8 links (or loops); it is refused as hostile");
  }

  /** {@code target} relative to the directory of member {@code from}, or null when it climbs above the root. */
  private static String inside(String from, String target) {
    java.util.ArrayDeque<String> parts = new java.util.ArrayDeque<>();
    int slash = from.lastIndexOf('/');
    if (slash > 0) {
      for (String p : from.substring(0, slash).split("/")) {
        parts.addLast(p);
      }
    }
    for (String p : target.split("/")) {
      if (p.isEmpty() || p.equals(".")) {
        continue;
      }
      if (p.equals("..")) {
        if (parts.isEmpty()) {
          return null;
        }
        parts.removeLast();
      } else {
        parts.addLast(p);
      }
    }
    return parts.isEmpty() ? null : String.join("/", parts);
  }

  /** Opens a member's data (a new channel each time, closed with the stream). */
  public InputStream open(Member m) throws IOException {
    FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
    if (m.offset() + m.size() > ch.size()) {
      ch.close();
      throw new OciException("the archive " + file + " is truncated: the member \"" + TarReader.printable(m.name())
          + "\" ends after the end of the file; copy it again");
    }
    return new ChannelStream(ch, m.offset(), m.size()) {
      @Override
      public void close() throws IOException {
        ch.close();
      }
    };
  }

  /** Positional reads of a channel's range; never moves the channel's position. */
  private static class ChannelStream extends InputStream {
    private final FileChannel ch;
    private long pos;
    private final long end;

    ChannelStream(FileChannel ch, long start, long length) {
      this.ch = ch;
      this.pos = start;
      this.end = start + length;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (pos >= end) {
        return -1;
      }
      int n = ch.read(ByteBuffer.wrap(b, off, (int) Math.min(len, end - pos)), pos);
      if (n > 0) {
        pos += n;
      }
      return n;
    }

    @Override
    public long skip(long n) {
      long s = Math.max(0, Math.min(n, end - pos));
      pos += s;
      return s;
    }
  }
}
