package dev.scratchkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A Java application to run in a scratch image: the jar (or jar, class path and main class),
 * and how its runtime is made. {@link ScratchImage.Builder#javaApplication(JavaApplication)}
 * turns it into an image with a {@code jlink}ed runtime of exactly the modules the
 * application needs, the C library and every shared library that runtime loads, the image's
 * CA certificates as the runtime's {@code cacerts}, a UTF-8 locale, and memory defaults for a
 * container.
 *
 * <pre>{@code
 * ScratchImage.builder().javaApplication(Path.of("target/app.jar")).build();   // java -jar
 * ScratchImage.builder().javaApplication(JavaApplication.builder(Path.of("target/app.jar"))
 *     .classPath(List.of(Path.of("lib/slf4j-api-2.0.20.jar")))
 *     .mainClass("com.example.Main")
 *     .addModules("jdk.localedata")
 *     .jdk(Path.of("/usr/lib/jvm/temurin-25-jdk-amd64"))
 *     .build()).build();
 * }</pre>
 *
 * <p>Immutable.
 */
public final class JavaApplication {

  /** Where the runtime goes in the image; the image's {@code JAVA_HOME}. */
  public static final String JAVA_HOME = "/opt/java";

  /** Where the application's jars go in the image. */
  public static final String APP_DIRECTORY = "/app";

  /**
   * The JVM options baked into the runtime unless {@link Builder#defaultJvmOptions(String...)}
   * says otherwise: the heap may take 75% of the container's memory limit (the JVM's own
   * default is 25%, meant for a machine shared with other programs).
   */
  public static final List<String> DEFAULT_JVM_OPTIONS = List.of("-XX:MaxRAMPercentage=75");

  private final Path jar;
  private final List<Path> classPath;
  private final String mainClass;
  private final List<String> modules;
  private final Path jdk;
  private final Boolean cds;
  private final List<String> jvmOptions;
  private final List<String> defaultJvmOptions;
  private final Path runtimeCache;

  private JavaApplication(Builder b) {
    this.jar = b.jar;
    this.classPath = List.copyOf(b.classPath);
    this.mainClass = b.mainClass;
    this.modules = List.copyOf(b.modules);
    this.jdk = b.jdk;
    this.cds = b.cds;
    this.jvmOptions = List.copyOf(b.jvmOptions);
    this.defaultJvmOptions = List.copyOf(b.defaultJvmOptions);
    this.runtimeCache = b.runtimeCache;
  }

  /**
   * An executable jar, run with {@code java -jar}: its manifest names the {@code Main-Class},
   * and the jars its {@code Class-Path} names (relative to the jar) come along.
   *
   * @param jar the jar file
   * @return the application, with every other setting at its default
   */
  public static JavaApplication of(Path jar) {
    return builder(jar).build();
  }

  /**
   * A builder, to set a class path, a main class, modules, the JDK, CDS and JVM options.
   *
   * @param jar the application's jar, or a directory of its classes
   * @return a new builder
   */
  public static Builder builder(Path jar) {
    return new Builder(jar);
  }

  /** {@return a builder with this application's settings} */
  public Builder toBuilder() {
    Builder b = new Builder(jar);
    b.classPath = new ArrayList<>(classPath);
    b.mainClass = mainClass;
    b.modules.addAll(modules);
    b.jdk = jdk;
    b.cds = cds;
    b.jvmOptions = new ArrayList<>(jvmOptions);
    b.defaultJvmOptions = new ArrayList<>(defaultJvmOptions);
    b.runtimeCache = runtimeCache;
    return b;
  }

  /** {@return the application's jar (or classes directory) on this machine} */
  public Path jar() {
    return jar;
  }

  /** {@return the dependency jars, in class path order (empty for an executable jar's own Class-Path)} */
  public List<Path> classPath() {
    return classPath;
  }

  /** {@return the main class; empty means the jar's manifest names it and the image runs {@code java -jar}} */
  public Optional<String> mainClass() {
    return Optional.ofNullable(mainClass);
  }

  /** {@return the modules added to those {@code jdeps} finds} */
  public List<String> addedModules() {
    return modules;
  }

  /** {@return the JDK whose {@code jlink} and modules make the runtime; empty means the running JDK} */
  public Optional<Path> jdk() {
    return Optional.ofNullable(jdk);
  }

  /**
   * {@return whether the runtime gets a class data sharing archive; empty means: where the
   * JDK writes it reproducibly (JDK 19 and later)}
   */
  public Optional<Boolean> cds() {
    return Optional.ofNullable(cds);
  }

  /** {@return the JVM options on the entrypoint's command line, before {@code -jar} or the main class} */
  public List<String> jvmOptions() {
    return jvmOptions;
  }

  /** {@return the JVM options baked into the runtime, which {@code JAVA_TOOL_OPTIONS} and the command line override} */
  public List<String> defaultJvmOptions() {
    return defaultJvmOptions;
  }

  /** {@return where jlinked runtimes are kept between builds; empty means beside the layer cache} */
  public Optional<Path> runtimeCache() {
    return Optional.ofNullable(runtimeCache);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof JavaApplication a && jar.equals(a.jar) && classPath.equals(a.classPath)
        && Objects.equals(mainClass, a.mainClass) && modules.equals(a.modules) && Objects.equals(jdk, a.jdk)
        && Objects.equals(cds, a.cds) && jvmOptions.equals(a.jvmOptions)
        && defaultJvmOptions.equals(a.defaultJvmOptions) && Objects.equals(runtimeCache, a.runtimeCache);
  }

  @Override
  public int hashCode() {
    return Objects.hash(jar, classPath, mainClass, modules, jdk, cds, jvmOptions, defaultJvmOptions, runtimeCache);
  }

  /** E.g. {@code JavaApplication[app.jar, java -jar, JDK running, +modules [jdk.localedata]]}. */
  @Override
  public String toString() {
    return "JavaApplication[" + jar + (classPath.isEmpty() ? "" : " + " + classPath.size() + " jars")
        + (mainClass == null ? ", java -jar" : ", main class " + mainClass)
        + ", JDK " + (jdk == null ? "running" : jdk.toString())
        + (modules.isEmpty() ? "" : ", +modules " + modules)
        + (cds == null ? "" : ", CDS " + (cds ? "on" : "off")) + "]";
  }

  /**
   * Describes a {@link JavaApplication}. Setters replace, {@code addX} append; the files are
   * read when the image is built.
   */
  public static final class Builder {

    private final Path jar;
    private List<Path> classPath = new ArrayList<>();
    private String mainClass;
    private final Set<String> modules = new LinkedHashSet<>();
    private Path jdk;
    private Boolean cds;
    private List<String> jvmOptions = new ArrayList<>();
    private List<String> defaultJvmOptions = new ArrayList<>(DEFAULT_JVM_OPTIONS);
    private Path runtimeCache;

    private Builder(Path jar) {
      this.jar = Objects.requireNonNull(jar, "jar");
    }

    /**
     * The dependency jars, in class path order. They go to {@code /app/libs/}: released
     * versions in one layer, {@code -SNAPSHOT} versions in the next, so a rebuild after a
     * change of the application recompresses neither.
     *
     * @param jars the jars
     * @return this builder
     */
    public Builder classPath(List<Path> jars) {
      this.classPath = new ArrayList<>(jars);
      this.classPath.forEach(p -> Objects.requireNonNull(p, "class path entry"));
      return this;
    }

    /**
     * The main class; the image then runs {@code java -cp <jar and class path> <main class>}
     * instead of {@code java -jar}.
     *
     * @param mainClass a binary class name such as {@code com.example.Main}
     * @return this builder
     */
    public Builder mainClass(String mainClass) {
      this.mainClass = Objects.requireNonNull(mainClass, "mainClass");
      return this;
    }

    /**
     * Modules to add to those {@code jdeps} finds: what the application loads by name or
     * through a service, which no class file shows, e.g. {@code jdk.localedata} (formats of
     * other locales than English), {@code jdk.charsets} (charsets beyond the standard ones),
     * {@code jdk.management.agent} (remote JMX), {@code jdk.jdwp.agent} (a debugger).
     *
     * @param modules module names
     * @return this builder
     */
    public Builder addModules(String... modules) {
      Arrays.stream(modules).forEach(m -> this.modules.add(Objects.requireNonNull(m, "module")));
      return this;
    }

    /**
     * The JDK whose {@code jdeps}, {@code jlink} and modules make the runtime. Default: the
     * JDK running this code.
     *
     * @param javaHome a JDK (not a JRE: it needs {@code bin/jlink})
     * @return this builder
     */
    public Builder jdk(Path javaHome) {
      this.jdk = Objects.requireNonNull(javaHome, "javaHome");
      return this;
    }

    /**
     * Whether the runtime gets a class data sharing (CDS) archive of the JDK's own classes,
     * which makes the JVM start faster. Default: on where the JDK writes the archive
     * reproducibly (JDK 19 and later), off on older JDKs, whose archives differ from build
     * to build.
     *
     * @param cds true to generate the archive
     * @return this builder
     */
    public Builder cds(boolean cds) {
      this.cds = cds;
      return this;
    }

    /**
     * JVM options on the entrypoint's command line (before {@code -jar} or the main class):
     * options the application always needs, e.g. {@code --add-opens ...} or {@code -Xss2m}.
     *
     * @param options the options, one per string
     * @return this builder
     */
    public Builder jvmOptions(String... options) {
      this.jvmOptions = new ArrayList<>(List.of(options));
      return this;
    }

    /**
     * JVM options baked into the runtime ({@code jlink --add-options}), which the JVM reads
     * first: {@code JAVA_TOOL_OPTIONS} and the command line override them. Default
     * {@link JavaApplication#DEFAULT_JVM_OPTIONS}; give none to keep the JVM's own defaults.
     *
     * @param options the options, one per string
     * @return this builder
     */
    public Builder defaultJvmOptions(String... options) {
      this.defaultJvmOptions = new ArrayList<>(List.of(options));
      return this;
    }

    /**
     * Where jlinked runtimes are kept between builds. Default: {@code jlink-v1} in the layer
     * cache's directory ({@link dev.scratchkit.oci.LayerCache#defaults()}), or a temporary
     * directory when that cache is off.
     *
     * @param directory a directory (created when first used)
     * @return this builder
     * @throws ScratchImageException if {@code directory} exists and is not a directory
     */
    public Builder runtimeCache(Path directory) {
      Objects.requireNonNull(directory, "directory");
      if (Files.exists(directory) && !Files.isDirectory(directory)) {
        throw new ScratchImageException("The runtime cache directory " + directory.toAbsolutePath() + " is "
            + (Files.isRegularFile(directory) ? "a regular file" : "not a directory") + ". Give a directory (a"
            + " missing one is created when first used)", null);
      }
      this.runtimeCache = directory;
      return this;
    }

    /** {@return the application} */
    public JavaApplication build() {
      return new JavaApplication(this);
    }
  }
}
