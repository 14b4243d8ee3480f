package dev.scratchkit.internal.oci.read;

import dev.scratchkit.internal.compress.ZstdCompression;
import dev.scratchkit.oci.OciException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/** Opens a layer blob's tar stream by its media type, checking the bytes agree with it. */
public final class Decompression {

  /** How a layer blob is compressed. */
  public enum Kind {
    /** Plain tar. */
    TAR,
    /** gzip. */
    GZIP,
    /** zstd. */
    ZSTD
  }

  private Decompression() {}

  /**
   * The compression a layer media type names.
   *
   * @return the kind, or null for a media type that is not a tar layer
   */
  public static Kind ofMediaType(String mediaType) {
    if (mediaType == null) {
      return null;
    }
    return switch (mediaType) {
      case "application/vnd.oci.image.layer.v1.tar", "application/vnd.oci.image.layer.nondistributable.v1.tar",
          "application/vnd.docker.image.rootfs.diff.tar" -> Kind.TAR;
      case "application/vnd.oci.image.layer.v1.tar+gzip",
          "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
          "application/vnd.docker.image.rootfs.diff.tar.gzip",
          "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip" -> Kind.GZIP;
      case "application/vnd.oci.image.layer.v1.tar+zstd",
          "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
          "application/vnd.docker.image.rootfs.diff.tar.zstd" -> Kind.ZSTD;
      default -> null;
    };
  }

  /** The kind the first bytes show: gzip or zstd magic, else tar. */
  public static Kind sniff(byte[] head, int length) {
    if (length >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
      return Kind.GZIP;
    }
    if (length >= 4 && (head[0] & 0xff) == 0x28 && (head[1] & 0xff) == 0xb5 && (head[2] & 0xff) == 0x2f
        && (head[3] & 0xff) == 0xfd) {
      return Kind.ZSTD;
    }
    return Kind.TAR;
  }

  /**
   * The uncompressed stream of {@code raw}; closing it closes {@code raw}.
   *
   * @param where the layer and source, for messages
   * @throws OciException when the bytes are not what the media type says, or zstd-jni is missing
   */
  public static InputStream open(InputStream raw, Kind kind, String mediaType, String where) throws IOException {
    BufferedInputStream in = new BufferedInputStream(raw, 64 * 1024);
    in.mark(4);
    byte[] head = in.readNBytes(4);
    in.reset();
    Kind found = sniff(head, head.length);
    if (found != kind && !(kind == Kind.TAR && head.length == 0)) {
      throw new OciException(where + " is declared as " + mediaType + " but its bytes are "
          + (found == Kind.TAR ? "not compressed (or not " + kind.name().toLowerCase(java.util.Locale.ROOT) + ")"
              : found.name().toLowerCase(java.util.Locale.ROOT) + "-compressed")
          + "; the manifest and the blob disagree, the image is damaged");
    }
    return switch (kind) {
      case TAR -> in;
      case GZIP -> new GZIPInputStream(in, 64 * 1024);
      case ZSTD -> zstd(in, where);
    };
  }

  private static InputStream zstd(InputStream in, String where) throws IOException {
    String reason = ZstdCompression.unavailableReason();
    if (reason != null) {
      throw new OciException("cannot read " + where + ": it is a zstd-compressed layer"
          + " (application/vnd.oci.image.layer.v1.tar+zstd) and " + reason);
    }
    return Jni.open(in);
  }

  /** Every use of zstd-jni's types, so this class loads without it. */
  private static final class Jni {
    private Jni() {}

    static InputStream open(InputStream in) throws IOException {
      // libzstd refuses frames whose window exceeds 2^27 bytes by default (128 MiB of native
      // memory at most), so a hostile frame header cannot make it allocate more.
      return new com.github.luben.zstd.ZstdInputStreamNoFinalizer(in);
    }
  }
}
