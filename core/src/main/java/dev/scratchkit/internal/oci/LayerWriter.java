package dev.scratchkit.internal.oci;

import dev.scratchkit.oci.Digest;
import dev.scratchkit.oci.ImagePath;
import dev.scratchkit.oci.LayerEntry;
import dev.scratchkit.oci.LayerSpec;
import dev.scratchkit.oci.OciException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongConsumer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams a {@link LayerSpec} as a reproducible tar through the compression into a sink,
 * computing the diff ID (SHA-256 of the tar) and the tar size in the same pass; the blob digest
 * and size are the sink's business (the blob store hashes what it stores, once). Holds one copy
 * buffer, never the layer.
 *
 * <p>Tar rules: entries in {@link LayerSpec} order (sorted by path, parents first; a hard
 * link is deferred until its target has been written), mtime = the creation time in whole
 * seconds, numeric owners with empty user and group names, no atime/ctime, PAX headers only
 * where ustar cannot hold a value (long or non-ASCII names, sizes over 8 GiB).
 */
public final class LayerWriter {

  private static final Logger LOG = LoggerFactory.getLogger(LayerWriter.class);
  private static final int BUFFER = 64 * 1024;

  private LayerWriter() {}

  /**
   * What a written layer's tar is: its diff ID and its length, before compression.
   *
   * @param diffId the SHA-256 of the tar
   * @param size the tar's length in bytes
   */
  public record Tar(Digest diffId, long size) {}

  /**
   * Writes the compressed layer to {@code sink} (not closed).
   *
   * @param contentWritten told the length of every chunk of file content written
   * @return the diff ID and size of the tar
   * @throws OciException when a source file is missing, unreadable or changes while copied
   * @throws IOException when the sink fails
   */
  public static Tar write(LayerSpec layer, Instant created, LayerCompression compression, OutputStream sink,
      LongConsumer contentWritten) throws IOException {
    OutputStream blob = new BufferedOutputStream(new NonClosingOutputStream(sink), BUFFER);
    DigestingOutputStream tar;
    try (OutputStream compressed = compression.compress(blob)) {
      tar = new DigestingOutputStream(compressed);
      TarArchiveOutputStream out = new TarArchiveOutputStream(tar, StandardCharsets.UTF_8.name());
      out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      out.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
      out.setAddPaxHeadersForNonAsciiNames(true);
      writeEntries(out, layer, FileTime.from(created.getEpochSecond(), java.util.concurrent.TimeUnit.SECONDS),
          contentWritten);
      out.finish();
      out.flush();
    }
    return new Tar(tar.digest(), tar.count());
  }

  /**
   * The bytes of file content a layer holds, for progress: source files as recorded when their
   * entries were made (writing refuses a file whose size changed) and in-memory contents.
   */
  public static long contentSize(LayerSpec layer) {
    long total = 0;
    for (LayerEntry e : layer.entries()) {
      if (e.type() != LayerEntry.Type.FILE) {
        continue;
      }
      if (e.content().isPresent()) {
        total += e.content().get().length;
      } else if (e.source().isPresent()) {
        total += SourceFiles.hostFile(e).size();
      }
    }
    return total;
  }

  /** The tar entries in writing order: sorted, with each hard link right after its target at the earliest. */
  public static List<LayerEntry> tarOrder(LayerSpec layer) {
    List<LayerEntry> order = new ArrayList<>();
    Map<String, List<LayerEntry>> waiting = new HashMap<>();
    Set<String> written = new HashSet<>();
    for (LayerEntry e : layer.entries()) {
      if (e.type() == LayerEntry.Type.HARD_LINK && !written.contains(e.link().orElseThrow())) {
        waiting.computeIfAbsent(e.link().orElseThrow(), k -> new ArrayList<>()).add(e);
        continue;
      }
      order.add(e);
      written.add(e.path().path());
      List<LayerEntry> links = waiting.remove(e.path().path());
      if (links != null) {
        order.addAll(links);
      }
    }
    return order;
  }

