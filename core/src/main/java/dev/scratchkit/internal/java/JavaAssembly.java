package dev.scratchkit.internal.java;

import dev.scratchkit.JavaApplication;
import dev.scratchkit.ScratchImageException.Problem;
import dev.scratchkit.certs.CaBundle;
import dev.scratchkit.elf.ElfException;
import dev.scratchkit.elf.ElfFile;
import dev.scratchkit.elf.ImageEntry;
import dev.scratchkit.elf.LibraryClosure;
import dev.scratchkit.elf.LibraryResolver;
import dev.scratchkit.oci.ImagePath;
import dev.scratchkit.oci.LayerEntry;
import dev.scratchkit.oci.LayerCache;
import dev.scratchkit.oci.LayerSpec;
import dev.scratchkit.oci.OciException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a {@link JavaApplication} into the parts of an image: a runtime linked for it, the
 * layers (runtime, CDS archive, dependency jars, snapshot jars, the application), the ELF files
 * whose libraries must be bundled, the C.UTF-8 locale, the entrypoint and the environment.
 */
public final class JavaAssembly {

  private static final Logger LOG = LoggerFactory.getLogger(JavaAssembly.class);
  private static final byte[] ELF_MAGIC = {0x7f, 'E', 'L', 'F'};
  private static final Pattern SNAPSHOT = Pattern.compile(".*-(SNAPSHOT|\\d{8}\\.\\d{6}-\\d+)(-[^/]*)?\\.jar");
  /** The runtime and dependency layers do not depend on when the app was built: a fixed time keeps their digests. */
  static final Instant SHARED_LAYER_TIME = Instant.EPOCH;
  static final String LOCALE = "/usr/lib/locale/C.utf8";
  static final String TRUST_STORE = JavaApplication.JAVA_HOME + "/lib/security/cacerts";
  static final String LIBS = JavaApplication.APP_DIRECTORY + "/libs";
  /**
   * java.desktop's libraries that only a JVM with an X display loads (as the JDK's
   * {@code -headless} packages, which leave them out): without {@code DISPLAY} the JVM runs
   * headless and loads libawt_headless.so instead. Keeping them would bring libX11 and a
   * dozen X libraries into every image that uses {@code java.beans}, and make the build fail
   * on a machine without X libraries.
   */
  static final Set<String> X11_ONLY = Set.of("lib/libawt_xawt.so", "lib/libjawt.so", "lib/libsplashscreen.so");

  /** An ELF file of the runtime, where it goes. */
  public record RuntimeElf(Path host, ImagePath inImage, ElfFile elf) {}

  /**
   * The assembled parts.
   *
   * @param layers runtime, CDS archive, dependencies, snapshot dependencies, in this order (empty ones left out)
   * @param appLayer the application's jar or classes
   * @param elfFiles every ELF file of the runtime
   * @param sysrootEntries files from the sysroot beside its libraries: the C.UTF-8 locale
   * @param entrypoint the exec-form command
   * @param env JAVA_HOME, LANG, PATH
   * @param runtimeFromCache whether the runtime was taken from the runtime cache
   */
  public record Parts(List<LayerSpec> layers, LayerSpec appLayer, List<RuntimeElf> elfFiles,
      List<LayerEntry> sysrootEntries, List<String> entrypoint, Map<String, String> env, boolean runtimeFromCache) {

    /** Every entry of the Java layers, by path: the library bundler must not copy these from the host. */
    public Map<ImagePath, LayerEntry> entriesByPath() {
      Map<ImagePath, LayerEntry> map = new LinkedHashMap<>();
      Stream.concat(layers.stream(), Stream.of(appLayer)).flatMap(l -> l.entries().stream())
          .forEach(e -> map.putIfAbsent(e.path(), e));
      return map;
    }

    /**
     * The runtime's trust store: the image's CA bundle as PKCS12 (password {@code changeit}),
     * which every JDK since 9 reads as its {@code cacerts}.
     */
    public LayerEntry trustStore(CaBundle bundle) {
      return LayerEntry.bytes(ImagePath.of(TRUST_STORE), bundle.toPkcs12("changeit".toCharArray()), 0644);
    }

    /**
     * The environment, with {@code HOME} from the image's {@code /etc/passwd} entry of the
     * user: the JVM of JDK 17 takes {@code user.home} from there, later ones from {@code HOME}.
     */
    public Map<String, String> environment(String user, String passwd) {
      Map<String, String> all = new LinkedHashMap<>(env);
      String name = user.split(":", -1)[0];
      for (String line : passwd.lines().toList()) {
        String[] f = line.split(":", -1);
        if (f.length >= 7 && (f[0].equals(name) || f[2].equals(name)) && f[5].startsWith("/")) {
          all.put("HOME", f[5]);
          break;
        }
      }
      return all;
    }
  }

