package dev.scratchkit.internal.checks;

import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import dev.scratchkit.elf.ElfFile;
import dev.scratchkit.elf.LibraryClosure;
import dev.scratchkit.elf.LibraryResolver;
import dev.scratchkit.elf.MissingLibrary;
import dev.scratchkit.internal.view.ImageView;
import dev.scratchkit.internal.view.ImageView.Resolution;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A JDK launcher ({@code bin/java} or any JDK tool: an ELF that links {@code libjli.so}, or one
 * named {@code java} with {@code ../lib/jvm.cfg} or {@code ../lib/modules} beside it) finds the
 * runtime it loads, checked in the order the launcher works: its home is the directory above its
 * real {@code bin/}; it needs {@code lib/libjava.so} there, reads {@code lib/jvm.cfg} (the first
 * VM listed is the default, a {@code -server}/{@code -client} option picks a {@code KNOWN} one),
 * {@code dlopen}s {@code lib/<vm>/libjvm.so} (whose own libraries the loader must find), and the
 * VM then opens {@code lib/modules}. A JDK 8 layout ({@code rt.jar}) is not checked.
 */
final class JavaRuntimeRule implements Rule {

  static final String NAME = "java-runtime";

  /** Launcher options that take the next word as their value (they do not end the options). */
  private static final Set<String> WITH_VALUE = Set.of("-cp", "-classpath", "--class-path", "-p", "--module-path",
      "--upgrade-module-path", "--add-modules", "--limit-modules", "--add-reads", "--add-exports", "--add-opens",
      "--patch-module", "--enable-native-access");

  /**
   * A Java runtime in the image.
   *
   * @param launcher the launcher's real path in the image
   * @param home the directory above its {@code bin/}
   */
  record Runtime(String launcher, String home) {}

  @Override
  public String name() {
    return NAME;
  }

  /** {@return the Java runtime the image starts, if its program is a JDK launcher} */
  static Optional<Runtime> runtime(CheckContext image) {
    Optional<CheckContext.Executed> executed = image.executed();
    if (executed.isEmpty() || executed.get().viaScript()) {
      return Optional.empty();
    }
    ImageView view = image.view();
    Resolution r = view.resolve(executed.get().path());
    String real = r.found() ? r.realPath() : executed.get().path();
    String bin = ImageView.parent(real);
    String home = ImageView.parent(bin);
    String prefix = home.equals("/") ? "" : home;
    boolean linksJli = executed.get().elf().neededLibraries().contains("libjli.so");
    boolean namedJava = real.endsWith("/java") && bin.endsWith("/bin")
        && (view.resolve(prefix + "/lib/jvm.cfg").found() || view.resolve(prefix + "/lib/modules").found());
    if (!linksJli && !namedJava) {
      return Optional.empty();
    }
    return Optional.of(new Runtime(real, home));
  }

