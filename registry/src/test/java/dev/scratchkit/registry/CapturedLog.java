package dev.scratchkit.registry;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/**
 * What slf4j-simple (the tests' logger, which writes to the current {@code System.err}) printed
 * while some code ran; the lines are also passed on to the real stream, for the test report.
 */
final class CapturedLog {

  private CapturedLog() {}

  /** The result of the code and the log it wrote. */
  record Run<T>(T value, String log) {}

  static <T> Run<T> during(Callable<T> code) throws Exception {
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
