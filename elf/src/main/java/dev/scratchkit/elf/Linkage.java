package dev.scratchkit.elf;

/** How a program gets its code at run time. */
public enum Linkage {
  /** Self-contained at a fixed address: no interpreter, no dynamic section. */
  STATIC,
  /**
   * Self-contained and position-independent: ET_DYN with a dynamic section but no interpreter and
   * no needed libraries ({@code gcc -static-pie}); it relocates itself.
   */
  STATIC_PIE,
  /** Needs the dynamic loader (PT_INTERP) or shared libraries (DT_NEEDED) at run time. */
  DYNAMIC
}
