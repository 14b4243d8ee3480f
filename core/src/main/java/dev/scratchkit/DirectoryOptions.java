package dev.scratchkit;

/**
 * How {@link ScratchImage.Builder#addDirectory(java.nio.file.Path, String, DirectoryOptions)}
 * takes a tree: what becomes of a symbolic link that leads outside it, and which modification
 * times the files carry. Immutable; each method returns a new value:
 *
 * <pre>{@code
 * builder.addDirectory(Path.of("/usr/lib/python3.11"), "/usr/lib/python3.11",
 *     DirectoryOptions.defaults().copyOutsideLinkTargets().keepModificationTimes());
 * }</pre>
 *
 * <p>A link that leads outside the tree is fine without any option when the image has what it
 * points to there (added by another call): it stays a link. Otherwise {@link #defaults()}
 * refuses it, {@link #copyOutsideLinkTargets()} puts a copy of what it points to on this machine
 * in its place, and {@link #leaveOutOutsideLinks()} leaves it out; both are logged at info, one
 * line per link.
 */
public final class DirectoryOptions {

  /** What becomes of a symbolic link that leads outside the tree, when the image lacks its target. */
  public enum OutsideLinks {
    /** {@code build()} refuses it, naming the link and the options. */
    REFUSE,
    /** The file (or directory tree) it points to on this machine is copied in its place. */
    COPY_TARGET,
    /** It is left out of the image. */
    LEAVE_OUT
  }

  private static final DirectoryOptions DEFAULTS = new DirectoryOptions(OutsideLinks.REFUSE, false);

  private final OutsideLinks outsideLinks;
  private final boolean keepModificationTimes;

  private DirectoryOptions(OutsideLinks outsideLinks, boolean keepModificationTimes) {
    this.outsideLinks = outsideLinks;
    this.keepModificationTimes = keepModificationTimes;
  }

  /**
   * {@return what {@code addDirectory(source, pathInImage)} does: links leading outside the tree
   * are refused (unless the image has their target), every entry carries the image's creation time}
   */
  public static DirectoryOptions defaults() {
    return DEFAULTS;
  }

  /**
   * A link that leads outside the tree, to something the image does not have, becomes a copy of
   * what it points to on this machine (a file, or a directory with its tree), each logged at
   * info. A link that leads nowhere on this machine is still refused.
   *
   * @return new options
   */
  public DirectoryOptions copyOutsideLinkTargets() {
    return new DirectoryOptions(OutsideLinks.COPY_TARGET, keepModificationTimes);
  }

  /**
   * A link that leads outside the tree, to something the image does not have, is left out,
   * each logged at info.
   *
   * @return new options
   */
  public DirectoryOptions leaveOutOutsideLinks() {
    return new DirectoryOptions(OutsideLinks.LEAVE_OUT, keepModificationTimes);
  }

  /**
   * Every file, directory and link of the tree keeps its modification time from this machine
   * (whole seconds) instead of the image's creation time, e.g. for Python, whose byte-code caches
   * ({@code __pycache__/*.pyc}) record their source's time and are recompiled at every start when
   * it differs. The layer's digest then depends on those times: the same tree copied elsewhere
   * (with new times) gives another digest. When {@code SOURCE_DATE_EPOCH} is set, a time later
   * than the image's creation time is clamped to it, as reproducible-builds' {@code tar
   * --clamp-mtime} does.
   *
   * @return new options
   */
  public DirectoryOptions keepModificationTimes() {
    return new DirectoryOptions(outsideLinks, true);
  }

  /** {@return what becomes of a link that leads outside the tree} */
  public OutsideLinks outsideLinks() {
    return outsideLinks;
  }

  /** {@return true if the host's modification times are kept} */
  public boolean keepsModificationTimes() {
    return keepModificationTimes;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DirectoryOptions d && d.outsideLinks == outsideLinks
        && d.keepModificationTimes == keepModificationTimes;
  }

  @Override
  public int hashCode() {
    return outsideLinks.hashCode() * 31 + Boolean.hashCode(keepModificationTimes);
  }

  /** E.g. {@code DirectoryOptions[outside links COPY_TARGET, host modification times]}. */
  @Override
  public String toString() {
    return "DirectoryOptions[outside links " + outsideLinks + (keepModificationTimes ? ", host modification times"
        : ", creation time") + "]";
  }
}
