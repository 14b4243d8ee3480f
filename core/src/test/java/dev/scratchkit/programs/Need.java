package dev.scratchkit.programs;

/** What a row's program needs at run time beyond its ELF headers: the class of problem it exercises. */
enum Need {
  LIBRARIES("only its interpreter and DT_NEEDED closure (the baseline)"),
  USERS("user and group names from /etc/passwd and /etc/group"),
  UNWINDER("libgcc_s.so.1, loaded by glibc with dlopen() for pthread_exit/pthread_cancel"),
  GCONV("gconv modules and their configuration, loaded by iconv_open()"),
  LOCALE("the locale named by LANG/LC_* (a file locale such as C.utf8, or locale-archive)"),
  TIMEZONE("zoneinfo for the zone named by TZ"),
  OPENSSL_MODULES("OpenSSL 3 providers loaded by name from ossl-modules/"),
  SERVICES("/etc/services and /etc/protocols, promised by nsswitch.conf"),
  DATA_FILES("data files found by a path compiled into the program or a library"),
  INTERPRETER("an embedded interpreter's library tree (Python's stdlib, Perl's modules)"),
  HELPER("another program run through PATH"),
  SHELL("/bin/sh, run by system(), popen() or a recipe"),
  MESSAGES("the message catalogs (.mo) of the language LANG names, read by gettext"),
  TERMINFO("the terminfo entry of the terminal TERM names, read by ncurses' libtinfo"),
  EXTENSIONS("an extension the program's input loads by name from a compiled-in directory (gawk's @load)"),
  DLOPEN("a library loaded by name with dlopen(), not in DT_NEEDED"),
  HOME("a working directory the user can write: nonroot's home stays 65532:65532 0700"),
  ARGUMENTS("one argument that is a script for the program (awk, jq), not a command line for a shell");

  private final String description;

  Need(String description) {
    this.description = description;
  }

  String description() {
    return description;
  }
}
