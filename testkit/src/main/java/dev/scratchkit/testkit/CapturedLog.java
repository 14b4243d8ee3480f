package dev.scratchkit.testkit;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/**
 * What slf4j-simple (the tests' logger, which writes to the current {@code System.err}) printed
 * while some code ran; the lines are also passed on to the real stream, for the test report.
 */
public final class CapturedLog {

  private CapturedLog() {}

  /** What the code returned, and what was logged while it ran. */
  public record Run<T>(T value, String log) {}

  /** Runs {@code code}, capturing what it logs to {@code System.err} (and passing it on). */
  public static <T> Run<T> during(Callable<T> code) throws Exception {
    PrintStream old = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream tee = new PrintStream(new OutputStream() {
      @Override
      public void write(int b) {
        captured.write(b);
        old.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        captured.write(b, off, len);
        old.write(b, off, len);
      }
    }, true, StandardCharsets.UTF_8);
    System.setErr(tee);
    try {
      T value = code.call();
      return new Run<>(value, captured.toString(StandardCharsets.UTF_8));
    } finally {
      tee.flush();
      System.setErr(old);
    }
  }
}
