package dev.scratchkit.oci;

import dev.scratchkit.internal.oci.ImageWriter;
import java.util.List;
import org.slf4j.Logger;

/** What every target does the same way before and after writing. */
final class Targets {

  private Targets() {}

  /** The images of an index, refused when there are none. */
  static List<ImageSpec> indexImages(List<ImageSpec> images, String where) {
    if (images.isEmpty()) {
      throw new OciException("an image index needs at least one image; none was given for " + where);
    }
    return List.copyOf(images);
  }

  /** Logs and reports a finished write, and gives its public result. */
  static WriteResult finished(ImageWriter.Written written, ProgressListener listener, String where, Logger log) {
    log.info("wrote {} to {}", written.digest(), where);
    listener.targetWritten(written.digest(), where);
    return written.toResult(where);
  }
}
