package dev.scratchkit.internal.checks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.ScratchImage;
import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import dev.scratchkit.oci.LayerEntry;
import dev.scratchkit.testkit.Fixtures;
import dev.scratchkit.testkit.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * /etc/services and /etc/protocols, which the base nsswitch.conf promises: a C program calling
 * getservbyname, getaddrinfo with a service name and getprotobyname, and Debian's getent, under
 * runc as 65532, print what the host prints with the base files, and fail without them as the
 * doctor says.
 */
class NetworkDatabasesRuleTest {

  static final String LOOKUPS = """
      #include <netdb.h>
      #include <stdio.h>
      #include <arpa/inet.h>
      #include <netinet/in.h>
      int main(void) {
        struct servent *s = getservbyname("https", "tcp");
        printf("getservbyname https/tcp: %s\\n", s ? "found" : "NULL");
        if (s) printf("port %d\\n", ntohs(s->s_port));
        struct addrinfo hints = {0}, *ai;
        hints.ai_socktype = SOCK_STREAM;
        int rc = getaddrinfo("127.0.0.1", "https", &hints, &ai);
        if (rc) printf("getaddrinfo 127.0.0.1 https: %s\\n", gai_strerror(rc));
        else printf("getaddrinfo port %d\\n", ntohs(((struct sockaddr_in *) ai->ai_addr)->sin_port));
        struct protoent *p = getprotobyname("tcp");
        printf("getprotobyname tcp: %s\\n", p ? "found" : "NULL");
        if (p) printf("protocol %d\\n", p->p_proto);
        return s && !rc && p ? 0 : 1;
      }
      """;

  @TempDir static Path work;

  @Test
  void theBaseFilesAreTheBuildRootsNetbaseFiles() throws Exception {
    ScratchImage image = ScratchImage.builder().entrypoint(Fixtures.gcc(work, "static", "int main(void){return 0;}",
        "-static")).build();
    for (String file : List.of("/etc/services", "/etc/protocols")) {
      LayerEntry entry = image.spec().layers().get(0).entries().stream().filter(e -> e.path().toString().equals(file))
          .findFirst().orElseThrow();
      assertThat(entry.mode()).isEqualTo(0644);
      assertThat(entry.content().orElseThrow()).as(file).isEqualTo(Files.readAllBytes(Path.of(file)));
    }
    // A root without netbase: the compact list, which still names https and tcp.
    Path root = work.resolve("empty-root");
    Files.createDirectories(root);
    List<LayerEntry> base = dev.scratchkit.internal.image.BaseFilesystem.entries(root);
    String services = new String(base.stream().filter(e -> e.path().toString().equals("/etc/services")).findFirst()
        .orElseThrow().content().orElseThrow());
    assertThat(services).contains("https\t\t443/tcp\n", "compact list");
  }

