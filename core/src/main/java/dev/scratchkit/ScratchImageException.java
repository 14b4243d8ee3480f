package dev.scratchkit;

import dev.scratchkit.base.ScratchkitException;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The root of scratchkit's errors in the core module (a {@link ScratchkitException}): {@link ScratchImage.Builder#build()} found
 * reasons why the image would not run, or an image could not be written or read
 * ({@link dev.scratchkit.oci.OciException} and its subclasses). Lists every problem at once,
 * each naming the file or setting, the fact found and the fix, so one run tells the user
 * everything to change. Unchecked.
 */
public class ScratchImageException extends ScratchkitException {

  private static final long serialVersionUID = 1L;

  /** One reason the image would not run. */
  public record Problem(String subject, String description) {
    /**
     * Validates.
     *
     * @param subject what the problem is about: an absolute file path, an image path or a
     *     setting such as {@code user}
     * @param description the fact found and the fix, in sentences
     */
    public Problem {
      if (subject == null || subject.isBlank() || description == null || description.isBlank()) {
        throw new IllegalArgumentException("a problem needs a subject and a description");
      }
    }

    /** The description, which starts with the subject. */
    @Override
    public String toString() {
      return description;
    }
  }

  private final transient List<Problem> problems;

  /**
   * An exception listing problems.
   *
   * @param problems at least one problem
   */
  public ScratchImageException(List<Problem> problems) {
    super(message(problems));
    this.problems = List.copyOf(problems);
  }

  /**
   * An exception with a single message and a cause.
   *
   * @param message what failed and how to fix it
   * @param cause the underlying failure, or {@code null}
   */
  public ScratchImageException(String message, Throwable cause) {
    super(message, cause);
    this.problems = List.of(new Problem("image", message == null || message.isBlank() ? "unknown error" : message));
  }

  /** {@return every problem found, in the order they were found} */
  public List<Problem> problems() {
    return problems;
  }

  private static String message(List<Problem> problems) {
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("an exception needs at least one problem");
    }
    if (problems.size() == 1) {
      return "The image would not run:\n" + problems.get(0).description();
    }
    return "The image would not run (" + problems.size() + " problems):\n"
        + problems.stream().map(p -> "- " + p.description().replace("\n", "\n  "))
            .collect(Collectors.joining("\n"));
  }
}
