package dev.scratchkit.registry;

import dev.scratchkit.certs.CaBundle;
import dev.scratchkit.elf.Platform;
import dev.scratchkit.oci.ImageSpec;
import dev.scratchkit.oci.ImageTarget;
import dev.scratchkit.oci.LayerCache;
import dev.scratchkit.oci.LayerCompression;
import dev.scratchkit.oci.OciException;
import dev.scratchkit.oci.OciImages;
import dev.scratchkit.oci.OciLayout;
import dev.scratchkit.oci.ProgressListener;
import dev.scratchkit.oci.WriteResult;
import dev.scratchkit.registry.internal.RegistryPull;
import dev.scratchkit.registry.internal.RegistryPush;
import dev.scratchkit.registry.internal.RegistryRef;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A container registry (Docker Registry HTTP API v2 / OCI distribution) as target.
 *
 * <p>The registry gets exactly the bytes an {@link OciLayout} gets for the same image: the
 * same layer blobs, config and manifest (or index), so the digest seen locally is the digest
 * in the registry. Blobs the registry already holds (checked with a HEAD request) are not
 * uploaded again and are reported through {@link ProgressListener#blobSkipped}.
 *
 * <p>Transport: HTTPS, trusting the JVM's default trust store (which honours the
 * {@code javax.net.ssl.trustStore} system property), or only the CAs given to
 * {@link #trust(CaBundle)}. Plain HTTP is used only for a loopback registry
 * ({@code localhost}, {@code 127.x.x.x}, {@code [::1]}) or after {@link #insecure()}, and
 * only when the registry does not speak TLS; certificate checks are never switched off.
 * A call that fails for a reason that passes (the connection reset or closed under it, HTTP 429,
 * 502, 503 or 504) is tried again, at most 5 times in all, after 0.5, 1, 2 and 4 s or as long as
 * the registry's {@code Retry-After} asks, each retry logged at info; a refused connection, TLS
 * and authentication failures are not retried. Each connect and read is bounded by the HTTP
 * timeout (20 s, the {@code jib.httpTimeout} system property in milliseconds), and the whole
 * upload, retries and their waits included, by
 * {@link #timeout(Duration)} ({@value #DEFAULT_TIMEOUT_MINUTES} minutes unless set), so a registry
 * that answers one byte at a time cannot hold a push forever.
 *
 * <p>Credentials: those given to {@link #credentials(String, char[])}; otherwise the Docker
 * config ({@code $DOCKER_CONFIG/config.json}, else {@code ~/.docker/config.json}, with its
 * {@code auths}, {@code credHelpers} and {@code credsStore}) and the well-known credential
 * helpers; otherwise anonymous. A credential helper ({@code docker-credential-<name>} on the
 * {@code PATH}) gets 30 seconds and 64 KiB of output. Credentials, a helper's output and the
 * config's contents are never logged (at any level, the HTTP client's own logging
 * included) and never part of a message.
 *
 * <p><b>Pull.</b> {@link #pullTo(Path)} copies an image from the registry into a new OCI layout
 * through the same client, TLS, credentials, redaction and deadline, verifying every manifest,
 * config and layer against its digest and size as it streams (layers go to disk, never into
 * memory; a manifest or config over 4 MiB is refused). The layout can then be read with
 * {@link OciImages} or examined with {@code ImageDoctor.examine(Path)}.
 *
 * <pre>{@code
 * WriteResult r = Registry.image("registry.example.com/team/app:1.0").tag("latest").write(image);
 * Diagnosis d = ImageDoctor.examine(Registry.image("registry.example.com/team/app:1.0").pullTo(dir));
 * }</pre>
 */
public final class Registry implements ImageTarget {

  /** The default of {@link #timeout(Duration)}, in minutes. */
  public static final int DEFAULT_TIMEOUT_MINUTES = 15;

  private final RegistryRef reference;
  private final String user;
  private final char[] password;
  private final Path dockerConfig;
  private final CaBundle trust;
  private final boolean insecure;
  private final LayerCompression compression;
  /** The layer cache, or null for {@link LayerCache#defaults()} resolved when pushing. */
  private final LayerCache cache;
  private final Duration timeout;

  private Registry(RegistryRef reference, String user, char[] password, Path dockerConfig, CaBundle trust,
      boolean insecure, LayerCompression compression, LayerCache cache, Duration timeout) {
    this.reference = reference;
    this.user = user;
    this.password = password;
    this.dockerConfig = dockerConfig;
    this.trust = trust;
    this.insecure = insecure;
    this.compression = compression;
    this.cache = cache;
    this.timeout = timeout;
  }

  /**
   * A registry image reference such as {@code registry.example.com/team/app:1.0} or
   * {@code 127.0.0.1:5000/app} (tag {@code latest}). A reference without a host, such as
   * {@code team/app:1}, means Docker Hub, as with {@code docker push}.
   *
   * @param reference {@code host[:port]/repository[:tag]}
   * @return the target
   * @throws OciException if the reference is not valid or names a digest
   */
  public static Registry image(String reference) {
    return new Registry(RegistryRef.parse(reference), null, null, null, null, false, LayerCompression.gzip(),
        null, Duration.ofMinutes(DEFAULT_TIMEOUT_MINUTES));
  }

  /**
   * More tags to point at the image, besides the one of the reference.
   *
   * @param tags e.g. {@code latest}, {@code 1.0}
   * @return a new target
   * @throws OciException if none is given or one is not a valid tag
   */
  public Registry tag(String... tags) {
    return new Registry(reference.plusTags(tags), user, password, dockerConfig, trust, insecure, compression, cache, timeout);
  }

  /**
   * Explicit credentials, replacing the Docker config and credential helpers. The password
   * array is copied; clear yours when done.
   *
   * @param user the user name
   * @param password the password or token
   * @return a new target
   */
  public Registry credentials(String user, char[] password) {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(password, "password");
    return new Registry(reference, user, password.clone(), dockerConfig, trust, insecure, compression, cache, timeout);
  }

  /**
   * Reads credentials from this Docker config file (its {@code auths}, {@code credHelpers} and
   * {@code credsStore}) instead of the default one.
   *
   * @param configJson a {@code config.json} as written by {@code docker login}
   * @return a new target
   */
  public Registry dockerConfig(Path configJson) {
    Path p = Objects.requireNonNull(configJson, "configJson").toAbsolutePath().normalize();
    return new Registry(reference, user, password, p, trust, insecure, compression, cache, timeout);
  }

  /**
   * Trusts only these CAs for the registry's TLS certificate, instead of the JVM's default
   * trust store. Host names are still checked.
   *
   * @param certificateAuthorities e.g. {@code CaBundle.fromPem(Path.of("ca.crt"))}
   * @return a new target
   * @throws OciException if the bundle is empty
   */
  public Registry trust(CaBundle certificateAuthorities) {
    Objects.requireNonNull(certificateAuthorities, "certificateAuthorities");
    if (certificateAuthorities.isEmpty()) {
      throw new OciException("an empty CA bundle was given to trust() for registry " + reference
          + "; it would trust no registry, give the CA that signed the registry's certificate");
    }
    return new Registry(reference, user, password, dockerConfig, certificateAuthorities, insecure, compression, cache, timeout);
  }

  /**
   * Allows plain HTTP to a registry that is not on a loopback address, when it does not
   * speak TLS. Credentials are still sent only over HTTPS (or to a loopback registry).
   *
   * @return a new target
   */
  public Registry insecure() {
    return new Registry(reference, user, password, dockerConfig, trust, true, compression, cache, timeout);
  }

  /**
   * The gzip level of the layers: 1 is fastest, 9 smallest, default 6 (as {@link OciLayout}).
   * Another level gives other layer digests.
   *
   * @param level 1 to 9
   * @return a new target
   */
  public Registry compressionLevel(int level) {
    return new Registry(reference, user, password, dockerConfig, trust, insecure, LayerCompression.gzip(level), cache,
        timeout);
  }

  /**
   * How layers are compressed: {@link LayerCompression#gzip()} (the default) or
   * {@link LayerCompression#zstd()} (faster; every registry stores it, but not every client
   * pulls it). Replaces {@link #compressionLevel(int)}.
   *
   * @param compression the algorithm and level
   * @return a new target
   */
  public Registry compression(LayerCompression compression) {
    Objects.requireNonNull(compression, "compression");
    OciLayout.at(Path.of("")).compression(compression); // the layouts' own check: zstd needs zstd-jni
    return new Registry(reference, user, password, dockerConfig, trust, insecure, compression, cache, timeout);
  }

  /**
   * Where compressed layers are reused from and kept while the image is staged for the push;
   * {@link LayerCache#defaults()} unless set (resolved when pushing), {@link LayerCache#disabled()}
   * to compress every layer anew.
   *
   * @param cache the layer cache
   * @return a new target
   */
  public Registry cache(LayerCache cache) {
    Objects.requireNonNull(cache, "cache");
    return new Registry(reference, user, password, dockerConfig, trust, insecure, compression, cache, timeout);
  }

  /**
   * The longest the upload may take, from the first connection to the last tag (the staging
   * before it, which compresses the layers, is not counted); for {@link #pullTo(Path)}, the
   * longest the pull may take. When it passes, open connections and a running credential helper
   * are closed and the push (or pull) fails with a {@link RegistryException} saying so. Default {@value #DEFAULT_TIMEOUT_MINUTES} minutes.
   *
   * @param timeout more than zero
   * @return a new target
   * @throws OciException if the timeout is zero or negative
   */
  public Registry timeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isZero() || timeout.isNegative()) {
      throw new OciException("the push timeout for " + description() + " must be more than zero, not " + timeout
          + "; give e.g. Duration.ofMinutes(30)");
    }
    return new Registry(reference, user, password, dockerConfig, trust, insecure, compression, cache, timeout);
  }

  /** {@return the longest the upload (or a pull) may take} */
  public Duration timeout() {
    return timeout;
  }

  /**
   * {@return the registry host, with the port when the reference gives one, e.g.
   * {@code 127.0.0.1:5000}; {@code registry-1.docker.io} for Docker Hub}
   */
  public String registry() {
    return reference.registry();
  }

  /** {@return the repository, e.g. {@code team/app}} */
  public String repository() {
    return reference.repository();
  }

  /** {@return the tags the image gets, the reference's first ({@code latest} if it has none)} */
  public List<String> tags() {
    return reference.tags();
  }

  /**
   * Pulls the image of the reference's tag into a new OCI layout at {@code layoutDir}, tagged
   * there with the same tag, and returns the directory, so that
   * {@code ImageDoctor.examine(Registry.image(ref).pullTo(dir))} examines a registry's image. When
   * the tag is an index (a multi-platform image), the image for this machine's platform
   * ({@code linux} and the JVM's {@code os.arch}) is taken, as {@code docker pull} does; use
   * {@link #pullTo(Path, Platform)} for another. Only that platform's manifest is copied, byte
   * for byte: its digest in the layout is its digest in the registry.
   *
   * <p>Every manifest must have the digest the registry names ({@code Docker-Content-Digest}) or
   * the index's descriptor gives; every config and layer is streamed to a temp file, never more
   * than its declared size, and kept only if it has its digest. The layout is written beside
   * {@code layoutDir} and renamed into place when complete, so {@code layoutDir} holds the whole
   * image or is left as it was. Credentials, TLS trust, {@link #insecure()} and
   * {@link #timeout(Duration)} apply as for a push; tags added with {@link #tag(String...)} and
   * the layer settings are not used.
   *
   * @param layoutDir a directory that does not exist yet (its parents are created) or is empty
   * @return {@code layoutDir}, absolute and normalised
   * @throws RegistryException naming the reference and the fix, when the directory is not new or
   *     empty, the tag does not exist, the registry refuses the credentials or cannot be reached,
   *     the index has no image for the platform, or a manifest or blob does not match its digest
   *     or exceeds its bounds
   */
  public Path pullTo(Path layoutDir) {
    return pull(Objects.requireNonNull(layoutDir, "layoutDir"), null);
  }

  /**
   * As {@link #pullTo(Path)}, taking the image for {@code platform} when the tag is an index
   * (a variant is matched only when given: {@code linux/arm64} takes {@code linux/arm64/v8}).
   * A tag that is a single image is pulled whatever its platform.
   *
   * @param layoutDir a directory that does not exist yet or is empty
   * @param platform e.g. {@code Platform.LINUX_ARM64}
   * @return {@code layoutDir}, absolute and normalised
   * @throws RegistryException as {@link #pullTo(Path)}
   */
  public Path pullTo(Path layoutDir, Platform platform) {
    return pull(Objects.requireNonNull(layoutDir, "layoutDir"), Objects.requireNonNull(platform, "platform"));
  }

  private Path pull(Path layoutDir, Platform platform) {
    return RegistryPull.pull(settings(LayerCache.disabled()), platform, layoutDir);
  }

  private RegistryPush.Settings settings(LayerCache layerCache) {
    return new RegistryPush.Settings(reference, user,
        password == null ? null : Arrays.copyOf(password, password.length), dockerConfig, trust, insecure,
        compression, layerCache, timeout, description());
  }

  @Override
  public WriteResult write(ImageSpec image, ProgressListener listener) {
    return push(List.of(Objects.requireNonNull(image, "image")), false, listener);
  }

  @Override
  public WriteResult writeIndex(List<ImageSpec> images, ProgressListener listener) {
    Objects.requireNonNull(images, "images");
    if (images.isEmpty()) {
      throw new OciException("an image index needs at least one image; none was given for " + description());
    }
    return push(List.copyOf(images), true, listener);
  }

  private WriteResult push(List<ImageSpec> images, boolean index, ProgressListener listener) {
    Objects.requireNonNull(listener, "listener");
    return RegistryPush.push(settings(cache != null ? cache : LayerCache.defaults()), images, index, listener);
  }

  /** E.g. {@code registry 127.0.0.1:5000/app:1,latest}; never shows credentials. */
  @Override
  public String description() {
    return "registry " + reference;
  }

  /** As {@link #description()}, plus how it authenticates and trusts, without any secret. */
  @Override
  public String toString() {
    return description() + (user != null ? " (user " + user + ")" : "")
        + (trust != null ? " (trusting " + trust.size() + " CAs)" : "") + (insecure ? " (insecure)" : "");
  }
}
