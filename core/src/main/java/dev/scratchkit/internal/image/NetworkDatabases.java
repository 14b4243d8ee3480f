package dev.scratchkit.internal.image;

import dev.scratchkit.oci.ImagePath;
import dev.scratchkit.oci.LayerEntry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /etc/services} and {@code /etc/protocols}, which the base {@code nsswitch.conf} promises
 * ({@code services: files}): netbase's files from the root the image is built from, as distroless
 * ships them, or, where that root has none, a compact list of the well-known entries.
 */
final class NetworkDatabases {

  private static final Logger LOG = LoggerFactory.getLogger(NetworkDatabases.class);
  /** netbase's files are 13 KiB and 3 KiB; anything far larger is not one. */
  static final int MAX_BYTES = 1 << 20;

  // Well-known IANA assignments, for a build root without netbase.
  static final String SERVICES = """
      # Well-known services (IANA), scratchkit's compact list: the build root had no /etc/services.
      echo		7/tcp
      echo		7/udp
      discard		9/tcp		sink null
      discard		9/udp		sink null
      daytime		13/tcp
      daytime		13/udp
      ftp-data	20/tcp
      ftp		21/tcp
      ssh		22/tcp
      telnet		23/tcp
      smtp		25/tcp		mail
      time		37/tcp		timserver
      time		37/udp		timserver
      whois		43/tcp		nicname
      tacacs		49/tcp
      tacacs		49/udp
      domain		53/tcp
      domain		53/udp
      bootps		67/udp
      bootpc		68/udp
      tftp		69/udp
      gopher		70/tcp
      finger		79/tcp
      http		80/tcp		www
      kerberos	88/tcp		kerberos5 krb5 kerberos-sec
      kerberos	88/udp		kerberos5 krb5 kerberos-sec
      pop3		110/tcp		pop-3
      sunrpc		111/tcp		portmapper
      sunrpc		111/udp		portmapper
      auth		113/tcp		authentication tap ident
      nntp		119/tcp		readnews untp
      ntp		123/udp
      epmap		135/tcp		loc-srv
      netbios-ns	137/udp
      netbios-dgm	138/udp
      netbios-ssn	139/tcp
      imap2		143/tcp		imap
      snmp		161/tcp
      snmp		161/udp
      snmp-trap	162/tcp		snmptrap
      snmp-trap	162/udp		snmptrap
      bgp		179/tcp
      irc		194/tcp
      ldap		389/tcp
      ldap		389/udp
      https		443/tcp
      https		443/udp
      microsoft-ds	445/tcp
      kpasswd		464/tcp
      kpasswd		464/udp
      submissions	465/tcp		ssmtp smtps urd
      syslog		514/udp
      printer		515/tcp		spooler
      submission	587/tcp
      ipp		631/tcp
      ldaps		636/tcp
      ldaps		636/udp
      rsync		873/tcp
      ftps-data	989/tcp
      ftps		990/tcp
      telnets		992/tcp
      imaps		993/tcp
      pop3s		995/tcp
      socks		1080/tcp
      openvpn		1194/tcp
      openvpn		1194/udp
      ms-sql-s	1433/tcp
      radius		1812/tcp
      radius		1812/udp
      radius-acct	1813/tcp	radacct
      radius-acct	1813/udp	radacct
      nfs		2049/tcp
      nfs		2049/udp
      mysql		3306/tcp
      postgresql	5432/tcp	postgres
      amqp		5672/tcp
      x11		6000/tcp	x11-0
      memcache	11211/tcp
      """;

  static final String PROTOCOLS = """
      # Internet protocols (IANA), scratchkit's compact list: the build root had no /etc/protocols.
      ip	0	IP
      icmp	1	ICMP
      igmp	2	IGMP
      ipencap	4	IP-ENCAP
      tcp	6	TCP
      egp	8	EGP
      udp	17	UDP
      ipv6	41	IPv6
      ipv6-route	43	IPv6-Route
      ipv6-frag	44	IPv6-Frag
      rsvp	46	RSVP
      gre	47	GRE
      esp	50	IPSEC-ESP
      ah	51	IPSEC-AH
      ipv6-icmp	58	IPv6-ICMP
      ipv6-nonxt	59	IPv6-NoNxt
      ipv6-opts	60	IPv6-Opts
      ospf	89	OSPFIGP
      pim	103	PIM
      vrrp	112	VRRP
      l2tp	115	L2TP
      sctp	132	SCTP
      udplite	136	UDPLite
      mpls-in-ip	137	MPLS-in-IP
      """;

  private NetworkDatabases() {}

  /**
   * {@return the two files, from {@code root}'s {@code /etc} where it has them}
   *
   * @param root the build root (the sysroot given to bundleSharedLibraries, else {@code /})
   */
  static List<LayerEntry> entries(Path root) {
    return List.of(file(root, "etc/services", SERVICES), file(root, "etc/protocols", PROTOCOLS));
  }

  private static LayerEntry file(Path root, String relative, String fallback) {
    Path host = root.resolve(relative);
    byte[] content = null;
    // A regular file only: a link in a sysroot could lead to the build machine's own files.
    if (Files.isRegularFile(host, LinkOption.NOFOLLOW_LINKS)) {
      try (InputStream in = Files.newInputStream(host, LinkOption.NOFOLLOW_LINKS)) {
        byte[] read = in.readNBytes(MAX_BYTES + 1);
        if (read.length <= MAX_BYTES) {
          content = read;
        } else {
          LOG.warn("{} is larger than {} bytes, so it is not netbase's file; the image gets scratchkit's compact list"
              + " at /{}", host, MAX_BYTES, relative);
        }
      } catch (IOException e) {
        LOG.warn("{} cannot be read ({}); the image gets scratchkit's compact list at /{}", host, e.getMessage(),
            relative);
      }
    }
    if (content == null) {
      LOG.info("{} is not a regular file (Debian: install netbase): the image gets scratchkit's compact list at /{}",
          host, relative);
      content = fallback.getBytes(StandardCharsets.UTF_8);
    }
    return LayerEntry.bytes(ImagePath.of("/" + relative), content, 0644);
  }
}
