package dev.scratchkit.internal.oci;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Many {@code lstat}s at once: a tree of a thousand files (the time zone data) is a thousand
 * system calls per rebuild, each a few microseconds, so where there is a second processor the
 * second half of a long list is taken on a helper thread while the caller takes the first.
 * The results are the same as one {@link SourceFiles#stat} after another, in the list's order.
 */
public final class Stats {

  private Stats() {}

  /** Shorter lists are not worth a hand-off to the helper thread. */
  static final int PARALLEL_FROM = 64;

  private static final boolean PARALLEL = Runtime.getRuntime().availableProcessors() > 1;

  /** One daemon thread for the JVM, gone when idle. */
  private static final ExecutorService HELPER = BackgroundThread.named("scratchkit-stat", 5);

  /**
   * {@return the {@code lstat} of each path, null where it does not exist, in the order given}
   *
   * @param paths the paths
   */
  public static SourceFiles.Stat[] of(List<Path> paths) {
    int n = paths.size();
    SourceFiles.Stat[] stats = new SourceFiles.Stat[n];
    if (!PARALLEL || n < PARALLEL_FROM) {
      for (int i = 0; i < n; i++) {
        stats[i] = SourceFiles.stat(paths.get(i));
      }
      return stats;
    }
    int half = n / 2;
    Future<?> second = HELPER.submit(() -> {
      for (int i = half; i < n; i++) {
        stats[i] = SourceFiles.stat(paths.get(i));
      }
    });
    for (int i = 0; i < half; i++) {
      stats[i] = SourceFiles.stat(paths.get(i));
    }
    try {
      second.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      second.cancel(true);
      throw new IllegalStateException("interrupted while files were examined", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("examining files failed: " + e.getCause(), e.getCause());
    }
    return stats; // Future.get makes the helper's writes visible here
  }
}
