package dev.scratchkit.programs;

import dev.scratchkit.ScratchImage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One program of the matrix: what to run (path, arguments, stdin, environment, files in the
 * working directory), which class of run-time need it exercises, and, where {@code build()} is
 * expected to refuse, the words of the refusal and the builder calls that follow its fix.
 *
 * <p>{@value #WORK} in arguments, stdin, environment values and file contents stands for the
 * working directory: {@code /home/nonroot} in the image, a directory of the same owner and mode
 * on the host.
 */
final class Row {

  static final String WORK = "${WORK}";

  /** A file staged in the working directory before the run, the same on both sides. */
  record Input(String name, Supplier<byte[]> content, int mode) {}

  /** Where build() is expected to refuse: words its message must contain, and the fix followed. */
  record Fix(List<String> refusalWords, String calls, Consumer<ScratchImage.Builder> apply) {}

  final String name;
  final Need need;
  /** Further needs the row meets on its way, e.g. a writable home for a program that writes. */
  final List<Need> also = new ArrayList<>();
  /** The program's absolute path on the host, also its path in the image; null for a C program. */
  final String program;
  /** The source of a C program built with gcc during the run, or null. */
  final String cSource;
  final List<String> args;
  byte[] stdin;
  final Map<String, String> env = new LinkedHashMap<>();
  final List<Input> inputs = new ArrayList<>();
  String stderrIgnored;
  int hostExit;
  String hostShows;
  Fix fix;
  /** Why this row still builds without a word and runs differently (a gap not closed yet), or null. */
  String knownGap;

  private Row(String name, Need need, String program, String cSource, String... args) {
    this.name = Objects.requireNonNull(name);
    this.need = Objects.requireNonNull(need);
    this.program = program;
    this.cSource = cSource;
    this.args = List.of(args);
  }

  /** A program of a Debian package, by its absolute path. */
  static Row program(String name, Need need, String program, String... args) {
    return new Row(name, need, program, null, args);
  }

  /** A C program built from source during the run (a program like any other in the image). */
  static Row c(String name, Need need, String source, String... args) {
    return new Row(name, need, null, source, args);
  }

  Row also(Need... needs) {
    also.addAll(List.of(needs));
    return this;
  }

  /** E.g. {@code DATA_FILES+HOME}. */
  String needs() {
    StringBuilder s = new StringBuilder(need.name());
    also.forEach(n -> s.append('+').append(n.name()));
    return s.toString();
  }

  /** Each need with what it is about, for a failure message. */
  String describeNeeds() {
    StringBuilder s = new StringBuilder(need + ": " + need.description());
    also.forEach(n -> s.append("; ").append(n).append(": ").append(n.description()));
    return s.toString();
  }

  Row env(String key, String value) {
    env.put(key, value);
    return this;
  }

  Row stdin(String text) {
    return stdin(text.getBytes(StandardCharsets.UTF_8));
  }

  Row stdin(byte[] bytes) {
    this.stdin = bytes.clone();
    return this;
  }

  Row file(String name, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    return file(name, () -> bytes);
  }

  Row file(String name, Supplier<byte[]> content) {
    inputs.add(new Input(name, content, 0644));
    return this;
  }

  /** The host's run must exit with this code (default 0): a row whose host run fails tests nothing. */
  Row hostExit(int code) {
    this.hostExit = code;
    return this;
  }

  /** Text the host's stdout must contain, so that the row shows the behaviour it is about. */
  Row hostShows(String text) {
    this.hostShows = text;
    return this;
  }

  /** Stderr is not compared, for this reason (e.g. it names the host's own state). */
  Row stderrIgnored(String reason) {
    this.stderrIgnored = reason;
    return this;
  }

  /** build() is expected to refuse with these words; {@code apply} is what its fix says to call. */
  Row fix(List<String> refusalWords, String calls, Consumer<ScratchImage.Builder> apply) {
    this.fix = new Fix(List.copyOf(refusalWords), calls, apply);
    return this;
  }

  /**
   * Marks a row that still builds silently and runs differently, with the reason: the report lists
   * it as a known gap (the test is skipped, not passed), and the test fails once the row runs the
   * same, so the mark cannot outlive the gap.
   */
  Row knownGap(String why) {
    this.knownGap = why;
    return this;
  }

  /** The command line as a report shows it. */
  String commandLine() {
    String prog = program != null ? program : "(gcc) " + name;
    StringBuilder s = new StringBuilder(prog);
    for (String a : args) {
      s.append(' ').append(a.isEmpty() || a.matches(".*[\\s'\"|$*?<>;&()\\\\].*") ? "'" + a + "'" : a);
    }
    if (stdin != null) {
      s.append(" < stdin");
    }
    return s.toString().replace("\n", "\\n");
  }

  @Override
  public String toString() {
    return name;
  }
}
