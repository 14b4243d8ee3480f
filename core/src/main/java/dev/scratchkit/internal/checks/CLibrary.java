package dev.scratchkit.internal.checks;

import java.util.regex.Pattern;

/**
 * The C library's own files (glibc's libc, loader and their split-off parts): they define what a
 * program imports and name the system's files in their strings (passwd, hosts, locales), needs
 * that rules of their own check, so string evidence from them would only repeat those.
 */
final class CLibrary {

  private static final Pattern NAMES = Pattern.compile(
      "(libc|libm|libmvec|libpthread|libdl|librt|libresolv|libanl|libutil|libcrypt|libnsl|libBrokenLocale"
          + "|libnss_[a-z0-9_]+|libthread_db|libmemusage|libpcprofile|libc_malloc_debug)\\.so(\\.[0-9.]+)?"
          + "|ld-linux[-a-z0-9_.]*\\.so(\\.[0-9.]+)?|ld64\\.so(\\.[0-9.]+)?|ld-musl-[a-z0-9_]+\\.so\\.1|libc\\.musl-.*");

  private CLibrary() {}

  /** {@return true for a file of the C library, by its file name} */
  static boolean isCLibrary(String path) {
    return NAMES.matcher(path.substring(path.lastIndexOf('/') + 1)).matches();
  }
}