  @Override
  public void check(CheckContext image, List<Finding> findings) {
    Optional<Runtime> found = runtime(image);
    if (found.isEmpty()) {
      return;
    }
    ImageView view = image.view();
    String launcher = found.get().launcher();
    String home = found.get().home();
    String lib = (home.equals("/") ? "" : home) + "/lib";
    if (isFile(view, lib + "/rt.jar") || isFile(view, (home.equals("/") ? "" : home) + "/jre/lib/rt.jar")) {
      return; // JDK 8: jre/, lib/<arch>/jvm.cfg and rt.jar instead of lib/modules; not checked here
    }
    String fix = image.fix("Build the image with javaApplication(jar): it jlinks a complete runtime and bundles its"
            + " libraries. To add a runtime yourself, add its whole directory (addDirectory(jlinkOutput, \"" + home
            + "\")), not only bin/java.",
        "COPY the whole runtime directory (a jlink output or the JDK's home) to " + home + ", not only bin/java.");

    if (!isFile(view, lib + "/libjava.so")) {
      findings.add(new Finding(NAME, "JAVA_LIBJAVA_MISSING", Severity.ERROR, lib + "/libjava.so", launcher
          + " is a JDK launcher; it takes " + home + " as the Java home and needs " + lib + "/libjava.so there, but "
          + CheckContext.why(lib + "/libjava.so", view.resolve(lib + "/libjava.so")) + ".",
          "Error: could not find libjava.so\nError: Could not find Java SE Runtime Environment.", fix));
    }

    String cfg = lib + "/jvm.cfg";
    Optional<String> vm = Optional.empty();
    Optional<String> cfgText = image.text(cfg);
    if (cfgText.isEmpty()) {
      findings.add(new Finding(NAME, "JAVA_JVM_CFG_MISSING", Severity.ERROR, cfg, launcher
          + " is a JDK launcher; it reads the list of its VMs from " + cfg + ", but "
          + CheckContext.why(cfg, view.resolve(cfg)) + ".",
          "Error: could not open `" + cfg + "'", fix));
    } else {
      vm = chosenVm(cfgText.get(), image.argv());
      if (vm.isEmpty()) {
        findings.add(new Finding(NAME, "JAVA_JVM_CFG_INVALID", Severity.ERROR, cfg, cfg + " lists no VM (a line"
            + " such as \"-server KNOWN\"), so " + launcher + " has no VM to load.",
            "Error: no known VMs. (check for corrupt jvm.cfg file)",
            image.fix("Use javaApplication(jar), or add the runtime's own lib/jvm.cfg.",
                "COPY the runtime's own lib/jvm.cfg (it holds \"-server KNOWN\").")));
      }
    }

    if (vm.isPresent()) {
      String libjvm = lib + "/" + vm.get() + "/libjvm.so";
      Resolution r = view.resolve(libjvm);
      if (!r.found() || !r.node().isFile()) {
        findings.add(new Finding(NAME, "JAVA_LIBJVM_MISSING", Severity.ERROR, libjvm, cfg + " makes " + vm.get()
            + " the VM of " + launcher + ", which loads " + libjvm + ", but " + CheckContext.why(libjvm, r) + ".",
            "Error: missing `" + vm.get() + "' JVM at `" + libjvm + "'.\n"
                + (feature(image, home) >= 25 ? "Please install a JDK that contains these missing components."
                    : "Please install or use the JRE or JDK that contains these missing components."), fix));
      } else {
        libjvmLibraries(image, libjvm, r, findings);
      }
    }

    String modules = lib + "/modules";
    String exploded = (home.equals("/") ? "" : home) + "/modules/java.base";
    Resolution m = view.resolve(modules);
    if (!(m.found() && m.node().isFile()) && !view.resolve(exploded).found()) {
      findings.add(new Finding(NAME, "JAVA_MODULES_MISSING", Severity.ERROR, modules, launcher
          + " is a JDK launcher; its VM loads every class from the module image " + modules + ", but "
          + CheckContext.why(modules, m) + ".",
          "Error occurred during initialization of VM\nFailed setting boot class path.", fix));
    }
  }

  /** libjvm.so's own libraries, as the loader resolves them at the launcher's dlopen. */
  private static void libjvmLibraries(CheckContext image, String libjvm, Resolution r, List<Finding> findings) {
    Optional<ElfFile> elf = image.view().elf(r.node());
    if (elf.isEmpty()) {
      return;
    }
    LibraryClosure closure;
    try {
      closure = LibraryResolver.forImage(image.view()).resolve(elf.get(), libjvm);
    } catch (IllegalStateException tooMany) {
      return;
    }
    // What the launcher itself lacks is the shared-libraries rule's finding already.
    List<String> launcherMissing = image.closure().map(c -> c.missing().stream().map(MissingLibrary::name).toList())
        .orElse(List.of());
    List<String> names = new ArrayList<>();
    for (MissingLibrary missing : closure.missing()) {
      if (!names.contains(missing.name()) && !launcherMissing.contains(missing.name())) {
        names.add(missing.name());
      }
    }
    if (names.isEmpty()) {
      return;
    }
    findings.add(new Finding(NAME, "JAVA_LIBJVM_LIBRARY_MISSING", Severity.ERROR, libjvm, libjvm + " needs "
        + String.join(", ", names) + ", which " + (names.size() == 1 ? "is" : "are") + " not in the image; the"
        + " launcher loads it with dlopen, so this shows only when the container starts.",
        "Error: failed " + libjvm + ", because " + names.get(0)
            + ": cannot open shared object file: No such file or directory",
        image.fix("Build the image with javaApplication(jar) (it bundles the libraries of every ELF file of the"
                + " runtime), or add " + String.join(", ", names) + " with addFile where the loader looks.",
            "COPY " + String.join(", ", names) + " from the build stage into the image's library directory.")));
  }

