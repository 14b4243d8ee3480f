package dev.scratchkit.elf;

/**
 * The OS/ABI byte of the identification, {@code e_ident[EI_OSABI]}.
 *
 * <p>A plain value: {@link ElfFile} makes it from the file. Constructing one yourself only checks that its parts are
 * present and consistent; it reads no file and proves nothing about one.
 *
 * @param value the byte, e.g. 0 (System V) or 3 (GNU/Linux)
 * @param name its name as readelf prints it
 */
public record OsAbi(int value, String name) {

  /**
   * Names an OS/ABI value.
   *
   * @param value the {@code e_ident[EI_OSABI]} byte, 0 to 255
   * @return the value with its name as readelf prints it, e.g. "UNIX - GNU" for 3; the name is
   *     "unknown" for a value not in this library's table
   */
  public static OsAbi of(int value) {
    String name;
    switch (value) {
      case 0: name = "UNIX - System V"; break;
      case 1: name = "UNIX - HP-UX"; break;
      case 2: name = "UNIX - NetBSD"; break;
      case 3: name = "UNIX - GNU"; break;
      case 6: name = "UNIX - Solaris"; break;
      case 7: name = "UNIX - AIX"; break;
      case 8: name = "UNIX - IRIX"; break;
      case 9: name = "UNIX - FreeBSD"; break;
      case 10: name = "UNIX - TRU64"; break;
      case 12: name = "UNIX - OpenBSD"; break;
      case 97: name = "ARM"; break;
      case 255: name = "Standalone App"; break;
      default: name = "unknown"; break;
    }
    return new OsAbi(value, name);
  }

  @Override
  public String toString() {
    return name + " (" + value + ")";
  }
}