  private final JavaApplication app;
  private final Path sysroot;
  private final List<Problem> problems;
  private final List<String> warnings;

  /**
   * @param sysroot where the C library comes from, for the locale
   * @param warnings receives what the build should warn about
   */
  public JavaAssembly(JavaApplication app, Path sysroot, List<Problem> problems, List<String> warnings) {
    this.app = app;
    this.sysroot = sysroot;
    this.problems = problems;
    this.warnings = warnings;
  }

  /** {@return the parts, or null after adding problems} */
  public Parts assemble() {
    int before = problems.size();
    Jdk jdk = Jdk.at(app.jdk().orElse(Jdk.running()), problems);
    Path jar = app.jar().toAbsolutePath().normalize();
    boolean directory = Files.isDirectory(jar);
    if (!directory && !Files.isRegularFile(jar)) {
      problems.add(new Problem(jar.toString(), jar + (Files.exists(jar) ? " is not a jar file or a directory of"
          + " classes." : " does not exist.") + " Build the application first, or check the path given to"
          + " javaApplication(...)."));
      return null;
    }
    Manifest manifest = directory ? null : manifest(jar);
    String mainClass = app.mainClass().orElse(null);
    String manifestMain = manifest == null ? null : manifest.getMainAttributes().getValue(Attributes.Name.MAIN_CLASS);
    if (mainClass == null && manifestMain == null && (manifest != null || directory)) {
      problems.add(new Problem(jar.toString(), jar + (directory ? " is a directory of classes" : "'s manifest has"
          + " no Main-Class") + ", so the image would not know what to run. Name it with"
          + " JavaApplication.builder(jar).mainClass(\"com.example.Main\"), or build the jar with a Main-Class."));
    }
    if (mainClass != null && !mainClass.matches("[\\p{L}_$][\\p{L}\\p{N}_$]*(\\.[\\p{L}_$][\\p{L}\\p{N}_$]*)*")) {
      problems.add(new Problem(mainClass, "mainClass(\"" + mainClass + "\") is not a binary class name such as"
          + " com.example.Main. Give the class with the main method."));
    }
    for (String option : app.defaultJvmOptions()) {
      if (option.isBlank() || option.chars().anyMatch(Character::isWhitespace)) {
        problems.add(new Problem(option, "defaultJvmOptions(\"" + option + "\"): an option baked into the runtime"
            + " cannot be blank or contain white space (the JVM splits them at white space). Give one option per"
            + " string, or pass this one with jvmOptions(...)."));
      }
    }

    // Where everything goes: /app/<jar> (or /app/classes), manifest Class-Path jars beside it, the rest in /app/libs.
    ImagePath appPath = ImagePath.of(JavaApplication.APP_DIRECTORY + "/" + (directory ? "classes"
        : jar.getFileName().toString()));
    Map<ImagePath, Path> dependencies = new LinkedHashMap<>();
    if (manifest != null) {
      manifestClassPath(jar, manifest, dependencies);
    }
    for (Path dep : app.classPath()) {
      Path abs = dep.toAbsolutePath().normalize();
      if (!Files.isRegularFile(abs)) {
        problems.add(new Problem(abs.toString(), "class path entry " + abs + (Files.isDirectory(abs) ? " is a"
            + " directory; only the application itself may be a directory of classes: jar it, or give it as the"
            + " application." : " does not exist. Check the path, or build the dependency first.")));
        continue;
      }
      ImagePath inImage = ImagePath.of(LIBS + "/" + abs.getFileName());
      Path previous = dependencies.putIfAbsent(inImage, abs);
      if (previous != null && !previous.equals(abs)) {
        problems.add(new Problem(abs.toString(), "two class path jars have the name " + abs.getFileName() + ": "
            + previous + " and " + abs + "; both would be " + inImage + ". Rename one, or leave one out."));
      }
    }
    if (problems.size() > before || jdk == null) {
      return null;
    }

    List<Path> roots = new ArrayList<>();
    roots.add(jar);
    roots.addAll(new LinkedHashSet<>(dependencies.values()));
    SortedSet<String> modules = ModuleAnalysis.modules(jdk, roots, app.addedModules(), problems);
    if (modules == null || problems.size() > before) {
      return null;
    }
    boolean cds = cds(jdk);
    RuntimeLinker.Linked linked = new RuntimeLinker(cacheRoot()).link(jdk, modules, app.defaultJvmOptions(), cds,
        problems);
    if (linked == null) {
      return null;
    }

    List<LayerEntry> runtime = new ArrayList<>();
    List<LayerEntry> archive = new ArrayList<>();
    List<RuntimeElf> elfFiles = new ArrayList<>();
    collectRuntime(linked.runtime(), runtime, archive, elfFiles);
    List<LayerSpec> layers = new ArrayList<>();
    String moduleList = modules.size() <= 6 ? String.join(",", modules) : modules.size() + " modules";
    layers.add(new LayerSpec(runtime, "scratchkit: Java runtime, jlink of JDK " + jdk.version() + " (" + moduleList
        + ")", SHARED_LAYER_TIME));
    if (!archive.isEmpty()) {
      layers.add(new LayerSpec(archive, "scratchkit: Java runtime CDS archive", SHARED_LAYER_TIME));
    }
    List<LayerEntry> released = new ArrayList<>();
    List<LayerEntry> snapshots = new ArrayList<>();
    for (Map.Entry<ImagePath, Path> dep : dependencies.entrySet()) {
      LayerEntry e = LayerEntry.file(dep.getKey(), dep.getValue(), 0644);
      (SNAPSHOT.matcher(dep.getValue().getFileName().toString()).matches() ? snapshots : released).add(e);
    }
    if (!released.isEmpty()) {
      layers.add(new LayerSpec(released, "scratchkit: dependencies (" + jars(released.size()) + ")", SHARED_LAYER_TIME));
    }
    if (!snapshots.isEmpty()) {
      layers.add(new LayerSpec(snapshots, "scratchkit: snapshot dependencies (" + jars(snapshots.size()) + ")",
          SHARED_LAYER_TIME));
    }
    List<LayerEntry> appEntries = new ArrayList<>();
    if (directory) {
      collectClasses(jar, appPath, appEntries);
    } else {
      appEntries.add(LayerEntry.file(appPath, jar, 0644));
    }
    LayerSpec appLayer = new LayerSpec(appEntries, "scratchkit: Java application " + appPath);

    List<String> entrypoint = new ArrayList<>();
    entrypoint.add(JavaApplication.JAVA_HOME + "/bin/java");
    entrypoint.addAll(app.jvmOptions());
    if (mainClass == null && app.classPath().isEmpty() && !directory) {
      entrypoint.add("-jar");
      entrypoint.add(appPath.toString());
    } else {
      List<String> cp = new ArrayList<>();
      cp.add(appPath.toString());
      dependencies.keySet().forEach(p -> cp.add(p.toString()));
      entrypoint.add("-cp");
      entrypoint.add(String.join(":", cp));
      entrypoint.add(mainClass != null ? mainClass : manifestMain);
    }
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PATH", JavaApplication.JAVA_HOME + "/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    env.put("JAVA_HOME", JavaApplication.JAVA_HOME);
    List<LayerEntry> locale = new ArrayList<>(locale());
    gccRuntime(elfFiles, locale);
    if (!locale.isEmpty()) {
      env.put("LANG", "C.UTF-8");
    }
    LOG.info("Java application {}: runtime of {} modules ({}{}), {} dependency jars", jar.getFileName(),
        modules.size(), linked.cached() ? "from the runtime cache" : "jlinked in " + linked.took().toMillis() + " ms",
        cds ? ", CDS" : "", dependencies.size());
    return new Parts(layers, appLayer, elfFiles, locale, entrypoint, env, linked.cached());
  }