  private static void writeEntries(TarArchiveOutputStream out, LayerSpec layer, FileTime mtime,
      LongConsumer contentWritten) throws IOException {
    Map<ImagePath, LayerEntry> byPath = new HashMap<>();
    layer.entries().forEach(e -> byPath.put(e.path(), e));
    byte[] buffer = new byte[BUFFER];
    try (SourceFiles.Reader reader = SourceFiles.reader()) {
      for (LayerEntry e : tarOrder(layer)) {
        writeEntry(out, e, byPath, reader, buffer, mtime, contentWritten);
      }
    }
  }

  private static void writeEntry(TarArchiveOutputStream out, LayerEntry e, Map<ImagePath, LayerEntry> byPath,
      SourceFiles.Reader reader, byte[] buffer, FileTime mtime, LongConsumer contentWritten) throws IOException {
    LOG.debug("tar entry {}", e);
    switch (e.type()) {
      case DIRECTORY -> {
        TarArchiveEntry t = header(e.path().tarName() + "/", TarConstants.LF_DIR, e, mtime);
        out.putArchiveEntry(t);
        out.closeArchiveEntry();
      }
      case SYMLINK -> {
        TarArchiveEntry t = header(e.path().tarName(), TarConstants.LF_SYMLINK, e, mtime);
        t.setLinkName(e.link().orElseThrow());
        out.putArchiveEntry(t);
        out.closeArchiveEntry();
      }
      case HARD_LINK -> {
        LayerEntry target = byPath.get(ImagePath.of(e.link().orElseThrow()));
        TarArchiveEntry t = header(e.path().tarName(), TarConstants.LF_LINK, target, mtime);
        t.setLinkName(target.path().tarName());
        out.putArchiveEntry(t);
        out.closeArchiveEntry();
      }
      case FILE -> {
        TarArchiveEntry t = header(e.path().tarName(), TarConstants.LF_NORMAL, e, mtime);
        if (e.source().isPresent()) {
          copyFile(out, t, e, reader, buffer, contentWritten);
        } else {
          byte[] content = e.content().orElseThrow();
          t.setSize(content.length);
          out.putArchiveEntry(t);
          out.write(content);
          contentWritten.accept(content.length);
          out.closeArchiveEntry();
        }
      }
      default -> throw new IllegalStateException(e.type().toString());
    }
  }

  /**
   * Copies a host file, but only the file the entry recorded (see {@link SourceFiles}): nothing
   * is copied when it changed before the open, and a change seen during or after the copy fails
   * the layer, which is then discarded, never stored.
   */
  private static void copyFile(TarArchiveOutputStream out, TarArchiveEntry t, LayerEntry e, SourceFiles.Reader reader,
      byte[] buffer, LongConsumer contentWritten) throws IOException {
    try (SourceFiles.Opened in = reader.open(e)) {
      long size = in.size();
      t.setSize(size);
      out.putArchiveEntry(t);
      long remaining = size;
      while (remaining > 0) {
        int n = in.stream().read(buffer, 0, (int) Math.min(buffer.length, remaining));
        if (n < 0) {
          throw changed(e, size, "shrank to " + (size - remaining) + " bytes");
        }
        in.hashed(buffer, n);
        out.write(buffer, 0, n);
        contentWritten.accept(n);
        remaining -= n;
      }
      in.finish();
      out.closeArchiveEntry();
    }
  }

  private static OciException changed(LayerEntry e, long size, String how) {
    return new OciException("source file " + e.source().orElseThrow() + " for " + e.path() + " changed while it was"
        + " copied into the layer: it had " + size + " bytes and " + how + "; make sure nothing writes it while the"
        + " image is written");
  }

  private static TarArchiveEntry header(String name, byte linkFlag, LayerEntry e, FileTime mtime) {
    TarArchiveEntry t = new TarArchiveEntry(name, linkFlag, true);
    t.setMode(e.mode()); // permission bits only, as GNU tar writes them; the type is in the type flag
    t.setUserId(e.uid());
    t.setGroupId(e.gid());
    t.setUserName("");
    t.setGroupName("");
    // An entry's own time (kept from the host) wins over the layer's.
    t.setLastModifiedTime(e.modified().map(FileTime::from).orElse(mtime));
    return t;
  }

}
