/**
 * Reads ELF files (platform, linkage, interpreter, needed libraries, Go build info, runtime needs)
 * and resolves a program's shared-library closure against a root file system.
 */
module dev.scratchkit.elf {
  // ElfException extends ScratchkitException: callers catch the root without requiring base.
  requires transitive dev.scratchkit.base;
  requires org.slf4j;

  exports dev.scratchkit.elf;
}
