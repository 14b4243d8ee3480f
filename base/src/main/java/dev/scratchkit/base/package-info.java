/**
 * What all scratchkit modules share: {@link dev.scratchkit.base.ScratchkitException}, the one
 * root of the exceptions the library throws on purpose.
 */
package dev.scratchkit.base;
