package dev.scratchkit.internal.image;

import dev.scratchkit.DirectoryOptions;
import dev.scratchkit.JavaApplication;
import dev.scratchkit.ScratchImageException;
import dev.scratchkit.ScratchImageException.Problem;
import dev.scratchkit.certs.CaBundle;
import dev.scratchkit.certs.TrustStoreException;
import dev.scratchkit.elf.ElfException;
import dev.scratchkit.elf.ElfFormatException;
import dev.scratchkit.elf.ElfFile;
import dev.scratchkit.elf.Linkage;
import dev.scratchkit.elf.Platform;
import dev.scratchkit.elf.RuntimeNeed;
import dev.scratchkit.internal.java.JavaAssembly;
import dev.scratchkit.internal.oci.SourceFiles;
import dev.scratchkit.oci.ContainerConfig;
import dev.scratchkit.oci.ImagePath;
import dev.scratchkit.oci.ImageSpec;
import dev.scratchkit.oci.LayerEntry;
import dev.scratchkit.oci.LayerSpec;
import dev.scratchkit.oci.OciException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a builder's settings into an {@link ImageSpec}: reads the binaries and files, checks
 * everything that would keep the image from running, and lays out the layers (base, CA
 * certificates, time zones, shared libraries, then the user's layers: named with {@code layer(...)} or
 * split automatically). Every problem is collected, so one
 * {@link ScratchImageException} names all of them.
 */
public final class ImageAssembler {

  private static final Logger LOG = LoggerFactory.getLogger(ImageAssembler.class);

  /** Distroless's nonroot user and group. */
  public static final String DEFAULT_USER = BaseFilesystem.NONROOT + ":" + BaseFilesystem.NONROOT;
  /** Where the CA bundle goes; Go, OpenSSL, curl and rustls all look here. */
  public static final String CA_BUNDLE_PATH = "/etc/ssl/certs/ca-certificates.crt";
  static final String DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  static final String ZONEINFO_PATH = "/usr/share/zoneinfo";
  /**
   * The file time of the layers that do not depend on the app (base files, CA certificates, time
   * zones, shared libraries): fixed, so the same JDK gives the same CA layer in every image.
   */
  static final Instant SHARED_LAYER_TIME = Instant.EPOCH;

  /**
   * A file, directory, in-memory file or symbolic link the user added, and the layer it goes to.
   *
   * @param source the host file or directory; null for content and links
   * @param content the bytes of an in-memory file, else null
   * @param mode the in-memory file's mode
   * @param linkTarget a symbolic link's text, else null
   * @param layer the name given with {@code layer(...)}, or null for the automatic split
   */
  public record Source(Path source, String pathInImage, boolean directory, byte[] content, int mode,
      String linkTarget, String layer, DirectoryOptions options) {

    /** Without directory options (the defaults). */
    public Source(Path source, String pathInImage, boolean directory, byte[] content, int mode, String linkTarget,
        String layer) {
      this(source, pathInImage, directory, content, mode, linkTarget, layer, DirectoryOptions.defaults());
    }

    /** A host file or directory, in the automatic layers. */
    public Source(Path source, String pathInImage, boolean directory) {
      this(source, pathInImage, directory, null, 0, null, null);
    }

    /** Null options are the defaults. */
    public Source {
      options = options == null ? DirectoryOptions.defaults() : options;
    }

    /** An in-memory file (the bytes are the caller's copy). */
    public static Source content(String pathInImage, byte[] content, int mode) {
      return new Source(null, pathInImage, false, content, mode, null, null);
    }

    /** A symbolic link. */
    public static Source symlink(String pathInImage, String target) {
      return new Source(null, pathInImage, false, null, 0, target, null);
    }

    /** The same source in the named layer (null: the automatic split). */
    public Source inLayer(String name) {
      return new Source(source, pathInImage, directory, content, mode, linkTarget, name, options);
    }

    /** The same directory source taken with these options. */
    public Source withOptions(DirectoryOptions directoryOptions) {
      return new Source(source, pathInImage, directory, content, mode, linkTarget, layer, directoryOptions);
    }
  }

  /** Everything the builder was told. */
  public record Request(Path entrypoint, String entrypointPath, List<String> args, Map<String, String> env,
      String user, String workingDirectory, boolean caCertificates, CaBundle caBundle,
      boolean bundleSharedLibraries, Path sysroot, Path timezoneData, List<Source> sources,
      Map<String, String> labels, Map<String, String> annotations, List<String> exposedPorts,
      Instant creationTime, Platform platform, boolean strict, JavaApplication java, List<String> layerCalls,
      String entrypointLayer, boolean shell) {

    /** As before layers could be named: everything in the automatic split, no Java application. */
    public Request(Path entrypoint, String entrypointPath, List<String> args, Map<String, String> env,
        String user, String workingDirectory, boolean caCertificates, CaBundle caBundle,
        boolean bundleSharedLibraries, Path sysroot, Path timezoneData, List<Source> sources,
        Map<String, String> labels, Map<String, String> annotations, List<String> exposedPorts,
        Instant creationTime, Platform platform, boolean strict) {
      this(entrypoint, entrypointPath, args, env, user, workingDirectory, caCertificates, caBundle,
          bundleSharedLibraries, sysroot, timezoneData, sources, labels, annotations, exposedPorts, creationTime,
          platform, strict, null, List.of(), null, true);
    }
  }

