package dev.scratchkit.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.testkit.Fixtures;
import dev.scratchkit.testkit.Tools;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Applications that use scratchkit as a user's build would: a consumer with its own
 * {@code module-info.java} on the module path, the same code on the class path, and JShell with
 * the README's module-path line. The library's jars and their dependencies are those of
 * {@code target/classpath.txt}, which the build writes (scratchkit-core and what it brings at run
 * time: the reactor's jars in {@code mvn verify}, their {@code target/classes} in {@code mvn test}).
 */
class ModuleConsumerTest {

  static final Path EXAMPLES = Path.of("").toAbsolutePath();
  static final Path README = EXAMPLES.getParent().resolve("README.md");

  /**
   * Builds a scratch image of the program {@code args[0]} into the OCI layout {@code args[1]}, with
   * zstd layers when {@code args[2]} is {@code zstd}.
   */
  static final String CONSUMER = """
      package consumer;

      import dev.scratchkit.ScratchImage;
      import dev.scratchkit.oci.LayerCompression;
      import dev.scratchkit.oci.OciLayout;
      import dev.scratchkit.oci.WriteResult;
      import java.nio.file.Path;

      public final class Main {
        public static void main(String[] args) {
          ScratchImage image = ScratchImage.builder().entrypoint(Path.of(args[0])).build();
          OciLayout target = OciLayout.at(Path.of(args[1])).tag("latest");
          if (args.length > 2 && args[2].equals("zstd")) {
            target = target.compression(LayerCompression.zstd());
          }
          WriteResult result = image.writeTo(target);
          System.out.println("digest " + result.digest());
          Module core = ScratchImage.class.getModule();
          System.out.println("consumer module " + Main.class.getModule().getName());
          System.out.println("scratchkit module " + core.getName());
          System.out.println("internal exported " + core.isExported("dev.scratchkit.internal.oci"));
          ModuleLayer.boot().modules().stream()
              .filter(m -> m.getDescriptor().isAutomatic())
              .forEach(m -> System.out.println("automatic module " + m.getName()));
        }
      }
      """;

  static List<Path> libraries;
  static Path program;

  @TempDir Path work;

  @BeforeAll
  static void readModulePathAndBuildProgram(@TempDir Path fixtures) throws IOException {
    Path file = EXAMPLES.resolve("target/classpath.txt");
    assertThat(file).as("written by the build (dependency:build-classpath); run mvn package first").exists();
    libraries = new ArrayList<>();
    for (String entry : Files.readString(file).trim().split(java.io.File.pathSeparator)) {
      libraries.add(Path.of(entry));
    }
    program = Fixtures.gcc(fixtures, "hello", """
        #include <stdio.h>
        int main(void) { puts("hello from a module-path build"); return 0; }
        """, "-static");
  }

  @Test
  void modularConsumerBuildsAnImageOnTheModulePathWithoutAddModules() throws IOException {
    Path classes = compileModularConsumer();
    List<Path> modulePath = new ArrayList<>(List.of(classes));
    modulePath.addAll(libraries);
    Path layout = work.resolve("layout");
    Tools.Result run = java("--module-path", path(modulePath), "-m", "consumer/consumer.Main",
        program.toString(), layout.toString());

    assertThat(run.exitCode()).as(run.describe()).isZero();
    assertThat(run.stdout()).as(run.describe())
        .contains("consumer module consumer")
        .contains("scratchkit module dev.scratchkit.core")
        .contains("internal exported false")
        .doesNotContain("automatic module");
    // slf4j-simple is bound through the service slf4j-api uses: the library's log reaches stderr.
    assertThat(run.stderr()).as(run.describe())
        .contains("INFO dev.scratchkit.oci.OciLayout - wrote sha256:")
        .doesNotContain("NoClassDefFoundError").doesNotContain("Exception").doesNotContain("WARN")
        .doesNotContain("SLF4J");
    assertValidLayout(layout, digestOf(run));
  }

  @Test
  void modularConsumerIsToldHowToAddTheOptionalZstdModule() throws IOException {
    Path classes = compileModularConsumer();
    List<Path> modulePath = new ArrayList<>(List.of(classes));
    modulePath.addAll(libraries);
    Path layout = work.resolve("layout");
    Tools.Result run = java("--module-path", path(modulePath), "-m", "consumer/consumer.Main",
        program.toString(), layout.toString(), "zstd");

    assertThat(run.exitCode()).as(run.describe()).isNotZero();
    assertThat(run.stderr()).as(run.describe()).contains("zstd layer compression is not available:"
        + " com.github.luben:zstd-jni is not in the module graph. Put it on the module path and add"
        + " \"requires com.github.luben.zstd_jni;\" to the application's module-info.java (or"
        + " --add-modules com.github.luben.zstd_jni), or choose gzip layers.");
    assertThat(layout).doesNotExist();
  }

  @Test
  void modularConsumerCannotUseAnInternalPackage() throws IOException {
    Path sources = work.resolve("src");
    write(sources.resolve("module-info.java"), "module consumer {\n  requires dev.scratchkit.core;\n}\n");
    write(sources.resolve("consumer/Main.java"), """
        package consumer;

        import dev.scratchkit.internal.oci.ImageWriter;
        import dev.scratchkit.certs.internal.PemReader;

        public final class Main {}
        """);
    Compilation compiled = javac(List.of("--module-path", path(libraries), "-d", work.resolve("classes").toString()),
        sources.resolve("module-info.java"), sources.resolve("consumer/Main.java"));

    assertThat(compiled.ok()).as(compiled.output()).isFalse();
    assertThat(compiled.output())
        .contains("package dev.scratchkit.internal.oci is not visible")
        .contains("(package dev.scratchkit.internal.oci is declared in module dev.scratchkit.core, "
            + "which does not export it to module consumer)")
        .contains("package dev.scratchkit.certs.internal is not visible")
        .contains("(package dev.scratchkit.certs.internal is declared in module dev.scratchkit.certs, "
            + "which does not export it)");
  }

  @Test
  void classPathConsumerBuildsTheSameImage() throws IOException {
    Path sources = work.resolve("src");
    write(sources.resolve("consumer/Main.java"), CONSUMER);
    Path classes = work.resolve("classes");
    Compilation compiled = javac(List.of("--class-path", path(libraries), "-d", classes.toString()),
        sources.resolve("consumer/Main.java"));
    assertThat(compiled.ok()).as(compiled.output()).isTrue();

    List<Path> classPath = new ArrayList<>(List.of(classes));
    classPath.addAll(libraries);
    Path layout = work.resolve("layout");
    Tools.Result run = java("--class-path", path(classPath), "consumer.Main", program.toString(), layout.toString());

    assertThat(run.exitCode()).as(run.describe()).isZero();
    assertThat(run.stdout()).as(run.describe())
        .contains("consumer module null")
        .contains("scratchkit module null");
    assertThat(run.stderr()).as(run.describe())
        .contains("INFO dev.scratchkit.oci.OciLayout - wrote sha256:")
        .doesNotContain("Exception").doesNotContain("WARN");
    assertValidLayout(layout, digestOf(run));
  }

  @Test
  void readmeJshellModulePathLineWritesAnImage() throws IOException {
    String readme = Files.readString(README);
    Matcher block = Pattern.compile(
        "<!-- jshell-module-path -->\\s*```sh\\n([^\\n]+)\\n```\\s*```java\\n(.*?)```", Pattern.DOTALL).matcher(readme);
    assertThat(block.find()).as("README has the JShell module-path line and the lines to type").isTrue();
    String command = block.group(1);
    String typed = block.group(2);
    assertThat(command).contains("--module-path").contains("--add-modules dev.scratchkit.core")
        .doesNotContain("ALL-MODULE-PATH").doesNotContain("--class-path");
    Matcher layoutName = Pattern.compile("OciLayout\\.at\\(Path\\.of\\(\"([^\"]+)\"\\)\\)").matcher(typed);
    assertThat(layoutName.find()).as(typed).isTrue();

    // Run as printed, from a directory whose examples/ is this one: the layout lands in work/.
    Files.createSymbolicLink(work.resolve("examples"), EXAMPLES);
    ProcessBuilder builder = new ProcessBuilder("bash", "-c", command).directory(work.toFile());
    String cache = System.getProperty("scratchkit.cache.dir");
    if (cache != null) {
      builder.environment().put("SCRATCHKIT_CACHE_DIR", cache); // the test's cache, not the user's
    }
    builder.environment().put("PATH", Path.of(System.getProperty("java.home"), "bin") + ":"
        + System.getenv("PATH")); // this JDK's jshell
    Process jshell = builder.start();
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    Thread out = drain(jshell.getInputStream(), stdout);
    Thread err = drain(jshell.getErrorStream(), stderr);
    try (OutputStream in = jshell.getOutputStream()) {
      in.write((typed + "/exit\n").getBytes(StandardCharsets.UTF_8));
    }
    boolean exited;
    try {
      exited = jshell.waitFor(3, TimeUnit.MINUTES);
      if (!exited) {
        jshell.destroyForcibly();
      }
      out.join();
      err.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    String shown = "$ " + command + "\nstdout:\n" + stdout.toString(StandardCharsets.UTF_8) + "\nstderr:\n"
        + stderr.toString(StandardCharsets.UTF_8);
    assertThat(exited).as(shown).isTrue();
    assertThat(jshell.exitValue()).as(shown).isZero();
    assertThat(stderr.toString(StandardCharsets.UTF_8)).as(shown)
        .doesNotContain("Exception").doesNotContain("Error").doesNotContain("cannot find symbol");
    Matcher digest = Pattern.compile("==> (sha256:[0-9a-f]{64})").matcher(stdout.toString(StandardCharsets.UTF_8));
    assertThat(digest.find()).as(shown).isTrue();
    assertValidLayout(work.resolve(layoutName.group(1)), digest.group(1));
  }

  @Test
  void everyModuleRequiredByOurModulesHasADeclaredName() throws IOException {
    // What Maven's "Required filename-based automodules detected" warning is about: a module
    // name derived from a jar's file name changes when the file is renamed.
    ModuleFinder finder = ModuleFinder.of(libraries.toArray(Path[]::new));
    List<String> ours = new ArrayList<>();
    for (ModuleReference module : finder.findAll()) {
      ModuleDescriptor descriptor = module.descriptor();
      if (!descriptor.name().startsWith("dev.scratchkit.")) {
        continue;
      }
      ours.add(descriptor.name());
      assertThat(descriptor.isAutomatic()).as(descriptor.name() + " has a module-info").isFalse();
      for (ModuleDescriptor.Requires requires : descriptor.requires()) {
        if (requires.name().startsWith("java.") || requires.modifiers().contains(ModuleDescriptor.Requires.Modifier.STATIC)) {
          continue;
        }
        ModuleReference required = finder.find(requires.name()).orElseThrow(
            () -> new AssertionError(descriptor.name() + " requires " + requires.name() + ", not in " + libraries));
        if (required.descriptor().isAutomatic()) {
          try (JarFile jar = new JarFile(Path.of(required.location().orElseThrow()).toFile())) {
            assertThat(jar.getManifest().getMainAttributes().getValue("Automatic-Module-Name"))
                .as(descriptor.name() + " requires " + requires.name() + ", an automatic module")
                .isEqualTo(requires.name());
          }
        }
      }
    }
    assertThat(ours).containsExactlyInAnyOrder(
        "dev.scratchkit.base", "dev.scratchkit.elf", "dev.scratchkit.certs", "dev.scratchkit.core");
  }

  /** The consumer with {@code module consumer { requires dev.scratchkit.core; }}, compiled. */
  private Path compileModularConsumer() throws IOException {
    Path sources = work.resolve("src");
    write(sources.resolve("module-info.java"), "module consumer {\n  requires dev.scratchkit.core;\n}\n");
    write(sources.resolve("consumer/Main.java"), CONSUMER);
    Path classes = work.resolve("classes");
    Compilation compiled = javac(List.of("--module-path", path(libraries), "-d", classes.toString()),
        sources.resolve("module-info.java"), sources.resolve("consumer/Main.java"));
    assertThat(compiled.ok()).as(compiled.output()).isTrue();
    assertThat(compiled.output()).as("javac warns of nothing").isEmpty();
    return classes;
  }

  private static void assertValidLayout(Path layout, String digest) {
    Tools.runOk(Tools.require("oci-image-tool").toString(), "validate", "--type", "image", "--ref", "name=latest",
        layout.toString());
    String inspected = Tools.runOk(Tools.require("skopeo").toString(), "inspect", "--format", "{{.Digest}}",
        "oci:" + layout + ":latest").stdout().trim();
    assertThat(inspected).isEqualTo(digest);
  }

  private static String digestOf(Tools.Result run) {
    Matcher digest = Pattern.compile("digest (sha256:[0-9a-f]{64})").matcher(run.stdout());
    assertThat(digest.find()).as(run.describe()).isTrue();
    return digest.group(1);
  }

  private Tools.Result java(String... arguments) {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    String cache = System.getProperty("scratchkit.cache.dir");
    if (cache != null) {
      command.add("-Dscratchkit.cache.dir=" + cache); // the test's cache, not the user's
    }
    command.addAll(List.of(arguments));
    return Tools.run(Duration.ofMinutes(3), work, Map.of(), command);
  }

  record Compilation(boolean ok, String output) {}

  /** Runs this JDK's {@code javac} as a user's build would (in-process, it would see the test's class path). */
  private Compilation javac(List<String> options, Path... sources) {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "javac").toString(),
        "-Xlint:all"));
    command.addAll(options);
    for (Path source : sources) {
      command.add(source.toString());
    }
    Tools.Result result = Tools.run(Duration.ofMinutes(2), work, Map.of(), command);
    return new Compilation(result.ok(), result.stdout() + result.stderr());
  }

  private static String path(List<Path> entries) {
    return String.join(java.io.File.pathSeparator, entries.stream().map(Path::toString).toList());
  }

  private static void write(Path file, String text) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, text);
  }

  private static Thread drain(InputStream from, ByteArrayOutputStream to) {
    Thread t = new Thread(() -> {
      try (from) {
        from.transferTo(to);
      } catch (IOException ignored) {
        // the process is gone; what was read is kept
      }
    });
    t.start();
    return t;
  }
}
