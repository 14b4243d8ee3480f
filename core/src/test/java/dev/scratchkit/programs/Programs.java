package dev.scratchkit.programs;

import static dev.scratchkit.programs.Row.WORK;
import static dev.scratchkit.programs.Row.c;
import static dev.scratchkit.programs.Row.program;

import dev.scratchkit.testkit.TestTls;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * The rows of the program matrix. Each says which class of run-time need it exercises
 * ({@link Need}); rows of one class use different programs, so that a rule keyed to one
 * program's name does not make the class pass.
 */
final class Programs {

  private Programs() {}

  static final String TEXT = "one\ntwo\nthree\n";
  static final String UTF8_TEXT = "héllo wörld\n";

  /** GNU tar runs its compressor through {@code /bin/sh -c}, so {@code tar -z} needs both. */
  static final String TAR_GZIP_CALLS = "addFile(Path.of(\"/usr/bin/gzip\"), \"/usr/bin/gzip\")";

  static void tarGzip(dev.scratchkit.ScratchImage.Builder b) {
    b.addFile(Path.of("/usr/bin/gzip"), "/usr/bin/gzip");
  }

  static final String PYTHON_CALLS = "addDirectory(Path.of(\"/usr/lib/python3.11\"), \"/usr/lib/python3.11\","
      + " DirectoryOptions.defaults().copyOutsideLinkTargets().keepModificationTimes())";

  static void pythonTree(dev.scratchkit.ScratchImage.Builder b) {
    b.addDirectory(Path.of("/usr/lib/python3.11"), "/usr/lib/python3.11",
        dev.scratchkit.DirectoryOptions.defaults().copyOutsideLinkTargets().keepModificationTimes());
  }

