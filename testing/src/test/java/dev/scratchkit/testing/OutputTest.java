package dev.scratchkit.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A container's output stream keeps its last bytes, within a bound, whatever the container prints. */
class OutputTest {

  @Test
  void keepsTheLastLimitBytes() {
    Output output = new Output(1024);
    StringBuilder all = new StringBuilder();
    for (int i = 0; i < 20_000; i++) {
      byte[] line = ("line " + i + "\n").getBytes(StandardCharsets.UTF_8);
      output.append(line, line.length);
      all.append("line ").append(i).append('\n');
    }
    assertThat(output.text()).hasSize(1024);
    assertThat(all.toString()).endsWith(output.text());
    assertThat(output.total()).isEqualTo(all.length());
    assertThat(output.truncated()).isTrue();
  }

  @Test
  void theTailOfAResultShowsItsLastLines() {
    assertThat(Output.tail("a\nb\nc\nd\n", 2, 1000)).isEqualTo("…\nc\nd\n");
    assertThat(Output.tail("short", 20, 1000)).isEqualTo("short");
    assertThat(Output.tail("x".repeat(5000), 20, 100)).hasSize(101).startsWith("…");
  }
}
