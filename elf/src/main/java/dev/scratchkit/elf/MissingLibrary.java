package dev.scratchkit.elf;

import java.util.List;
import java.util.Objects;

/**
 * A needed library (or interpreter) that the search did not find.
 *
 * <p>A plain value: {@link LibraryResolver} makes it. Constructing one yourself only checks that its parts are
 * present and consistent; it reads no file and proves nothing about one.
 *
 * @param name the DT_NEEDED entry or PT_INTERP path
 * @param neededBy the in-image path of the object that asked for it
 * @param searched the in-image directories (or paths) tried, in order
 */
public record MissingLibrary(String name, String neededBy, List<String> searched) {

  /**
   * Copies {@code searched} into an unmodifiable list.
   *
   * @param name the DT_NEEDED entry or PT_INTERP path
   * @param neededBy the in-image path of the object that asked for it
   * @param searched the in-image directories (or paths) tried, in order
   * @throws NullPointerException if a part or a searched entry is null
   */
  public MissingLibrary {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(neededBy, "neededBy");
    searched = List.copyOf(searched);
  }

  @Override
  public String toString() {
    return name + " (needed by " + neededBy + "; searched " + (searched.isEmpty() ? "nothing" : String.join(", ", searched)) + ")";
  }
}
