package dev.scratchkit.internal.checks;

import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * glibc reads service names ({@code "https"} → 443) from {@code /etc/services} and protocol names
 * from {@code /etc/protocols} when {@code nsswitch.conf} says {@code files} for them (its default
 * when the file is absent). A program that imports {@code getservbyname}, {@code getaddrinfo}
 * (for a service given by name) or {@code getprotobyname} then fails to look them up.
 */
public final class NetworkDatabasesRule implements Rule {

  static final String NAME = "network-databases";
  static final Set<String> SERVICE_LOOKUPS = Set.of("getservbyname", "getservbyname_r", "getservbyport",
      "getservbyport_r", "getservent", "getservent_r");
  static final Set<String> PROTOCOL_LOOKUPS = Set.of("getprotobyname", "getprotobyname_r", "getprotobynumber",
      "getprotobynumber_r", "getprotoent", "getprotoent_r");
  static final Set<String> ADDRESS_LOOKUPS = Set.of("getaddrinfo");

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void check(CheckContext image, List<Finding> findings) {
    check(image, findings, "services", "/etc/services", "SERVICES_MISSING", SERVICE_LOOKUPS, true);
    check(image, findings, "protocols", "/etc/protocols", "PROTOCOLS_MISSING", PROTOCOL_LOOKUPS, false);
  }

  private static void check(CheckContext image, List<Finding> findings, String database, String file, String code,
      Set<String> lookups, boolean alsoAddresses) {
    Optional<String> nsswitch = image.text("/etc/nsswitch.conf");
    Optional<String> sources = nsswitch.flatMap(text -> sources(text, database));
    if (sources.isPresent() && !List.of(sources.get().split("\\s+")).contains("files")) {
      return; // another NSS source answers, e.g. "services: db"
    }
    Optional<String> evidence = ImportEvidence.inClosure(image, lookups);
    boolean byAddress = false;
    if (evidence.isEmpty() && alsoAddresses) {
      evidence = ImportEvidence.inClosure(image, ADDRESS_LOOKUPS);
      byAddress = evidence.isPresent();
    }
    if (evidence.isEmpty()) {
      return;
    }
    Optional<String> text = image.text(file);
    if (text.isPresent() && !text.get().isBlank()) {
      return;
    }
    String why = nsswitch.isEmpty() ? "the image has no /etc/nsswitch.conf, so glibc uses its default \"files\" for "
        + database : sources.isEmpty() ? "/etc/nsswitch.conf has no \"" + database + ":\" line, so glibc uses its"
        + " default \"files\"" : "/etc/nsswitch.conf says \"" + database + ": " + sources.get() + "\"";
    String has = text.isPresent() ? file + " is empty" : CheckContext.why(file, image.view().resolve(file));
    findings.add(new Finding(NAME, code, byAddress ? Severity.WARNING : Severity.ERROR, file, evidence.get() + " and "
        + why + ", but " + has + ", so every " + database + " lookup by name fails"
        + (byAddress ? " (getaddrinfo with a service name such as \"https\"; numeric ports still work)" : "") + ".",
        byAddress ? "getaddrinfo: Servname not supported for ai_socktype"
            : database.equals("services") ? "getservbyname returns NULL (unknown service)"
            : "getprotobyname returns NULL (unknown protocol)",
        image.fix("Build with a current scratchkit (its base files have " + file + "), or add " + file
                + " with addFile(Path.of(\"" + file + "\"), \"" + file + "\").",
            "COPY " + file + " (Debian package netbase) from the build stage to " + file + ".")));
  }

  /** {@return the sources after "database:" in nsswitch.conf, comments dropped} */
  static Optional<String> sources(String nsswitch, String database) {
    for (String line : nsswitch.lines().toList()) {
      String l = line.contains("#") ? line.substring(0, line.indexOf('#')) : line;
      int colon = l.indexOf(':');
      if (colon > 0 && l.substring(0, colon).trim().equals(database)) {
        return Optional.of(l.substring(colon + 1).trim());
      }
    }
    return Optional.empty();
  }
}
