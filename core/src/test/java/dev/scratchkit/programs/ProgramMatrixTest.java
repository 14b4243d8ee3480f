package dev.scratchkit.programs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.ScratchImage;
import dev.scratchkit.ScratchImageException;
import dev.scratchkit.oci.OciLayout;
import dev.scratchkit.testkit.Fixtures;
import dev.scratchkit.testkit.Tools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Real programs from Debian packages (and a few C programs built here), each packaged with
 * {@code bundleSharedLibraries()} and run under runc as uid 65532, compared with the same
 * command on this machine as uid 65532 with the same environment, stdin and working directory
 * content: exit code, stdout, stderr and the files left in the working directory.
 *
 * <p>Every row either runs the same, or {@code build()} refuses with a message holding the
 * row's words and the row's follow-up calls then make an image that runs the same. A row that
 * builds without a word and then behaves differently fails: that is the failure scratchkit
 * exists to prevent. The rows are in {@link Programs}; a summary table of the run is written to
 * {@code target/program-matrix.md}.
 *
 * <p>{@code mvn -o -pl core -am test -Dtest=ProgramMatrixTest -Dsurefire.failIfNoSpecifiedTests=false}
 * runs it; add {@code -Dscratchkit.matrix.rows=tar-czf,git-init} for some rows only,
 * {@code -Dscratchkit.matrix.applyFixes=true} to follow every recorded fix up front (to check a
 * fix before a rule refuses), {@code -Dscratchkit.matrix.keep=true} to keep the layouts.
 */
class ProgramMatrixTest {

  /** The working directory in the image: nonroot's home, the one directory 65532 may write. */
  static final String WORK_IN_IMAGE = "/home/nonroot";

  /**
   * System property: follow each row's recorded fix before the first build, to check the fixes
   * themselves while no rule refuses yet ({@code -Dscratchkit.matrix.applyFixes=true}).
   */
  static final String APPLY_FIXES = "scratchkit.matrix.applyFixes";

  static Path base;
  static final Map<String, String> SUMMARY = java.util.Collections.synchronizedMap(new LinkedHashMap<>());
  static long started;

