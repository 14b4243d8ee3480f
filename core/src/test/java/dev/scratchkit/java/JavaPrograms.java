package dev.scratchkit.java;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Java programs built during the test run: sources compiled with the JDK's own compiler
 * (javax.tools), classes put into a jar with fixed entry times, so that the same sources give
 * the same jar bytes.
 */
final class JavaPrograms {

  static final FileTime JAR_TIME = FileTime.from(Instant.parse("2026-01-01T00:00:00Z"));

  private JavaPrograms() {}

  /**
   * Compiles {@code sources} (class name → source) for Java 17 into {@code dir/classes}.
   *
   * @param classPath jars the sources need
   */
  static Path compile(Path dir, Map<String, String> sources, List<Path> classPath) {
    try {
      Path src = Files.createDirectories(dir.resolve("src"));
      Path classes = Files.createDirectories(dir.resolve("classes"));
      List<String> args = new ArrayList<>(List.of("--release", "17", "-d", classes.toString(), "-encoding", "UTF-8"));
      if (!classPath.isEmpty()) {
        args.add("-cp");
        args.add(classPath.stream().map(Path::toString).collect(Collectors.joining(":")));
      }
      for (Map.Entry<String, String> s : sources.entrySet()) {
        Path file = src.resolve(s.getKey().replace('.', '/') + ".java");
        Files.createDirectories(file.getParent());
        Files.writeString(file, s.getValue(), StandardCharsets.UTF_8);
        args.add(file.toString());
      }
      JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int rc = javac.run(null, null, err, args.toArray(String[]::new));
      if (rc != 0) {
        throw new AssertionError("javac failed (" + rc + ") for " + sources.keySet() + ":\n"
            + err.toString(StandardCharsets.UTF_8));
      }
      return classes;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Jars a classes directory.
   *
   * @param mainClass the manifest's Main-Class, or null
   * @param classPath the manifest's Class-Path, or null
   */
  static Path jar(Path classes, Path jar, String mainClass, String classPath) {
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    if (mainClass != null) {
      manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, mainClass);
    }
    if (classPath != null) {
      manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH, classPath);
    }
    try {
      Files.createDirectories(jar.getParent());
      List<Path> files;
      try (Stream<Path> walk = Files.walk(classes)) {
        files = walk.filter(Files::isRegularFile).sorted().toList();
      }
      try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(out)) {
        JarEntry m = new JarEntry("META-INF/MANIFEST.MF");
        m.setLastModifiedTime(JAR_TIME);
        jos.putNextEntry(m);
        manifest.write(jos);
        jos.closeEntry();
        for (Path f : files) {
          JarEntry e = new JarEntry(classes.relativize(f).toString());
          e.setLastModifiedTime(JAR_TIME);
          jos.putNextEntry(e);
          jos.write(Files.readAllBytes(f));
          jos.closeEntry();
        }
      }
      return jar;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The jar a class was loaded from (a dependency on the test class path). */
  static Path jarOf(Class<?> type) {
    try {
      return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