  /** The assembled image and the warnings given. */
  public record Assembled(ImageSpec spec, List<String> warnings) {}

  /** An ELF file that goes into the image, and where. */
  record ImageElf(Path host, ImagePath inImage, ElfFile elf) {}

  private final Request request;
  private final List<Problem> problems = new ArrayList<>();
  private final List<String> warnings = new ArrayList<>();
  private final List<ImageElf> elfFiles = new ArrayList<>();
  private LayerEntry entrypointEntry;
  private final List<OutsideLinks.Pending> outsideLinks = new ArrayList<>();
  private Instant clampTo;

  public ImageAssembler(Request request) {
    this.request = request;
  }

  /**
   * Checks and assembles.
   *
   * @return the image
   * @throws ScratchImageException listing every problem
   */
  public Assembled assemble() {
    Instant created = creationTime();
    String epoch = System.getenv("SOURCE_DATE_EPOCH");
    clampTo = epoch != null && !epoch.isBlank() ? created : null; // kept host times clamp to it
    ImagePath entrypointPath = null;
    JavaAssembly.Parts java = request.java() == null ? null
        : new JavaAssembly(request.java(), request.sysroot(), problems, warnings).assemble();
    if (request.java() != null && request.entrypoint() != null) {
      problems.add(new Problem("entrypoint", "Both entrypoint(" + request.entrypoint() + ") and javaApplication("
          + request.java().jar() + ") are given, but an image runs one program. Keep one of them."));
    }
    ImageElf entrypoint = request.java() != null ? null : inspectEntrypoint();
    Map<String, List<LayerEntry>> userLayers = userLayers();
    String entrypointLayer = request.entrypointLayer() != null ? request.entrypointLayer() : AUTO_APP;
    if (entrypoint != null) {
      entrypointPath = entrypoint.inImage();
      elfFiles.add(entrypoint);
      userLayers.computeIfAbsent(entrypointLayer, k -> new ArrayList<>()).add(entrypointEntry);
    }
    for (Source source : request.sources()) {
      collect(source, userLayers.computeIfAbsent(layerKey(source), k -> new ArrayList<>()));
    }
    // Links leaving an added tree, judged now that every source is in: kept (when another call
    // added the target), copied or left out.
    OutsideLinks.judge(outsideLinks, byPath(userLayers), problems);
    if (java != null) {
      java.elfFiles().forEach(e -> elfFiles.add(new ImageElf(e.host(), e.inImage(), e.elf())));
    }
    checkAcrossLayers(userLayers);
    Map<ImagePath, LayerEntry> appByPath = byPath(userLayers);
    List<LayerEntry> baseEntries = BaseFilesystem.entries(request.sysroot() == null ? Path.of("/") : request.sysroot());
    if (request.workingDirectory() != null) {
      ImagePath dir = imagePath(request.workingDirectory(), "workingDirectory");
      // A directory the base files have (/tmp, /home/nonroot) keeps their owner and mode.
      boolean inBase = baseEntries.stream().anyMatch(e -> e.path().equals(dir) && e.type() == LayerEntry.Type.DIRECTORY);
      if (dir != null && !dir.isRoot() && !appByPath.containsKey(dir) && !inBase) {
        userLayers.computeIfAbsent(entrypointLayer, k -> new ArrayList<>()).add(LayerEntry.directory(dir, 0755));
      }
    }
    for (Map.Entry<String, List<LayerEntry>> layer : userLayers.entrySet()) {
      if (layer.getValue().isEmpty() && !layer.getKey().startsWith(AUTO)) {
        warn("layer(\"" + layer.getKey() + "\") gets no files, directories or links, so it is left out of the"
            + " image. Add entries after layer(\"" + layer.getKey() + "\"), or remove the call.");
      }
    }

    Platform platform = checkPlatforms(entrypoint);
    checkLinkage();
    List<LayerEntry> libraryEntries = List.of();
    List<String> libraryPath = List.of();
    if (request.bundleSharedLibraries() || request.java() != null) {
      SharedLibraryBundler bundler = new SharedLibraryBundler(request.sysroot(), problems);
      Map<ImagePath, LayerEntry> inImage = new LinkedHashMap<>(appByPath);
      if (java != null) {
        inImage.putAll(java.entriesByPath());
      }
      libraryEntries = new ArrayList<>(bundler.bundle(elfFiles, inImage));
      libraryPath = bundler.libraryPath();
      if (java != null) {
        libraryEntries.addAll(java.sysrootEntries());
      }
      Map<ImagePath, LayerEntry> present = new LinkedHashMap<>(inImage);
      libraryEntries.forEach(e -> present.putIfAbsent(e.path(), e));
      libraryEntries.addAll(new RuntimeDataBundler(request.sysroot(),
          request.bundleSharedLibraries() && request.java() == null && request.shell(), problems, bundler)
          .bundle(elfFiles, request.env(), present));
    }

    String passwd = textOf(userLayers, appByPath, "/etc/passwd").orElse(BaseFilesystem.passwd());
    String group = textOf(userLayers, appByPath, "/etc/group").orElse(BaseFilesystem.group());
    UserCheck.check(request.user(), passwd, group, problems);
    checkArguments();

    CaBundle bundle = caBundle();
    LayerEntry caEntry = null;
    if (bundle != null) {
      caEntry = LayerEntry.bytes(ImagePath.of(CA_BUNDLE_PATH), bundle.toPem().getBytes(StandardCharsets.UTF_8), 0644);
      LayerEntry own = appByPath.get(caEntry.path());
      if (own != null) {
        problems.add(new Problem(CA_BUNDLE_PATH, "The image gets " + CA_BUNDLE_PATH + " twice: from the CA bundle ("
            + bundle.size() + " certificates) and from an added file (" + own + "). Give the certificates"
            + " through caCertificates(CaBundle.fromPem(file)), or call noCaCertificates() to keep your file."));
      }
    }
    checkRuntimeNeeds(passwd);
    if (request.strict()) {
      for (String warning : warnings) {
        problems.add(new Problem("strict mode", warning + " (strict mode makes this an error)"));
      }
    }

    List<LayerSpec> layers = new ArrayList<>();
    // A later layer's implicit parent directory (root, 0755) would replace an earlier layer's: the
    // later layer repeats the earlier entry instead, so /home/nonroot stays nonroot's and 0700.
    EarlierDirectories earlier = new EarlierDirectories();
    try {
      // scratchkit's own layers carry a fixed time, so they are the same blobs in every image.
      layers.add(earlier.record(new LayerSpec(baseEntries,
          "scratchkit: base files (passwd, group, nsswitch.conf, /tmp)", SHARED_LAYER_TIME)));
      if (caEntry != null) {
        List<LayerEntry> caEntries = java == null ? List.of(caEntry) : List.of(caEntry, java.trustStore(bundle));
        layers.add(earlier.record(new LayerSpec(earlier.parentsOf(caEntries),
            "scratchkit: CA certificates (" + bundle.size() + ")", SHARED_LAYER_TIME)));
      }
      if (request.timezoneData() != null) {
        List<LayerEntry> tz = new ArrayList<>();
        SourceCollector.forDataTree(new Source(request.timezoneData(), ZONEINFO_PATH, true), problems).collect(tz);
        LOG.info("time zone data: {} entries from {} at {}", tz.size(), request.timezoneData(), ZONEINFO_PATH);
        layers.add(earlier.record(new LayerSpec(earlier.parentsOf(tz), "scratchkit: time zone data",
            SHARED_LAYER_TIME)));
      }
      if (!libraryEntries.isEmpty()) {
        layers.add(earlier.record(new LayerSpec(earlier.parentsOf(libraryEntries), "scratchkit: shared libraries",
            SHARED_LAYER_TIME)));
      }
      if (java != null) {
        // The runtime, its CDS archive and the dependencies change less often than the user's layers.
        java.layers().forEach(spec -> layers.add(earlier.record(spec)));
      }
    } catch (OciException e) {
      problems.add(new Problem("layers", e.getMessage()));
    }
    for (Map.Entry<String, List<LayerEntry>> layer : userLayers.entrySet()) {
      if (layer.getValue().isEmpty()) {
        continue;
      }
      String createdBy = switch (layer.getKey()) {
        case AUTO_DIRECTORIES -> "scratchkit: directories";
        case AUTO_FILES -> "scratchkit: files";
        // The path in the image, never the host's: the same inputs built in another checkout give the same image.
        case AUTO_APP -> "scratchkit: app"
            + (entrypoint == null || !entrypointLayer.equals(AUTO_APP) ? "" : " " + entrypoint.inImage());
        default -> "scratchkit: layer " + layer.getKey();
      };
      try {
        layers.add(earlier.record(new LayerSpec(earlier.parentsOf(layer.getValue()), createdBy)));
      } catch (OciException e) {
        problems.add(new Problem("layers", describeLayer(layer.getKey()) + ": " + e.getMessage()));
      }
    }
    if (java != null) {
      // The application itself changes most often: last.
      layers.add(java.appLayer());
    }
    ContainerConfig config = null;
    try {
      List<String> command = java != null ? java.entrypoint()
          : entrypointPath == null ? List.of() : List.of(entrypointPath.toString());
      config = config(command, bundle != null, libraryPath,
          java == null ? Map.of() : java.environment(request.user(), passwd));
    } catch (OciException e) {
      problems.add(new Problem("config", e.getMessage()));
    }
    if (!problems.isEmpty()) {
      throw new ScratchImageException(problems);
    }
    Map<String, String> annotations = new TreeMap<>(request.annotations());
    annotations.putIfAbsent("org.opencontainers.image.created", created.toString());
    ImageSpec spec = new ImageSpec(platform, created, config, layers, annotations, null);
    LOG.info("image {}: {} layers, entrypoint {}", platform, layers.size(), config.entrypoint());
    return new Assembled(spec, warnings);
  }

