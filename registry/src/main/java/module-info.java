/**
 * Pushes images to and pulls them from a container registry
 * ({@link dev.scratchkit.registry.Registry}), through jib-core.
 */
// jib-core, google-http-client and httpclient have no module descriptor; their jars declare stable
// Automatic-Module-Names (not names derived from file names), which these requires use.
@SuppressWarnings("requires-automatic")
module dev.scratchkit.registry {
  // Registry is an ImageTarget of core; pullTo takes an elf Platform.
  requires transitive dev.scratchkit.core;
  requires com.google.cloud.tools.jib;
  requires com.google.api.client;
  requires com.google.api.client.http.apache.v2;
  requires org.apache.httpcomponents.httpclient;
  requires org.apache.httpcomponents.httpcore;
  requires com.fasterxml.jackson.core;
  requires com.fasterxml.jackson.databind;
  requires org.slf4j;
  // google-http-client logs through java.util.logging; the push filters one of its loggers.
  requires java.logging;

  exports dev.scratchkit.registry;
  // Jackson instantiates the raw-manifest serializer (a package-private class) by reflection.
  opens dev.scratchkit.registry.internal to com.fasterxml.jackson.databind;
}
