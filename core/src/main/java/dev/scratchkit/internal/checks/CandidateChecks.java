package dev.scratchkit.internal.checks;

import dev.scratchkit.ScratchImageException;
import dev.scratchkit.ScratchImageException.Problem;
import dev.scratchkit.doctor.Finding;
import dev.scratchkit.internal.view.ImageView;
import dev.scratchkit.internal.view.ImageViews;
import dev.scratchkit.oci.ImageSpec;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@code build()} adds to the assembler: the builder inputs a finished image can no longer
 * show ({@code env("A=B", "c")} becomes {@code A=B=c}; an entrypoint path ending in a slash), and
 * the run checks on the candidate image, so {@code build()} and the doctor never disagree.
 */
public final class CandidateChecks {

  private static final Logger LOG = LoggerFactory.getLogger(CandidateChecks.class);

  /** Warnings the assembler already gives for a builder image, in its own words. */
  private static final Set<String> ASSEMBLER_WARNINGS = Set.of("CA_CERTIFICATES_MISSING", "ZONEINFO_MISSING",
      "USER_WITHOUT_ENTRY");

  private CandidateChecks() {}

  /**
   * Problems with builder inputs that the image cannot show.
   *
   * @param entrypoint the binary, or null
   * @param entrypointPath the path in the image given, or null
   * @param env the variables set with {@code env(name, value)}
   * @return the problems, possibly none
   */
  public static List<Problem> inputProblems(Path entrypoint, String entrypointPath, Map<String, String> env) {
    List<Problem> problems = new ArrayList<>();
    if (entrypointPath != null && entrypointPath.length() > 1 && entrypointPath.endsWith("/")) {
      String name = entrypoint == null ? "app" : entrypoint.getFileName().toString();
      problems.add(new Problem("entrypoint path", "entrypoint(binary, \"" + entrypointPath + "\") ends with a slash,"
          + " so it names a directory, yet the binary would be put at " + entrypointPath.replaceAll("/+$", "")
          + " itself. Give the file's own path: entrypoint(binary, \"" + entrypointPath + name + "\")."));
    }
    env.forEach((name, value) -> {
      if (name.isEmpty() || name.indexOf('=') >= 0) {
        String fix = name.indexOf('=') > 0 ? "env(\"" + name.substring(0, name.indexOf('=')) + "\", \""
            + name.substring(name.indexOf('=') + 1) + value + "\")" : "env(\"NAME\", \"" + value + "\")";
        problems.add(new Problem("env", "env(\"" + name + "\", \"" + value + "\"): "
            + (name.isEmpty() ? "the name is empty" : "the name contains '=', so the image would get " + name + "="
                + value + ", which sets " + name.substring(0, name.indexOf('=')) + " to \""
                + name.substring(name.indexOf('=') + 1) + "=" + value + "\"")
            + ". Give the name alone and the value apart, e.g. " + fix + "."));
      }
    });
    return problems;
  }

  /**
   * An exception with the input problems first, then the assembler's.
   *
   * @param inputs the input problems
   * @param assembler what the assembler refused
   * @return the exception to throw
   */
  public static ScratchImageException withInputs(List<Problem> inputs, ScratchImageException assembler) {
    if (inputs.isEmpty()) {
      return assembler;
    }
    List<Problem> all = new ArrayList<>(inputs);
    all.addAll(assembler.problems());
    return new ScratchImageException(all);
  }

  /**
   * Runs the rules on the candidate image: error findings (and, in strict mode, warnings)
   * become problems, other warnings are logged and returned.
   *
   * @param spec the assembled image
   * @param inputs problems found in the inputs so far
   * @param warnings the assembler's warnings
   * @param strict true to refuse on warnings too
   * @return the warnings, the assembler's first
   * @throws ScratchImageException listing every problem
   */
  public static List<String> check(ImageSpec spec, List<Problem> inputs, List<String> warnings, boolean strict) {
    return check(spec, inputs, warnings, strict, null);
  }

  /**
   * As {@link #check(ImageSpec, List, List, boolean)}, for files taken from {@code hostRoot}.
   *
   * @param hostRoot the root the build takes files from ({@code /} or the sysroot), or null
   * @return the warnings, the assembler's first
   * @throws ScratchImageException listing every problem
   */
  public static List<String> check(ImageSpec spec, List<Problem> inputs, List<String> warnings, boolean strict,
      Path hostRoot) {
    List<Problem> problems = new ArrayList<>(inputs);
    List<String> all = new ArrayList<>(warnings);
    List<Finding> findings;
    try (ImageView view = ImageViews.of(spec)) {
      findings = Rules.check(view, hostRoot);
    } catch (UncheckedIOException e) {
      findings = List.of(); // a host file vanished: the writer reports it with its path
    }
    for (Finding f : findings) {
      if (f.isError()) {
        problems.add(new Problem(f.path(), f.describe()));
      } else if (!ASSEMBLER_WARNINGS.contains(f.code())) {
        if (strict) {
          problems.add(new Problem(f.path(), f.describe() + " (strict mode makes this an error)"));
        } else if (!all.contains(f.describe())) {
          all.add(f.describe());
          LOG.warn(f.describe());
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new ScratchImageException(problems);
    }
    return all;
  }
}
