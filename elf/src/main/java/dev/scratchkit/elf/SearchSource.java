package dev.scratchkit.elf;

/** Where the loader found a library, in glibc's search order. */
public enum SearchSource {
  /** The program interpreter named by PT_INTERP. */
  INTERPRETER,
  /** A DT_NEEDED entry that is itself a path (contains a slash). */
  PATH,
  /** DT_RPATH of the requesting object or of the objects that loaded it. */
  RPATH,
  /**
   * {@code LD_LIBRARY_PATH}, as an image's {@code Env} sets it (see
   * {@link LibraryResolver#withLibraryPath(java.util.List)}); searched before DT_RUNPATH.
   */
  LD_LIBRARY_PATH,
  /** DT_RUNPATH of the requesting object. */
  RUNPATH,
  /**
   * The root's {@code /etc/ld.so.cache}. An image without that cache file will not find the
   * library this way unless it is also in a default directory.
   */
  LD_SO_CACHE,
  /** A directory from {@code /etc/ld.so.conf} (used when the sysroot has no cache). */
  LD_SO_CONF,
  /** A default directory of the loader ({@code /lib/<multiarch>}, {@code /usr/lib}, …). */
  DEFAULT_DIRECTORY
}
