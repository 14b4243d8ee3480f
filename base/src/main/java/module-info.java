/**
 * What all scratchkit modules share: {@link dev.scratchkit.base.ScratchkitException}, the one root
 * of the exceptions the library throws on purpose.
 */
module dev.scratchkit.base {
  exports dev.scratchkit.base;
}
