package dev.scratchkit.internal.checks;

import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import dev.scratchkit.elf.DynamicSymbol;
import dev.scratchkit.elf.ElfException;
import dev.scratchkit.internal.view.ImageView;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A program that runs helper programs by name finds them on {@code PATH}: GNU {@code tar -z}
 * runs {@code gzip}, {@code -j} {@code bzip2}, and so on, with {@code execlp}, which searches the
 * image's {@code PATH}.
 *
 * <p>How sure the rule is decides the severity. The program's own arguments naming a helper
 * ({@code tar -czf}, {@code --zstd}, {@code -I 'zstd -19'}, {@code -a} with {@code x.tar.xz}) are
 * certain: an error, since that run fails ("tar (child): gzip: Cannot exec"). Weaker signs give a
 * warning: {@code tar -x} or {@code -t} of an archive whose name says it is compressed (tar
 * detects the compression from the content), or, for any other program, an import of a
 * function that searches {@code PATH} ({@code execvp}, {@code execlp}, {@code execvpe},
 * {@code posix_spawnp}) together with a well-known helper's name among its strings (it may run it,
 * on some path).
 */
final class HelperProgramsRule implements Rule {

  static final String NAME = "helper-programs";

  /** Helpers programs run by name, and the Debian package of each: a small table, kept as data. */
  static final Map<String, String> HELPERS = helpers(
      "gzip", "gzip", "bzip2", "bzip2", "xz", "xz-utils", "lzma", "xz-utils", "lzip", "lzip", "lzop", "lzop",
      "zstd", "zstd", "compress", "ncompress", "pigz", "pigz", "ssh", "openssh-client", "rsh", "rsh-client",
      "gpg", "gpg", "gpgv", "gpgv", "sendmail", "an MTA such as exim4-daemon-light", "git", "git");

  /** Programs the inputs run, reported at most: one finding each. */
  static final int MAX_GIVEN_FINDINGS = 16;

  private static final Set<String> PATH_FUNCTIONS = Set.of("execvp", "execlp", "execvpe", "posix_spawnp");

  /** GNU tar's compression options and the program each runs. */
  private static final Map<String, String> TAR_LONG = helpers("--gzip", "gzip", "--gunzip", "gzip", "--ungzip",
      "gzip", "--bzip2", "bzip2", "--xz", "xz", "--lzip", "lzip", "--lzma", "lzma", "--lzop", "lzop", "--zstd",
      "zstd", "--compress", "compress", "--uncompress", "compress");
  private static final Map<Character, String> TAR_SHORT = Map.of('z', "gzip", 'j', "bzip2", 'J', "xz",
      'Z', "compress");
  /** GNU tar's short options that take an argument. */
  private static final String TAR_ARGUMENT_LETTERS = "bCfFgHIKLNTVX";
  /** Archive name endings and the program tar runs for them ({@code -a}, or detection on reading). */
  private static final Map<String, String> TAR_SUFFIXES = helpers(".tgz", "gzip", ".taz", "gzip", ".gz", "gzip",
      ".tbz2", "bzip2", ".tbz", "bzip2", ".tz2", "bzip2", ".bz2", "bzip2", ".txz", "xz", ".xz", "xz", ".tlz", "lzma",
      ".lzma", "lzma", ".lz", "lzip", ".lzo", "lzop", ".tzst", "zstd", ".zst", "zstd", ".taZ", "compress", ".Z",
      "compress");

  @Override
  public String name() {
    return NAME;
  }

  private record Need(String helper, String evidence, boolean certain) {}