  @Test
  void lookupsByNameWorkWithTheBaseFilesAndFailWithoutThemAsTheDoctorSays() throws Exception {
    Path program = RunTimeData.readable(Fixtures.gcc(work, "lookups", LOOKUPS));
    ScratchImage image = ScratchImage.builder().entrypoint(program, "/app/lookups").bundleSharedLibraries().build();
    Tools.Result host = RunTimeData.host(Map.of(), List.of(program.toString()));
    Path bundled = RunTimeData.write(image, work.resolve("bundled"));
    Tools.Result ok = RunTimeData.run(bundled, work);
    assertThat(ok.stdout()).isEqualTo(host.stdout()).isEqualTo("getservbyname https/tcp: found\nport 443\n"
        + "getaddrinfo port 443\ngetprotobyname tcp: found\nprotocol 6\n");
    assertThat(ok.exitCode()).isZero();
    assertThat(RunTimeData.hasFinding(bundled, NetworkDatabasesRule.NAME)).isFalse();

    Path lacking = RunTimeData.write(RunTimeData.without(image.spec(), "/etc/services", "/etc/protocols"),
        work.resolve("without"));
    Tools.Result failed = RunTimeData.run(lacking, work);
    assertThat(failed.stdout()).isEqualTo("getservbyname https/tcp: NULL\n"
        + "getaddrinfo 127.0.0.1 https: Servname not supported for ai_socktype\ngetprotobyname tcp: NULL\n");
    assertThat(failed.exitCode()).isEqualTo(1);
    Finding services = RunTimeData.finding(lacking, NetworkDatabasesRule.NAME, "SERVICES_MISSING");
    assertThat(services.severity()).isEqualTo(Severity.ERROR);
    assertThat(services.path()).isEqualTo("/etc/services");
    assertThat(services.message()).isEqualTo("/app/lookups imports getservbyname@GLIBC_2.2.5 and /etc/nsswitch.conf"
        + " says \"services: files\", but /etc/services does not exist in the image, so every services lookup by"
        + " name fails.");
    assertThat(services.fix()).isEqualTo("COPY /etc/services (Debian package netbase) from the build stage to"
        + " /etc/services.");
    Finding protocols = RunTimeData.finding(lacking, NetworkDatabasesRule.NAME, "PROTOCOLS_MISSING");
    assertThat(protocols.message()).startsWith("/app/lookups imports getprotobyname@GLIBC_2.2.5 and");
  }

  static final String ADDRESS_ONLY = """
      #include <netdb.h>
      #include <stdio.h>
      int main(void) {
        struct addrinfo *ai;
        int rc = getaddrinfo("127.0.0.1", "https", 0, &ai);
        puts(rc ? gai_strerror(rc) : "ok");
        return rc != 0;
      }
      """;

  @Test
  void getaddrinfoAloneIsAWarningNamingTheError() throws Exception {
    Path program = RunTimeData.readable(Fixtures.gcc(work, "gai", ADDRESS_ONLY));
    ScratchImage image = ScratchImage.builder().entrypoint(program, "/app/gai").bundleSharedLibraries().build();
    Path lacking = RunTimeData.write(RunTimeData.without(image.spec(), "/etc/services"), work.resolve("gai-without"));
    Tools.Result failed = RunTimeData.run(lacking, work);
    Finding f = RunTimeData.finding(lacking, NetworkDatabasesRule.NAME, "SERVICES_MISSING");
    assertThat(f.severity()).isEqualTo(Severity.WARNING);
    assertThat(f.message()).startsWith("/app/gai imports getaddrinfo@GLIBC_2.").endsWith("(getaddrinfo with a"
        + " service name such as \"https\"; numeric ports still work).");
    assertThat(failed.stdout()).isEqualTo("Servname not supported for ai_socktype\n");
    assertThat(f.runtimeError()).isEqualTo("getaddrinfo: " + failed.stdout().trim());
  }

  @Test
  void getentFindsHttpsAsOnTheHost() {
    Path getent = Tools.require("getent");
    ScratchImage image = ScratchImage.builder().entrypoint(getent, "/usr/bin/getent").args("services", "https")
        .bundleSharedLibraries().build();
    Tools.Result host = RunTimeData.host(Map.of(), List.of(getent.toString(), "services", "https"));
    Tools.Result ok = RunTimeData.run(RunTimeData.write(image, work.resolve("getent")), work);
    assertThat(ok.stdout()).isEqualTo(host.stdout()).startsWith("https ").contains("443/tcp");
    Path lacking = RunTimeData.write(RunTimeData.without(image.spec(), "/etc/services"), work.resolve("getent-without"));
    Tools.Result failed = RunTimeData.run(lacking, work);
    assertThat(failed.stdout()).isEmpty();
    assertThat(failed.exitCode()).isEqualTo(2); // getent: key not found
    assertThat(RunTimeData.finding(lacking, NetworkDatabasesRule.NAME, "SERVICES_MISSING").message())
        .startsWith("/usr/bin/getent imports getserv");
  }
}
