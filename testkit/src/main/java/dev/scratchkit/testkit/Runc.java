package dev.scratchkit.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs an OCI image for real: {@code umoci unpack} into a runtime bundle, then {@code runc run}.
 *
 * <p>The bundle's {@code config.json} is adjusted with {@code jq}: no terminal (output is
 * captured), and no network namespace so that the container reaches servers on 127.0.0.1.
 */
public final class Runc {

  private static final AtomicInteger COUNTER = new AtomicInteger();

  private Runc() {}

  /** Unpacks {@code layout:tag} under {@code workDir} and runs it with its own config. */
  public static Tools.Result run(Path layout, String tag, Path workDir) {
    return run(layout, tag, workDir, null);
  }

  /**
   * Unpacks {@code layout:tag} under {@code workDir} and runs it.
   *
   * @param args replaces the process arguments of the image's config when not null
   */
  public static Tools.Result run(Path layout, String tag, Path workDir, List<String> args) {
    Tools.requireRoot();
    Path umoci = Tools.require("umoci");
    Path runc = Tools.require("runc");
    Path jq = Tools.require("jq");
    try {
      String id = "scratchkit-test-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
      Path bundle = workDir.resolve(id);
      Path state = workDir.resolve(id + "-state");
      Files.createDirectories(state);
      Tools.run(Duration.ofMinutes(2), null, null, List.of(umoci.toString(), "unpack", "--image",
          layout + ":" + tag, bundle.toString())).assertOk();
      Path config = bundle.resolve("config.json");
      String filter = ".process.terminal = false"
          + " | .linux.namespaces |= map(select(.type != \"network\"))"
          + (args == null ? "" : " | .process.args = $ARGS.positional");
      List<String> jqCommand = new java.util.ArrayList<>(List.of(jq.toString(), filter, config.toString()));
      if (args != null) {
        jqCommand.add("--args");
        jqCommand.add("--"); // else jq takes an argument such as -jar for its own options (-j -a -r)
        jqCommand.addAll(args);
      }
      String edited = Tools.run(Duration.ofSeconds(30), null, null, jqCommand).assertOk().stdout();
      Files.writeString(config, edited);
      try {
        return Tools.run(Duration.ofMinutes(2), bundle, null,
            List.of(runc.toString(), "--root", state.toString(), "run", "--bundle", bundle.toString(), id));
      } finally {
        Tools.run(Duration.ofSeconds(30), null, null,
            List.of(runc.toString(), "--root", state.toString(), "delete", "--force", id));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