  /** The rows, in the order the report lists them. */
  static final List<Row> ROWS = List.of(
      // --- coreutils and friends: the closure only, and the base files ---
      program("env", Need.LIBRARIES, "/usr/bin/env")
          .hostShows("HOME=" + "/home/nonroot"),
      program("sha256sum", Need.LIBRARIES, "/usr/bin/sha256sum", "a.txt").file("a.txt", TEXT)
          .hostShows("a.txt"),
      program("ls-l-names", Need.USERS, "/usr/bin/ls", "-l", "a.txt", "b.txt").file("a.txt", TEXT)
          .file("b.txt", UTF8_TEXT).hostShows("root root"),
      program("stat-names", Need.USERS, "/usr/bin/stat", "-c", "%n %U:%G %a %s", "a.txt").file("a.txt", TEXT)
          .hostShows("a.txt root:root 644"),
      program("find-printf", Need.USERS, "/usr/bin/find", ".", "-name", "*.txt", "-printf", "%p %u:%g %m\n")
          .file("a.txt", TEXT).hostShows("./a.txt root:root 644"),
      program("touch-in-home", Need.HOME, "/usr/bin/touch", "made.txt"),
      program("ls-missing-de", Need.MESSAGES, "/usr/bin/ls", "/nonexistent").env("LANG", "de_DE.UTF-8").hostExit(2),
      program("grep-bad-option-de", Need.MESSAGES, "/usr/bin/grep", "--no-such-option").env("LC_ALL", "de_DE.UTF-8")
          .hostExit(2),
      program("cat-missing-language", Need.MESSAGES, "/usr/bin/cat", "missing.txt").env("LANG", "de_DE.UTF-8")
          .env("LANGUAGE", "fr:de").hostExit(1),
      program("sdiff-two-files", Need.HELPER, "/usr/bin/sdiff", "a.txt", "b.txt").file("a.txt", TEXT)
          .file("b.txt", "one\n2\nthree\n").hostExit(1)
          .fix(List.of("diff"), "addFile(Path.of(\"/usr/bin/diff\"), \"/usr/bin/diff\")",
              b -> b.addFile(Path.of("/usr/bin/diff"), "/usr/bin/diff")),
      program("diff3-three-files", Need.HELPER, "/usr/bin/diff3", "a.txt", "b.txt", "c.txt").file("a.txt", TEXT)
          .file("b.txt", "one\n2\nthree\n").file("c.txt", "one\ntwo\n3\n")
          .fix(List.of("diff"), "addFile(Path.of(\"/usr/bin/diff\"), \"/usr/bin/diff\")",
              b -> b.addFile(Path.of("/usr/bin/diff"), "/usr/bin/diff")),
      program("dash-c-uname", Need.HELPER, "/usr/bin/dash", "-c", "uname -s").hostShows("Linux")
          .fix(List.of("uname"), "addFile(Path.of(\"/usr/bin/uname\"), \"/usr/bin/uname\")",
              b -> b.addFile(Path.of("/usr/bin/uname"), "/usr/bin/uname")),
      program("timeout-cat", Need.HELPER, "/usr/bin/timeout", "5", "cat", "a.txt").file("a.txt", TEXT)
          .fix(List.of("cat"), "addFile(Path.of(\"/usr/bin/cat\"), \"/usr/bin/cat\")",
              b -> b.addFile(Path.of("/usr/bin/cat"), "/usr/bin/cat")),
      program("env-sort", Need.HELPER, "/usr/bin/env", "LC_ALL=C", "sort", "a.txt").file("a.txt", TEXT)
          .fix(List.of("sort"), "addFile(Path.of(\"/usr/bin/sort\"), \"/usr/bin/sort\")",
              b -> b.addFile(Path.of("/usr/bin/sort"), "/usr/bin/sort")),
      program("gawk-load-ordchr", Need.EXTENSIONS, "/usr/bin/gawk", "@load \"ordchr\"; BEGIN { print ord(\"A\") }")
          .hostShows("65")
          .fix(List.of("ordchr", "/usr/lib/x86_64-linux-gnu/gawk"), "addFile(Path.of(\"/usr/lib/x86_64-linux-gnu/gawk/"
              + "ordchr.so\"), \"/usr/lib/x86_64-linux-gnu/gawk/ordchr.so\")",
              b -> b.addFile(Path.of("/usr/lib/x86_64-linux-gnu/gawk/ordchr.so"),
                  "/usr/lib/x86_64-linux-gnu/gawk/ordchr.so")),
      program("lua-popen", Need.SHELL, "/usr/bin/lua5.4", "-e", "print(io.popen('echo hi'):read())").hostShows("hi"),
      program("sqlite3-shell", Need.SHELL, "/usr/bin/sqlite3", ":memory:", ".shell echo from sqlite")
          .hostShows("from sqlite"),
      program("bash-arith", Need.LIBRARIES, "/usr/bin/bash", "-c", "echo $((6 * 7))").hostShows("42"),
      program("split-filter-gzip", Need.HELPER, "/usr/bin/split", "-l", "2", "--filter=gzip -1 > $FILE.gz", "a.txt")
          .file("a.txt", TEXT)
          .fix(List.of("gzip"), "addFile(Path.of(\"/usr/bin/gzip\"), \"/usr/bin/gzip\")",
              b -> b.addFile(Path.of("/usr/bin/gzip"), "/usr/bin/gzip"))
          .also(Need.SHELL),
      program("tput-colors", Need.TERMINFO, "/usr/bin/tput", "colors").env("TERM", "xterm-256color")
          .hostShows("256"),
      program("tput-clear-screen", Need.TERMINFO, "/usr/bin/tput", "clear").env("TERM", "screen"),
      program("tar-c", Need.USERS, "/usr/bin/tar", "-cf", "-", "a.txt").file("a.txt", TEXT),
      program("diff-u", Need.LIBRARIES, "/usr/bin/diff", "-u", "a.txt", "b.txt").file("a.txt", TEXT)
          .file("b.txt", "one\n2\nthree\n").hostExit(1).hostShows("+2"),
      program("wc-m-c-utf8", Need.LOCALE, "/usr/bin/wc", "-m").env("LANG", "C.UTF-8").stdin(UTF8_TEXT)
          .hostShows("12"),
      program("date-tz", Need.TIMEZONE, "/usr/bin/date", "-d", "@0", "+%F %T %Z %z")
          .env("TZ", "America/New_York").hostShows("1969-12-31 19:00:00 EST -0500"),
      program("date-lc-time-de", Need.LOCALE, "/usr/bin/date", "-u", "-d", "@0", "+%A %B")
          .env("LC_TIME", "de_DE.UTF-8").hostShows("Donnerstag Januar"),
      program("numfmt-grouping-de", Need.LOCALE, "/usr/bin/numfmt", "--grouping", "1234567")
          .env("LC_ALL", "de_DE.UTF-8").hostShows("1.234.567"),
      program("sort-de", Need.LOCALE, "/usr/bin/sort").env("LANG", "de_DE.UTF-8").stdin("b\nB\nä\na\nA\nz\n")
          .hostShows("a\nA\nä\nb\nB\nz\n"),
      program("tree-utf8", Need.LOCALE, "/usr/bin/tree", "--noreport", ".").env("LANG", "C.UTF-8")
          .file("a.txt", TEXT).file("d/b.txt", TEXT).hostShows("└── "),
      // --- compression and archives ---
      // From stdin: of a file modified at the epoch (the image's default), gzip warns "timestamp out of range" and
      // exits 2, here and in the image alike.
      program("gzip", Need.LIBRARIES, "/usr/bin/gzip", "-c").stdin(TEXT),
      program("xz", Need.LIBRARIES, "/usr/bin/xz", "-c").stdin(TEXT),
      program("zstd", Need.LIBRARIES, "/usr/bin/zstd", "-q", "-c").stdin(TEXT),
      program("bzip2", Need.LIBRARIES, "/usr/bin/bzip2", "-c").stdin(TEXT),
      program("tar-czf", Need.HELPER, "/usr/bin/tar", "-czf", "-", "a.txt").file("a.txt", TEXT)
          // GNU tar starts gzip with /bin/sh -c; bundling brings the shell on tar's own evidence.
          .fix(List.of("gzip"), TAR_GZIP_CALLS, Programs::tarGzip)
          .also(Need.SHELL),
      program("tar-xzvf", Need.HELPER, "/usr/bin/tar", "-xzvf", "in.tgz").file("in.tgz", Programs::tgz)
          .hostShows("docs/readme.txt")
          // Reading, tar runs gzip -d itself: no shell needed.
          .fix(List.of("gzip"), "addFile(Path.of(\"/usr/bin/gzip\"), \"/usr/bin/gzip\")",
              b -> b.addFile(Path.of("/usr/bin/gzip"), "/usr/bin/gzip"))
          .also(Need.HOME),
      program("busybox-tar-czf", Need.HELPER, "/usr/bin/busybox", "tar", "-czf", "-", "a.txt")
          .file("a.txt", TEXT)
          .fix(List.of("gzip", "PATH"), "addSymlink(\"/usr/bin/gzip\", \"busybox\")",
              b -> b.addSymlink("/usr/bin/gzip", "busybox")),
      program("busybox-sh-applets", Need.LIBRARIES, "/usr/bin/busybox", "sh", "-c", "uname -s; sleep 0; echo done")
          .hostShows("Linux\ndone"),
      program("busybox-date-tz", Need.TIMEZONE, "/usr/bin/busybox", "date", "-d", "@86400", "+%F %H:%M %Z")
          .env("TZ", "Asia/Tokyo").hostShows("1970-01-02 09:00 JST"),
      // --- text tools ---
      program("sed", Need.LIBRARIES, "/usr/bin/sed", "-E", "s/(o+)/[\\1]/g").stdin("foo boo\n")
          .hostShows("f[oo] b[oo]"),
      program("sed-utf8-de", Need.LOCALE, "/usr/bin/sed", "s/./X/g").env("LC_ALL", "de_DE.UTF-8").stdin("äb\n")
          .hostShows("XX\n"),
      program("grep-P", Need.LIBRARIES, "/usr/bin/grep", "-oP", "\\d{3}").stdin("ab 1234 x\n").hostShows("123"),
      program("grep-i-utf8", Need.LOCALE, "/usr/bin/grep", "-i", "ÄRGER").env("LANG", "C.UTF-8")
          .stdin("kein ärger\n").hostShows("ärger"),
      program("mawk", Need.LIBRARIES, "/usr/bin/mawk", "BEGIN { printf \"%.4f\\n\", atan2(0, -1) }")
          .hostShows("3.1416"),
      program("gawk-length-utf8", Need.LOCALE, "/usr/bin/gawk", "BEGIN { print length(\"héllo\") }")
          .env("LANG", "C.UTF-8").hostShows("5"),
      program("gawk-getline-cmd", Need.SHELL, "/usr/bin/gawk", "-e",
          "BEGIN { \"echo from a shell\" | getline x; print \"got: \" x }").hostShows("got: from a shell")
          .fix(List.of("/bin/sh"), "addFile(Path.of(\"/bin/dash\"), \"/bin/sh\")",
              b -> b.addFile(Path.of("/bin/dash"), "/bin/sh")),
      program("iconv-latin1", Need.GCONV, "/usr/bin/iconv", "-f", "latin1", "-t", "utf-8")
          .stdin(UTF8_TEXT.getBytes(StandardCharsets.ISO_8859_1)).hostShows(UTF8_TEXT),
      program("iconv-euc-jp", Need.GCONV, "/usr/bin/iconv", "-f", "utf-8", "-t", "EUC-JP").stdin("日本語\n"),
      program("patch", Need.HOME, "/usr/bin/patch", "-p0").file("a.txt", TEXT)
          .stdin("--- a.txt\n+++ a.txt\n@@ -1,3 +1,3 @@\n one\n-two\n+2\n three\n").hostShows("patching file a.txt"),
      program("xxd", Need.LIBRARIES, "/usr/bin/xxd", "-l", "16", "a.txt").file("a.txt", TEXT),
      program("bc", Need.LIBRARIES, "/usr/bin/bc", "-l").stdin("scale=10; 4*a(1)\n").hostShows("3.1415926532"),
      program("file-magic", Need.DATA_FILES, "/usr/bin/file", "a.txt", "b.png").file("a.txt", TEXT)
          .file("b.png", Programs::png).hostShows("PNG image data, 1 x 1")
          .fix(List.of("magic.mgc"), "addFile(Path.of(\"/usr/lib/file/magic.mgc\"), \"/usr/lib/file/magic.mgc\")"
              + ", addSymlink(\"/usr/share/misc/magic.mgc\", \"../../lib/file/magic.mgc\")",
              b -> b.addFile(Path.of("/usr/lib/file/magic.mgc"), "/usr/lib/file/magic.mgc")
                  .addSymlink("/usr/share/misc/magic.mgc", "../../lib/file/magic.mgc")),
      // --- OpenSSL ---
      program("openssl-dgst", Need.LIBRARIES, "/usr/bin/openssl", "dgst", "-sha256", "a.txt").file("a.txt", TEXT)
          .hostShows("SHA2-256(a.txt)="),
      program("openssl-x509", Need.LIBRARIES, "/usr/bin/openssl", "x509", "-in", "ca.crt", "-noout", "-subject",
          "-fingerprint", "-sha256").file("ca.crt", () -> tls("ca.crt")).hostShows("subject=CN = scratchkit test CA"),
      program("openssl-md4-legacy", Need.OPENSSL_MODULES, "/usr/bin/openssl", "dgst", "-md4", "-provider", "legacy",
          "a.txt").file("a.txt", TEXT).hostShows("MD4(a.txt)="),
      program("openssl-enc-des-legacy", Need.OPENSSL_MODULES, "/usr/bin/openssl", "enc", "-des-cbc", "-provider",
          "legacy", "-provider", "default", "-K", "0011223344556677", "-iv", "0001020304050607", "-a", "-in", "a.txt")
          .file("a.txt", TEXT),
      program("openssl-req", Need.DATA_FILES, "/usr/bin/openssl", "req", "-new", "-key", "ca.key", "-subj",
          "/CN=matrix").file("ca.key", () -> tls("ca.key")).hostShows("BEGIN CERTIFICATE REQUEST")
          .fix(List.of("openssl.cnf"), "addFile(Path.of(\"/usr/lib/ssl/openssl.cnf\"), \"/usr/lib/ssl/openssl.cnf\")",
              b -> b.addFile(Path.of("/usr/lib/ssl/openssl.cnf"), "/usr/lib/ssl/openssl.cnf")),
      // --- databases, JSON, interpreters ---
      program("sqlite3-memory", Need.LIBRARIES, "/usr/bin/sqlite3", "-batch", ":memory:")
          .stdin("select upper('abc'), 6*7;\n").hostShows("ABC|42"),
      program("sqlite3-file", Need.HOME, "/usr/bin/sqlite3", "-batch", "data.db")
          .stdin("create table t(x); insert into t values (1), (2); select sum(x) from t;\n").hostShows("3"),
      program("jq", Need.LIBRARIES, "/usr/bin/jq", "-c", ".a | map(. * 2)").stdin("{\"a\": [1, 2, 3]}\n")
          .hostShows("[2,4,6]"),
      program("jq-one-arg-program", Need.ARGUMENTS, "/usr/bin/jq", ".a | length").stdin("{\"a\": [1, 2, 3]}\n")
          .hostShows("3"),
      program("jq-strflocaltime", Need.TIMEZONE, "/usr/bin/jq", "-nr", "0 | strflocaltime(\"%F %H:%M %Z\")")
          .env("TZ", "Asia/Kolkata").hostShows("1970-01-01 05:30 IST"),
      program("python3-version", Need.INTERPRETER, "/usr/bin/python3.11", "-c",
          "import sys; print(sys.version_info[:2])").hostShows("(3, 11)")
          .fix(List.of("python3.11", "copyOutsideLinkTargets()"), PYTHON_CALLS, Programs::pythonTree),
      program("python3-ssl-sqlite3", Need.INTERPRETER, "/usr/bin/python3.11", "-c",
          "import ssl, sqlite3, json; print(1)").hostShows("1")
          .fix(List.of("python3.11", "copyOutsideLinkTargets()"), PYTHON_CALLS, Programs::pythonTree),
      program("perl-e", Need.INTERPRETER, "/usr/bin/perl", "-e", "print \"sum \", 2 + 3, \"\\n\"").hostShows("sum 5")
          .fix(List.of("perl"), "addDirectory(Path.of(\"/usr/lib/x86_64-linux-gnu/perl-base\"), ...)",
              b -> b.addDirectory(Path.of("/usr/lib/x86_64-linux-gnu/perl-base"),
                  "/usr/lib/x86_64-linux-gnu/perl-base")),
      program("perl-posix", Need.INTERPRETER, "/usr/bin/perl", "-MPOSIX", "-e",
          "print POSIX::strftime(\"%A\", gmtime(0)), \"\\n\"").hostShows("Thursday")
          .fix(List.of("perl"), "addDirectory(Path.of(\"/usr/lib/x86_64-linux-gnu/perl-base\"), ...)",
              b -> b.addDirectory(Path.of("/usr/lib/x86_64-linux-gnu/perl-base"),
                  "/usr/lib/x86_64-linux-gnu/perl-base")),
      program("lua", Need.LIBRARIES, "/usr/bin/lua5.4", "-e", "print(string.format('%.5f', math.pi))")
          .hostShows("3.14159"),
      // --- network-free network programs, version banners of programs with many libraries ---
      program("curl-version", Need.LIBRARIES, "/usr/bin/curl", "--version").hostShows("curl "),
      program("curl-file", Need.LIBRARIES, "/usr/bin/curl", "-sS", "file://" + WORK + "/a.txt").file("a.txt", TEXT)
          .hostShows("two"),
      program("gpg-version", Need.LIBRARIES, "/usr/bin/gpg", "--version").hostShows("Home: /home/nonroot/.gnupg"),
      program("nano-version", Need.LIBRARIES, "/usr/bin/nano", "--version").hostShows("GNU nano"),
      program("getent-services", Need.SERVICES, "/usr/bin/getent", "services", "https").hostShows("443/tcp"),
      program("getent-protocols", Need.SERVICES, "/usr/bin/getent", "protocols", "udp").hostShows("17"),
      // --- git and make: helpers, shells, templates ---
      program("git-version", Need.LIBRARIES, "/usr/bin/git", "--version").hostShows("git version"),
      program("git-hash-object", Need.LIBRARIES, "/usr/bin/git", "hash-object", "a.txt").file("a.txt", TEXT),
      program("git-init", Need.DATA_FILES, "/usr/bin/git", "-c", "init.defaultBranch=main", "init", "repo")
          .hostShows("Initialized empty Git repository in /home/nonroot/repo/.git/")
          .fix(List.of("templates"), "addDirectory(Path.of(\"/usr/share/git-core/templates\"), ...)",
              b -> b.addDirectory(Path.of("/usr/share/git-core/templates"), "/usr/share/git-core/templates"))
          .also(Need.HOME),
      program("git-alias-shell", Need.SHELL, "/usr/bin/git", "-c", "alias.hi=!echo hi from an alias", "hi")
          .hostShows("hi from an alias")
          .fix(List.of("/bin/sh"), "addFile(Path.of(\"/bin/dash\"), \"/bin/sh\"), addFile(echo)",
              b -> b.addFile(Path.of("/bin/dash"), "/bin/sh")),
      program("make-helper", Need.HELPER, "/usr/bin/make", "-s").file("Makefile", "all:\n\tuname -s\n")
          .hostShows("Linux")
          .fix(List.of("uname"), "addFile(Path.of(\"/usr/bin/uname\"), \"/usr/bin/uname\")",
              b -> b.addFile(Path.of("/usr/bin/uname"), "/usr/bin/uname")),
      program("xargs-default-echo", Need.HELPER, "/usr/bin/xargs").stdin("one two\n").hostShows("one two")
          .fix(List.of("echo", "PATH"), "addFile(Path.of(\"/usr/bin/echo\"), \"/usr/bin/echo\")",
              b -> b.addFile(Path.of("/usr/bin/echo"), "/usr/bin/echo")),
      program("find-exec-cat", Need.HELPER, "/usr/bin/find", ".", "-name", "a.txt", "-exec", "cat", "{}", ";")
          .file("a.txt", TEXT).hostShows("two")
          .fix(List.of("cat"), "addFile(Path.of(\"/usr/bin/cat\"), \"/usr/bin/cat\")",
              b -> b.addFile(Path.of("/usr/bin/cat"), "/usr/bin/cat")),
      program("mawk-system-date", Need.HELPER, "/usr/bin/mawk", "BEGIN { system(\"date -u -d @0 +%Y\") }")
          .hostShows("1970")
          .fix(List.of("date"), "addFile(Path.of(\"/usr/bin/date\"), \"/usr/bin/date\")",
              b -> b.addFile(Path.of("/usr/bin/date"), "/usr/bin/date"))
          .also(Need.SHELL),
      program("make-shell", Need.SHELL, "/usr/bin/make", "-s").file("Makefile", "all:\n\techo \"made it\" > out.txt\n")
          .fix(List.of("/bin/sh"), "addFile(Path.of(\"/bin/dash\"), \"/bin/sh\")",
              b -> b.addFile(Path.of("/bin/dash"), "/bin/sh"))
          .also(Need.HOME),
      // --- C programs built here, one run-time need each ---
      c("c-pthread-exit", Need.UNWINDER, """
          #include <pthread.h>
          #include <stdio.h>
          int main(void) { puts("main ends"); fflush(stdout); pthread_exit(0); }
          """).hostShows("main ends"),
      c("c-getservbyname", Need.SERVICES, """
          #include <netdb.h>
          #include <stdio.h>
          #include <arpa/inet.h>
          int main(void) {
            struct servent *s = getservbyname("https", "tcp");
            if (!s) { puts("getservbyname(https) found nothing"); return 1; }
            printf("%s %d/%s\\n", s->s_name, ntohs(s->s_port), s->s_proto);
            return 0;
          }
          """).hostShows("https 443/tcp"),
      c("c-getaddrinfo-service", Need.SERVICES, """
          #include <netdb.h>
          #include <stdio.h>
          #include <string.h>
          #include <arpa/inet.h>
          int main(void) {
            struct addrinfo hints, *res;
            memset(&hints, 0, sizeof hints);
            hints.ai_family = AF_INET;
            hints.ai_socktype = SOCK_STREAM;
            int rc = getaddrinfo("localhost", "https", &hints, &res);
            if (rc) { printf("getaddrinfo: %s\\n", gai_strerror(rc)); return 2; }
            struct sockaddr_in *a = (struct sockaddr_in *) res->ai_addr;
            printf("%s port %d\\n", inet_ntoa(a->sin_addr), ntohs(a->sin_port));
            return 0;
          }
          """).hostShows("127.0.0.1 port 443"),
      c("c-iconv-open", Need.GCONV, """
          #include <iconv.h>
          #include <stdio.h>
          #include <string.h>
          int main(void) {
            iconv_t cd = iconv_open("ISO-8859-15", "UTF-8");
            if (cd == (iconv_t) -1) { perror("iconv_open(ISO-8859-15)"); return 1; }
            char in[] = "\\xe2\\x82\\xac 5", out[16], *ip = in, *op = out;
            size_t il = strlen(in), ol = sizeof out;
            if (iconv(cd, &ip, &il, &op, &ol) == (size_t) -1) { perror("iconv"); return 1; }
            for (char *p = out; p < op; p++) printf("%02x", (unsigned char) *p);
            puts("");
            return 0;
          }
          """).hostShows("a42035"),
      c("c-system", Need.SHELL, """
          #include <stdio.h>
          #include <stdlib.h>
          int main(void) {
            fflush(stdout);
            int rc = system("exit 3");
            printf("system returned %d\\n", rc);
            return 0;
          }
          """).hostShows("system returned 768")
          .fix(List.of("/bin/sh"), "addFile(Path.of(\"/bin/dash\"), \"/bin/sh\")",
              b -> b.addFile(Path.of("/bin/dash"), "/bin/sh")),
      c("c-popen", Need.SHELL, """
          #include <stdio.h>
          int main(void) {
            FILE *p = popen("echo from a pipe", "r");
            char line[64] = "";
            if (!p) { perror("popen"); return 1; }
            if (!fgets(line, sizeof line, p)) line[0] = 0;
            int rc = pclose(p);
            printf("read '%s' status %d\\n", line, rc);
            return 0;
          }
          """).hostShows("read 'from a pipe")
          .fix(List.of("/bin/sh"), "addFile(Path.of(\"/bin/dash\"), \"/bin/sh\")",
              b -> b.addFile(Path.of("/bin/dash"), "/bin/sh")),
      c("c-dlopen-by-name", Need.DLOPEN, """
          #include <dlfcn.h>
          #include <stdio.h>
          int main(void) {
            void *z = dlopen("libz.so.1", RTLD_NOW);
            if (!z) { printf("dlopen: %s\\n", dlerror()); return 1; }
            const char *(*version)(void) = (const char *(*)(void)) dlsym(z, "zlibVersion");
            printf("zlib %s\\n", version());
            return 0;
          }
          """).hostShows("zlib 1.")
          .fix(List.of("libz.so.1"), "addFile(Path.of(\"/lib/x86_64-linux-gnu/libz.so.1\"),"
              + " \"/usr/lib/x86_64-linux-gnu/libz.so.1\")",
              b -> b.addFile(Path.of("/lib/x86_64-linux-gnu/libz.so.1"), "/usr/lib/x86_64-linux-gnu/libz.so.1")));

