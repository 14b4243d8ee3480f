package dev.scratchkit.internal.oci;

import java.io.IOException;
import java.io.OutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipParameters;

/**
 * The seam where layer tars get compressed; one implementation per algorithm or engine (the
 * parallel gzip stream replaces {@link #gzip(int)} here without touching the writers).
 *
 * <p>Implementations must be deterministic: the same tar and level give the same bytes on
 * every run and JDK.
 */
public interface LayerCompression {

  /** The media type of compressed layers, e.g. {@code application/vnd.oci.image.layer.v1.tar+gzip}. */
  String mediaType();

  /**
   * Wraps {@code out}; closing the returned stream finishes the compressed stream and closes
   * {@code out}.
   */
  OutputStream compress(OutputStream out) throws IOException;

  /** The default compression: gzip at level 6 (the level of {@code gzip} itself). */
  static LayerCompression defaultGzip() {
    return gzip(6);
  }

  /**
   * Gzip with a fixed header: modification time 0, no file name, no comment, OS byte 255
   * ("unknown", what JDK 16+ {@code GZIPOutputStream} writes), so nothing of the host enters
   * the blob.
   *
   * @param level 1 (fastest) to 9 (smallest)
   */
  static LayerCompression gzip(int level) {
    if (level < 1 || level > 9) {
      throw new IllegalArgumentException("gzip level must be 1 to 9, not " + level);
    }
    return new LayerCompression() {
      @Override
      public String mediaType() {
        return MediaTypes.LAYER_GZIP;
      }

      @Override
      public OutputStream compress(OutputStream out) throws IOException {
        GzipParameters p = new GzipParameters();
        p.setCompressionLevel(level);
        p.setModificationTime(0);
        p.setOperatingSystem(255);
        p.setBufferSize(64 * 1024);
        return new GzipCompressorOutputStream(out, p);
      }

      @Override
      public String toString() {
        return "gzip level " + level;
      }
    };
  }
}