  private boolean cds(Jdk jdk) {
    boolean wanted = app.cds().orElse(jdk.cdsPlugin() && jdk.feature() >= 19);
    if (wanted && !jdk.cdsPlugin()) {
      warn("cds(true): the jlink of " + jdk + " cannot generate a CDS archive (--generate-cds-archive needs JDK 17.0.2"
          + " or later, JDK-8264322), so the runtime has none. Use a newer JDK for faster start-up.");
      return false;
    }
    if (wanted && jdk.feature() < 19) {
      // JDK-8253495 and JDK-8282828 (JDK 19) made -Xshare:dump deterministic; before, the
      // archive's bytes differ on every dump (measured on 17.0.15: ~30000 bytes of 11 MB).
      warn("cds(true) on " + jdk + ": its CDS archive differs on every jlink (deterministic archives came with"
          + " JDK 19, JDK-8253495), so the CDS layer's digest is the same only while the runtime cache keeps"
          + " this runtime. Use JDK 19 or later for a reproducible archive.");
    }
    return wanted;
  }

  private void warn(String warning) {
    if (!warnings.contains(warning)) {
      warnings.add(warning);
      LOG.warn(warning);
    }
  }

  private Path cacheRoot() {
    if (app.runtimeCache().isPresent()) {
      return app.runtimeCache().get().toAbsolutePath().normalize();
    }
    return LayerCache.defaults().directory().orElseGet(TempCache::directory);
  }

