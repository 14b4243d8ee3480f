package dev.scratchkit.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.FileContent;
import dev.scratchkit.JavaApplication;
import dev.scratchkit.ScratchImage;
import dev.scratchkit.base.ScratchkitException;
import dev.scratchkit.certs.CaBundle;
import dev.scratchkit.certs.PemOptions;
import dev.scratchkit.elf.ElfFile;
import dev.scratchkit.elf.LibraryResolver;
import dev.scratchkit.elf.Platform;
import dev.scratchkit.oci.ImagePath;
import dev.scratchkit.oci.ImageTarget;
import dev.scratchkit.oci.LayerCache;
import dev.scratchkit.oci.LayerEntry;
import dev.scratchkit.oci.OciImages;
import dev.scratchkit.oci.OciLayout;
import dev.scratchkit.testing.ContainerSpec;
import dev.scratchkit.testing.ImageRunner;
import dev.scratchkit.testkit.Tools;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every public method and constructor of the published modules that takes a {@link Path} or a
 * {@link String}, found by reflection over their API packages (so a new method is walked without
 * anyone adding it here), called with bad input: a missing path, a directory, a regular file of
 * garbage bytes (also where a directory is expected), a FIFO, and a garbage string. Whatever it
 * throws must be a {@link ScratchkitException} whose message names the input; a value that is only
 * used later (a builder setting, a target) is carried on to where it is used (the build, the write).
 * A parameter that takes every bad input without complaint must be listed in {@link #ACCEPTS_ANY}
 * with the reason.
 */
class PublicApiBadInputTest {

  /** One class of each published module: the walk reads the classes next to it. */
  private static final List<Class<?>> MODULE_ANCHORS = List.of(
      ScratchkitException.class, ElfFile.class, CaBundle.class, ScratchImage.class, ImageRunner.class);

  /**
   * Types whose methods are not about input, each with the reason. Skipped as a rule: exceptions
   * (their constructors build the error itself) and the instance methods of interfaces and
   * abstract classes (callers implement them, e.g. RootFileSystem, ProgressListener; the library
   * calls them with its own arguments), but not their static factories.
   */
  private static final Map<String, String> NOT_INPUT = Map.ofEntries(
      // Output values: made by the library from what it read; their constructors check only that
      // the parts are present, and any text is a possible value.
      Map.entry("dev.scratchkit.elf.ResolvedLibrary", "output value of the resolver"),
      Map.entry("dev.scratchkit.elf.MissingLibrary", "output value of the resolver"),
      Map.entry("dev.scratchkit.elf.LibraryClosure", "output value of the resolver"),
      Map.entry("dev.scratchkit.elf.Symlink", "output value of the resolver"),
      Map.entry("dev.scratchkit.elf.DynamicSymbol", "output value of ElfFile"),
      Map.entry("dev.scratchkit.elf.GoBuildInfo", "output value of ElfFile"),
      Map.entry("dev.scratchkit.elf.GoBuildInfo$Module", "output value of ElfFile"),
      Map.entry("dev.scratchkit.elf.RuntimeNeed", "output value of ElfFile"),
      Map.entry("dev.scratchkit.elf.Machine", "output value of ElfFile: any number and name"),
      Map.entry("dev.scratchkit.elf.OsAbi", "output value of ElfFile: any number and name"),
      Map.entry("dev.scratchkit.elf.SectionHeader", "output value of ElfFile"),
      Map.entry("dev.scratchkit.doctor.Finding", "output value of the doctor"),
      Map.entry("dev.scratchkit.oci.OciImages$Image", "output value of OciImages"),
      Map.entry("dev.scratchkit.oci.OciImages$Layer", "output value of OciImages"),
      Map.entry("dev.scratchkit.oci.OciImages$Entry", "output value of OciImages"),
      Map.entry("dev.scratchkit.oci.WriteResult", "output value of a target"),
      Map.entry("dev.scratchkit.oci.LayerDescriptor", "output value of a target"),
      // The image as data: any user, working directory or author is a possible value; the run
      // checks judge them (an image read from elsewhere may hold anything).
      Map.entry("dev.scratchkit.oci.ContainerConfig", "image data, judged by the run checks"),
      Map.entry("dev.scratchkit.oci.ImageSpec", "image data, judged by the run checks"),
      Map.entry("dev.scratchkit.ScratchImageException$Problem", "part of an exception"),
      // These need a running engine or container; their own tests cover bad names and arguments.
      Map.entry("dev.scratchkit.testing.ImageRunner", "needs an engine (ImageRunnerTest)"),
      Map.entry("dev.scratchkit.testing.RunningContainer", "needs a running container"),
      // Moving to the registry module; that module's tests walk it.
      Map.entry("dev.scratchkit.oci.Registry", "moves to scratchkit-registry"));

  /**
   * Parameters that take any text or any path by design, as {@code Class.method#index}, each with
   * the reason: they are checked here too (nothing but our exception may escape), but need not
   * refuse.
   */
  private static final Map<String, String> ACCEPTS_ANY = Map.ofEntries(
      Map.entry("dev.scratchkit.ScratchImage$Builder.args#0", "the program's arguments: any text"),
      Map.entry("dev.scratchkit.ScratchImage$Builder.env#1", "an environment value: any text"),
      Map.entry("dev.scratchkit.ScratchImage$Builder.label#0", "a label key: any text (OCI)"),
      Map.entry("dev.scratchkit.ScratchImage$Builder.label#1", "a label value: any text"),
      Map.entry("dev.scratchkit.ScratchImage$Builder.annotation#0", "an annotation key: any text (OCI)"),
      Map.entry("dev.scratchkit.ScratchImage$Builder.annotation#1", "an annotation value: any text"),
      Map.entry("dev.scratchkit.ScratchImage$Builder.layer#0", "a layer name: any non-blank text"),
      Map.entry("dev.scratchkit.FileContent.utf8#0", "file content: any text"),
      Map.entry("dev.scratchkit.JavaApplication$Builder.jvmOptions#0", "JVM options: the JVM judges them"),
      Map.entry("dev.scratchkit.JavaApplication$Builder.defaultJvmOptions#0", "JVM options: the JVM judges them"),
      Map.entry("dev.scratchkit.oci.LayerEntry.symlink#1", "a link target: any text, as ln -s takes"),
      Map.entry("dev.scratchkit.ScratchImage$Builder.addSymlink#1", "a link target: any text, as ln -s takes"),
      Map.entry("dev.scratchkit.oci.LayerSpec.of#0", "a layer's description: any text"),
      Map.entry("dev.scratchkit.oci.LayerSpec.<init>#1", "a layer's description: any text"),
      Map.entry("dev.scratchkit.oci.DockerDaemon.environment#1", "an environment value: any text"),
      Map.entry("dev.scratchkit.testing.ContainerSpec.args#0", "the program's arguments: any text"),
      Map.entry("dev.scratchkit.testing.ContainerSpec.env#1", "an environment value: any text"),
      Map.entry("dev.scratchkit.elf.ImageEntry$File.<init>#1", "a value naming a host file; nothing is read"),
      Map.entry("dev.scratchkit.elf.ImageEntry$Link.<init>#1", "a link target: any text, as ln -s takes"));

  /**
   * Kinds of "bad" input that are valid for a parameter, not tried there: a missing or empty
   * directory where the library creates one. (Trying them only proves that valid input works,
   * at the cost of a whole jlink for a runtime cache.)
   */
  private static final Map<String, Set<Bad>> VALID_KINDS = Map.of(
      "dev.scratchkit.JavaApplication$Builder.runtimeCache#0", Set.of(Bad.MISSING_PATH, Bad.DIRECTORY));

  /** Valid text for a String parameter that is not the one under test, by method name. */
  private static final Map<String, String> OTHER_TEXT = Map.of(
      "entrypoint", "/app/busybox", "addFile", "/etc/x", "addSymlink", "/bin/x", "addDirectory", "/srv/x",
      "env", "X", "environment", "X", "dev.scratchkit.elf.ImageEntry$File", "/lib/x",
      "dev.scratchkit.elf.ImageEntry$Link", "/lib/x");

  private static final String GARBAGE_TEXT = "../garbage =:@ name";
  private static final long SECONDS_PER_CALL = 60;

  @TempDir static Path tmp;
  private static Path program;
  private static Path directory;
  private static Path jar;
  private static ScratchImage image;
  private static OciImages layout;
  private static ExecutorService calls;
  private static int fresh;

  @BeforeAll
  static void inputs() throws Exception {
    program = Files.copy(Tools.require("busybox"), tmp.resolve("busybox"));
    directory = Files.createDirectories(tmp.resolve("good-directory"));
    Files.writeString(directory.resolve("file.txt"), "content\n");
    jar = helloJar(Files.createDirectories(tmp.resolve("jar")));
    image = ScratchImage.builder().entrypoint(program).build();
    Path dir = tmp.resolve("layout");
    image.writeTo(OciLayout.at(dir).tag("latest"));
    layout = OciImages.read(dir);
    calls = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "bad-input-call");
      t.setDaemon(true); // a call stuck on a FIFO must not keep the JVM alive
      return t;
    });
  }

  @AfterAll
  static void stop() {
    calls.shutdownNow();
  }

  /** What a bad value is, and how to make a new one. */
  private enum Bad {
    MISSING_PATH, DIRECTORY, GARBAGE_FILE, FIFO, GARBAGE_TEXT
  }

  @Test
  void everyPublicMethodTakingAPathOrAStringRefusesBadInputWithOurExceptionNamingIt() throws Exception {
    List<Executable> walked = publicExecutables();
    assertThat(walked).as("the walk found the API").hasSizeGreaterThan(40);
    List<String> failures = new ArrayList<>();
    Map<String, Integer> slowest = new java.util.TreeMap<>(
        Comparator.comparingLong((String k) -> Long.parseLong(k.substring(0, k.indexOf(' ')))).reversed()
            .thenComparing(Comparator.naturalOrder()));
    int cases = 0;
    for (Executable e : walked) {
      Class<?>[] types = e.getParameterTypes();
      for (int i = 0; i < types.length; i++) {
        List<Bad> kinds = types[i] == Path.class
            ? List.of(Bad.MISSING_PATH, Bad.DIRECTORY, Bad.GARBAGE_FILE, Bad.FIFO)
            : types[i] == String.class || types[i] == String[].class ? List.of(Bad.GARBAGE_TEXT) : List.of();
        if (kinds.isEmpty()) {
          continue;
        }
        String key = name(e) + "#" + i;
        boolean refusedOne = false;
        List<String> accepted = new ArrayList<>();
        for (Bad kind : kinds) {
          if (VALID_KINDS.getOrDefault(key, Set.of()).contains(kind)) {
            continue;
          }
          cases++;
          Object bad = badValue(kind, types[i]);
          String shown = bad instanceof String[] a ? a[0] : bad.toString();
          Throwable thrown;
          long start = System.nanoTime();
          try {
            thrown = call(e, i, bad);
            slowest.put((System.nanoTime() - start) / 1_000_000 + " ms " + key + " " + kind, 0);
          } catch (TimeoutException timeout) {
            failures.add(key + " with " + kind + " " + shown + ": still running after " + SECONDS_PER_CALL + " s");
            continue;
          }
          if (thrown == null) {
            accepted.add(kind.toString());
          } else if (!(thrown instanceof ScratchkitException)) {
            failures.add(key + " with " + kind + " " + shown + ": threw " + describe(thrown));
          } else if (!names(thrown.getMessage(), bad)) {
            failures.add(key + " with " + kind + " " + shown + ": the message does not name the input: "
                + thrown.getMessage());
          } else {
            refusedOne = true;
          }
        }
        if (!refusedOne && !ACCEPTS_ANY.containsKey(key) && failures.stream().noneMatch(f -> f.startsWith(key + " "))) {
          failures.add(key + ": accepted every bad input (" + String.join(", ", accepted)
              + "); refuse it, or list it in ACCEPTS_ANY with the reason");
        }
      }
    }
    System.out.println("slowest cases: " + slowest.keySet().stream().limit(8).toList());
    assertThat(failures).as(cases + " cases over " + walked.size() + " methods and constructors").isEmpty();
  }

  /** The public methods and constructors, in a stable order, that take a Path or a String. */
  private static List<Executable> publicExecutables() throws IOException, URISyntaxException {
    Set<String> classNames = new TreeSet<>();
    for (Class<?> anchor : MODULE_ANCHORS) {
      Path location = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (Files.isDirectory(location)) {
        try (Stream<Path> files = Files.walk(location)) {
          files.map(p -> location.relativize(p).toString()).forEach(n -> addClass(n, classNames));
        }
      } else {
        try (JarFile j = new JarFile(location.toFile())) {
          for (Enumeration<JarEntry> en = j.entries(); en.hasMoreElements(); ) {
            addClass(en.nextElement().getName(), classNames);
          }
        }
      }
    }
    List<Executable> out = new ArrayList<>();
    for (String className : classNames) {
      Class<?> c;
      try {
        c = Class.forName(className, false, PublicApiBadInputTest.class.getClassLoader());
      } catch (ClassNotFoundException | LinkageError e) {
        throw new AssertionError("cannot load " + className, e);
      }
      if (!isApi(c) || NOT_INPUT.containsKey(c.getName()) || Throwable.class.isAssignableFrom(c)) {
        continue;
      }
      List<Executable> members = new ArrayList<>(Arrays.asList(c.getDeclaredConstructors()));
      members.addAll(Arrays.asList(c.getDeclaredMethods()));
      for (Executable e : members) {
        boolean takesInput = Arrays.stream(e.getParameterTypes())
            .anyMatch(t -> t == Path.class || t == String.class || t == String[].class);
        if (!Modifier.isPublic(e.getModifiers()) || e.isSynthetic() || !takesInput || isEnumValueOf(c, e)
            || (Modifier.isAbstract(c.getModifiers()) && !Modifier.isStatic(e.getModifiers()))) {
          continue;
        }
        out.add(e);
      }
    }
    out.sort(Comparator.comparing(PublicApiBadInputTest::name).thenComparing(Executable::toString));
    return out;
  }

  private static void addClass(String entry, Set<String> into) {
    entry = entry.replace('\\', '/');
    if (entry.endsWith(".class") && !entry.endsWith("module-info.class") && !entry.endsWith("package-info.class")
        && !entry.contains("/internal/")) {
      into.add(entry.substring(0, entry.length() - ".class".length()).replace('/', '.'));
    }
  }

  /** Public, and so are all its enclosing classes; not anonymous or local. */
  private static boolean isApi(Class<?> c) {
    for (Class<?> k = c; k != null; k = k.getEnclosingClass()) {
      if (!Modifier.isPublic(k.getModifiers()) || k.isAnonymousClass() || k.isLocalClass()) {
        return false;
      }
    }
    return true;
  }

  /** An enum's valueOf(String): the JDK's method, whose contract is IllegalArgumentException. */
  private static boolean isEnumValueOf(Class<?> c, Executable e) {
    return c.isEnum() && e.getName().equals("valueOf") && e.getParameterCount() == 1;
  }

  private static String name(Executable e) {
    return e.getDeclaringClass().getName() + "." + (e instanceof Constructor ? "<init>" : e.getName());
  }

  private static Object badValue(Bad kind, Class<?> type) throws IOException, InterruptedException {
    int n = ++fresh;
    switch (kind) {
      case MISSING_PATH:
        return tmp.resolve("bad-" + n).resolve("does-not-exist");
      case DIRECTORY:
        Path d = Files.createDirectories(tmp.resolve("bad-" + n).resolve("a-directory"));
        Files.writeString(d.resolve("something"), "x");
        return d;
      case GARBAGE_FILE:
        Path f = Files.createDirectories(tmp.resolve("bad-" + n)).resolve("garbage.bin");
        byte[] bytes = new byte[4096];
        new java.util.Random(n).nextBytes(bytes);
        return Files.write(f, bytes);
      case FIFO:
        Path fifo = Files.createDirectories(tmp.resolve("bad-" + n)).resolve("a-fifo");
        Process p = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertThat(p.waitFor()).as("mkfifo " + fifo).isZero();
        return fifo;
      default:
        return type == String[].class ? new String[] {GARBAGE_TEXT} : GARBAGE_TEXT;
    }
  }

  /** Whether the message names the bad input (a path as given, absolute, or real). */
  private static boolean names(String message, Object bad) {
    if (message == null) {
      return false;
    }
    if (bad instanceof Path p) {
      if (message.contains(p.toString()) || message.contains(p.toAbsolutePath().toString())) {
        return true;
      }
      try {
        return message.contains(p.getParent().toRealPath().resolve(p.getFileName()).toString());
      } catch (IOException e) {
        return false;
      }
    }
    return message.contains(bad instanceof String[] a ? a[0] : (String) bad);
  }

  /**
   * Calls {@code e} with {@code bad} at {@code index} and valid values elsewhere, then uses what
   * it returned (builds a builder, writes to a target).
   *
   * @return what it threw, or null
   */
  private static Throwable call(Executable e, int index, Object bad) throws Exception {
    Future<Throwable> f = calls.submit(() -> {
      try {
        Object[] args = new Object[e.getParameterCount()];
        Class<?>[] types = e.getParameterTypes();
        for (int i = 0; i < args.length; i++) {
          args[i] = i == index ? bad : valid(types[i], e.getName());
        }
        Object result;
        if (e instanceof Constructor<?> c) {
          result = c.newInstance(args);
        } else {
          Method m = (Method) e;
          Object receiver = Modifier.isStatic(m.getModifiers()) ? null : receiver(m.getDeclaringClass());
          result = m.invoke(receiver, args);
        }
        use(result);
        return null;
      } catch (InvocationTargetException ex) {
        return ex.getCause();
      } catch (Throwable t) {
        return t;
      }
    });
    try {
      return f.get(SECONDS_PER_CALL, TimeUnit.SECONDS);
    } finally {
      f.cancel(true);
    }
  }

  /** Carries a lazily checked value on to where it is used. */
  private static void use(Object result) {
    if (result instanceof ScratchImage.Builder b) {
      b.build();
    } else if (result instanceof JavaApplication.Builder b) {
      use(b.build());
    } else if (result instanceof JavaApplication app) {
      ScratchImage.builder().javaApplication(app).build();
    } else if (result instanceof LayerCache cache) {
      image.writeTo(OciLayout.at(tmp.resolve("out-" + ++fresh)).cache(cache));
    } else if (result instanceof ImageTarget target && !(result instanceof dev.scratchkit.oci.DockerDaemon)) {
      // Never a Docker engine from here: DockerDaemon is checked when it is configured.
      image.writeTo(target);
    }
  }

  /** An object to call an instance method on, whose own settings are valid. */
  private static Object receiver(Class<?> type) {
    Map<Class<?>, Function<Integer, Object>> receivers = new LinkedHashMap<>();
    receivers.put(ScratchImage.Builder.class, n -> ScratchImage.builder().entrypoint(program));
    receivers.put(JavaApplication.Builder.class, n -> JavaApplication.builder(jar));
    receivers.put(CaBundle.class, n -> CaBundle.fromJdk());
    receivers.put(LibraryResolver.class, n -> LibraryResolver.forHost());
    receivers.put(OciImages.class, n -> layout);
    receivers.put(OciLayout.class, n -> OciLayout.at(tmp.resolve("out-" + n)));
    receivers.put(dev.scratchkit.oci.OciArchive.class, n -> dev.scratchkit.oci.OciArchive.at(tmp.resolve("out-" + n + ".tar")));
    receivers.put(dev.scratchkit.oci.DockerArchive.class, n -> dev.scratchkit.oci.DockerArchive.at(tmp.resolve("out-" + n + ".tar")));
    receivers.put(dev.scratchkit.oci.DockerDaemon.class, n -> dev.scratchkit.oci.DockerDaemon.image("scratchkit-bad-input:1"));
    receivers.put(ImagePath.class, n -> ImagePath.of("/app"));
    receivers.put(ContainerSpec.class, n -> ContainerSpec.of(image));
    Function<Integer, Object> make = receivers.get(type);
    if (make == null) {
      throw new AssertionError("no receiver for " + type.getName() + ": add one to PublicApiBadInputTest.receiver");
    }
    return make.apply(++fresh);
  }

  /** A valid argument of a type, for the parameters not under test. */
  private static Object valid(Class<?> type, String method) throws IOException {
    if (type == String.class) {
      return OTHER_TEXT.getOrDefault(method, "x");
    } else if (type == String[].class) {
      return new String[] {"x"};
    } else if (type == Path.class) {
      return method.equals("addDirectory") ? directory : program;
    } else if (type == char[].class) {
      return "changeit".toCharArray();
    } else if (type == int.class) {
      return 0644;
    } else if (type == long.class) {
      return 0L;
    } else if (type == boolean.class) {
      return false;
    } else if (type == ImagePath.class) {
      return ImagePath.of("/app/x");
    } else if (type == Platform.class) {
      return Platform.LINUX_AMD64;
    } else if (type == PemOptions.class) {
      return PemOptions.plain();
    } else if (type == FileContent.class) {
      return FileContent.utf8("x");
    } else if (type == dev.scratchkit.DirectoryOptions.class) {
      return dev.scratchkit.DirectoryOptions.defaults();
    } else if (type == ElfFile.class) {
      return ElfFile.read(program);
    } else if (type == OciImages.class) {
      return layout;
    } else if (type == OciImages.Limits.class) {
      return OciImages.Limits.defaults();
    } else if (type == ScratchImage.class) {
      return image;
    } else if (type == Instant.class) {
      return Instant.EPOCH;
    } else if (type == Optional.class) {
      return Optional.empty();
    } else if (type == List.class) {
      return List.of();
    } else if (type == Map.class) {
      return Map.of();
    } else if (type == LayerEntry[].class) {
      return new LayerEntry[] {LayerEntry.bytes(ImagePath.of("/x"), "x".getBytes(StandardCharsets.UTF_8), 0644)};
    } else if (type.isEnum()) {
      return type.getEnumConstants()[0];
    }
    throw new AssertionError("no valid value of " + type.getName() + ": add one to PublicApiBadInputTest.valid");
  }

  private static Path helloJar(Path dir) throws IOException {
    Path src = Files.writeString(dir.resolve("Hello.java"),
        "public class Hello { public static void main(String[] a) { System.out.println(\"hello\"); } }\n");
    int rc = javax.tools.ToolProvider.getSystemJavaCompiler().run(null, null, null, "--release", "17", "-d",
        dir.toString(), src.toString());
    assertThat(rc).as("javac Hello.java").isZero();
    java.util.jar.Manifest manifest = new java.util.jar.Manifest();
    manifest.getMainAttributes().put(java.util.jar.Attributes.Name.MANIFEST_VERSION, "1.0");
    manifest.getMainAttributes().put(java.util.jar.Attributes.Name.MAIN_CLASS, "Hello");
    Path jar = dir.resolve("hello.jar");
    try (java.util.jar.JarOutputStream out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar), manifest)) {
      out.putNextEntry(new JarEntry("Hello.class"));
      out.write(Files.readAllBytes(dir.resolve("Hello.class")));
      out.closeEntry();
    }
    return jar;
  }

  private static String describe(Throwable t) {
    return Stream.iterate(t, x -> x != null, Throwable::getCause).limit(3)
        .map(x -> x.getClass().getName() + ": " + x.getMessage()).collect(Collectors.joining(" <- "));
  }
}
