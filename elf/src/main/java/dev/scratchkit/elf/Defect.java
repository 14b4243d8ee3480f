package dev.scratchkit.elf;

/**
 * A defect found while reading untrusted input, before the file's name is known to the code
 * that found it. {@link ElfFile#read} turns it into an {@link ElfFormatException} naming the
 * file. No stack trace: a fuzzer produces millions of these.
 */
final class Defect extends RuntimeException {
  private static final long serialVersionUID = 1L;

  Defect(String message) {
    super(message, null, false, false);
  }
}
