package dev.scratchkit.internal.java;

import dev.scratchkit.ScratchImageException.Problem;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The modules a runtime needs: what {@code jdeps --print-module-deps} finds in the class files,
 * plus the modules no class file shows but a running application loads, plus the user's.
 */
final class ModuleAnalysis {

  private static final Logger LOG = LoggerFactory.getLogger(ModuleAnalysis.class);
  private static final Duration JDEPS_TIMEOUT = Duration.ofMinutes(5);

  /**
   * Modules added to every runtime (where the JDK has them), with the reason: each is loaded
   * through the security configuration or a service lookup, which {@code jdeps} cannot see.
   */
  static final Map<String, String> ALWAYS = alwaysAdded();

  private static Map<String, String> alwaysAdded() {
    Map<String, String> m = new LinkedHashMap<>();
    // Up to JDK 21 the SunEC provider (ECDHE key exchange, ECDSA signatures) lives here and is
    // found through java.security's provider list. Measured on 17.0.15 with a runtime of
    // java.base,java.net.http against `openssl s_server -groups X25519:P-256` (servers that
    // offer only ECDHE, most of them): "SSLHandshakeException: Received fatal alert:
    // handshake_failure" (server: "no suitable key share"); with jdk.crypto.ec: TLSv1.3.
    // Also adoptium/containers #520. From JDK 22 SunEC is in java.base and the module is empty.
    m.put("jdk.crypto.ec", "EC cryptography for TLS (SunEC provider, found through java.security)");
    // The zip file system (FileSystems.newFileSystem of a jar or zip, "jar:" URIs) is a
    // FileSystemProvider found through ServiceLoader; about 100 KB.
    m.put("jdk.zipfs", "zip file system provider (found through ServiceLoader)");
    return m;
  }

  private ModuleAnalysis() {}

  /**
   * Runs {@code jdeps} over the application's class path and adds the other modules.
   *
   * @param roots the application's jar or class directory, then every dependency jar
   * @param added the user's modules
   * @return the sorted module set, or null after adding a problem
   */
  static SortedSet<String> modules(Jdk jdk, List<Path> roots, List<String> added, List<Problem> problems) {
    List<String> available = jdk.modules();
    List<String> args = new ArrayList<>(List.of("--print-module-deps", "--ignore-missing-deps",
        "--multi-release", Integer.toString(jdk.feature())));
    if (roots.size() > 1) {
      args.add("--class-path");
      args.add(roots.stream().map(Path::toString).collect(Collectors.joining(":")));
    }
    roots.forEach(r -> args.add(r.toString()));
    Jdk.Run run = jdk.run("jdeps", args, JDEPS_TIMEOUT);
    String last = run.output().strip().lines().reduce((a, b) -> b).orElse("");
    if (!run.ok() || !last.matches("[A-Za-z0-9_.]+(,[A-Za-z0-9_.]+)*")) {
      problems.add(new Problem(roots.get(0).toString(), "jdeps of " + jdk + " cannot tell which modules "
          + roots.get(0) + " needs (exit " + run.exitCode() + "):\n" + run.tail() + "\nCheck that every jar of the"
          + " class path is a readable jar, or name the modules yourself with addModules(...)."));
      return null;
    }
    SortedSet<String> modules = new TreeSet<>();
    for (String m : last.split(",")) {
      if (available.isEmpty() || available.contains(m)) {
        modules.add(m);
      } else {
        LOG.debug("jdeps names {}, which is not a module of {}; left out", m, jdk);
      }
    }
    LOG.info("jdeps: {} needs {}", roots.get(0).getFileName(), modules);
    for (Map.Entry<String, String> always : ALWAYS.entrySet()) {
      if (available.contains(always.getKey()) && modules.add(always.getKey())) {
        LOG.debug("adding {}: {}", always.getKey(), always.getValue());
      }
    }
    for (String m : added) {
      if (!available.isEmpty() && !available.contains(m)) {
        List<String> near = available.stream().filter(a -> a.contains(m) || m.contains(a)
            || a.substring(a.lastIndexOf('.') + 1).equals(m.substring(m.lastIndexOf('.') + 1))).limit(5).toList();
        problems.add(new Problem(m, "addModules(\"" + m + "\"): " + jdk + " has no module " + m
            + (near.isEmpty() ? "" : " (similar: " + String.join(", ", near) + ")")
            + ". Give a module of `" + jdk.home().resolve("bin/java") + " --list-modules`, or another JDK with"
            + " jdk(Path)."));
      } else {
        modules.add(m);
      }
    }
    if (modules.isEmpty()) {
      modules.add("java.base");
    }
    return modules;
  }
}
