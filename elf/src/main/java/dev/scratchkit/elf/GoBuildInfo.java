package dev.scratchkit.elf;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What the Go toolchain recorded in a Go binary ({@code go version -m} prints the same).
 *
 * <p>A plain value: {@link ElfFile#goBuildInfo()} makes it. Constructing one yourself only checks that its parts are
 * present and consistent; it reads no file and proves nothing about one.
 *
 * @param goVersion the toolchain, e.g. "go1.19.8"
 * @param path the main package path, or "" when the binary was built without module information
 * @param mainModule the main module, if recorded
 * @param dependencies the dependency modules in the recorded order
 * @param settings the build settings in the recorded order: CGO_ENABLED, GOOS, GOARCH, -tags,
 *     -ldflags, vcs.revision, …
 */
public record GoBuildInfo(String goVersion, String path, Optional<Module> mainModule,
    List<Module> dependencies, Map<String, String> settings) {

  /**
   * A Go module.
   *
   * @param path the module path
   * @param version its version, "(devel)" for the main module built from a work tree
   * @param sum the go.sum checksum, or ""
   * @param replacement the module that replaces it, if any
   */
  public record Module(String path, String version, String sum, Optional<Module> replacement) {
    /**
     * Checks that no part is null.
     *
     * @param path the module path
     * @param version its version, "(devel)" for the main module built from a work tree
     * @param sum the go.sum checksum, or ""
     * @param replacement the module that replaces it, or empty
     * @throws NullPointerException if a part is null
     */
    public Module {
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(version, "version");
      Objects.requireNonNull(sum, "sum");
      Objects.requireNonNull(replacement, "replacement");
    }

    @Override
    public String toString() {
      return path + (version.isEmpty() ? "" : "@" + version) + replacement.map(r -> " => " + r).orElse("");
    }
  }

  /**
   * Copies the parts into unmodifiable collections; {@code settings} keeps its iteration order.
   *
   * @param goVersion the toolchain, e.g. "go1.19.8"
   * @param path the main package path, or ""
   * @param mainModule the main module, or empty
   * @param dependencies the dependency modules in the recorded order
   * @param settings the build settings in the recorded order
   * @throws NullPointerException if a part or a dependency is null
   */
  public GoBuildInfo {
    Objects.requireNonNull(goVersion, "goVersion");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(mainModule, "mainModule");
    dependencies = List.copyOf(dependencies);
    settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
  }

  /**
   * {@return whether cgo was enabled: true if the CGO_ENABLED setting is "1", false for any other
   * value; empty if the setting is not recorded (binaries built before Go 1.18)}
   */
  public Optional<Boolean> cgoEnabled() {
    String value = settings.get("CGO_ENABLED");
    return value == null ? Optional.empty() : Optional.of("1".equals(value));
  }

  /**
   * {@return the GOOS setting, e.g. "linux"; empty if it is not recorded (binaries built before Go
   * 1.18)}
   */
  public Optional<String> goos() {
    return Optional.ofNullable(settings.get("GOOS"));
  }

  /**
   * {@return the GOARCH setting, e.g. "amd64"; empty if it is not recorded (binaries built before
   * Go 1.18)}
   */
  public Optional<String> goarch() {
    return Optional.ofNullable(settings.get("GOARCH"));
  }

  @Override
  public String toString() {
    return "GoBuildInfo[" + goVersion + (path.isEmpty() ? "" : " " + path)
        + mainModule.map(m -> ", module " + m).orElse("")
        + (dependencies.isEmpty() ? "" : ", " + dependencies.size() + " dependencies")
        + (settings.isEmpty() ? "" : ", settings " + settings) + "]";
  }
}