  @BeforeAll
  static void workspace() throws IOException {
    started = System.nanoTime();
    // Not JUnit's @TempDir: that is 0700 root, and the host side runs as 65532.
    base = Files.createTempDirectory("scratchkit-matrix-");
    Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  @AfterAll
  static void summary() throws IOException {
    StringBuilder table = new StringBuilder("| row | class | command | outcome | difference |\n|---|---|---|---|---|\n");
    for (Row row : Programs.ROWS) {
      String line = SUMMARY.get(row.name);
      if (line != null) {
        table.append(line).append('\n');
      }
    }
    table.append("\n").append(SUMMARY.size()).append(" rows in ")
        .append((System.nanoTime() - started) / 1_000_000_000).append(" s\n");
    Files.createDirectories(Path.of("target"));
    Files.writeString(Path.of("target", "program-matrix.md"), table);
    Programs.cleanUp();
    if (base != null && !Boolean.getBoolean(KEEP)) {
      Sides.deleteTree(base);
    } else if (base != null) {
      System.out.println("program-matrix kept " + base);
    }
  }

  /** System property: only these rows (comma-separated names), e.g. while changing a rule. */
  static final String ONLY = "scratchkit.matrix.rows";

  /** System property: keep the layouts and working directories, and say where. */
  static final String KEEP = "scratchkit.matrix.keep";

  static Stream<Row> rows() {
    String only = System.getProperty(ONLY, "");
    Set<String> names = only.isBlank() ? Set.of() : Set.of(only.split(","));
    return Programs.ROWS.stream().filter(r -> names.isEmpty() || names.contains(r.name));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void runsAsOnTheHostOrIsRefusedWithAFixThatRunsTheSame(Row row) throws IOException {
    Tools.requireRoot();
    Tools.require("setpriv");
    Path rowDir = Files.createDirectory(base.resolve(row.name));
    Files.setPosixFilePermissions(rowDir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path program = program(row, rowDir);
    requireLocales(row);
    Path hostWork = workDirectory(row, rowDir);

    ScratchImage.Builder builder = builder(row, program, hostWork);
    String outcome;
    ScratchImage image;
    if (Boolean.getBoolean(APPLY_FIXES) && row.fix != null) {
      row.fix.apply().accept(builder);
    }
    try {
      image = builder.build();
      outcome = "built";
    } catch (ScratchImageException refusal) {
      if (Boolean.getBoolean(APPLY_FIXES) && row.fix != null) {
        record(row, "refused with the fix applied", firstLine(refusal.getMessage()));
        Assertions.fail(row.name + ": build() refused with the fix (" + row.fix.calls() + ") applied:\n"
            + refusal.getMessage());
      }
      if (row.fix == null) {
        record(row, "refused, no fix recorded", firstLine(refusal.getMessage()));
        Assertions.fail(row.name + ": build() refused and the row records no fix to follow:\n" + refusal.getMessage());
        return;
      }
      List<String> missing = row.fix.refusalWords().stream().filter(w -> !refusal.getMessage().contains(w)).toList();
      if (!missing.isEmpty()) {
        record(row, "refused, other words", "missing " + missing + ": " + firstLine(refusal.getMessage()));
        Assertions.fail(row.name + ": build() refused without the words " + missing + ":\n" + refusal.getMessage());
      }
      row.fix.apply().accept(builder);
      try {
        image = builder.build();
      } catch (ScratchImageException again) {
        record(row, "refused, fix refused again", firstLine(again.getMessage()));
        Assertions.fail(row.name + ": build() refused:\n" + refusal.getMessage() + "\nand after the fix ("
            + row.fix.calls() + ") refused again:\n" + again.getMessage());
        return;
      }
      outcome = "refused, fix runs the same";
    }

    Path layout = rowDir.resolve("layout");
    image.writeTo(OciLayout.at(layout).tag("matrix").compressionLevel(1));
    Sides.Outcome inImage = Sides.inImage(layout, "matrix", rowDir.resolve("run"), "scratchkit-matrix-"
        + ProcessHandle.current().pid() + "-" + row.name, WORK_IN_IMAGE,
        row.stdin == null ? null : Staging.substitute(row.stdin, WORK_IN_IMAGE), row.env.containsKey("TERM"));
    if (!Boolean.getBoolean(KEEP)) {
      Sides.deleteTree(layout);
    }

    List<String> command = new ArrayList<>(List.of(program.toString()));
    row.args.forEach(a -> command.add(Staging.substitute(a, hostWork.toString())));
    Sides.Outcome onHost = Sides.onHost(command, hostEnvironment(image, row, hostWork), hostWork,
        row.stdin == null ? null : Staging.substitute(row.stdin, hostWork.toString()));
    Execution host = normalised(onHost.execution(), hostWork);

    // The row must show what it is about on the host, else a failure on both sides would look "the same".
    boolean shows = row.hostShows == null || new String(host.stdout(), StandardCharsets.UTF_8).contains(row.hostShows);
    if (host.exitCode() != row.hostExit || !shows) {
      record(row, "row broken on the host", "exit " + host.exitCode() + ": " + firstLine(Execution.show(host.stderr())
          + " " + Execution.show(host.stdout())));
    }
    assertThat(host.exitCode()).as("%s on the host:\n%s", row.name, host.describe()).isEqualTo(row.hostExit);
    assertThat(shows).as("%s on the host prints %s:\n%s", row.name, row.hostShows, host.describe()).isTrue();

    List<String> differences = differences(row, host, onHost.workTree(), inImage);
    String warnings = image.warnings().isEmpty() ? "" : " (warned: " + firstLine(String.join("; ", image.warnings()))
        + ")";
    if (differences.isEmpty()) {
      if (row.knownGap != null) {
        record(row, "known gap closed", row.knownGap);
        Assertions.fail(row.name + " runs the same now: remove its knownGap(\"" + row.knownGap + "\") from Programs");
      }
      record(row, outcome.equals("built") ? (Boolean.getBoolean(APPLY_FIXES) && row.fix != null ? "fix applied: same"
          : "same") : outcome, warnings.trim());
      return;
    }
    String verdict = Boolean.getBoolean(APPLY_FIXES) && row.fix != null ? "fix applied: runs differently"
        : outcome.equals("built") ? "SILENT FAILURE" : "fix runs differently";
    if (row.knownGap != null && outcome.equals("built")) {
      // A gap the project knows and has not closed yet (issue 14): listed in the report, not hidden.
      record(row, "KNOWN GAP: " + row.knownGap, String.join("; ", differences) + warnings);
      org.junit.jupiter.api.Assumptions.abort(row.name + ": known gap (" + row.knownGap + "): "
          + String.join("; ", differences) + warnings);
    }
    record(row, verdict, String.join("; ", differences) + warnings);
    Assertions.fail(row.name + " (" + row.describeNeeds() + "): " + verdict + ": build() "
        + (outcome.equals("built") ? "accepted the image" + warnings : "refused and the fix (" + row.fix.calls()
        + ") was followed") + ", and it runs differently from the host:\n- " + String.join("\n- ", differences)
        + "\n\n=== host ===\n" + host.describe() + "\n\n=== image ===\n" + inImage.execution().describe());
  }

  private static Path program(Row row, Path rowDir) {
    if (row.cSource != null) {
      return Fixtures.gcc(rowDir.resolve("bin"), row.name, row.cSource);
    }
    Path path = Path.of(row.program);
    if (!Files.isExecutable(path)) {
      Path found = Tools.require(path.getFileName().toString());
      Assertions.fail(row.name + ": " + path + " is missing, though " + found + " exists: the row names the path"
          + " the Debian package installs");
    }
    return path;
  }

  /**
   * The host must have the locales the row names, else its own output is not the reference;
   * {@code .ci/run} generates them.
   */
  private static void requireLocales(Row row) {
    List<String> wanted = row.env.entrySet().stream()
        .filter(e -> e.getKey().equals("LANG") || e.getKey().startsWith("LC_"))
        .map(Map.Entry::getValue).filter(v -> !v.equals("C") && !v.equals("POSIX")).toList();
    if (wanted.isEmpty()) {
      return;
    }
    Set<String> have = Set.of(Tools.runOk(Tools.require("locale").toString(), "-a").stdout().split("\n"));
    for (String locale : wanted) {
      // locale -a prints the normalised name: de_DE.utf8 for de_DE.UTF-8
      String normalised = locale.replace(".UTF-8", ".utf8");
      if (!have.contains(normalised)) {
        String reason = row.name + " needs the locale " + locale + " on this machine: localedef -i "
            + locale.substring(0, locale.indexOf('.')) + " -f UTF-8 " + locale + " (.ci/run makes it)";
        if (Tools.strict()) {
          Assertions.fail(reason);
        }
        org.junit.jupiter.api.Assumptions.abort("skipped: " + reason);
      }
    }
  }

  /** nonroot's home on the host: owned by 65532, mode 0700, the row's files staged as root's, 0644. */
  private static Path workDirectory(Row row, Path rowDir) throws IOException {
    Path work = Files.createDirectory(rowDir.resolve("home"));
    Staging.stage(row, work, work.toString());
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwx------"));
    Files.setAttribute(work, "unix:uid", Sides.UID);
    Files.setAttribute(work, "unix:gid", Sides.UID);
    Files.setLastModifiedTime(work, Staging.CREATED);
    return work;
  }

  private static ScratchImage.Builder builder(Row row, Path program, Path hostWork) {
    List<String> args = row.args.stream().map(a -> Staging.substitute(a, WORK_IN_IMAGE)).toList();
    // A C program built here goes where a user would put it; only its argv[0] differs from the host's.
    String inImage = row.cSource != null ? "/usr/local/bin/" + row.name : program.toString();
    ScratchImage.Builder builder = ScratchImage.builder()
        .entrypoint(program, inImage)
        .args(args.toArray(String[]::new))
        .env("HOME", WORK_IN_IMAGE)
        .workingDirectory(WORK_IN_IMAGE)
        .bundleSharedLibraries();
    row.env.forEach((k, v) -> builder.env(k, Staging.substitute(v, WORK_IN_IMAGE)));
    for (Row.Input input : row.inputs) {
      // the staged host file has the image's path in its content where the row says WORK
      builder.addFile(hostWork.resolve(input.name()), WORK_IN_IMAGE + "/" + input.name());
    }
    return builder;
  }

  /** The image's environment, with the working directory's host path where the image has its own. */
  private static Map<String, String> hostEnvironment(ScratchImage image, Row row, Path hostWork) {
    Map<String, String> env = new LinkedHashMap<>();
    for (String entry : image.config().env()) {
      int eq = entry.indexOf('=');
      env.put(entry.substring(0, eq), entry.substring(eq + 1));
    }
    env.put("HOME", hostWork.toString());
    row.env.forEach((k, v) -> env.put(k, Staging.substitute(v, hostWork.toString())));
    return env;
  }

  /** The host's output with its working directory's path written as the image's. */
  private static Execution normalised(Execution host, Path hostWork) {
    byte[] from = hostWork.toString().getBytes(StandardCharsets.UTF_8);
    byte[] to = WORK_IN_IMAGE.getBytes(StandardCharsets.UTF_8);
    return new Execution(host.command(), host.exitCode(), Staging.replace(host.stdout(), from, to),
        Staging.replace(host.stderr(), from, to));
  }

  private static List<String> differences(Row row, Execution host, Map<String, String> hostTree,
      Sides.Outcome image) {
    List<String> d = new ArrayList<>();
    Execution run = image.execution();
    if (host.exitCode() != run.exitCode()) {
      d.add("exit code: host " + host.exitCode() + ", image " + run.exitCode());
    }
    if (!Arrays.equals(host.stdout(), run.stdout())) {
      d.add("stdout: " + firstDifference(host.stdout(), run.stdout()));
    }
    if (row.stderrIgnored == null && !Arrays.equals(host.stderr(), run.stderr())) {
      d.add("stderr: " + firstDifference(host.stderr(), run.stderr()));
    }
    if (!hostTree.equals(image.workTree())) {
      Set<String> paths = new TreeSet<>(hostTree.keySet());
      paths.addAll(image.workTree().keySet());
      List<String> files = new ArrayList<>();
      for (String p : paths) {
        String h = hostTree.get(p);
        String i = image.workTree().get(p);
        if (h == null || !h.equals(i)) {
          files.add(p + " (host: " + (h == null ? "absent" : h) + ", image: " + (i == null ? "absent" : i) + ")");
        }
      }
      d.add("files: " + (files.size() > 3 ? files.subList(0, 3) + " and " + (files.size() - 3) + " more"
          : files.toString()));
    }
    return d;
  }

  /** The first line that differs, as host «…» vs image «…»; binary output by size and digest. */
  static String firstDifference(byte[] host, byte[] image) {
    String h = Execution.show(host);
    String i = Execution.show(image);
    if (h.startsWith("<") || i.startsWith("<")) {
      return "host " + h + ", image " + i;
    }
    String[] hl = h.split("\n", -1);
    String[] il = i.split("\n", -1);
    for (int n = 0; n < Math.max(hl.length, il.length); n++) {
      String a = n < hl.length ? hl[n] : "<end>";
      String b = n < il.length ? il[n] : "<end>";
      if (!a.equals(b)) {
        return "line " + (n + 1) + ": host «" + clip(a) + "», image «" + clip(b) + "»";
      }
    }
    return "host " + host.length + " bytes, image " + image.length + " bytes";
  }

  private static String clip(String s) {
    return s.length() > 90 ? s.substring(0, 90) + "…" : s;
  }

  private static String firstLine(String s) {
    String[] lines = s.split("\n");
    String line = lines.length > 1 && lines[0].startsWith("The image would not run") ? lines[1] : lines[0];
    return clip(line.replace("|", "\\|"));
  }

  private static void record(Row row, String outcome, String difference) {
    String line = "| " + row.name + " | " + row.needs() + " | `" + row.commandLine().replace("|", "\\|") + "`"
        + (row.env.isEmpty() ? "" : " " + row.env) + " | " + outcome + " | " + difference.replace("|", "\\|")
        .replace("\n", " ") + " |";
    SUMMARY.put(row.name, line);
    System.out.println("program-matrix " + line);
  }
}
