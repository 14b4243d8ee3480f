package dev.scratchkit.internal.image;

import dev.scratchkit.oci.ImagePath;
import dev.scratchkit.oci.LayerEntry;
import dev.scratchkit.oci.LayerSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The directories of the layers written so far, so that a later layer keeps their owner and mode.
 *
 * <p>A layer needs an entry for every parent of what it holds; one it does not name gets root and
 * 0755 ({@link LayerSpec}), and in the unpacked image the later entry wins. A file added under
 * {@code /home/nonroot} would so take nonroot's home away from nonroot (0700, uid 65532), and a
 * program writing there would fail. Each later layer therefore repeats the earlier layer's entry
 * for such a parent.
 */
final class EarlierDirectories {

  private final Map<ImagePath, LayerEntry> directories = new HashMap<>();

  /** {@return {@code spec}, after noting its directories for the layers that follow} */
  LayerSpec record(LayerSpec spec) {
    for (LayerEntry entry : spec.entries()) {
      if (entry.type() == LayerEntry.Type.DIRECTORY) {
        directories.put(entry.path(), entry);
      } else {
        directories.remove(entry.path());
      }
    }
    return spec;
  }

  /**
   * {@return {@code entries} plus, for each parent directory they do not name, the entry an
   * earlier layer gave it}
   */
  List<LayerEntry> parentsOf(List<LayerEntry> entries) {
    Set<ImagePath> named = new HashSet<>();
    for (LayerEntry entry : entries) {
      named.add(entry.path());
    }
    List<LayerEntry> result = new ArrayList<>(entries);
    for (LayerEntry entry : entries) {
      ImagePath parent = entry.path().parent().orElse(null);
      while (parent != null && !parent.isRoot() && named.add(parent)) {
        LayerEntry earlier = directories.get(parent);
        if (earlier != null) {
          result.add(earlier);
        }
        parent = parent.parent().orElse(null);
      }
    }
    return result;
  }
}
