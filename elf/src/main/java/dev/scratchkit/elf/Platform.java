package dev.scratchkit.elf;

import java.util.Objects;

/**
 * An OCI platform: {@code os}, {@code architecture} and optional {@code variant}, spelled as
 * the OCI image spec and Go spell them ({@code linux/amd64}, {@code linux/arm64},
 * {@code linux/arm/v7}).
 *
 * @param os the operating system, e.g. {@code linux}
 * @param architecture the architecture, e.g. {@code amd64}, {@code arm64}, {@code arm}
 * @param variant the CPU variant, e.g. {@code v7}, or {@code null} when there is none
 */
public record Platform(String os, String architecture, String variant) {

  /** {@code linux/amd64}. */
  public static final Platform LINUX_AMD64 = new Platform("linux", "amd64", null);
  /** {@code linux/arm64}. */
  public static final Platform LINUX_ARM64 = new Platform("linux", "arm64", null);

  /**
   * Validates the parts; an empty variant means none and becomes {@code null}.
   *
   * @param os the operating system, e.g. {@code linux}
   * @param architecture the architecture, e.g. {@code amd64}
   * @param variant the CPU variant, e.g. {@code v7}; {@code null} or empty when there is none
   * @throws NullPointerException if {@code os} or {@code architecture} is null
   * @throws ElfException if a part is not a lower-case token (letters {@code a-z},
   *     digits, {@code _}, {@code .}, {@code -})
   */
  public Platform {
    Objects.requireNonNull(os, "os");
    Objects.requireNonNull(architecture, "architecture");
    if (!isToken(os) || !isToken(architecture)) {
      throw new ElfException(null, "not an OCI platform: os \"" + os + "\", architecture \""
          + architecture + "\"; give lower-case words such as linux and amd64", null);
    }
    if (variant != null && variant.isEmpty()) {
      variant = null;
    }
    if (variant != null && !isToken(variant)) {
      throw new ElfException(null, "not an OCI platform variant: \"" + variant + "\"; give a lower-case word such as v7,"
          + " or none", null);
    }
  }

  /**
   * A platform without a variant.
   *
   * @param os the operating system, e.g. {@code linux}
   * @param architecture the architecture, e.g. {@code amd64}
   * @return the platform {@code os/architecture}
   * @throws ElfException if a part is not a lower-case token
   */
  public static Platform of(String os, String architecture) {
    return new Platform(os, architecture, null);
  }

  /**
   * Parses {@code os/architecture[/variant]}, e.g. {@code linux/arm/v7}.
   *
   * @param text the platform as {@link #toString()} writes it
   * @return the platform; an empty variant ({@code linux/arm/}) means none
   * @throws ElfException if the text has fewer than two or more than three parts, or
   *     a part is not a lower-case token
   */
  public static Platform parse(String text) {
    String[] parts = Objects.requireNonNull(text, "text").split("/", -1);
    if (parts.length < 2 || parts.length > 3) {
      throw new ElfException(null, "not a platform: \"" + text + "\"; write it as os/architecture[/variant],"
          + " e.g. linux/arm64", null);
    }
    try {
      return new Platform(parts[0], parts[1], parts.length == 3 ? parts[2] : null);
    } catch (ElfException e) {
      throw new ElfException(null, "not a platform: \"" + text + "\" (" + e.getMessage() + ")", e);
    }
  }

  private static boolean isToken(String s) {
    return !s.isEmpty() && s.chars().allMatch(c -> (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-');
  }

  /** {@code os/architecture[/variant]}, the form {@link #parse} reads. */
  @Override
  public String toString() {
    return os + "/" + architecture + (variant == null ? "" : "/" + variant);
  }

  // Written out: the generated pair is linked through invokedynamic on first use, 10 to 50 ms of
  // every new JVM. RecordMethodsTest holds them to the generated answers and hashes.
  @Override
  public boolean equals(Object o) {
    return o instanceof Platform p && os.equals(p.os) && architecture.equals(p.architecture)
        && Objects.equals(variant, p.variant);
  }

  @Override
  public int hashCode() {
    return (31 * os.hashCode() + architecture.hashCode()) * 31 + Objects.hashCode(variant);
  }
}