  /**
   * The VM the launcher picks: a {@code -<name>} option before the main class naming a {@code KNOWN}
   * VM of jvm.cfg, else the first VM listed ({@code ALIASED_TO} followed once).
   */
  static Optional<String> chosenVm(String cfg, List<String> argv) {
    List<String[]> vms = new ArrayList<>();
    for (String line : cfg.split("\n")) {
      String l = line.strip();
      if (l.isEmpty() || l.startsWith("#") || !l.startsWith("-")) {
        continue;
      }
      String[] words = l.split("\\s+");
      vms.add(new String[] {words[0].substring(1), words.length > 1 ? words[1] : "", words.length > 2 ? words[2] : ""});
    }
    if (vms.isEmpty()) {
      return Optional.empty();
    }
    String[] chosen = vms.get(0);
    for (int i = 1; i < argv.size(); i++) {
      String a = argv.get(i);
      if (!a.startsWith("-") || a.equals("-jar") || a.equals("-m") || a.equals("--module")) {
        break;
      }
      if (WITH_VALUE.contains(a)) {
        i++;
        continue;
      }
      for (String[] vm : vms) {
        if (a.equals("-" + vm[0]) && vm[1].equals("KNOWN")) {
          chosen = vm;
        }
      }
    }
    if (chosen[1].equals("ALIASED_TO") && chosen[2].startsWith("-")) {
      return Optional.of(chosen[2].substring(1));
    }
    return Optional.of(chosen[0]);
  }

  /**
   * Whether a Java trust store holds a certificate as the JVM reads it by default: as a keystore
   * (PKCS12, or JKS through the JDK's compatibility mode) without a password, so certificates
   * that a password protects count as absent, as they are to the JVM.
   *
   * @param store a regular file of the image
   * @return false for an empty or unreadable store; true for one too large to read here
   */
  static boolean trustStoreHasCertificates(ImageView view, ImageView.Node store) {
    if (store.size() == 0) {
      return false;
    }
    if (store.size() > CheckContext.MAX_TEXT) {
      return true; // not read: bounded memory; a store this large evidently holds something
    }
    try {
      java.security.KeyStore keys = java.security.KeyStore.getInstance("PKCS12");
      keys.load(new java.io.ByteArrayInputStream(view.read(store, CheckContext.MAX_TEXT)), null);
      for (java.util.Enumeration<String> aliases = keys.aliases(); aliases.hasMoreElements(); ) {
        if (keys.isCertificateEntry(aliases.nextElement())) {
          return true;
        }
      }
      return false;
    } catch (java.io.IOException | java.security.GeneralSecurityException | RuntimeException unreadable) {
      return false; // the JVM fails the same way: "problem accessing trust store"
    }
  }

  /**
   * The runtime's feature release from its {@code release} file ({@code JAVA_VERSION="25.0.3"}),
   * 0 if unknown: the launcher's wording differs (measured: JDK 17 and Temurin 25).
   */
  static int feature(CheckContext image, String home) {
    Optional<String> release = image.text((home.equals("/") ? "" : home) + "/release");
    if (release.isEmpty()) {
      return 0;
    }
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^JAVA_VERSION=\"(\\d+)").matcher(release.get());
    return m.find() ? Integer.parseInt(m.group(1).length() > 4 ? "0" : m.group(1)) : 0;
  }

  private static boolean isFile(ImageView view, String path) {
    Resolution r = view.resolve(path);
    return r.found() && r.node().isFile();
  }
}
