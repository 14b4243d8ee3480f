package dev.scratchkit.internal.java;

import dev.scratchkit.ScratchImageException.Problem;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A JDK on this machine whose own {@code jdeps} and {@code jlink} make the runtime: a named
 * JDK home may be another version than the JDK running scratchkit, and only its own tools
 * know its modules, so they run as processes (bounded in time and output).
 *
 * @param home the JDK's real path
 * @param feature the feature version, e.g. 17 or 25
 * @param version the full {@code JAVA_VERSION} of its {@code release} file
 * @param identity what identifies this JDK's bits: a digest over its {@code release} file and
 *     the size, time and inode of every module file ({@code jmods/*.jmod}, {@code lib/modules})
 * @param cdsPlugin whether its {@code jlink} has {@code --generate-cds-archive}
 */
record Jdk(Path home, int feature, String version, String identity, boolean cdsPlugin) {

  private static final Pattern JAVA_VERSION = Pattern.compile("(?m)^JAVA_VERSION=\"?(\\d+)([^\"\\n]*)\"?$");
  private static final int MAX_OUTPUT = 1 << 20;

  /** Tool output and exit code. */
  record Run(List<String> command, int exitCode, String output) {
    boolean ok() {
      return exitCode == 0;
    }

    /** The output's last lines, for an error message. */
    String tail() {
      List<String> lines = output.strip().lines().toList();
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 12), lines.size()));
    }
  }

  /**
   * Reads a JDK home; reports what is missing as a problem.
   *
   * @param given the JDK home as the user named it
   * @return the JDK, or null after adding a problem
   */
  static Jdk at(Path given, List<Problem> problems) {
    Path home;
    try {
      home = given.toAbsolutePath().toRealPath();
    } catch (IOException e) {
      problems.add(new Problem(given.toString(), "JDK " + given.toAbsolutePath() + " does not exist. Give the"
          + " directory of an installed JDK with jdk(Path), e.g. /usr/lib/jvm/temurin-25-jdk-amd64."));
      return null;
    }
    for (String tool : List.of("bin/java", "bin/jlink", "bin/jdeps")) {
      if (!Files.isExecutable(home.resolve(tool))) {
        problems.add(new Problem(home.toString(), home + " has no " + tool + ", so it cannot make a runtime"
            + (tool.equals("bin/java") ? "; it is not a JDK." : " (a JRE, or a jlinked runtime, has no tools).")
            + " Give a full JDK with jdk(Path), or install one (e.g. openjdk-17-jdk-headless)."));
        return null;
      }
    }
    String release;
    try {
      release = Files.readString(home.resolve("release"), StandardCharsets.UTF_8);
    } catch (IOException e) {
      problems.add(new Problem(home.toString(), home + " has no readable release file (" + e.getMessage()
          + "), so its version is unknown. Give the home of an installed JDK, not a copy of parts of it."));
      return null;
    }
    Matcher m = JAVA_VERSION.matcher(release);
    if (!m.find()) {
      problems.add(new Problem(home.toString(), home + "/release has no JAVA_VERSION line. Give the home of an"
          + " installed JDK."));
      return null;
    }
    int feature = Integer.parseInt(m.group(1));
    if (feature < 11) {
      problems.add(new Problem(home.toString(), home + " is Java " + m.group(1) + m.group(2) + "; scratchkit"
          + " links runtimes of Java 11 and later (jdeps --print-module-deps, jlink). Give a newer JDK."));
      return null;
    }
    String identity = identity(home, release);
    // Asking the JDK costs a JVM start; its answers hold as long as its bits do.
    return KNOWN.computeIfAbsent(identity, id -> new Jdk(home, feature, m.group(1) + m.group(2), id,
        feature >= 17 && help(home).contains("--generate-cds-archive")));
  }

  private static final Map<String, Jdk> KNOWN = new ConcurrentHashMap<>();
  private static final Map<String, List<String>> MODULES = new ConcurrentHashMap<>();

  /** The running JDK. */
  static Path running() {
    return Path.of(System.getProperty("java.home"));
  }

  private static String help(Path home) {
    // JDK 17 lists its plugins in --help, later ones only in --list-plugins.
    return run(home, "jlink", List.of("--list-plugins"), Duration.ofMinutes(1)).output();
  }

  private static String identity(Path home, String release) {
    MessageDigest sha = sha256();
    sha.update(release.getBytes(StandardCharsets.UTF_8));
    List<Path> files = new ArrayList<>();
    files.add(home.resolve("lib/modules"));
    Path jmods = home.resolve("jmods");
    if (Files.isDirectory(jmods)) {
      try (Stream<Path> s = Files.list(jmods)) {
        s.filter(p -> p.toString().endsWith(".jmod")).sorted().forEach(files::add);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list " + jmods, e);
      }
    }
    for (Path f : files) {
      try {
        BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
        sha.update((f + " " + a.size() + " " + a.lastModifiedTime().toMillis() + " " + a.fileKey() + "\n")
            .getBytes(StandardCharsets.UTF_8));
      } catch (IOException e) {
        sha.update((f + " absent\n").getBytes(StandardCharsets.UTF_8));
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /** Runs one of this JDK's tools. */
  Run run(String tool, List<String> args, Duration timeout) {
    return run(home, tool, args, timeout);
  }

  private static Run run(Path home, String tool, List<String> args, Duration timeout) {
    List<String> command = new ArrayList<>();
    command.add(home.resolve("bin").resolve(tool).toString());
    command.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    // The tool's own JVM must not pick up options meant for the application or for this JVM.
    pb.environment().remove("JAVA_TOOL_OPTIONS");
    pb.environment().remove("JDK_JAVA_OPTIONS");
    pb.environment().remove("_JAVA_OPTIONS");
    Process process;
    try {
      process = pb.start();
    } catch (IOException e) {
      return new Run(command, -1, "cannot start " + command.get(0) + ": " + e.getMessage());
    }
    try {
      process.getOutputStream().close();
    } catch (IOException e) {
      // the tool reads no input; a failed close changes nothing
    }
    CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> readBounded(process.getInputStream()));
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        return new Run(command, -1, tool + " did not finish within " + timeout.toSeconds() + " s");
      }
      return new Run(command, process.exitValue(), output.get(30, TimeUnit.SECONDS));
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      return new Run(command, -1, tool + " was interrupted");
    } catch (ExecutionException | TimeoutException e) {
      return new Run(command, process.exitValue(), "(output unreadable: " + e + ")");
    }
  }

  private static String readBounded(InputStream in) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    try (in) {
      int n;
      while ((n = in.read(buffer)) > 0) {
        if (out.size() < MAX_OUTPUT) {
          out.write(buffer, 0, Math.min(n, MAX_OUTPUT - out.size()));
        }
      }
    } catch (IOException e) {
      out.writeBytes(("\n(output cut: " + e.getMessage() + ")").getBytes(StandardCharsets.UTF_8));
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /** The names of this JDK's modules ({@code java --list-modules}), or empty when it cannot say. */
  List<String> modules() {
    return MODULES.computeIfAbsent(identity, id -> {
      Run run = run("java", List.of("--list-modules"), Duration.ofMinutes(1));
      if (!run.ok()) {
        return List.of();
      }
      return run.output().lines().map(String::strip).filter(l -> !l.isEmpty())
          .map(l -> l.contains("@") ? l.substring(0, l.indexOf('@')) : l).toList();
    });
  }

  @Override
  public String toString() {
    return "JDK " + version + " at " + home;
  }
}
