package dev.scratchkit.internal.checks;

import dev.scratchkit.internal.view.ImageView;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The commands an image's own inputs tell its program to run: certain evidence, unlike an
 * import, which shows only that some path of the program may run one. Two kinds:
 *
 * <ul>
 *   <li>shell commands, run with {@code /bin/sh -c}: {@code sh -c cmd}; a {@code git} alias
 *       starting with {@code !} ({@code -c alias.x=!cmd}); an {@code awk} program's
 *       {@code system("cmd")}, {@code "cmd" | getline} and {@code print | "cmd"}; the recipes of
 *       the Makefile {@code make} reads from the image; {@code split --filter}, {@code tar
 *       --to-command}; {@code watch}'s command;
 *   <li>programs run directly through {@code PATH}: the command of {@code env}, {@code nice},
 *       {@code nohup}, {@code setsid}, {@code stdbuf}, {@code timeout}, {@code ionice}, {@code chrt},
 *       {@code taskset}, {@code flock}, {@code time}, {@code setpriv}, {@code prlimit},
 *       {@code unshare}, {@code chroot}, {@code xargs} (its default {@code echo} too) and
 *       {@code find -exec}; {@code sort --compress-program}; and the helpers some programs run on every run ({@code sdiff} and
 *       {@code diff3} run {@code diff}).
 * </ul>
 *
 * What a command line runs is read as the shell would at its simplest: the first word of each
 * simple command (after assignments and redirections, through {@code ;}, {@code &&},
 * {@code ||}, {@code |}, {@code &}, {@code $(}, backquotes and the keywords), leaving out the
 * shell's builtins and any word with an expansion ({@code $}, a glob), which only the run can
 * tell. A busybox entrypoint is read as the applet it runs ({@code busybox tar}, or a link
 * named {@code tar}).
 */
final class GivenCommands {

  /** The program as the inputs call it: its name (busybox: the applet), and its arguments. */
  record Call(String name, List<String> args, boolean busybox, String path) {}

  /**
   * A command the inputs give, and the evidence for the message.
   *
   * @param viaBinSh true if the program hands it to {@code /bin/sh -c}; false for a shell's own {@code -c}
   */
  record Command(String text, String evidence, boolean viaBinSh) {}

  /** A program that runs its first operand: its options with a value, and the operands before the command. */
  private record Runner(String valuedOptions, int leadingOperands) {}

  /** A program name a command runs, with how it is run, for the finding. */
  record Run(String program, String evidence, boolean throughShell) {}

  /** dash's builtins and the shell's keywords: no program to find. */
  static final Set<String> SHELL_BUILTINS = Set.of(":", ".", "[", "alias", "bg", "break", "cd", "chdir", "command",
      "continue", "echo", "eval", "exec", "exit", "export", "false", "fc", "fg", "getopts", "hash", "jobs", "kill",
      "local", "printf", "pwd", "read", "readonly", "return", "set", "shift", "test", "times", "trap", "true", "type",
      "ulimit", "umask", "unalias", "unset", "wait");
  private static final Set<String> KEYWORDS_BEFORE_COMMAND = Set.of("!", "{", "}", "do", "done", "elif", "else",
      "fi", "if", "then", "until", "while", "time", "exec", "command", "nohup");
  private static final Set<String> SHELLS = Set.of("sh", "dash", "bash", "ash", "ksh", "mksh", "zsh");
  private static final Set<String> AWKS = Set.of("awk", "gawk", "mawk", "nawk", "original-awk");
  private static final Set<String> MAKES = Set.of("make", "gmake");
  /** Programs whose first operand is a program they run through PATH, and their options that take a value. */
  private static final Map<String, Runner> RUNNERS = Map.ofEntries(Map.entry("env", new Runner("uSC", 0)),
      Map.entry("nice", new Runner("n", 0)), Map.entry("nohup", new Runner("", 0)),
      Map.entry("setsid", new Runner("", 0)), Map.entry("stdbuf", new Runner("ioe", 0)),
      Map.entry("timeout", new Runner("sk", 1)), Map.entry("xargs", new Runner("adEILnPs", 0)),
      Map.entry("ionice", new Runner("cnp", 0)), Map.entry("chrt", new Runner("T", 1)),
      Map.entry("taskset", new Runner("", 1)), Map.entry("flock", new Runner("wEc", 1)),
      Map.entry("time", new Runner("fo", 0)), Map.entry("setpriv", new Runner("", 0)),
      Map.entry("prlimit", new Runner("p", 0)), Map.entry("unshare", new Runner("S", 0)),
      Map.entry("chroot", new Runner("", 1)));
  /** Options whose value is a command the program runs with /bin/sh -c. */
  private static final Map<String, Set<String>> SHELL_COMMAND_OPTIONS = Map.of("split", Set.of("--filter"),
      "tar", Set.of("--to-command", "--info-script", "--new-volume-script"));
  /** Options whose value is a program the program runs through PATH. */
  private static final Map<String, Set<String>> PROGRAM_OPTIONS = Map.of("sort", Set.of("--compress-program"));
  /** Programs that run a helper through PATH on every run (GNU diffutils' sdiff and diff3 run diff). */
  private static final Map<String, String> ALWAYS_RUNS = Map.of("sdiff", "diff", "diff3", "diff");
  private static final int MAX_MAKEFILE = 1 << 20;
  /** What can name a program: a file name, or an absolute path of them. */
  private static final Pattern PROGRAM_NAME = Pattern.compile("/?([A-Za-z0-9_][A-Za-z0-9_.+@-]*/)*[A-Za-z0-9_]"
      + "[A-Za-z0-9_.+@-]{0,254}");

  private static final Pattern AWK_STRING = Pattern.compile("\"((?:[^\"\\\\\\n]|\\\\.)*)\"");
  private static final Pattern AWK_SYSTEM = Pattern.compile("system\\s*\\(\\s*$");
  private static final Pattern AWK_GETLINE = Pattern.compile("^\\s*\\|\\s*getline\\b");
  private static final Pattern AWK_PIPE_TO = Pattern.compile("\\|&?\\s*$");

  private GivenCommands() {}

  /** {@return how the image's command line calls its program; empty without an ELF program} */
  static Optional<Call> call(CheckContext image) {
    Optional<CheckContext.Executed> executed = image.executed();
    List<String> argv = image.argv();
    if (executed.isEmpty() || executed.get().viaScript() || argv.isEmpty()) {
      return Optional.empty();
    }
    CheckContext.Loaded program = image.loaded().get(0);
    String file = base(program.path());
    String argv0 = base(argv.get(0));
    if (file.equals("busybox") || argv0.equals("busybox")) {
      if (argv0.equals("busybox")) {
        return argv.size() < 2 ? Optional.empty()
            : Optional.of(new Call(base(argv.get(1)), argv.subList(2, argv.size()), true, program.path()));
      }
      return Optional.of(new Call(argv0, argv.subList(1, argv.size()), true, program.path()));
    }
    return Optional.of(new Call(file, argv.subList(1, argv.size()), false, program.path()));
  }

  /** {@return the commands the inputs run with {@code /bin/sh -c}} */
  static List<Command> shellCommands(CheckContext image) {
    Optional<Call> found = call(image);
    if (found.isEmpty()) {
      return List.of();
    }
    Call call = found.get();
    List<Command> out = new ArrayList<>();
    List<String> args = call.args();
    if (SHELLS.contains(call.name())) {
      for (int i = 0; i < args.size(); i++) {
        String a = args.get(i);
        if (!a.startsWith("-") || a.startsWith("--")) {
          break;
        }
        if (a.indexOf('c') > 0 && i + 1 < args.size()) {
          out.add(new Command(args.get(i + 1), call.name() + " is given -c " + quote(args.get(i + 1)), false));
          break;
        }
      }
    } else if (SHELL_COMMAND_OPTIONS.containsKey(call.name())) {
      for (Map.Entry<String, String> option : optionValues(args, SHELL_COMMAND_OPTIONS.get(call.name()))) {
        out.add(new Command(option.getValue(), call.name() + " is given " + option.getKey() + "="
            + quote(option.getValue()) + ", a command it runs with /bin/sh -c", true));
      }
    } else if (call.name().equals("watch")) {
      // watch runs its operands with sh -c unless -x (--exec) says to exec them
      int i = 0;
      boolean exec = false;
      while (i < args.size() && args.get(i).startsWith("-")) {
        String a = args.get(i);
        exec |= a.equals("-x") || a.equals("--exec");
        i += a.equals("-n") || a.equals("--interval") || a.equals("-q") || a.equals("--equexit") ? 2 : 1;
      }
      if (i < args.size() && !exec) {
        String command = String.join(" ", args.subList(i, args.size()));
        out.add(new Command(command, "watch is given " + quote(command) + ", which it runs with sh -c", true));
      }
    } else if (call.name().equals("git")) {
      for (int i = 0; i + 1 < args.size(); i++) {
        String value = args.get(i).equals("-c") ? args.get(i + 1) : null;
        if (value != null && value.startsWith("alias.") && value.indexOf("=!") > 0) {
          out.add(new Command(value.substring(value.indexOf("=!") + 2), "git is given -c " + quote(value)
              + ", an alias git runs with /bin/sh -c", true));
        }
      }
    } else if (AWKS.contains(call.name())) {
      awkProgram(image, call).ifPresent(program -> {
        for (String command : awkCommands(program)) {
          out.add(new Command(command, call.name() + "'s program runs " + quote(command) + " (system(), getline or"
              + " a print pipe) with /bin/sh -c", true));
        }
      });
    } else if (MAKES.contains(call.name())) {
      makefile(image, args).ifPresent(file -> {
        Optional<String> text = image.text(file);
        text.ifPresent(t -> {
          for (String recipe : recipes(t)) {
            out.add(new Command(recipe, call.name() + " reads " + file + " from the image, whose recipe "
                + quote(recipe) + " it runs with /bin/sh -c", true));
          }
        });
      });
    }
    return out;
  }

  /** {@return the programs the inputs run: through the shell, or directly through PATH} */
  static List<Run> runs(CheckContext image) {
    List<Run> out = new ArrayList<>();
    for (Command command : shellCommands(image)) {
      for (String word : commandWords(command.text())) {
        out.add(new Run(word, command.evidence(), true));
      }
    }
    call(image).ifPresent(call -> {
      Runner runner = RUNNERS.get(call.name());
      List<String> args = call.args();
      for (Map.Entry<String, String> option : optionValues(args, PROGRAM_OPTIONS.getOrDefault(call.name(),
          Set.of()))) {
        String program = option.getValue().trim().split("\\s+")[0];
        if (!program.isEmpty()) {
          out.add(new Run(program, call.name() + " is given " + option.getKey() + "=" + option.getValue()
              + ", a program it runs through PATH", false));
        }
      }
      String always = ALWAYS_RUNS.get(call.name());
      if (always != null) {
        out.add(new Run(always, call.name() + " runs " + always + " through PATH on every run", false));
      }
      if (runner != null) {
        int leading = runner.leadingOperands();
        for (int i = 0; i < args.size(); i++) {
          String a = args.get(i);
          if (a.equals("--")) {
            continue;
          }
          if (a.startsWith("-") && a.length() > 1) {
            if (a.length() == 2 && runner.valuedOptions().indexOf(a.charAt(1)) >= 0) {
              i++; // the option's value
            }
            continue;
          }
          if (call.name().equals("env") && a.indexOf('=') > 0) {
            continue;
          }
          if (leading > 0) {
            leading--; // timeout's duration, flock's file, chrt's priority, taskset's mask, chroot's root
            continue;
          }
          out.add(new Run(a, call.name() + " is given " + quote(String.join(" ", args.subList(i, args.size())))
              + ", and runs " + a + " through PATH", false));
          return;
        }
        if (call.name().equals("xargs")) {
          out.add(new Run("echo", "xargs is given no command, and runs echo through PATH", false));
        }
      } else if (call.name().equals("find")) {
        for (int i = 0; i + 1 < args.size(); i++) {
          String a = args.get(i);
          if (a.equals("-exec") || a.equals("-execdir") || a.equals("-ok") || a.equals("-okdir")) {
            out.add(new Run(args.get(i + 1), "find is given " + a + " " + args.get(i + 1) + ", and runs it through"
                + " PATH", false));
          }
        }
      }
    });
    return out;
  }

  private static final Pattern AWK_LOAD = Pattern.compile("@load\\s+\"([^\"\\n]{1,255})\"");

  /**
   * {@return the extensions a gawk call loads by name: {@code @load "name"} in its program,
   * {@code -l name}, {@code --load name}; empty for any other program}
   */
  static List<String> gawkExtensions(CheckContext image) {
    Optional<Call> found = call(image);
    if (found.isEmpty() || !found.get().name().equals("gawk")) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    List<String> args = found.get().args();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if ((a.equals("-l") || a.equals("--load")) && i + 1 < args.size()) {
        out.add(args.get(++i));
      } else if (a.startsWith("--load=")) {
        out.add(a.substring("--load=".length()));
      } else if (a.startsWith("-l") && a.length() > 2) {
        out.add(a.substring(2));
      }
    }
    awkProgram(image, found.get()).ifPresent(program -> {
      Matcher m = AWK_LOAD.matcher(program);
      while (m.find()) {
        out.add(m.group(1));
      }
    });
    return out.stream().distinct().limit(64).toList();
  }

  /** {@return each long option of {@code names} given, {@code --name=value} or {@code --name value}, with its value} */
  private static List<Map.Entry<String, String>> optionValues(List<String> args, Set<String> names) {
    List<Map.Entry<String, String>> out = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (a.equals("--")) {
        break;
      }
      int eq = a.indexOf('=');
      String name = eq > 0 ? a.substring(0, eq) : a;
      if (names.contains(name)) {
        String value = eq > 0 ? a.substring(eq + 1) : i + 1 < args.size() ? args.get(++i) : null;
        if (value != null && !value.isBlank()) {
          out.add(Map.entry(name, value));
        }
      }
    }
    return out;
  }

  /** {@return the program text of an awk call: {@code -e}/{@code --source}, {@code -f file}, or the first operand} */
  private static Optional<String> awkProgram(CheckContext image, Call call) {
    List<String> args = call.args();
    StringBuilder program = new StringBuilder();
    boolean given = false;
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (a.equals("--")) {
        return given ? Optional.of(program.toString()) : i + 1 < args.size() ? Optional.of(args.get(i + 1))
            : Optional.empty();
      }
      if (a.equals("-e") || a.equals("--source") || a.equals("-f") || a.equals("--file")) {
        if (i + 1 < args.size()) {
          String value = args.get(++i);
          program.append(a.equals("-f") || a.equals("--file") ? image.text(inWorkingDirectory(image, value))
              .orElse("") : value).append('\n');
          given = true;
        }
      } else if (a.startsWith("--source=")) {
        program.append(a.substring("--source=".length())).append('\n');
        given = true;
      } else if (a.equals("-F") || a.equals("-v") || a.equals("-i") || a.equals("-l") || a.equals("-W")) {
        i++;
      } else if (a.startsWith("-") && a.length() > 1) {
        continue;
      } else {
        return given ? Optional.of(program.toString()) : Optional.of(a);
      }
    }
    return given ? Optional.of(program.toString()) : Optional.empty();
  }

  /** {@return the literal command strings of an awk program given to system(), getline or a print pipe} */
  static List<String> awkCommands(String program) {
    List<String> out = new ArrayList<>();
    Matcher m = AWK_STRING.matcher(program);
    while (m.find()) {
      String before = program.substring(Math.max(0, m.start() - 40), m.start());
      String after = program.substring(m.end(), Math.min(program.length(), m.end() + 20));
      if (AWK_SYSTEM.matcher(before).find() || AWK_GETLINE.matcher(after).find()
          || AWK_PIPE_TO.matcher(before).find()) {
        out.add(m.group(1).replace("\\\"", "\"").replace("\\\\", "\\"));
      }
    }
    return out;
  }

  /** {@return the Makefile make reads: {@code -f}, else GNUmakefile, makefile, Makefile in the working directory} */
  private static Optional<String> makefile(CheckContext image, List<String> args) {
    String directory = workingDirectory(image);
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if ((a.equals("-f") || a.equals("--file") || a.equals("--makefile")) && i + 1 < args.size()) {
        return Optional.of(inWorkingDirectory(image, args.get(i + 1)));
      }
      if (a.startsWith("-f") && a.length() > 2) {
        return Optional.of(inWorkingDirectory(image, a.substring(2)));
      }
      if (a.equals("-C") && i + 1 < args.size()) {
        directory = ImageView.normalise(args.get(i + 1).startsWith("/") ? args.get(i + 1)
            : directory + "/" + args.get(i + 1));
      }
    }
    for (String name : List.of("GNUmakefile", "makefile", "Makefile")) {
      String path = ImageView.normalise(directory + "/" + name);
      ImageView.Resolution r = image.view().resolve(path);
      if (r.found() && r.node().isFile()) {
        return Optional.of(path);
      }
    }
    return Optional.empty();
  }

  private static String inWorkingDirectory(CheckContext image, String file) {
    return ImageView.normalise(file.startsWith("/") ? file : workingDirectory(image) + "/" + file);
  }

  private static String workingDirectory(CheckContext image) {
    String directory = image.view().config().workingDir();
    return directory == null || directory.isEmpty() ? "/" : directory;
  }

  /** {@return a Makefile's recipe lines: those starting with a tab, continuations joined, prefixes @-+ dropped} */
  static List<String> recipes(String makefile) {
    if (makefile.length() > MAX_MAKEFILE) {
      makefile = makefile.substring(0, MAX_MAKEFILE);
    }
    List<String> out = new ArrayList<>();
    String[] lines = makefile.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      if (!lines[i].startsWith("\t")) {
        continue;
      }
      StringBuilder line = new StringBuilder(lines[i].substring(1));
      while (line.length() > 0 && line.charAt(line.length() - 1) == '\\' && i + 1 < lines.length) {
        line.setLength(line.length() - 1);
        String kept = line.toString().stripTrailing();
        line.setLength(0);
        line.append(kept).append(' ').append(lines[++i].strip());
      }
      String recipe = line.toString().strip().replaceFirst("^[@+-]+\\s*", "");
      if (!recipe.isEmpty() && !recipe.startsWith("#")) {
        out.add(recipe);
      }
    }
    return out;
  }

  /**
   * {@return the programs a shell command line runs by name or path, in order, each once}: the
   * first word of every simple command, builtins, keywords and words with an expansion left out
   */
  static List<String> commandWords(String line) {
    List<String> out = new ArrayList<>();
    boolean commandNext = true;
    boolean skipRest = false;
    boolean redirectTarget = false;
    int i = 0;
    int n = line.length();
    while (i < n) {
      char c = line.charAt(i);
      if (c == '\n' || c == ';' || c == '&' || c == '|' || c == '(' || c == ')' || c == '`') {
        commandNext = true;
        skipRest = false;
        redirectTarget = false;
        i++;
        continue;
      }
      if (c == '$' && i + 1 < n && line.charAt(i + 1) == '(' && !line.startsWith("$((", i)) {
        commandNext = true;
        skipRest = false;
        i += 2;
        continue;
      }
      if (c == ' ' || c == '\t') {
        i++;
        continue;
      }
      if (c == '#' && commandNext) {
        while (i < n && line.charAt(i) != '\n') {
          i++;
        }
        continue;
      }
      // one word, quotes kept as part of it
      StringBuilder word = new StringBuilder();
      boolean expanded = false;
      List<String> inner = new ArrayList<>();
      int start = i;
      while (i < n) {
        char w = line.charAt(i);
        if (w == ' ' || w == '\t' || w == '\n' || w == ';' || w == '&' || w == '|' || w == '(' || w == ')'
            || w == '`') {
          break;
        }
        if (w == '\'' || w == '"') {
          int close = line.indexOf(w, i + 1);
          close = close < 0 ? n : close;
          String quoted = line.substring(i + 1, close);
          if (w == '"' && (quoted.indexOf('$') >= 0 || quoted.indexOf('`') >= 0)) {
            expanded = true;
            inner.addAll(substitutions(quoted));
          }
          word.append(quoted);
          i = Math.min(n, close + 1);
          continue;
        }
        if (line.startsWith("$((", i)) {
          // arithmetic expansion: part of this word, no command in it
          int close = line.indexOf("))", i + 3);
          expanded = true;
          i = close < 0 ? n : close + 2;
          continue;
        }
        if (w == '$' && i + 1 < n && line.charAt(i + 1) == '(') {
          break;
        }
        if (w == '$' || w == '*' || w == '?' || w == '[' || w == '~' || w == '\\') {
          expanded = true;
        }
        word.append(w);
        i++;
      }
      String text = word.toString();
      inner.stream().filter(w -> !out.contains(w)).forEach(out::add);
      if (text.isEmpty()) {
        i = i == start ? i + 1 : i; // only skip what the word loop did not consume
        continue;
      }
      if (redirectTarget) {
        redirectTarget = false;
        continue;
      }
      if (text.matches("[0-9]*[<>].*")) {
        redirectTarget = text.matches("[0-9]*(<|>|>>|<>|>&|<&|>\\|)");
        continue;
      }
      if (!commandNext || skipRest) {
        continue;
      }
      if (text.matches("[A-Za-z_][A-Za-z0-9_]*=.*")) {
        continue; // an assignment before the command
      }
      if (KEYWORDS_BEFORE_COMMAND.contains(text)) {
        continue;
      }
      commandNext = false;
      if (text.equals("for") || text.equals("case") || text.equals("in") || text.equals("esac")) {
        skipRest = true;
        continue;
      }
      boolean relative = text.indexOf('/') > 0 || text.startsWith(".");
      if (!expanded && !relative && PROGRAM_NAME.matcher(text).matches() && !SHELL_BUILTINS.contains(text)
          && !out.contains(text)) {
        out.add(text);
      }
    }
    return out;
  }

  /** {@return the programs the command substitutions inside a double-quoted string run} */
  private static List<String> substitutions(String quoted) {
    List<String> out = new ArrayList<>();
    for (int at = quoted.indexOf("$("); at >= 0; at = quoted.indexOf("$(", at + 2)) {
      int close = quoted.indexOf(')', at);
      out.addAll(commandWords(quoted.substring(at + 2, close < 0 ? quoted.length() : close)));
    }
    int tick = quoted.indexOf('`');
    if (tick >= 0) {
      int close = quoted.indexOf('`', tick + 1);
      out.addAll(commandWords(quoted.substring(tick + 1, close < 0 ? quoted.length() : close)));
    }
    return out;
  }

  private static String base(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  private static String quote(String s) {
    String shown = s.length() > 120 ? s.substring(0, 117) + "..." : s;
    return "'" + shown.replace("\n", "\\n") + "'";
  }
}
