package dev.scratchkit.testing;

import dev.scratchkit.testkit.DockerEngine;
import dev.scratchkit.testkit.Podman;
import dev.scratchkit.testkit.Tools;
import java.util.Map;

/** A runner on each engine, as these machines run it; skips (fails in strict mode) when the engine is missing. */
final class TestEngines {

  private TestEngines() {}

  static Map<String, String> environment(Engine engine) {
    switch (engine) {
      case DOCKER:
        return DockerEngine.require().environment();
      case PODMAN:
        Podman.require();
        return Podman.environment();
      default:
        Tools.requireRoot();
        Tools.require("runc");
        Tools.require("umoci");
        return Map.of();
    }
  }

  static ImageRunner runner(Engine engine) {
    return ImageRunner.of(engine, environment(engine));
  }
}
