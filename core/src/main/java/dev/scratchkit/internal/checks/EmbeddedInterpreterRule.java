package dev.scratchkit.internal.checks;

import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import dev.scratchkit.elf.DynamicSymbol;
import dev.scratchkit.elf.ElfException;
import dev.scratchkit.internal.view.ImageView;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An interpreter, run as the program or embedded in it ({@code libpython3.11.so}, {@code
 * libperl.so.5.36}), finds its library tree: the modules it loads by name are files, which no
 * ELF header lists.
 *
 * <p>Python: a program that needs {@code libpython3.X.so} or exports {@code Py_BytesMain} (the
 * {@code python3} executable, statically linked with it on Debian). It looks for its standard
 * library as CPython 3.11's {@code getpath} does: {@code lib/python3.X/os.py} (or {@code .pyc},
 * or {@code lib/python3X.zip}) in the directories above the executable, then the compiled-in
 * prefix {@code /usr}; its extension modules in {@code lib/python3.X/lib-dynload}. Without
 * {@code encodings} it cannot start at all ("Fatal Python error: init_fs_encoding"), so this is
 * an error.
 *
 * <p>Perl: a program that needs {@code libperl.so} or exports {@code perl_parse}. Its {@code @INC}
 * directories are compiled-in strings; the rule needs {@code strict.pm} in one of them, since
 * nearly every script starts with {@code use strict} and dies there ("Can't locate strict.pm in
 * @INC"). An error too: only one-liners that load no module run without it.
 */
final class EmbeddedInterpreterRule implements Rule {

  static final String NAME = "embedded-interpreter";
  private static final Pattern LIBPYTHON = Pattern.compile("libpython(3\\.[0-9]+)[a-z]*\\.so(\\..*)?");
  private static final Pattern PY_VERSION = Pattern.compile("(3\\.[0-9]+)\\.[0-9]+");
  private static final Pattern LIBPERL = Pattern.compile("libperl\\.so(\\..*)?");

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void check(CheckContext image, List<Finding> findings) {
    if (image.executed().isEmpty() || image.isGo()) {
      return;
    }
    python(image).ifPresent(findings::add);
    perl(image).ifPresent(findings::add);
  }

  // ---- Python

  private Optional<Finding> python(CheckContext image) {
    String version = null;
    String evidence = null;
    for (CheckContext.Loaded file : image.loaded()) {
      Matcher m = LIBPYTHON.matcher(file.path().substring(file.path().lastIndexOf('/') + 1));
      if (m.matches()) {
        version = m.group(1);
        evidence = image.loaded().get(0).path() + " loads " + file.path();
        break;
      }
    }
    CheckContext.Loaded program = image.loaded().get(0);
    if (version == null && exports(program, "Py_BytesMain")) {
      evidence = program.path() + " is a Python interpreter (it exports Py_BytesMain)";
      for (String s : image.strings(program)) {
        Matcher m = PY_VERSION.matcher(s);
        if (m.matches()) {
          version = m.group(1);
          break;
        }
      }
      if (version == null) {
        Matcher m = Pattern.compile("python(3\\.[0-9]+)").matcher(program.path());
        version = m.find() ? m.group(1) : null;
      }
    }
    if (version == null) {
      return Optional.empty();
    }
    ImageView view = image.view();
    Optional<String> home = view.envValue("PYTHONHOME").filter(h -> !h.isEmpty()).map(h -> h.split(":")[0]);
    List<String> prefixes = new ArrayList<>();
    if (home.isPresent()) {
      prefixes.add(ImageView.normalise(home.get()));
    } else {
      String real = view.resolve(program.path()).realPath();
      // getpath searches up from the executable's own directory for lib/python3.X/os.py.
      for (String dir = ImageView.parent(real); ; dir = ImageView.parent(dir)) {
        prefixes.add(dir);
        if (dir.equals("/")) {
          break;
        }
      }
      if (!prefixes.contains("/usr")) {
        prefixes.add("/usr");
      }
    }
    String lib = "lib/python" + version;
    String zip = "lib/python" + version.replace(".", "") + ".zip";
    for (String prefix : prefixes) {
      String p = prefix.equals("/") ? "" : prefix;
      if (isFile(view, p + "/" + lib + "/os.py") || isFile(view, p + "/" + lib + "/os.pyc")
          || isFile(view, p + "/" + zip)) {
        if (isFile(view, p + "/" + lib + "/encodings/__init__.py") || isFile(view, p + "/" + lib
            + "/encodings/__init__.pyc") || isFile(view, p + "/" + zip)) {
          if (view.resolve(p + "/" + lib + "/lib-dynload").found() || isFile(view, p + "/" + zip)) {
            return Optional.empty();
          }
          return Optional.of(pythonFinding(image, evidence, version, p + "/" + lib, p + "/" + lib + "/lib-dynload"
              + " is missing, so no extension module (_ssl, _sqlite3, _json, ...) can be imported",
              "ModuleNotFoundError: No module named '_ssl'"));
        }
      }
    }
    String stdlib = (home.isPresent() ? (prefixes.get(0).equals("/") ? "" : prefixes.get(0)) : "/usr") + "/" + lib;
    return Optional.of(pythonFinding(image, evidence, version, stdlib, "the image has no Python " + version
        + " standard library: no " + lib + "/os.py under " + String.join(", ", prefixes.stream().limit(4).toList())
        + (prefixes.size() > 4 ? ", ..." : "") + (home.isPresent() ? " (PYTHONHOME)" : ""),
        "Fatal Python error: init_fs_encoding: failed to get the Python codec of the filesystem encoding"));
  }

  private Finding pythonFinding(CheckContext image, String evidence, String version, String stdlib, String fact,
      String error) {
    String host = hostPrefix(image) + "/usr/lib/python" + version;
    return new Finding(NAME, "PYTHON_STDLIB_MISSING", Severity.ERROR, stdlib, evidence + ": Python loads its"
        + " standard library and extension modules as files by name, and " + fact + ".", error,
        image.fix("Add the standard library: addDirectory(Path.of(\"" + host + "\"), \"" + stdlib
                + "\", DirectoryOptions.defaults().copyOutsideLinkTargets().keepModificationTimes()) (its links"
                + " to /etc and to libpython are copied; kept times keep its __pycache__ byte code valid);"
                + " bundleSharedLibraries() brings the libraries of lib-dynload's modules. A program that imports"
                + " Debian's python3-* packages needs /usr/lib/python3/dist-packages too.",
            "COPY " + stdlib + " (Debian package libpython" + version + "-stdlib) with its lib-dynload"
                + " modules' libraries, preserving modification times so __pycache__ stays valid"
                + " (and /usr/lib/python3/dist-packages for Debian's python3-* packages)."));
  }

  // ---- Perl

  private Optional<Finding> perl(CheckContext image) {
    CheckContext.Loaded program = image.loaded().get(0);
    CheckContext.Loaded perl = null;
    String evidence = null;
    for (CheckContext.Loaded file : image.loaded()) {
      if (LIBPERL.matcher(file.path().substring(file.path().lastIndexOf('/') + 1)).matches()) {
        perl = file;
        evidence = program.path() + " loads " + file.path();
        break;
      }
    }
    if (perl == null && exports(program, "perl_parse")) {
      perl = program;
      evidence = program.path() + " is a Perl interpreter (it exports perl_parse)";
    }
    if (perl == null) {
      return Optional.empty();
    }
    List<String> inc = new ArrayList<>();
    for (String path : ElfStrings.paths(image.strings(perl))) {
      if (path.contains("perl") && !path.contains("/debug/") && !path.endsWith(".so") && path.indexOf(' ') < 0) {
        inc.add(path);
      }
    }
    String env = image.view().envValue("PERL5LIB").orElse("");
    for (String dir : env.split(":")) {
      if (dir.startsWith("/")) {
        inc.add(0, dir);
      }
    }
    if (inc.isEmpty()) {
      return Optional.empty(); // no @INC to judge
    }
    for (String dir : inc) {
      if (isFile(image.view(), dir + "/strict.pm")) {
        return Optional.empty();
      }
    }
    List<String> fixes = new ArrayList<>();
    List<String> copies = new ArrayList<>();
    String prefix = hostPrefix(image);
    for (String dir : inc) {
      if (dir.startsWith("/usr/local/") || dir.startsWith("/etc/")) {
        continue;
      }
      Optional<Path> root = image.hostRoot();
      if (root.isEmpty() || Files.isDirectory(root.get().resolve(dir.substring(1)))) {
        fixes.add("addDirectory(Path.of(\"" + prefix + dir + "\"), \"" + dir
            + "\", DirectoryOptions.defaults().copyOutsideLinkTargets())");
        copies.add(dir);
      }
    }
    return Optional.of(new Finding(NAME, "PERL_LIBRARY_MISSING", Severity.ERROR, inc.get(0), evidence + ": Perl loads"
        + " its modules from the @INC directories compiled into it (" + String.join(", ", inc) + "), and none of"
        + " them has strict.pm in the image, so a script's first \"use strict\" fails.",
        "Can't locate strict.pm in @INC (you may need to install the strict module)",
        image.fix("Add Perl's library directories: " + String.join(", ", fixes) + ".",
            "COPY Perl's library directories " + String.join(", ", copies) + " (Debian packages perl-base,"
                + " perl-modules, libperl) from the build stage.")));
  }

  // ----

  private static boolean exports(CheckContext.Loaded file, String symbol) {
    try {
      for (DynamicSymbol s : file.elf().exportedSymbols()) {
        if (s.name().equals(symbol)) {
          return true;
        }
      }
    } catch (ElfException malformed) {
      return false;
    }
    return false;
  }

  private static boolean isFile(ImageView view, String path) {
    ImageView.Resolution r = view.resolve(path);
    return r.found() && r.node().isFile();
  }

  private static String hostPrefix(CheckContext image) {
    return image.hostRoot().map(r -> r.toString().equals("/") ? "" : r.toString()).orElse("");
  }
}