  /**
   * {@return the build root's zoneinfo directory, the default time zone data; null (logged) if
   * the root has none}
   *
   * @param root the sysroot, or {@code /}
   */
  public static Path defaultZoneinfo(Path root) {
    Path zoneinfo = root.resolve(ZONEINFO_PATH.substring(1));
    if (Files.isDirectory(zoneinfo)) {
      return zoneinfo;
    }
    LOG.info("no time zone data: {} is not a directory (Debian: install tzdata), so the image gets none", zoneinfo);
    return null;
  }

  private Instant creationTime() {
    if (request.creationTime() != null) {
      return request.creationTime().truncatedTo(ChronoUnit.SECONDS);
    }
    String epoch = System.getenv("SOURCE_DATE_EPOCH");
    if (epoch != null && !epoch.isBlank()) {
      try {
        return Instant.ofEpochSecond(Long.parseLong(epoch.trim()));
      } catch (NumberFormatException e) {
        problems.add(new Problem("SOURCE_DATE_EPOCH", "SOURCE_DATE_EPOCH is \"" + epoch + "\", not a number of"
            + " seconds since 1970. Set it to e.g. $(git log -1 --format=%ct), or unset it."));
      }
    }
    return Instant.EPOCH;
  }

  private ImageElf inspectEntrypoint() {
    Path binary = request.entrypoint();
    if (binary == null) {
      problems.add(new Problem("entrypoint", "No entrypoint: a scratch image has no shell or default program."
          + " Call entrypoint(Path) with the program to run."));
      return null;
    }
    Path absolute = binary.toAbsolutePath();
    ImagePath inImage;
    try {
      inImage = imagePath(request.entrypointPath() != null ? request.entrypointPath()
          : "/app/" + SourceFiles.utf8Name(absolute), "entrypoint path");
    } catch (OciException e) {
      problems.add(new Problem(absolute.toString(), e.getMessage() + "; or give its path in the image with"
          + " entrypoint(binary, \"/app/name\")"));
      inImage = null;
    }
    if (!Files.isRegularFile(absolute)) {
      problems.add(new Problem(absolute.toString(), absolute + (Files.exists(absolute)
          ? " is not a regular file. The entrypoint must be an executable program."
          : " does not exist. Check the path, or build the program first.")));
      return null;
    }
    if (!Files.isReadable(absolute)) {
      problems.add(new Problem(absolute.toString(), absolute + " cannot be read by this process (permissions)."
          + " Make it readable, e.g. chmod a+r."));
      return null;
    }
    // Recorded before it is read, so the checks judge the file that goes into the image; its
    // digest is taken after them (see SourceFiles).
    LayerEntry entry;
    try {
      entry = LayerEntry.file(inImage != null ? inImage : ImagePath.of("/entrypoint"), absolute, 0755);
    } catch (OciException e) {
      problems.add(new Problem(absolute.toString(), e.getMessage()));
      return null;
    }
    Path real = entry.source().orElseThrow();
    byte[] head = head(real, 128);
    if (head.length >= 2 && head[0] == '#' && head[1] == '!') {
      String line = new String(head, StandardCharsets.UTF_8).lines().findFirst().orElse("#!");
      problems.add(new Problem(absolute.toString(), absolute + " is a script (" + line.trim() + "), not an ELF"
          + " executable. A scratch image has no shell or interpreter to run it, so the container would fail"
          + " with \"no such file or directory\". Package a compiled program, or add its interpreter (e.g. a"
          + " static busybox) with addFile and make that the entrypoint."));
      return null;
    }
    ElfFile elf;
    try {
      elf = dev.scratchkit.internal.view.ElfFiles.read(real);
    } catch (ElfFormatException e) {
      problems.add(new Problem(absolute.toString(), absolute + " is not an ELF executable: " + e.getMessage()
          + ". A scratch image can only start a Linux ELF program."));
      return null;
    } catch (ElfException e) {
      problems.add(new Problem(absolute.toString(), e.getMessage()));
      return null;
    }
    if (!elf.isExecutable()) {
      problems.add(new Problem(absolute.toString(), absolute + " is an ELF " + elf.type()
          + " file, not an executable. Give the linked program as entrypoint."));
      return null;
    }
    String os = elf.goBuildInfo().flatMap(info -> info.goos()).orElse(null);
    if (os != null && !"linux".equals(os)) {
      problems.add(new Problem(absolute.toString(), absolute + " is a Go program built for GOOS=" + os
          + "; a Linux container cannot run it. Rebuild with GOOS=linux."));
    } else if (!elf.platform().os().equals("linux")) {
      problems.add(new Problem(absolute.toString(), absolute + " is built for " + elf.osAbi()
          + ", not Linux; a Linux container cannot run it. Build it for Linux."));
    }
    if (inImage == null) {
      return null;
    }
    try {
      entrypointEntry = SourceFiles.withContentDigest(entry);
    } catch (OciException e) {
      problems.add(new Problem(absolute.toString(), e.getMessage()));
      return null;
    }
    return new ImageElf(absolute, inImage, elf);
  }