  // --- input files made during the run ---

  /** A gzip-compressed tar with a directory and a file, root-owned, modified at the epoch. */
  static byte[] tgz() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(bytes))) {
      TarArchiveEntry dir = new TarArchiveEntry("docs/");
      dir.setModTime(0);
      dir.setMode(040755);
      tar.putArchiveEntry(dir);
      tar.closeArchiveEntry();
      byte[] content = TEXT.getBytes(StandardCharsets.UTF_8);
      TarArchiveEntry file = new TarArchiveEntry("docs/readme.txt");
      file.setModTime(0);
      file.setMode(0100644);
      file.setSize(content.length);
      tar.putArchiveEntry(file);
      tar.write(content);
      tar.closeArchiveEntry();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** The signature and header chunk of a 1x1 RGB PNG: enough for libmagic to name it. */
  static byte[] png() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
    byte[] ihdr = {'I', 'H', 'D', 'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0};
    out.writeBytes(new byte[] {0, 0, 0, 13});
    out.writeBytes(ihdr);
    CRC32 crc = new CRC32();
    crc.update(ihdr);
    long c = crc.getValue();
    out.writeBytes(new byte[] {(byte) (c >>> 24), (byte) (c >>> 16), (byte) (c >>> 8), (byte) c});
    return out.toByteArray();
  }

  private static TestTls tls;
  private static Path tlsDirectory;

  /** A file of a test CA made once per run with the openssl command line. */
  static synchronized byte[] tls(String name) {
    try {
      if (tls == null) {
        tlsDirectory = Files.createTempDirectory("scratchkit-matrix-tls-");
        tls = TestTls.create(tlsDirectory);
      }
      return Files.readAllBytes(tls.caCertificate().resolveSibling(name));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Removes what the inputs made. */
  static synchronized void cleanUp() {
    if (tlsDirectory != null) {
      Sides.deleteTree(tlsDirectory);
      tlsDirectory = null;
      tls = null;
    }
  }
}
