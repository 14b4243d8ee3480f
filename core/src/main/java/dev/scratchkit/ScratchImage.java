package dev.scratchkit;

import dev.scratchkit.certs.CaBundle;
import dev.scratchkit.elf.Platform;
import dev.scratchkit.internal.checks.CandidateChecks;
import dev.scratchkit.internal.image.ImageAssembler;
import dev.scratchkit.oci.ContainerConfig;
import dev.scratchkit.oci.ImagePath;
import dev.scratchkit.oci.ImageSpec;
import dev.scratchkit.oci.ImageTarget;
import dev.scratchkit.oci.LayerEntry;
import dev.scratchkit.oci.LayerSpec;
import dev.scratchkit.oci.ProgressListener;
import dev.scratchkit.oci.WriteResult;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A {@code FROM scratch} container image that has been checked to run: the program, the files
 * it needs, and its runtime config. Build one with {@link #builder()}, write it with
 * {@link #writeTo(ImageTarget)} to an {@link dev.scratchkit.oci.OciLayout}, an
 * {@link dev.scratchkit.oci.OciArchive}, a {@link dev.scratchkit.oci.DockerArchive} or a
 * registry.
 *
 * <pre>{@code
 * ScratchImage image = ScratchImage.builder()
 *     .entrypoint(Path.of("build/app"))
 *     .args("--port", "8080")
 *     .build();
 * WriteResult result = image.writeTo(OciLayout.at(Path.of("target/image")).tag("latest"));
 * }</pre>
 *
 * <p>Immutable. The same inputs always give the same image bytes.
 */
public final class ScratchImage {

  private final ImageSpec spec;
  private final List<String> warnings;

  private ScratchImage(ImageSpec spec, List<String> warnings) {
    this.spec = spec;
    this.warnings = List.copyOf(warnings);
  }

  /** {@return a new builder, to describe an image} */
  public static Builder builder() {
    return new Builder();
  }

  /** {@return the platform, from the entrypoint's ELF header unless set explicitly} */
  public Platform platform() {
    return spec.platform();
  }

  /** {@return the runtime config: user, environment, entrypoint, arguments, ports, labels} */
  public ContainerConfig config() {
    return spec.config();
  }

  /**
   * {@return the layers, least often changed first: base files, CA certificates, time zones,
   * shared libraries, then the added files in the layers the builder named or split (see
   * {@link Builder#layer(String)})}
   */
  public List<LayerSpec> layers() {
    return spec.layers();
  }

  /** {@return the image's creation time, which is also every file's modification time} */
  public Instant created() {
    return spec.created();
  }

  /** {@return every path in the image, in layer order and sorted within a layer} */
  public List<ImagePath> files() {
    List<ImagePath> files = new ArrayList<>();
    for (LayerSpec layer : spec.layers()) {
      for (LayerEntry entry : layer.entries()) {
        files.add(entry.path());
      }
    }
    return files;
  }

  /** {@return what {@link Builder#build()} warned about (already logged), e.g. TLS use without certificates} */
  public List<String> warnings() {
    return warnings;
  }

  /** {@return the complete description the targets write} */
  public ImageSpec spec() {
    return spec;
  }

  /**
   * Writes the image to a target.
   *
   * @param target where the image goes, e.g. {@code OciLayout.at(dir).tag("latest")}
   * @return the manifest digest and what was written
   */
  public WriteResult writeTo(ImageTarget target) {
    return writeTo(target, ProgressListener.NONE);
  }

  /**
   * Writes the image to a target, reporting progress.
   *
   * @param target where the image goes
   * @param listener receives layer and target events
   * @return the manifest digest and what was written
   */
  public WriteResult writeTo(ImageTarget target, ProgressListener listener) {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(listener, "listener");
    return target.write(spec, listener);
  }

  /** E.g. {@code ScratchImage[linux/amd64, entrypoint [/app/hello], 4 layers, 12 files]}. */
  @Override
  public String toString() {
    return "ScratchImage[" + platform() + ", entrypoint " + config().entrypoint() + ", " + layers().size()
        + " layers, " + files().size() + " files]";
  }

  /**
   * Describes a scratch image. Setters ({@code x(v)}) replace, {@code addX(...)} append;
   * nothing is read or checked until {@link #build()}, which checks everything and reports
   * every problem at once.
   */
  public static final class Builder {

    private Path entrypoint;
    private String entrypointPath;
    private List<String> args = List.of();
    private final Map<String, String> env = new LinkedHashMap<>();
    private String user = ImageAssembler.DEFAULT_USER;
    private String workingDirectory;
    private CaBundle caBundle;
    private boolean caCertificates = true;
    private boolean bundleSharedLibraries;
    private Path sysroot = Path.of("/");
    private Path timezoneData;
    private boolean withTimeZoneData = true;
    private boolean shell = true;
    private final List<ImageAssembler.Source> sources = new ArrayList<>();
    private final Map<String, String> labels = new LinkedHashMap<>();
    private final Map<String, String> annotations = new LinkedHashMap<>();
    private final List<String> exposedPorts = new ArrayList<>();
    private Instant creationTime;
    private Platform platform;
    private boolean strict;
    private JavaApplication java;
    private String layer;
    private String entrypointLayer;
    private final List<String> layerCalls = new ArrayList<>();

    private Builder() {}

    /**
     * Puts the files, directories, links and the entrypoint added after this call into the
     * layer {@code name}, until the next {@code layer(...)} call. Layers are separate blobs:
     * a rebuild that changes one file recompresses only its layer, and a registry or cache that
     * has the others keeps them.
     *
     * <pre>{@code
     * ScratchImage.builder()
     *     .layer("assets").addDirectory(Path.of("web"), "/app/web")
     *     .layer("config").addFile("/etc/app.conf", FileContent.utf8("port=8080\n"))
     *     .layer("app").entrypoint(Path.of("build/app"))
     *     .build();
     * }</pre>
     *
     * <p>The image's layers are scratchkit's own (base files, CA certificates, time zones,
     * shared libraries), then what was added before any {@code layer(...)} call, then the
     * named layers in the order of their {@code layer(...)} calls. What is added before any
     * call is split automatically, from least to most often changed: added directories, then
     * added files and links, then the entrypoint (with the working directory) last. Each layer
     * appears in the config history ({@code docker history}) as
     * {@code scratchkit: layer <name>}; the automatic ones as {@code scratchkit: directories},
     * {@code scratchkit: files} and {@code scratchkit: app <binary>}.
     *
     * <p>{@link #build()} refuses a blank name, a name called again after another layer's
     * (keep a layer's calls together, so the order is unambiguous), and the same path in two
     * layers with different content (the later would silently hide the earlier). A named layer
     * that gets no entries is left out with a warning.
     *
     * @param name the layer's name, e.g. {@code "assets"}, shown in the image history
     * @return this builder
     */
    public Builder layer(String name) {
      this.layer = Objects.requireNonNull(name, "name");
      layerCalls.add(name);
      return this;
    }

    /**
     * The program to run, placed at {@code /app/<file name>}.
     *
     * @param binary a static (or, with {@link #bundleSharedLibraries()}, dynamic) ELF executable
     * @return this builder
     */
    public Builder entrypoint(Path binary) {
      return entrypoint(binary, null);
    }

    /**
     * The program to run, placed at the given path in the image.
     *
     * @param binary the ELF executable on this machine
     * @param pathInImage an absolute path such as {@code /usr/local/bin/app}; {@code null}
     *     means {@code /app/<file name>}
     * @return this builder
     */
    public Builder entrypoint(Path binary, String pathInImage) {
      this.entrypoint = Objects.requireNonNull(binary, "binary");
      this.entrypointPath = pathInImage;
      this.entrypointLayer = layer;
      return this;
    }

    /**
     * Runs an executable jar ({@code java -jar}, exec form, as nonroot) on a runtime
     * {@code jlink}ed for it; the same as {@code javaApplication(JavaApplication.of(jar))}.
     *
     * @param jar a jar whose manifest names the Main-Class
     * @return this builder
     */
    public Builder javaApplication(Path jar) {
      return javaApplication(JavaApplication.of(jar));
    }

    /**
     * Runs a Java application on a runtime {@code jlink}ed for it: the modules {@code jdeps}
     * finds plus those loaded by name, the interpreter and shared libraries of every ELF file
     * of the runtime, the CA certificates as its {@code lib/security/cacerts}, a UTF-8 locale,
     * {@code JAVA_HOME} and {@code HOME}. Layers: runtime, CDS archive, dependency jars,
     * snapshot jars, the application. In place of {@link #entrypoint(Path)}.
     *
     * @param application the jar, class path, main class and runtime settings
     * @return this builder
     */
    public Builder javaApplication(JavaApplication application) {
      this.java = Objects.requireNonNull(application, "application");
      return this;
    }

    /**
     * The arguments passed to the entrypoint (the config's {@code Cmd}), one string per
     * argument: there is no shell to split a command line.
     *
     * @param args the arguments
     * @return this builder
     */
    public Builder args(String... args) {
      this.args = List.of(args);
      return this;
    }

    /**
     * Sets an environment variable; {@code SSL_CERT_FILE} and {@code PATH} have defaults
     * that this overrides.
     *
     * @param name the variable's name
     * @param value its value
     * @return this builder
     */
    public Builder env(String name, String value) {
      env.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /**
     * The user the program runs as: {@code name}, {@code uid}, {@code name:group} or
     * {@code uid:gid}. Names must exist in the image's {@code /etc/passwd} and
     * {@code /etc/group}. Default {@code 65532:65532} (nonroot).
     *
     * @param user the user
     * @return this builder
     */
    public Builder user(String user) {
      this.user = Objects.requireNonNull(user, "user");
      return this;
    }

    /**
     * The working directory of the program (created in the image if absent).
     *
     * @param directory an absolute path in the image
     * @return this builder
     */
    public Builder workingDirectory(String directory) {
      this.workingDirectory = Objects.requireNonNull(directory, "directory");
      return this;
    }

    /**
     * The CA certificates written to {@code /etc/ssl/certs/ca-certificates.crt} (with
     * {@code SSL_CERT_FILE} pointing there). Default: {@link CaBundle#fromJdk()}.
     *
     * @param bundle a non-empty bundle
     * @return this builder
     */
    public Builder caCertificates(CaBundle bundle) {
      this.caBundle = Objects.requireNonNull(bundle, "bundle");
      this.caCertificates = true;
      return this;
    }

    /**
     * No CA certificates in the image. {@code build()} warns when the program evidently makes
     * TLS connections (and refuses in {@link #strict(boolean) strict} mode).
     *
     * @return this builder
     */
    public Builder noCaCertificates() {
      this.caBundle = null;
      this.caCertificates = false;
      return this;
    }

    /**
     * Copies the ELF interpreter and the shared-library closure of every ELF file in the
     * image from this machine's root, so that a dynamically linked program runs in scratch,
     * and what the programs evidently load or run at run time beside them, each logged at info
     * with its evidence: {@code libgcc_s.so.1} for thread cancellation, glibc's gconv modules
     * for {@code iconv_open}, the locale the environment names, OpenSSL 3's provider modules
     * and {@code openssl.cnf}, and {@code /bin/sh} for {@code system()} and {@code popen()}
     * (see {@link #withoutShell()}).
     *
     * @return this builder
     */
    public Builder bundleSharedLibraries() {
      return bundleSharedLibraries(Path.of("/"));
    }

    /**
     * Copies the interpreter and shared libraries from a sysroot, e.g. a foreign-architecture
     * root file system.
     *
     * @param sysroot the directory that stands for {@code /}
     * @return this builder
     */
    public Builder bundleSharedLibraries(Path sysroot) {
      this.sysroot = Objects.requireNonNull(sysroot, "sysroot");
      this.bundleSharedLibraries = true;
      return this;
    }

    /**
     * Adds timezone data (a zoneinfo tree such as {@code /usr/share/zoneinfo}) at
     * {@code /usr/share/zoneinfo}, where Go and the C library look for it, in place of the
     * default (the build root's {@code /usr/share/zoneinfo}, see {@link #withoutTimeZoneData()}).
     *
     * @param zoneinfo the zoneinfo directory
     * @return this builder
     */
    public Builder timezoneData(Path zoneinfo) {
      this.timezoneData = Objects.requireNonNull(zoneinfo, "zoneinfo");
      this.withTimeZoneData = true;
      return this;
    }

    /**
     * Never brings a shell. With {@link #bundleSharedLibraries()}, a program that runs commands
     * through the shell (it, or a library it loads, imports {@code system} or {@code popen}, or
     * an {@code exec} function and names {@code /bin/sh}) gets the build root's {@code /bin/sh}
     * (Debian 12: dash, 125,640 bytes) unless the image has one, logged at info with the evidence:
     * without it the command never runs, with no word (exit status 127, an empty stream). Call
     * this to keep the image shell-free; {@code build()} then warns, and refuses when the image's
     * own inputs show a command run through the shell (a {@code git} alias starting with
     * {@code !}, an {@code awk} program's {@code system()}, a Makefile's recipe).
     *
     * @return this builder
     */
    public Builder withoutShell() {
      this.shell = false;
      return this;
    }

    /**
     * Leaves time zone data out. By default the image gets the build root's
     * {@code /usr/share/zoneinfo} (the sysroot given to {@link #bundleSharedLibraries(Path)},
     * else this machine's; Debian 12's tzdata 2025b is 900 files, 1.3 MB: a 2.2 MB layer tar,
     * 0.33 MB gzip-compressed), in a layer of its own, as distroless does: without it a program
     * that loads a zone by name (Go's {@code time.LoadLocation}, glibc with
     * {@code TZ=Europe/Berlin}) silently gets UTC.
     * {@link #build()} refuses an image whose {@code TZ} names a zone it then lacks, and warns
     * when the program evidently loads zones. A {@link #javaApplication(JavaApplication) Java
     * application} gets none by default: the runtime reads its own {@code lib/tzdb.dat}.
     *
     * @return this builder
     */
    public Builder withoutTimeZoneData() {
      this.timezoneData = null;
      this.withTimeZoneData = false;
      return this;
    }

    /**
     * Adds one file. Its mode is 0755 if the host file is executable, else 0644; owner root.
     *
     * <p>If {@code source} is a symbolic link, {@link #build()} resolves it once and the image
     * gets the file it led to then. That file is recorded (inode, size, times), and
     * {@link ScratchImage#writeTo writeTo} refuses, naming it, if it was changed or replaced since.
     *
     * @param source a regular file on this machine, or a link to one
     * @param pathInImage its absolute path in the image
     * @return this builder
     */
    public Builder addFile(Path source, String pathInImage) {
      sources.add(new ImageAssembler.Source(Objects.requireNonNull(source, "source"),
          Objects.requireNonNull(pathInImage, "pathInImage"), false).inLayer(layer));
      return this;
    }

    /**
     * Adds a file made in memory, e.g. a config a build tool generates. Owner root, the mode the
     * content carries ({@code 0644} unless set). {@link #build()} checks it like a host file:
     * its path, collisions with other entries, and the run checks on the image.
     *
     * @param pathInImage its absolute path in the image, e.g. {@code /etc/app/app.conf}
     * @param content e.g. {@code FileContent.utf8("port=8080\n")} or
     *     {@code FileContent.of(bytes).withMode(0755)}
     * @return this builder
     */
    public Builder addFile(String pathInImage, FileContent content) {
      sources.add(ImageAssembler.Source.content(Objects.requireNonNull(pathInImage, "pathInImage"),
          Objects.requireNonNull(content, "content").bytes(), content.mode()).inLayer(layer));
      return this;
    }

    /**
     * Adds a symbolic link, owned by root, as {@code ln -s target pathInImage} would make it.
     * The target is taken as text; in the image, {@code ..} never leads above {@code /}, and
     * {@link #build()} judges the link as it resolves in the image (e.g. a library path
     * through it), as the doctor does.
     *
     * @param pathInImage the link's absolute path in the image, e.g. {@code /usr/bin/app}
     * @param target the link text, absolute ({@code /app/bin/app}) or relative ({@code ../lib})
     * @return this builder
     */
    public Builder addSymlink(String pathInImage, String target) {
      sources.add(ImageAssembler.Source.symlink(Objects.requireNonNull(pathInImage, "pathInImage"),
          Objects.requireNonNull(target, "target")).inLayer(layer));
      return this;
    }

    /**
     * Adds a directory tree. Symbolic links are kept as links and must stay inside the tree,
     * judged as they resolve (through other links and {@code ..}), not by their text, or lead to
     * something the image has there (added by another call); others are refused, unless
     * {@link #addDirectory(Path, String, DirectoryOptions) options} say to copy or leave them out. Modes are normalised to 0755 (directories, executables) and 0644; owner
     * root. File names are taken as the UTF-8 bytes the file system holds, whatever the JVM's
     * locale; a name that is not valid UTF-8 is refused, naming it.
     *
     * <p>If {@code source} itself is a symbolic link to a directory, it is followed (once, like
     * {@code find -H}): the tree added is the directory it leads to when {@link #build()} runs.
     * Every regular file is recorded then, and {@link ScratchImage#writeTo writeTo} refuses,
     * naming the file, if one was changed, replaced, or is reached through a link since.
     *
     * @param source a directory on this machine, or a symbolic link to one
     * @param pathInImage where its content goes in the image
     * @return this builder
     */
    public Builder addDirectory(Path source, String pathInImage) {
      return addDirectory(source, pathInImage, DirectoryOptions.defaults());
    }

    /**
     * Adds a directory tree as {@link #addDirectory(Path, String)} does, with options for links
     * that lead outside it and for modification times:
     *
     * <pre>{@code
     * builder.addDirectory(Path.of("/usr/lib/python3.11"), "/usr/lib/python3.11",
     *     DirectoryOptions.defaults().copyOutsideLinkTargets().keepModificationTimes());
     * }</pre>
     *
     * <p>A link leading outside the tree is kept as a link, without any option, when the image
     * has its target at the path it points to (added by another call). Otherwise
     * {@link DirectoryOptions#defaults()} refuses it, {@link DirectoryOptions#copyOutsideLinkTargets()}
     * copies what it points to on this machine in its place, and
     * {@link DirectoryOptions#leaveOutOutsideLinks()} leaves it out, each logged at info.
     * {@link DirectoryOptions#keepModificationTimes()} keeps the host's times (the digest then
     * depends on them; clamped to the creation time when {@code SOURCE_DATE_EPOCH} is set).
     *
     * @param source a directory on this machine, or a symbolic link to one
     * @param pathInImage where its content goes in the image
     * @param options e.g. {@code DirectoryOptions.defaults().copyOutsideLinkTargets()}
     * @return this builder
     */
    public Builder addDirectory(Path source, String pathInImage, DirectoryOptions options) {
      sources.add(new ImageAssembler.Source(Objects.requireNonNull(source, "source"),
          Objects.requireNonNull(pathInImage, "pathInImage"), true).inLayer(layer)
          .withOptions(Objects.requireNonNull(options, "options")));
      return this;
    }

    /**
     * Sets a config label.
     *
     * @param key e.g. {@code org.opencontainers.image.source}
     * @param value its value
     * @return this builder
     */
    public Builder label(String key, String value) {
      labels.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /**
     * Sets a manifest annotation.
     *
     * @param key e.g. {@code org.opencontainers.image.version}
     * @param value its value
     * @return this builder
     */
    public Builder annotation(String key, String value) {
      annotations.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /**
     * Declares a port the program listens on, e.g. {@code 8080} or {@code 53/udp}.
     *
     * @param port a port, optionally with {@code /tcp}, {@code /udp} or {@code /sctp}
     * @return this builder
     */
    public Builder exposedPort(String port) {
      exposedPorts.add(port.contains("/") ? port : port + "/tcp");
      return this;
    }

    /**
     * The creation time, also every file's modification time. Default: the
     * {@code SOURCE_DATE_EPOCH} environment variable if set, else 1970-01-01T00:00:00Z.
     *
     * @param time the time (whole seconds are kept)
     * @return this builder
     */
    public Builder creationTime(Instant time) {
      this.creationTime = Objects.requireNonNull(time, "time");
      return this;
    }

    /**
     * The platform. Default: from the entrypoint's ELF header; {@code build()} refuses a
     * platform that contradicts the binaries.
     *
     * @param platform e.g. {@code Platform.parse("linux/arm64")}
     * @return this builder
     */
    public Builder platform(Platform platform) {
      this.platform = Objects.requireNonNull(platform, "platform");
      return this;
    }

    /**
     * In strict mode, warnings (such as TLS use without CA certificates) are problems that
     * make {@code build()} refuse.
     *
     * @param strict true for strict mode
     * @return this builder
     */
    public Builder strict(boolean strict) {
      this.strict = strict;
      return this;
    }

    /**
     * Reads the binaries and files, checks that the image would run, and assembles it.
     *
     * @return the image
     * @throws ScratchImageException listing every problem found, each with its fix
     */
    public ScratchImage build() {
      ImageAssembler.Request request = new ImageAssembler.Request(entrypoint, entrypointPath, args,
          new LinkedHashMap<>(env), user, workingDirectory, caCertificates, caBundle, bundleSharedLibraries, sysroot,
          !withTimeZoneData ? null : timezoneData != null ? timezoneData
              : java != null ? null : ImageAssembler.defaultZoneinfo(sysroot),
          List.copyOf(sources), new LinkedHashMap<>(labels), new LinkedHashMap<>(annotations),
          List.copyOf(exposedPorts), creationTime, platform, strict, java, List.copyOf(layerCalls),
          entrypointLayer, shell);
      List<ScratchImageException.Problem> inputs = CandidateChecks.inputProblems(entrypoint, entrypointPath, env);
      ImageAssembler.Assembled assembled;
      try {
        assembled = new ImageAssembler(request).assemble();
      } catch (ScratchImageException e) {
        throw CandidateChecks.withInputs(inputs, e);
      }
      // The same rules as the doctor, on the image as it will run.
      return new ScratchImage(assembled.spec(), CandidateChecks.check(assembled.spec(), inputs,
          assembled.warnings(), strict, sysroot));
    }
  }
}
