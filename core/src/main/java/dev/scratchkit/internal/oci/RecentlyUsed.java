package dev.scratchkit.internal.oci;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The JVM-wide memories of a rebuild (digests, parsed files, written blobs and archives):
 * bounded, least recently used out.
 */
public final class RecentlyUsed {

  private RecentlyUsed() {}

  /**
   * {@return a thread-safe map that drops its least recently used entry beyond {@code capacity}}
   *
   * @param <K> the key type
   * @param <V> the value type
   * @param capacity the most entries kept
   */
  public static <K, V> Map<K, V> map(int capacity) {
    return Collections.synchronizedMap(new LinkedHashMap<K, V>(16, 0.75f, true) {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
        return size() > capacity;
      }
    });
  }
}
