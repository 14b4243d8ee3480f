package dev.scratchkit.internal.java;

import dev.scratchkit.ScratchImageException.Problem;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.SortedSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Links runtimes with the JDK's own {@code jlink} and keeps them on disk, one directory per
 * (JDK identity, modules, options), so that the next build of any application with the same
 * module set takes the same files: their host identity stays the same, so the layer cache
 * hands out the compressed runtime layer without reading it again.
 *
 * <p>Layout: {@code <cache>/jlink-v1/<key>/runtime/} plus {@code <key>/link.txt} (what was
 * linked and how). A runtime is linked under a temp name and renamed into place, so a
 * concurrent build sees a complete runtime or none; when two link the same key, the loser
 * drops its copy. The cache keeps the {@value #KEEP} most recently used runtimes; older ones
 * go once unused for {@link #EVICT_AFTER} (so none is deleted under a running build).
 */
final class RuntimeLinker {

  private static final Logger LOG = LoggerFactory.getLogger(RuntimeLinker.class);
  static final String FORMAT = "scratchkit-jlink/1";
  /** Options every runtime is linked with: no debug attributes, C headers or man pages in an image. */
  static final List<String> JLINK_OPTIONS = List.of("--strip-debug", "--no-header-files", "--no-man-pages");
  static final int KEEP = 8;
  static final Duration EVICT_AFTER = Duration.ofHours(1);
  private static final Duration JLINK_TIMEOUT = Duration.ofMinutes(10);
  private static final AtomicLong COUNTER = new AtomicLong();

  /** A linked runtime and whether it came from the cache. */
  record Linked(Path runtime, boolean cached, Duration took) {}

  private final Path dir;

  RuntimeLinker(Path cacheRoot) {
    this.dir = cacheRoot.resolve("jlink-v1");
  }

  /** The cache key of a runtime. */
  static String key(Jdk jdk, SortedSet<String> modules, List<String> addOptions, boolean cds) {
    var sha = Jdk.sha256();
    for (String field : List.of(FORMAT, jdk.home().toString(), jdk.identity(), String.join(",", modules),
        String.join(" ", JLINK_OPTIONS), String.join("\u0000", addOptions), "cds=" + cds)) {
      byte[] b = field.getBytes(StandardCharsets.UTF_8);
      sha.update((b.length + ":").getBytes(StandardCharsets.US_ASCII));
      sha.update(b);
    }
    return HexFormat.of().formatHex(sha.digest()).substring(0, 32);
  }

  /**
   * The runtime for these settings, linked now or taken from the cache.
   *
   * @return the runtime, or null after adding a problem
   */
  Linked link(Jdk jdk, SortedSet<String> modules, List<String> addOptions, boolean cds, List<Problem> problems) {
    long start = System.nanoTime();
    String key = key(jdk, modules, addOptions, cds);
    Path entry = dir.resolve(key);
    Path runtime = entry.resolve("runtime");
    if (Files.isRegularFile(entry.resolve("link.txt")) && Files.isRegularFile(runtime.resolve("release"))) {
      touch(entry.resolve("link.txt"));
      LOG.info("Java runtime {} from the runtime cache ({} modules, {})", runtime, modules.size(), jdk);
      return new Linked(runtime, true, Duration.ofNanos(System.nanoTime() - start));
    }
    Path temp = dir.resolve(key + ".tmp-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet());
    try {
      Files.createDirectories(temp);
    } catch (IOException e) {
      problems.add(new Problem(dir.toString(), "The runtime cache " + dir + " cannot be written: " + e
          + ". Make it writable, or name another directory with runtimeCache(Path)."));
      return null;
    }
    try {
      List<String> args = new ArrayList<>(List.of("--add-modules", String.join(",", modules),
          "--output", temp.resolve("runtime").toString()));
      args.addAll(JLINK_OPTIONS);
      if (cds) {
        args.add("--generate-cds-archive");
      }
      if (!addOptions.isEmpty()) {
        args.add("--add-options=" + String.join(" ", addOptions));
      }
      Jdk.Run run = jdk.run("jlink", args, JLINK_TIMEOUT);
      if (!run.ok() || !Files.isRegularFile(temp.resolve("runtime/release"))) {
        problems.add(new Problem(jdk.home().toString(), "jlink of " + jdk + " failed (exit " + run.exitCode()
            + ") for the modules " + modules + ":\n" + run.tail() + "\n"
            + hint(run.output(), jdk)));
        return null;
      }
      Files.writeString(temp.resolve("link.txt"), String.join(" ", run.command()) + "\n" + jdk + "\njdk identity "
          + jdk.identity() + "\n", StandardCharsets.UTF_8);
      try {
        Files.move(temp, entry, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
        LOG.debug("runtime {} was linked meanwhile by another build; using that one", entry);
      } catch (IOException e) {
        if (!Files.isRegularFile(entry.resolve("link.txt"))) {
          throw e;
        }
      }
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      LOG.info("jlinked Java runtime {} in {} ms ({} modules, {}{})", runtime, took.toMillis(), modules.size(), jdk,
          cds ? ", CDS archive" : "");
      evict(key);
      return new Linked(runtime, false, took);
    } catch (IOException e) {
      problems.add(new Problem(dir.toString(), "The runtime cache " + dir + " cannot be written: " + e
          + ". Make it writable, or name another directory with runtimeCache(Path)."));
      return null;
    } finally {
      deleteTree(temp);
    }
  }

  private static String hint(String output, Jdk jdk) {
    if (output.contains("not found") && output.contains("odule")) {
      return "A module named above is not in this JDK: remove it from addModules(...), or give a JDK that has"
          + " it with jdk(Path).";
    }
    if (output.contains("with the jdk.jlink module")) {
      return jdk.home() + " has no jmods directory: it links from its own run-time image, which cannot hold"
          + " jdk.jlink (nor jdk.jpackage, which needs it). Leave those out of addModules(...), or give a JDK with"
          + " jmods with jdk(Path).";
    }
    if (output.contains("packaged modules") || output.contains("jmods")) {
      return jdk.home() + " has no jmods directory and cannot link from its own run-time image. Install its"
          + " jmods (Debian: openjdk-" + jdk.feature() + "-jmods), or give another JDK with jdk(Path).";
    }
    return "Check the JDK at " + jdk.home() + " (it needs its jmods, or must be a linkable run-time image),"
        + " or give another with jdk(Path).";
  }

  private void evict(String keep) {
    List<Path> entries = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      s.forEach(entries::add);
    } catch (IOException e) {
      return;
    }
    Instant old = Instant.now().minus(EVICT_AFTER);
    List<Path> runtimes = new ArrayList<>();
    for (Path p : entries) {
      String name = p.getFileName().toString();
      if (name.contains(".tmp-")) {
        if (modified(p).isBefore(old)) {
          deleteTree(p); // left by a build that died
        }
      } else if (!name.equals(keep)) {
        runtimes.add(p);
      }
    }
    runtimes.sort(Comparator.comparing((Path p) -> modified(p.resolve("link.txt"))).reversed());
    for (int i = KEEP - 1; i < runtimes.size(); i++) {
      Path p = runtimes.get(i);
      if (modified(p.resolve("link.txt")).isBefore(old)) {
        LOG.info("evicting Java runtime {} from the runtime cache (least recently used)", p);
        deleteTree(p);
      }
    }
  }

  private static Instant modified(Path p) {
    try {
      return Files.getLastModifiedTime(p).toInstant();
    } catch (IOException e) {
      return Instant.EPOCH;
    }
  }

  private static void touch(Path p) {
    try {
      Files.setLastModifiedTime(p, FileTime.from(Instant.now()));
    } catch (IOException e) {
      LOG.debug("cannot mark {} as used: {}", p, e.toString());
    }
  }

  static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException | UncheckedIOException e) {
      LOG.warn("cannot delete {}: {}", root, e.toString());
    }
  }
}