  @Override
  public void check(CheckContext image, List<Finding> findings) {
    Optional<CheckContext.Executed> executed = image.executed();
    if (executed.isEmpty() || executed.get().viaScript() || image.isGo()) {
      return;
    }
    Optional<GivenCommands.Call> found = GivenCommands.call(image);
    if (found.isEmpty()) {
      return;
    }
    GivenCommands.Call call = found.get();
    CheckContext.Loaded program = image.loaded().get(0);
    given(image, call, findings);
    if (call.busybox()) {
      busyboxTar(image, call, findings);
      return;
    }
    String searcher = null;
    try {
      for (DynamicSymbol s : program.elf().importedSymbols()) {
        if (PATH_FUNCTIONS.contains(s.name())) {
          searcher = s.nameWithVersion();
          break;
        }
      }
    } catch (ElfException malformed) {
      return;
    }
    if (searcher == null) {
      return;
    }
    String base = call.name();
    List<Need> needs = new ArrayList<>();
    if (base.equals("tar") || base.equals("gtar")) {
      needs.addAll(tar(call.args(), program.path()));
    } else {
      List<String> strings = image.strings(program);
      List<String> named = new ArrayList<>();
      for (String helper : HELPERS.keySet()) {
        if (ElfStrings.names(strings, helper)) {
          named.add(helper);
        }
      }
      if (!named.isEmpty()) {
        for (String helper : named) {
          needs.add(new Need(helper, program.path() + " imports " + searcher + " (runs programs found on PATH) and"
              + " names " + String.join(", ", named) + " in its strings", false));
        }
      }
    }
    if (base.equals("tar") || base.equals("gtar")) {
      tarShell(image, program.path(), needs, findings);
    }
    List<String> possible = new ArrayList<>();
    String possibleEvidence = null;
    for (Need need : needs) {
      if (image.onPath(need.helper()).isPresent() || possible.contains(need.helper())) {
        continue;
      }
      if (need.certain()) {
        findings.add(finding(image, Severity.ERROR, "HELPER_MISSING", List.of(need.helper()), need.evidence()
            + ", and " + program.path() + " runs " + need.helper() + " through PATH (" + searcher + "), but no"
            + " directory of the image's PATH (" + String.join(":", image.pathDirectories()) + ") has it.",
            base.startsWith("tar") || base.equals("gtar") ? "tar (child): " + need.helper()
                + ": Cannot exec: No such file or directory" : need.helper() + ": No such file or directory"));
      } else {
        possible.add(need.helper());
        possibleEvidence = possibleEvidence == null ? need.evidence() : possibleEvidence;
      }
    }
    if (!possible.isEmpty()) {
      findings.add(finding(image, Severity.WARNING, "HELPER_POSSIBLY_MISSING", possible, possibleEvidence
          + ", and no directory of the image's PATH (" + String.join(":", image.pathDirectories()) + ") has "
          + (possible.size() == 1 ? possible.get(0) : "any of " + String.join(", ", possible)) + ". If the program"
          + " runs one of them, that fails.", ""));
    }
  }

  /**
   * The programs the image's own inputs run ({@link GivenCommands}): certain, so an error for
   * each one the image lacks.
   */
  private void given(CheckContext image, GivenCommands.Call call, List<Finding> findings) {
    List<String> reported = new ArrayList<>();
    List<String> applets = call.busybox() ? image.strings(image.loaded().get(0)) : List.of();
    for (GivenCommands.Run run : GivenCommands.runs(image)) {
      String name = run.program();
      if (call.busybox() && !name.contains("/") && applets.contains(name)) {
        continue; // busybox's sh, env, xargs and find run their own applet of that name, PATH or not
      }
      if (reported.size() >= MAX_GIVEN_FINDINGS) {
        break; // a hostile Makefile names thousands; the first ones say enough
      }
      if (reported.contains(name) || name.contains("/") && !name.startsWith("/")) {
        continue; // a path relative to a directory the run may change: only the run can tell
      }
      boolean present;
      if (name.startsWith("/")) {
        ImageView.Resolution r = image.view().resolve(ImageView.normalise(name));
        present = r.found() && r.node().isFile() && r.node().isExecutable();
      } else {
        present = image.onPath(name).isPresent();
      }
      if (present) {
        continue;
      }
      reported.add(name);
      String how = run.throughShell() ? "the shell looks " + name + " up on PATH" : call.name() + " looks it up on"
          + " PATH";
      String message = run.evidence() + ", so it runs " + name + ", but " + (name.startsWith("/")
          ? "the image has no executable " + name + "." : "no directory of the image's PATH ("
              + String.join(":", image.pathDirectories()) + ") has it (" + how + ").");
      findings.add(name.startsWith("/")
          ? new Finding(NAME, "HELPER_MISSING", Severity.ERROR, name, message, name + ": not found",
              image.fix("Add it: addFile(Path.of(\"" + name + "\"), \"" + name + "\") with bundleSharedLibraries().",
                  "COPY " + name + " with its libraries."))
          : finding(image, Severity.ERROR, "HELPER_MISSING", List.of(name), message, name + ": not found"));
    }
  }