  private Platform checkPlatforms(ImageElf entrypoint) {
    Map<Platform, List<ImageElf>> byPlatform = new LinkedHashMap<>();
    for (ImageElf f : elfFiles) {
      byPlatform.computeIfAbsent(f.elf().platform(), p -> new ArrayList<>()).add(f);
    }
    if (byPlatform.size() > 1) {
      problems.add(new Problem("platform", "The image mixes ELF files of different architectures, which cannot"
          + " run together: " + byPlatform.entrySet().stream()
              .map(e -> e.getKey() + " (" + e.getValue().stream().map(f -> f.host().toString()).limit(3)
                  .collect(Collectors.joining(", ")) + (e.getValue().size() > 3 ? ", ..." : "") + ")")
              .collect(Collectors.joining("; "))
          + ". Build every file for one platform; make one image per platform and combine them with ImageIndex."));
    }
    Platform detected = entrypoint != null ? entrypoint.elf().platform()
        : byPlatform.keySet().stream().findFirst().orElse(null);
    Platform explicit = request.platform();
    if (explicit != null && detected != null && !compatible(explicit, detected)) {
      problems.add(new Problem("platform", "platform(" + explicit + ") contradicts "
          + (entrypoint != null ? entrypoint.host() : "the image's ELF files") + ", which is built for " + detected
          + ". Remove platform(...) to take the binary's, or package a " + explicit + " build."));
    }
    if (explicit != null) {
      return explicit;
    }
    return detected != null ? detected : Platform.LINUX_AMD64;
  }

