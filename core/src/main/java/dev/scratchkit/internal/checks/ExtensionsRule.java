package dev.scratchkit.internal.checks;

import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import dev.scratchkit.internal.view.ImageView;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Extensions an image's own inputs tell its program to load by name from a directory compiled
 * into it: gawk's {@code @load "ordchr"} (or {@code -l ordchr}) opens {@code ordchr.so} in
 * {@code AWKLIBPATH}, else in its compiled-in directory ({@code /usr/lib/x86_64-linux-gnu/gawk}
 * on Debian, among its strings). Certain, since the input names it: an error ("cannot open
 * shared library `ordchr' for reading"), with the exact {@code addFile}.
 */
final class ExtensionsRule implements Rule {

  static final String NAME = "extensions";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void check(CheckContext image, List<Finding> findings) {
    List<String> extensions = GivenCommands.gawkExtensions(image);
    if (extensions.isEmpty()) {
      return;
    }
    ImageView view = image.view();
    CheckContext.Loaded gawk = image.loaded().get(0);
    List<String> directories = new ArrayList<>();
    view.envValue("AWKLIBPATH").ifPresent(p -> {
      for (String dir : p.split(":")) {
        if (dir.startsWith("/")) {
          directories.add(dir);
        }
      }
    });
    if (directories.isEmpty()) {
      for (String path : ElfStrings.paths(image.strings(gawk))) {
        if (path.endsWith("/gawk") && path.contains("/lib")) {
          directories.add(path);
          break;
        }
      }
    }
    if (directories.isEmpty()) {
      return; // no directory to name: gawk was built without one
    }
    for (String extension : extensions) {
      List<String> candidates = new ArrayList<>();
      if (extension.startsWith("/")) {
        candidates.add(extension);
        candidates.add(extension + ".so");
      } else if (!extension.contains("..")) {
        for (String dir : directories) {
          candidates.add(dir + "/" + extension);
          if (!extension.endsWith(".so")) {
            candidates.add(dir + "/" + extension + ".so");
          }
        }
      }
      boolean present = candidates.stream().map(view::resolve).anyMatch(r -> r.found() && r.node().isFile());
      if (present || candidates.isEmpty()) {
        continue;
      }
      String file = extension.endsWith(".so") ? extension : extension + ".so";
      String inImage = file.startsWith("/") ? file : directories.get(0) + "/" + file;
      Optional<Path> host = image.hostRoot().map(r -> r.resolve(inImage.substring(1)));
      boolean hostHas = host.isPresent() && Files.isRegularFile(host.get());
      findings.add(new Finding(NAME, "EXTENSION_MISSING", Severity.ERROR, inImage, gawk.path() + " is told to load"
          + " the extension " + extension + " (@load or -l), which it opens from " + String.join(":", directories)
          + " (AWKLIBPATH, else its compiled-in directory), but the image has none of " + String.join(", ",
              candidates) + ".", "gawk: error: cannot open shared library `" + extension + "' for reading",
          image.fix("Add it: addFile(Path.of(\"" + (hostHas ? host.get().toString() : inImage) + "\"), \"" + inImage
                  + "\") with bundleSharedLibraries(), which brings its libraries"
                  + (hostHas ? "." : " (Debian: gawk's package has it)."),
              "COPY " + inImage + " (Debian package gawk) with its libraries.")));
    }
  }
}
