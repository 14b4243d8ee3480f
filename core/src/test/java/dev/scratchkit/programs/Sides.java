package dev.scratchkit.programs;

import dev.scratchkit.testkit.Tools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The two sides of a row: the image under runc (unpacked with umoci, run with the config it
 * carries: user 65532:65532, its Env, WorkingDir and command), and the same command on this
 * machine as uid/gid 65532 with no supplementary groups, the image's environment and a working
 * directory made alike.
 */
final class Sides {

  static final Duration TIMEOUT = Duration.ofSeconds(60);
  static final int UID = 65532;

  private Sides() {}

  /** What a run printed, and the working directory's tree after it. */
  record Outcome(Execution execution, Map<String, String> workTree) {}

  /** Runs {@code layout:tag} under runc, feeding {@code stdin}; the bundle is removed afterwards. */
  static Outcome inImage(Path layout, String tag, Path scratch, String id, String workInImage, byte[] stdin,
      boolean imageSetsTerm) {
    Path umoci = Tools.require("umoci");
    Path runc = Tools.require("runc");
    Path jq = Tools.require("jq");
    Path bundle = scratch.resolve(id);
    Path state = scratch.resolve(id + "-state");
    try {
      Files.createDirectories(state);
      Execution unpack = Execution.run(List.of(umoci.toString(), "unpack", "--image", layout + ":" + tag,
          bundle.toString()), null, null, null, TIMEOUT);
      if (unpack.exitCode() != 0) {
        throw new AssertionError(unpack.describe());
      }
      // Output is captured, not a terminal, so no TERM either unless the image sets one (umoci adds TERM=xterm
      // where the image has none; docker run without -t sets none); no network is needed: the container keeps
      // its own namespace.
      Path config = bundle.resolve("config.json");
      Execution edit = Execution.run(List.of(jq.toString(), ".process.terminal = false"
          + (imageSetsTerm ? "" : " | .process.env |= map(select(startswith(\"TERM=\") | not))"),
          config.toString()), null, null, null, TIMEOUT);
      if (edit.exitCode() != 0) {
        throw new AssertionError(edit.describe());
      }
      Files.write(config, edit.stdout());
      try {
        Execution run = Execution.run(List.of(runc.toString(), "--root", state.toString(), "run", "--bundle",
            bundle.toString(), id), bundle, Map.of("PATH", System.getenv("PATH")), stdin, TIMEOUT);
        Path work = bundle.resolve("rootfs").resolve(workInImage.substring(1));
        return new Outcome(run, Staging.tree(work));
      } finally {
        Execution.run(List.of(runc.toString(), "--root", state.toString(), "delete", "--force", id), null, null,
            null, TIMEOUT);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      deleteTree(bundle);
      deleteTree(state);
    }
  }

  /**
   * Runs {@code command} here as uid/gid 65532 without supplementary groups ({@code setpriv}),
   * with exactly {@code env} in its order ({@code env -i}), in {@code work}.
   */
  static Outcome onHost(List<String> command, Map<String, String> env, Path work, byte[] stdin) {
    Path setpriv = Tools.require("setpriv");
    List<String> full = new ArrayList<>(List.of(setpriv.toString(), "--reuid=" + UID, "--regid=" + UID,
        "--clear-groups", "--", "/usr/bin/env", "-i"));
    env.forEach((k, v) -> full.add(k + "=" + v));
    full.addAll(command);
    Execution run = Execution.run(full, work, Map.of(), stdin, TIMEOUT);
    return new Outcome(new Execution(command, run.exitCode(), run.stdout(), run.stderr()), Staging.tree(work));
  }

  static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) all.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