  // A variant given explicitly may refine what the header says (arm without attributes).
  private static boolean compatible(Platform explicit, Platform detected) {
    return explicit.os().equals(detected.os()) && explicit.architecture().equals(detected.architecture())
        && (detected.variant() == null || detected.variant().equals(explicit.variant()));
  }

  private void checkLinkage() {
    if (request.bundleSharedLibraries() || request.java() != null) {
      return;
    }
    for (ImageElf f : elfFiles) {
      ElfFile elf = f.elf();
      if (elf.linkage() != Linkage.DYNAMIC) {
        continue;
      }
      StringBuilder message = new StringBuilder(f.host() + " is dynamically linked: ");
      elf.interpreter().ifPresent(interp -> message.append("interpreter ").append(interp).append(", "));
      message.append(elf.neededLibraries().isEmpty() ? "needs shared libraries"
          : "needs " + String.join(", ", elf.neededLibraries())).append(".\n");
      message.append("A scratch image has no C library, so the container would fail with"
          + " \"no such file or directory\".\n");
      boolean cgo = elf.goBuildInfo().flatMap(info -> info.cgoEnabled()).orElse(false);
      if (cgo) {
        message.append("It is a Go binary built with CGO_ENABLED=1: rebuild with CGO_ENABLED=0,"
            + " or call bundleSharedLibraries().");
      } else if (elf.goBuildInfo().isPresent()) {
        message.append("It is a Go binary linked against the C library: rebuild with CGO_ENABLED=0,"
            + " or call bundleSharedLibraries().");
      } else {
        message.append("Link it statically (e.g. gcc -static), or call bundleSharedLibraries() to copy the"
            + " interpreter and libraries into the image.");
      }
      problems.add(new Problem(f.host().toString(), message.toString()));
    }
  }