  /**
   * busybox's {@code tar} writing a compressed archive runs the compressor by name through
   * {@code PATH} (Debian's busybox-static does not prefer its own applets), while reading one it
   * decompresses in the same process. The fix names a link to the busybox itself when it has
   * the compressor as an applet.
   */
  private void busyboxTar(CheckContext image, GivenCommands.Call call, List<Finding> findings) {
    if (!call.name().equals("tar")) {
      return;
    }
    List<Need> needs = tar(call.args(), call.path() + " tar");
    if (!writes(call.args(), false)) {
      return;
    }
    List<String> strings = image.strings(image.loaded().get(0));
    for (Need need : needs) {
      if (!need.certain() || image.onPath(need.helper()).isPresent()) {
        continue;
      }
      String message = need.evidence() + ", and busybox tar runs " + need.helper() + " by name through PATH to"
          + " write a compressed archive, but no directory of the image's PATH (" + String.join(":",
              image.pathDirectories()) + ") has it.";
      String error = "tar: can't execute '" + need.helper() + "': No such file or directory";
      if (ElfStrings.names(strings, need.helper())) {
        String busybox = call.path();
        String dir = image.pathDirectories().contains(busybox.substring(0, busybox.lastIndexOf('/')))
            ? busybox.substring(0, busybox.lastIndexOf('/')) : image.pathDirectories().get(0);
        String target = dir.equals(busybox.substring(0, busybox.lastIndexOf('/')))
            ? busybox.substring(busybox.lastIndexOf('/') + 1) : busybox;
        findings.add(new Finding(NAME, "HELPER_MISSING", Severity.ERROR, dir + "/" + need.helper(), message
            + " " + busybox + " has " + need.helper() + " as an applet.", error,
            image.fix("Link the applet on the image's PATH: addSymlink(\"" + dir + "/" + need.helper() + "\", \""
                + target + "\").", "Link " + dir + "/" + need.helper() + " to " + busybox + " (ln -s "
                + target + " " + dir + "/" + need.helper() + ").")));
      } else {
        findings.add(finding(image, Severity.ERROR, "HELPER_MISSING", List.of(need.helper()), message, error));
      }
      return;
    }
  }

  /**
   * GNU tar starts a compressor with {@code /bin/sh -c} (its {@code xexec}) when it writes an
   * archive; a decompressor it runs itself. With the compressor on PATH but no shell,
   * {@code tar -czf} still fails, and {@code tar -tzf} works.
   */
  private static void tarShell(CheckContext image, String tar, List<Need> needs, List<Finding> findings) {
    List<String> argv = image.argv();
    boolean writing = writes(argv.subList(1, argv.size()), true);
    Optional<Need> compressor = writing ? needs.stream().filter(Need::certain).findFirst() : Optional.empty();
    ImageView.Resolution shell = image.view().resolve(ShellRule.SHELL);
    if (compressor.isEmpty() || (shell.found() && shell.node().isFile() && shell.node().isExecutable())) {
      return;
    }
    findings.add(new Finding(NAME, "HELPER_SHELL_MISSING", Severity.ERROR, ShellRule.SHELL, compressor.get().evidence()
        + ", and GNU tar starts " + compressor.get().helper() + " with " + ShellRule.SHELL + " -c, but "
        + CheckContext.why(ShellRule.SHELL, shell) + ".",
        "tar (child): " + compressor.get().helper() + ": Cannot exec: No such file or directory",
        image.fix("Add a shell at " + ShellRule.SHELL + ": addFile(Path.of(\"/bin/dash\"), \"" + ShellRule.SHELL
                + "\") with bundleSharedLibraries(), which brings dash's libraries, or addFile(Path.of(\"/bin/busybox\"), \""
                + ShellRule.SHELL + "\") (Debian busybox-static).",
            "COPY a shell to " + ShellRule.SHELL + ": /bin/dash with its libraries, or busybox-static's /bin/busybox.")));
  }