  private Manifest manifest(Path jar) {
    try (JarFile file = new JarFile(jar.toFile(), false)) {
      Manifest m = file.getManifest();
      return m != null ? m : new Manifest();
    } catch (IOException | SecurityException e) {
      problems.add(new Problem(jar.toString(), jar + " cannot be read as a jar (" + e.getMessage() + "). Give the"
          + " application's jar file, or a directory of its classes."));
      return null;
    }
  }

  private void manifestClassPath(Path jar, Manifest manifest, Map<ImagePath, Path> into) {
    String classPath = manifest.getMainAttributes().getValue(Attributes.Name.CLASS_PATH);
    if (classPath == null || classPath.isBlank()) {
      return;
    }
    Path base = jar.getParent();
    for (String item : classPath.trim().split("\\s+")) {
      String relative;
      try {
        URI uri = new URI(item);
        if (uri.isAbsolute() || uri.getPath() == null || uri.getPath().startsWith("/")) {
          throw new URISyntaxException(item, "not a relative path");
        }
        relative = uri.getPath();
      } catch (URISyntaxException e) {
        problems.add(new Problem(jar.toString(), jar + ": its manifest's Class-Path names \"" + item + "\", which is"
            + " not a path relative to the jar. In the image only relative entries can point at the jars shipped"
            + " beside it: build the jar with relative Class-Path entries, or give the jars with classPath(...)."));
        continue;
      }
      Path host = base.resolve(relative).normalize();
      if (!host.startsWith(base) || relative.endsWith("/")) {
        problems.add(new Problem(jar.toString(), jar + ": its manifest's Class-Path entry \"" + item + "\" "
            + (relative.endsWith("/") ? "is a directory" : "leads outside " + base) + "; scratchkit ships the jars"
            + " of the Class-Path below the jar's directory. Give such jars with classPath(...) instead."));
        continue;
      }
      if (!Files.isRegularFile(host)) {
        problems.add(new Problem(host.toString(), jar + ": its manifest's Class-Path names " + relative + ", but "
            + host + " does not exist, so the application would fail with NoClassDefFoundError. Copy the"
            + " dependencies there (e.g. mvn dependency:copy-dependencies), or fix the manifest."));
        continue;
      }
      into.putIfAbsent(ImagePath.of(JavaApplication.APP_DIRECTORY + "/" + base.relativize(host)), host);
    }
  }