  private void checkArguments() {
    List<String> args = request.args();
    if (args.size() == 1 && looksLikeShellCommand(args.get(0))) {
      String arg = args.get(0);
      String split = java.util.Arrays.stream(arg.trim().split("\\s+")).map(s -> "\"" + s + "\"")
          .collect(Collectors.joining(", "));
      problems.add(new Problem("args", "args(\"" + arg + "\") is a shell-form command line in one string, but"
          + " a scratch image has no shell to split it, so the program would get it as a single argument."
          + " Give one string per argument: args(" + split + ")."));
    }
    for (String arg : args) {
      if (arg.indexOf('\0') >= 0) {
        problems.add(new Problem("args", "an argument contains a NUL character, which no program can receive."));
      }
    }
  }

  private static boolean looksLikeShellCommand(String arg) {
    String trimmed = arg.trim();
    if (!trimmed.matches(".*\\s.*")) {
      return false;
    }
    // Only the first word tells: a flag, a path or a shell word starts a command line. Operators
    // alone do not, since a single argument is often a script for the program itself (jq
    // '.a | length', awk '{ print $1 }', sed 's/a/b/; s/c/d/').
    String first = trimmed.split("\\s+")[0];
    return first.startsWith("-") || first.startsWith("/") || first.startsWith("./")
        || List.of("sh", "bash", "exec", "echo", "cd", "env").contains(first);
  }

  private CaBundle caBundle() {
    if (!request.caCertificates()) {
      return null;
    }
    CaBundle bundle;
    try {
      bundle = request.caBundle() != null ? request.caBundle() : jdkBundle();
    } catch (TrustStoreException e) {
      problems.add(new Problem("caCertificates", "The JDK's CA certificates cannot be read: " + e.getMessage()
          + " Give a bundle with caCertificates(CaBundle.fromPem(...)), or call noCaCertificates()."));
      return null;
    }
    if (bundle.isEmpty()) {
      problems.add(new Problem("caCertificates", "The CA bundle is empty (" + bundle + "), so every TLS"
          + " connection from the container would fail to verify. Give certificates, e.g."
          + " caCertificates(CaBundle.fromJdk()), or call noCaCertificates() if the program makes no TLS"
          + " connections."));
      return null;
    }
    return bundle;
  }

  /** The JDK's bundle read last, with the identity of the cacerts file it was read from. */
  private record JdkBundle(String identity, CaBundle bundle) {}

  private static volatile JdkBundle lastJdkBundle;

  /**
   * {@link CaBundle#fromJdk()}, read again only when the JDK's {@code cacerts} file (after its
   * links) has another identity than when it was read last: a rebuild in the same JVM does not
   * parse the trust store and export its PEM every time (the bundle keeps its PEM).
   */
  static CaBundle jdkBundle() {
    String identity;
    try {
      Path cacerts = Path.of(System.getProperty("java.home"), "lib", "security", "cacerts").toRealPath();
      identity = SourceFiles.recordNow(cacerts).identity();
    } catch (IOException | RuntimeException e) {
      return CaBundle.fromJdk(); // not a plain file: let fromJdk find it and say what is wrong
    }
    JdkBundle last = lastJdkBundle;
    if (last != null && last.identity().equals(identity)) {
      return last.bundle();
    }
    CaBundle bundle = CaBundle.fromJdk();
    lastJdkBundle = new JdkBundle(identity, bundle);
    return bundle;
  }

  private void checkRuntimeNeeds(String passwd) {
    for (ImageElf f : elfFiles) {
      for (RuntimeNeed need : f.elf().runtimeNeeds()) {
        if (need.kind() == RuntimeNeed.Kind.CA_CERTIFICATES && !request.caCertificates()) {
          warn(f.host() + " evidently makes TLS connections (" + need.evidence() + "), but the image has no CA"
              + " certificates (noCaCertificates()), so verifying any server would fail with"
              + " \"certificate signed by unknown authority\". Remove noCaCertificates() to get the JDK's bundle.");
        } else if (need.kind() == RuntimeNeed.Kind.TIMEZONE_DATA && request.timezoneData() == null) {
          warn(f.host() + " evidently loads time zones (" + need.evidence() + "), but the image has no"
              + " /usr/share/zoneinfo (withoutTimeZoneData(), or the build root has none). Remove"
              + " withoutTimeZoneData() or call timezoneData(Path.of(\"/usr/share/zoneinfo\")), or embed the data"
              + " in the program (Go: import _ \"time/tzdata\").");
        } else if (need.kind() == RuntimeNeed.Kind.USER_DATABASE) {
          String uid = request.user().split(":", -1)[0];
          if (UserCheck.isNumeric(uid) && passwd.lines().noneMatch(line -> line.matches("[^:]*:[^:]*:" + uid + ":.*"))) {
            warn(f.host() + " evidently looks up users (" + need.evidence() + "), but the image's /etc/passwd has"
                + " no entry for uid " + uid + ", so such lookups fail. Run as a user it defines (e.g. nonroot,"
                + " 65532), or add your own /etc/passwd with addFile.");
          }
        }
      }
    }
  }

