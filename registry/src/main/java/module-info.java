/**
 * Pushes images to and pulls them from a container registry
 * ({@link dev.scratchkit.registry.Registry}) over Apache HttpClient; jib-core parses references.
 */
// jib-core and httpclient have no module descriptor; their jars declare stable
// Automatic-Module-Names (not names derived from file names), which these requires use.
@SuppressWarnings("requires-automatic")
module dev.scratchkit.registry {
  // Registry is an ImageTarget of core; pullTo takes an elf Platform.
  requires transitive dev.scratchkit.core;
  requires com.google.cloud.tools.jib;
  requires org.apache.httpcomponents.httpclient;
  requires org.apache.httpcomponents.httpcore;
  requires com.fasterxml.jackson.core;
  requires com.fasterxml.jackson.databind;
  requires org.slf4j;

  exports dev.scratchkit.registry;
}
