package dev.scratchkit.internal.oci;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** The JVM-wide helper threads of a write (compressing ahead, syncing, examining files). */
final class BackgroundThread {

  private BackgroundThread() {}

  /**
   * {@return an executor of one daemon thread, started when a task comes and gone when idle for
   * {@code idleSeconds}, so that a build tool's JVM keeps no thread of ours between builds}
   *
   * @param name the thread's name, e.g. {@code scratchkit-writeback}
   */
  static ExecutorService named(String name, int idleSeconds) {
    ThreadPoolExecutor pool = new ThreadPoolExecutor(1, 1, idleSeconds, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, name);
          t.setDaemon(true);
          return t;
        });
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }
}
