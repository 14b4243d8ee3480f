package dev.scratchkit.oci;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What goes into one layer: its entries and the history comment ({@code created_by}).
 *
 * <p>The compact constructor normalises the entries into the order the tar will have: sorted
 * by path (UTF-8 bytes), each missing parent directory added as {@code 0755} owned by root,
 * identical duplicates collapsed. It refuses, naming the path, the same path twice with
 * different content, an entry inside a path that is not a directory, and a hard link whose
 * target is not a regular file of this layer.
 *
 * <p>Every entry's modification time is the image's creation time, unless the layer has a
 * time of its own ({@link #withModified(Instant)}): a layer that does not depend on the app,
 * such as scratchkit's base files or CA certificates, keeps a fixed time so that its digest is
 * the same in every image and registries and caches share it. An entry with a time of its own
 * ({@link LayerEntry#withModified(Instant)}) keeps that time.
 *
 * @param entries the entries, normalised as described above
 * @param createdBy the history comment, e.g. {@code scratchkit: CA certificates (147)}
 * @param modified the modification time of every entry (whole seconds), or {@code null} for
 *     the image's creation time
 */
public record LayerSpec(List<LayerEntry> entries, String createdBy, Instant modified) {

  /**
   * Normalises and validates the entries as described for the record.
   *
   * @param entries the entries, in any order
   * @param createdBy the history comment
   * @param modified the entries' modification time, or {@code null} for the image's creation time
   * @throws OciException naming the path, for the same path twice with different content, an
   *     entry inside a path that is not a directory, or a hard link whose target is not a
   *     regular file of this layer; or for a time before 1970
   */
  public LayerSpec {
    Objects.requireNonNull(entries, "entries");
    Objects.requireNonNull(createdBy, "createdBy");
    entries = normalise(entries);
    if (modified != null) {
      if (modified.isBefore(Instant.EPOCH)) {
        throw new OciException("modification time " + modified + " of " + createdBy + " is before 1970-01-01,"
            + " which tar cannot hold reproducibly; use 1970-01-01T00:00:00Z or later");
      }
      modified = modified.truncatedTo(ChronoUnit.SECONDS);
    }
  }

  /**
   * A layer whose entries carry the image's creation time.
   *
   * @param entries the entries, in any order
   * @param createdBy the history comment
   * @throws OciException as the canonical constructor
   */
  public LayerSpec(List<LayerEntry> entries, String createdBy) {
    this(entries, createdBy, null);
  }

  /**
   * The same layer with a modification time of its own.
   *
   * @param time the entries' modification time, or {@code null} for the image's creation time
   * @return a new layer
   */
  public LayerSpec withModified(Instant time) {
    return new LayerSpec(entries, createdBy, time);
  }

  /**
   * The time the entries carry in an image created at {@code created}.
   *
   * @param created the image's creation time
   * @return {@link #modified()} if set, else {@code created}
   */
  public Instant modifiedIn(Instant created) {
    return modified != null ? modified : created;
  }

  /**
   * A layer of the given entries.
   *
   * @param createdBy the history comment
   * @param entries the entries, in any order
   * @return the normalised layer
   */
  public static LayerSpec of(String createdBy, LayerEntry... entries) {
    return new LayerSpec(List.of(entries), createdBy);
  }

  private static List<LayerEntry> normalise(List<LayerEntry> given) {
    Given key = new Given(given.toArray(new LayerEntry[0]));
    Entries known = NORMALISED.get(key);
    if (known != null) {
      return known;
    }
    Entries normalised = normaliseNow(given);
    NORMALISED.put(key, normalised);
    return normalised;
  }

  /**
   * Recent layers' normalised entries, by the entries given: a rebuild's layer of unchanged
   * entries (the time zone data, whose entries a rebuild reuses) is not sorted and checked again.
   * Bounded, least recently used out.
   */
  private static final Map<Given, Entries> NORMALISED = dev.scratchkit.internal.oci.RecentlyUsed.map(32);

  /**
   * Entries as given to a layer, equal to others when each pair is the same object, or equal
   * entries that carry no host file (for one with a host file, equality leaves out the
   * recorded identity, which a reused normalisation must keep).
   */
  private static final class Given {
    private final LayerEntry[] entries;
    private final int hash;

    Given(LayerEntry[] entries) {
      this.entries = entries;
      int h = 1;
      for (LayerEntry e : entries) {
        Objects.requireNonNull(e, "entry");
        h = 31 * h + (e.source().isPresent() ? System.identityHashCode(e) : e.hashCode());
      }
      this.hash = h;
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public boolean equals(Object o) {
      if (!(o instanceof Given other) || other.hash != hash || other.entries.length != entries.length) {
        return false;
      }
      for (int i = 0; i < entries.length; i++) {
        LayerEntry a = entries[i];
        LayerEntry b = other.entries[i];
        if (a != b && (a.source().isPresent() || b.source().isPresent() || !a.equals(b))) {
          return false;
        }
      }
      return true;
    }
  }

  private static Entries normaliseNow(List<LayerEntry> given) {
    // Sorted once (stable, so entries of one path keep the given order), then one pass over each
    // path's run: cheaper than a sorted map for the thousands of entries of a tree.
    LayerEntry[] sorted = given.toArray(new LayerEntry[0]);
    for (LayerEntry entry : sorted) {
      Objects.requireNonNull(entry, "entry");
    }
    java.util.Arrays.sort(sorted, java.util.Comparator.comparing(LayerEntry::path));
    List<LayerEntry> unique = new ArrayList<>(sorted.length);
    for (LayerEntry entry : sorted) {
      LayerEntry previous = unique.isEmpty() ? null : unique.get(unique.size() - 1);
      if (previous == null || !previous.path().equals(entry.path())) {
        unique.add(entry);
        continue;
      }
      if (previous.type() == LayerEntry.Type.DIRECTORY && entry.type() == LayerEntry.Type.DIRECTORY
          && previous.withModified(null).equals(entry.withModified(null))) {
        // The same directory from two trees with kept times: the later time, whatever the order.
        if (entry.modified().isPresent() && (previous.modified().isEmpty()
            || entry.modified().get().isAfter(previous.modified().get()))) {
          unique.set(unique.size() - 1, entry);
        }
        continue;
      }
      if (!previous.equals(entry)) {
        throw new OciException("the layer has " + entry.path() + " twice with different content: " + previous
            + " and " + entry + "; keep one of them (or give both the same source, mode and owner)");
      }
    }
    Map<ImagePath, LayerEntry> byPath = new HashMap<>(unique.size() * 2);
    for (LayerEntry entry : unique) {
      byPath.put(entry.path(), entry);
    }
    // Missing parents: a directory owned by root, 0755, as tar and Docker would create it.
    List<LayerEntry> added = new ArrayList<>();
    for (LayerEntry entry : unique) {
      ImagePath parent = entry.path().parent().orElseThrow();
      while (!parent.isRoot()) {
        LayerEntry existing = byPath.get(parent);
        if (existing == null) {
          LayerEntry directory = LayerEntry.directory(parent, LayerEntry.DEFAULT_DIRECTORY_MODE);
          byPath.put(parent, directory);
          added.add(directory);
        } else if (existing.type() != LayerEntry.Type.DIRECTORY) {
          throw new OciException("the layer has " + entry.path() + " inside " + parent + ", but " + parent
              + " is a " + existing.type().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')
              + " (" + existing + "); make " + parent + " a directory or move " + entry.path());
        } else {
          break; // an explicit or added directory: its own parents were handled with it
        }
        parent = parent.parent().orElseThrow();
      }
    }
    LayerEntry[] result = unique.toArray(new LayerEntry[unique.size() + added.size()]);
    if (!added.isEmpty()) {
      for (int i = 0; i < added.size(); i++) {
        result[unique.size() + i] = added.get(i);
      }
      java.util.Arrays.sort(result, java.util.Comparator.comparing(LayerEntry::path));
    }
    for (LayerEntry entry : result) {
      if (entry.type() == LayerEntry.Type.HARD_LINK) {
        ImagePath target = ImagePath.of(entry.link().orElseThrow());
        LayerEntry t = byPath.get(target);
        if (t == null || t.type() != LayerEntry.Type.FILE) {
          throw new OciException("hard link " + entry.path() + " points to " + target + ", which is "
              + (t == null ? "not in this layer" : "a " + t.type().name().toLowerCase(java.util.Locale.ROOT))
              + "; a hard link needs a regular file of the same layer as target (use a symlink otherwise)");
        }
      }
    }
    return new Entries(result);
  }

  /**
   * The normalised entries: unmodifiable, with the hash computed once, since a rebuild looks up
   * layers of thousands of entries by value (the layer cache's keys).
   */
  private static final class Entries extends java.util.AbstractList<LayerEntry> implements java.util.RandomAccess {
    private final LayerEntry[] entries;
    private int hash; // 0 until computed (a list whose hash is 0 computes it each time)

    Entries(LayerEntry[] entries) {
      this.entries = entries;
    }

    @Override
    public LayerEntry get(int index) {
      return entries[index];
    }

    @Override
    public int size() {
      return entries.length;
    }

    @Override
    public int hashCode() {
      int h = hash;
      if (h == 0) {
        h = super.hashCode();
        hash = h;
      }
      return h;
    }

    @Override
    public boolean equals(Object o) {
      if (o instanceof Entries other && other.hashCode() != hashCode()) {
        return false;
      }
      return super.equals(o);
    }
  }

  /** E.g. {@code layer "scratchkit: base files" (7 entries)}. */
  @Override
  public String toString() {
    return "layer \"" + createdBy + "\" (" + entries.size() + " entries)";
  }

  // Written out: the generated pair is linked through invokedynamic on first use, 10 to 50 ms of
  // every new JVM. RecordMethodsTest holds them to the generated answers and hashes.
  @Override
  public boolean equals(Object o) {
    return o instanceof LayerSpec l && entries.equals(l.entries) && createdBy.equals(l.createdBy)
        && Objects.equals(modified, l.modified);
  }

  @Override
  public int hashCode() {
    return (31 * entries.hashCode() + createdBy.hashCode()) * 31 + Objects.hashCode(modified);
  }
}