  private void warn(String warning) {
    if (!warnings.contains(warning)) {
      warnings.add(warning);
      LOG.warn(warning);
    }
  }

  private ContainerConfig config(List<String> command, boolean certificates, List<String> libraryPath,
      Map<String, String> runtimeEnv) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PATH", DEFAULT_PATH.substring("PATH=".length()));
    if (certificates) {
      env.put("SSL_CERT_FILE", CA_BUNDLE_PATH);
    }
    if (!libraryPath.isEmpty()) {
      env.put("LD_LIBRARY_PATH", String.join(":", libraryPath));
    }
    env.putAll(runtimeEnv);
    env.putAll(request.env());
    List<String> envList = env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
    Set<String> ports = new LinkedHashSet<>(request.exposedPorts());
    return new ContainerConfig(request.user(), envList, command, request.args(),
        request.workingDirectory(), List.copyOf(ports), request.labels(), null);
  }

  private ImagePath imagePath(String path, String what) {
    try {
      return ImagePath.of(path);
    } catch (OciException e) {
      problems.add(new Problem(what, e.getMessage()));
      return null;
    }
  }

  static byte[] head(Path file, int length) {
    try (InputStream in = Files.newInputStream(file)) {
      return in.readNBytes(length);
    } catch (IOException e) {
      return new byte[0];
    }
  }

  private static Map<ImagePath, LayerEntry> byPath(Map<String, List<LayerEntry>> layers) {
    Map<ImagePath, LayerEntry> map = new LinkedHashMap<>();
    for (List<LayerEntry> entries : layers.values()) {
      for (LayerEntry e : entries) {
        map.putIfAbsent(e.path(), e);
      }
    }
    return map;
  }

  /**
   * The text of an added file a check reads; its entry (in both collections) then carries the
   * digest of exactly those bytes, so the image cannot get another file.
   */
  private Optional<String> textOf(Map<String, List<LayerEntry>> layers, Map<ImagePath, LayerEntry> byPath,
      String path) {
    LayerEntry entry = byPath.get(ImagePath.of(path));
    if (entry == null || entry.type() != LayerEntry.Type.FILE) {
      return Optional.empty();
    }
    if (entry.content().isPresent()) {
      return Optional.of(new String(entry.content().get(), StandardCharsets.UTF_8));
    }
    try {
      SourceFiles.Checked checked = SourceFiles.readChecked(entry, SourceFiles.MAX_CHECKED_TEXT);
      byPath.put(entry.path(), checked.entry());
      for (List<LayerEntry> entries : layers.values()) {
        entries.replaceAll(e -> e == entry ? checked.entry() : e);
      }
      return Optional.of(new String(checked.content(), StandardCharsets.UTF_8));
    } catch (OciException e) {
      problems.add(new Problem(entry.source().orElseThrow().toString(), e.getMessage()));
      return Optional.empty();
    }
  }

  // Keys of the automatic layers; a NUL never appears in a name the user may give.
  private static final String AUTO = "\0";
  private static final String AUTO_DIRECTORIES = AUTO + "directories";
  private static final String AUTO_FILES = AUTO + "files";
  private static final String AUTO_APP = AUTO + "app";
  /** Longest layer name: it is shown in {@code docker history}, one line per layer. */
  static final int MAX_LAYER_NAME = 128;

  /**
   * The user's layers in image order, empty: the automatic directories and files, the named
   * ones in the order of their first {@code layer(...)} call, then the automatic entrypoint
   * layer. Refuses bad names and a name called again after another one.
   */
  private Map<String, List<LayerEntry>> userLayers() {
    Map<String, List<LayerEntry>> layers = new LinkedHashMap<>();
    layers.put(AUTO_DIRECTORIES, new ArrayList<>());
    layers.put(AUTO_FILES, new ArrayList<>());
    List<String> calls = request.layerCalls();
    for (int i = 0; i < calls.size(); i++) {
      String name = calls.get(i);
      if (i > 0 && calls.get(i - 1).equals(name)) {
        continue;
      }
      int first = calls.indexOf(name);
      if (first < i) {
        problems.add(new Problem("layer(\"" + name + "\")", "layer(\"" + name + "\") is called twice, as the "
            + ordinal(first + 1) + " and the " + ordinal(i + 1) + " layer(...) call, with layer(\""
            + calls.get(i - 1) + "\") in between, so the layer order would be ambiguous. Keep the calls that add"
            + " to \"" + name + "\" together after one layer(\"" + name + "\"), or give the later ones a name of"
            + " their own."));
        continue;
      }
      String problem = layerNameProblem(name);
      if (problem != null) {
        problems.add(new Problem("layer(\"" + printable(name) + "\")", "layer(\"" + printable(name) + "\"): "
            + problem + " The name is shown in the image history (docker history); give one such as"
            + " layer(\"assets\")."));
      }
      layers.put(name, new ArrayList<>());
    }
    layers.put(AUTO_APP, new ArrayList<>());
    return layers;
  }

  private static String layerNameProblem(String name) {
    if (name.isBlank()) {
      return name.isEmpty() ? "the layer name is empty." : "the layer name is blank (only white space).";
    }
    if (name.codePoints().anyMatch(Character::isISOControl)) {
      return "the layer name contains a control character (such as a line break or NUL).";
    }
    if (!name.equals(name.strip())) {
      return "the layer name starts or ends with white space, which docker history would not show.";
    }
    if (name.length() > MAX_LAYER_NAME) {
      return "the layer name is " + name.length() + " characters long, more than the " + MAX_LAYER_NAME
          + " allowed.";
    }
    return null;
  }

  private static String printable(String name) {
    StringBuilder s = new StringBuilder();
    name.codePoints().limit(MAX_LAYER_NAME).forEach(c -> s.append(Character.isISOControl(c)
        ? String.format("\\u%04x", c) : Character.toString(c)));
    return s + (name.codePointCount(0, name.length()) > MAX_LAYER_NAME ? "..." : "");
  }

  private static String ordinal(int n) {
    String suffix = n % 100 / 10 == 1 ? "th" : switch (n % 10) {
      case 1 -> "st";
      case 2 -> "nd";
      case 3 -> "rd";
      default -> "th";
    };
    return n + suffix;
  }

  private static String layerKey(Source source) {
    if (source.layer() != null) {
      return source.layer();
    }
    return source.directory() ? AUTO_DIRECTORIES : AUTO_FILES;
  }

  /** How messages name a layer. */
  static String describeLayer(String key) {
    return switch (key) {
      case AUTO_DIRECTORIES -> "the automatic layer of added directories";
      case AUTO_FILES -> "the automatic layer of added files";
      case AUTO_APP -> "the automatic entrypoint layer";
      default -> "layer \"" + printable(key) + "\"";
    };
  }

  private void collect(Source source, List<LayerEntry> into) {
    if (source.content() == null && source.linkTarget() == null) {
      new SourceCollector(source, problems, elfFiles).judgingOutsideLinksLater(outsideLinks, clampTo).collect(into);
      return;
    }
    String call = source.content() != null ? "addFile(\"" + source.pathInImage() + "\", content)"
        : "addSymlink(\"" + source.pathInImage() + "\", \"" + source.linkTarget() + "\")";
    ImagePath path;
    try {
      path = ImagePath.of(source.pathInImage());
    } catch (OciException e) {
      problems.add(new Problem(source.pathInImage(), call + ": " + e.getMessage()));
      return;
    }
    try {
      into.add(source.content() != null ? LayerEntry.bytes(path, source.content(), source.mode())
          : LayerEntry.symlink(path, source.linkTarget()));
    } catch (OciException e) {
      problems.add(new Problem(path.toString(), call + ": " + e.getMessage()));
    }
  }

  /**
   * The same path in two user layers with different content: the later would silently hide
   * the earlier, which is never what two add calls meant. Directories may repeat (parents).
   */
  private void checkAcrossLayers(Map<String, List<LayerEntry>> layers) {
    Map<ImagePath, LayerEntry> first = new LinkedHashMap<>();
    Map<ImagePath, String> firstLayer = new LinkedHashMap<>();
    for (Map.Entry<String, List<LayerEntry>> layer : layers.entrySet()) {
      for (LayerEntry entry : layer.getValue()) {
        LayerEntry previous = first.putIfAbsent(entry.path(), entry);
        if (previous == null) {
          firstLayer.put(entry.path(), layer.getKey());
          continue;
        }
        String previousLayer = firstLayer.get(entry.path());
        boolean same = previous.equals(entry)
            || previous.type() == LayerEntry.Type.DIRECTORY && entry.type() == LayerEntry.Type.DIRECTORY;
        if (!same && !previousLayer.equals(layer.getKey())) {
          problems.add(new Problem(entry.path().toString(), entry.path() + " is in two layers with different"
              + " content: " + describeLayer(previousLayer) + " has " + previous + ", and "
              + describeLayer(layer.getKey()) + " has " + entry + "; the later layer would hide the earlier file."
              + " Add " + entry.path() + " in one layer only (remove one of the add calls), or give both the same"
              + " content and mode."));
        }
      }
    }
  }
}