  private void collectRuntime(Path runtime, List<LayerEntry> entries, List<LayerEntry> archive,
      List<RuntimeElf> elfFiles) {
    ImagePath home = ImagePath.of(JavaApplication.JAVA_HOME);
    List<Path> paths;
    try (Stream<Path> walk = Files.walk(runtime)) {
      paths = walk.sorted().toList();
    } catch (IOException | UncheckedIOException e) {
      problems.add(new Problem(runtime.toString(), "the linked runtime " + runtime + " cannot be read: " + e
          + ". Delete it; the next build links it again."));
      return;
    }
    for (Path p : paths) {
      ImagePath inImage = p.equals(runtime) ? home : home.resolve(runtime.relativize(p).toString());
      String rel = runtime.relativize(p).toString();
      if (Files.isSymbolicLink(p)) {
        try {
          entries.add(LayerEntry.symlink(inImage, Files.readSymbolicLink(p).toString()));
        } catch (IOException e) {
          problems.add(new Problem(p.toString(), p + " cannot be read: " + e));
        }
      } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        entries.add(LayerEntry.directory(inImage, 0755));
      } else if (rel.equals("lib/security/cacerts")) {
        continue; // the image's CA bundle takes its place
      } else if (X11_ONLY.contains(rel)) {
        LOG.debug("left out {}: it needs an X server, and the JVM runs headless without DISPLAY", rel);
      } else {
        boolean executable = Files.isExecutable(p);
        LayerEntry e = LayerEntry.file(inImage, p, executable ? 0755 : 0644);
        (rel.endsWith(".jsa") ? archive : entries).add(e);
        if (isElf(p)) {
          try {
            elfFiles.add(new RuntimeElf(p, inImage, dev.scratchkit.internal.view.ElfFiles.read(p)));
          } catch (ElfException ex) {
            LOG.warn("{} starts like an ELF file but cannot be read as one ({})", p, ex.getMessage());
          }
        }
      }
    }
  }

  private void collectClasses(Path dir, ImagePath target, List<LayerEntry> into) {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted().toList()) {
        ImagePath inImage = p.equals(dir) ? target : target.resolve(dir.relativize(p).toString());
        if (Files.isSymbolicLink(p)) {
          problems.add(new Problem(p.toString(), p + " is a symbolic link in the classes directory " + dir
              + "; scratchkit copies only regular files from it (no host file leaks in). Replace it by the file."));
        } else if (Files.isDirectory(p)) {
          into.add(LayerEntry.directory(inImage, 0755));
        } else if (Files.isRegularFile(p)) {
          into.add(LayerEntry.file(inImage, p, 0644));
        }
      }
    } catch (IOException | UncheckedIOException | OciException e) {
      problems.add(new Problem(dir.toString(), dir + " cannot be added: " + e.getMessage()));
    }
  }

  // The C.UTF-8 locale of the sysroot's C library: with LANG=C.UTF-8 the JVM of JDK 17 takes
  // sun.jnu.encoding (file names) and file.encoding from it; without it both are ASCII and a
  // file name with a non-ASCII character becomes "?".
  private List<LayerEntry> locale() {
    Path root = sysroot.resolve(LOCALE.substring(1));
    if (!Files.isDirectory(root)) {
      warn(root + " does not exist, so the image has no UTF-8 locale: on JDK 17 file names with non-ASCII"
          + " characters then fail (sun.jnu.encoding is ASCII). Install it (Debian: libc-bin; others: locales,"
          + " glibc-langpack-en), or set -Dfile.encoding and accept ASCII file names.");
      return List.of();
    }
    List<LayerEntry> entries = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted().toList()) {
        String rel = root.relativize(p).toString();
        ImagePath inImage = rel.isEmpty() ? ImagePath.of(LOCALE) : ImagePath.of(LOCALE).resolve(rel);
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          entries.add(LayerEntry.directory(inImage, 0755));
        } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          entries.add(LayerEntry.file(inImage, p, 0644));
        }
      }
    } catch (IOException | UncheckedIOException e) {
      warn(root + " cannot be read (" + e + "); the image has no UTF-8 locale.");
      return List.of();
    }
    return entries;
  }

  // glibc dlopen()s libgcc_s.so.1 to unwind a thread in pthread_exit and pthread_cancel and
  // aborts without it ("libgcc_s.so.1 must be installed for pthread_exit to work"); Wolfi made
  // its libc depend on libgcc for this (wolfi-dev/os #31308). Debian's libjvm links it anyway,
  // Temurin's does not: then it goes beside the C library, where the image's loader looks.
  private void gccRuntime(List<RuntimeElf> elfFiles, List<LayerEntry> into) {
    RuntimeElf jvm = elfFiles.stream().filter(e -> e.inImage().fileName().equals("libjvm.so")).findFirst()
        .orElse(null);
    if (jvm == null) {
      return;
    }
    LibraryClosure closure = LibraryResolver.forRoot(sysroot).resolve(jvm.elf(), jvm.inImage().toString());
    ImageEntry.File libc = null;
    for (ImageEntry e : closure.files()) {
      String name = e.pathInImage().substring(e.pathInImage().lastIndexOf('/') + 1);
      if (name.startsWith("libgcc_s.so")) {
        return; // bundled with the closure already
      }
      if (e instanceof ImageEntry.File file && name.equals("libc.so.6")) {
        libc = file;
      }
    }
    if (libc == null) {
      return;
    }
    Path host = libc.hostFile().resolveSibling("libgcc_s.so.1");
    if (!Files.isRegularFile(host)) {
      warn(host + " does not exist, so the image has no libgcc_s.so.1: a thread that calls pthread_exit or is"
          + " cancelled (JNI code) would abort the JVM. Install it (Debian: libgcc-s1).");
      return;
    }
    try {
      Path real = host.toRealPath();
      ImagePath inImage = ImagePath.of(libc.pathInImage()).parent().orElseThrow().resolve("libgcc_s.so.1");
      into.add(LayerEntry.file(inImage, real, 0644));
      elfFiles.add(new RuntimeElf(real, inImage, dev.scratchkit.internal.view.ElfFiles.read(real)));
    } catch (IOException | ElfException e) {
      warn(host + " cannot be read (" + e.getMessage() + "); the image has no libgcc_s.so.1.");
    }
  }

  private static String jars(int n) {
    return n == 1 ? "1 jar" : n + " jars";
  }

  private static boolean isElf(Path p) {
    try (InputStream in = Files.newInputStream(p)) {
      return Arrays.equals(in.readNBytes(4), ELF_MAGIC);
    } catch (IOException e) {
      return false;
    }
  }
}
