package dev.scratchkit.registry;

import dev.scratchkit.certs.CaBundle;
import dev.scratchkit.oci.LayerCache;
import dev.scratchkit.registry.Registry;
import dev.scratchkit.oci.WriteResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Run by {@link CredentialLeakTest} in a JVM of its own with every logger at TRACE (slf4j) and
 * ALL (java.util.logging): pushes with each kind of Docker config and credential helper, and
 * prints every outcome with its whole stack trace, so the test can search all of it for secrets.
 *
 * <p>Arguments: registry host, CA PEM file, directory holding one {@code config.json} per case.
 */
public final class CredentialLeakMain {

  private CredentialLeakMain() {}

  public static void main(String[] args) throws Exception {
    System.out.println("slf4j trace enabled: "
        + org.slf4j.LoggerFactory.getLogger(CredentialLeakMain.class).isTraceEnabled());
    String host = args[0];
    CaBundle ca = CaBundle.fromPem(Path.of(args[1]));
    Path configs = Path.of(args[2]);
    Map<String, Registry> cases = new LinkedHashMap<>();
    Registry base = Registry.image(host + "/leak/app:1").trust(ca).cache(LayerCache.disabled());
    // DOCKER_CONFIG (set by the test) names the malformed helper: the default config path.
    cases.put("default-config-malformed-helper", base);
    try (var dirs = Files.list(configs)) {
      for (Path dir : (Iterable<Path>) dirs.sorted()::iterator) {
        Registry target = base.dockerConfig(dir.resolve("config.json"));
        if (dir.getFileName().toString().contains("hang")) {
          target = target.timeout(Duration.ofSeconds(4));
        }
        cases.put(dir.getFileName().toString(), target);
      }
    }
    for (Map.Entry<String, Registry> c : cases.entrySet()) {
      System.out.println("TARGET " + c.getKey() + ": " + c.getValue());
      try {
        WriteResult r = c.getValue().write(HostileRegistryTest.tinyImage());
        System.out.println("CASE " + c.getKey() + ": OK " + r.digest() + " " + r);
      } catch (RuntimeException e) {
        System.out.println("CASE " + c.getKey() + ": FAILED " + e);
        e.printStackTrace(System.out);
      }
    }
  }
}
