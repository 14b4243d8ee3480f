package dev.scratchkit.examples;

import dev.scratchkit.testkit.DockerEngine;
import java.net.URI;
import org.testcontainers.dockerclient.DockerClientProviderStrategy;
import org.testcontainers.dockerclient.TransportConfig;

/**
 * Points Testcontainers at this repository's test engine (testkit {@link DockerEngine}: the one
 * {@code DOCKER_HOST} names, or a dockerd the test run started on a private socket), found through
 * Testcontainers' {@code ServiceLoader} lookup of strategies. A project with a Docker engine at
 * {@code DOCKER_HOST} or the default socket needs nothing like it.
 */
public final class TestDockerEngineStrategy extends DockerClientProviderStrategy {

  @Override
  public String getDescription() {
    return "scratchkit test engine";
  }

  @Override
  protected int getPriority() {
    return 1000; // before Testcontainers' own strategies
  }

  @Override
  protected boolean isPersistable() {
    return false; // never written to ~/.testcontainers.properties
  }

  /** Host networking: the containers are on this machine's loopback (Testcontainers would look for a bridge). */
  @Override
  public synchronized String getDockerHostIpAddress() {
    return "127.0.0.1";
  }

  @Override
  public TransportConfig getTransportConfig() {
    return TransportConfig.builder().dockerHost(URI.create(DockerEngine.require().host())).build();
  }
}