  /**
   * {@return true if tar's arguments create an archive (or, for GNU tar with {@code appending},
   * append to or update one)}: {@code --create}, or a {@code c} in an option cluster or the
   * old-style first argument
   */
  private static boolean writes(List<String> args, boolean appending) {
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (a.equals("--")) {
        break;
      }
      boolean cluster = a.startsWith("-") && !a.startsWith("--") || i == 0 && !a.startsWith("-");
      if (a.equals("--create") || cluster && a.indexOf('c') >= 0 || appending && (a.equals("--append")
          || a.equals("--update") || cluster && (a.indexOf('r') >= 0 || a.indexOf('u') >= 0))) {
        return true;
      }
    }
    return false;
  }

  private Finding finding(CheckContext image, Severity severity, String code, List<String> helpers, String message,
      String runtimeError) {
    List<String> builder = new ArrayList<>();
    List<String> other = new ArrayList<>();
    for (String helper : helpers) {
      String host = hostPath(image, helper);
      String inImage = host.startsWith("/bin/") || host.startsWith("/usr/") ? host : "/usr/bin/" + helper;
      String prefix = image.hostRoot().map(r -> r.toString().equals("/") ? "" : r.toString()).orElse("");
      builder.add("addFile(Path.of(\"" + prefix + host + "\"), \"" + inImage + "\")");
      other.add(inImage + " (Debian package " + HELPERS.getOrDefault(helper, helper) + ")");
    }
    String first = hostPath(image, helpers.get(0));
    return new Finding(NAME, code, severity, first.startsWith("/") ? first : "/usr/bin/" + helpers.get(0), message,
        runtimeError, image.fix("Add " + (helpers.size() == 1 ? "it" : "those it runs") + " on the image's PATH: "
            + String.join(", ", builder) + "; bundleSharedLibraries() brings "
            + (helpers.size() == 1 ? "its" : "their") + " libraries.",
            "COPY " + String.join(", ", other) + " with " + (helpers.size() == 1 ? "its" : "their")
                + " libraries into a directory of PATH."));
  }

  /** The helper on the build machine (in the sysroot), else where Debian puts it. */
  private static String hostPath(CheckContext image, String helper) {
    Optional<Path> root = image.hostRoot();
    if (root.isPresent()) {
      for (String dir : List.of("/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin")) {
        Path candidate = root.get().resolve(dir.substring(1)).resolve(helper);
        if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
          return dir + "/" + helper;
        }
      }
    }
    return "/usr/bin/" + helper;
  }

  /** What GNU tar's arguments make it run: compression options, {@code -a} and the archive's name. */
  private static List<Need> tar(List<String> args, String program) {
    List<Need> needs = new ArrayList<>();
    String archive = null;
    boolean auto = false;
    boolean reading = false;
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (a.equals("--")) {
        break;
      }
      if (a.startsWith("--")) {
        String option = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
        String value = a.contains("=") ? a.substring(a.indexOf('=') + 1) : null;
        if (TAR_LONG.containsKey(option)) {
          needs.add(new Need(TAR_LONG.get(option), program + " is given " + a, true));
        } else if (option.equals("--use-compress-program")) {
          value = value != null ? value : i + 1 < args.size() ? args.get(++i) : "";
          String word = value.trim().split("\\s+")[0];
          if (!word.isEmpty() && !word.contains("/")) {
            needs.add(new Need(word, program + " is given --use-compress-program " + value, true));
          }
        } else if (option.equals("--auto-compress")) {
          auto = true;
        } else if (option.equals("--file")) {
          archive = value != null ? value : i + 1 < args.size() ? args.get(++i) : null;
        } else if (option.equals("--extract") || option.equals("--get") || option.equals("--list")
            || option.equals("--diff") || option.equals("--compare")) {
          reading = true;
        }
        continue;
      }
      boolean oldStyle = i == 0 && !a.startsWith("-");
      if (!a.startsWith("-") && !oldStyle) {
        continue;
      }
      String letters = oldStyle ? a : a.substring(1);
      for (int k = 0; k < letters.length(); k++) {
        char c = letters.charAt(k);
        if (TAR_SHORT.containsKey(c)) {
          needs.add(new Need(TAR_SHORT.get(c), program + " is given -" + c + " (in " + a + ")", true));
        } else if (c == 'a') {
          auto = true;
        } else if (c == 'x' || c == 't' || c == 'd') {
          reading = true;
        }
        if (TAR_ARGUMENT_LETTERS.indexOf(c) >= 0) {
          String value;
          if (!oldStyle && k + 1 < letters.length()) {
            value = letters.substring(k + 1);
          } else {
            value = i + 1 < args.size() ? args.get(++i) : null;
          }
          if (c == 'f') {
            archive = value;
          } else if (c == 'I' && value != null) {
            String word = value.trim().split("\\s+")[0];
            if (!word.isEmpty() && !word.contains("/")) {
              needs.add(new Need(word, program + " is given -I " + value, true));
            }
          }
          if (!oldStyle) {
            break;
          }
        }
      }
    }
    if (archive != null && (auto || reading) && needs.isEmpty()) {
      for (Map.Entry<String, String> suffix : TAR_SUFFIXES.entrySet()) {
        if (archive.endsWith(suffix.getKey())) {
          needs.add(new Need(suffix.getValue(), program + " is given the archive " + archive + (auto
              ? " with -a (--auto-compress)" : ", whose name says it is " + suffix.getValue() + "-compressed (tar"
                  + " detects that from its content)"), auto));
          break;
        }
      }
    }
    return needs;
  }

  private static Map<String, String> helpers(String... pairs) {
    Map<String, String> map = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      map.put(pairs[i], pairs[i + 1]);
    }
    return java.util.Collections.unmodifiableMap(map);
  }
}
