package dev.scratchkit.internal.checks;

import java.util.List;

/**
 * One run-time need, checked on an image view. A rule reads the {@link CheckContext} and adds
 * a finding for every way the image fails that need; it never changes anything.
 */
public interface Rule {

  /** {@return the rule's stable name, e.g. {@code entrypoint}: one JUnit test case each} */
  String name();

  /**
   * Checks the image.
   *
   * @param image the view and what is known about its program
   * @param findings where to add findings
   */
  void check(CheckContext image, List<dev.scratchkit.doctor.Finding> findings);
}
