package dev.scratchkit.internal.checks;

import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.Severity;
import dev.scratchkit.internal.view.ImageView;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every ELF program and library in the image is for the config's architecture: one of another
 * architecture cannot be run or loaded there. Read from each file's first bytes (ELF header).
 */
final class ArchitectureRule implements Rule {

  static final String NAME = "architecture";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void check(CheckContext image, List<Finding> findings) {
    ImageView view = image.view();
    String expected = view.platform().architecture();
    String program = image.program().map(ImageView.Node::path).orElse(null);
    Map<String, List<String>> others = new LinkedHashMap<>();
    view.entries().filter(ImageView.Node::isFile).forEach(node -> {
      if (node.path().equals(program)) {
        return; // the entrypoint rule reports its own architecture
      }
      byte[] head;
      try {
        head = view.head(node);
      } catch (java.io.UncheckedIOException e) {
        return;
      }
      architecture(head).filter(a -> !a.equals(expected))
          .ifPresent(a -> others.computeIfAbsent(a, k -> new ArrayList<>()).add(node.path()));
    });
    others.forEach((arch, paths) -> findings.add(new Finding(NAME, "MIXED_ARCHITECTURES", Severity.WARNING,
        paths.get(0), "The image is for " + view.platform() + ", but " + paths.size() + " ELF file"
            + (paths.size() == 1 ? " is" : "s are") + " for " + arch + ": " + String.join(", ", paths.subList(0,
                Math.min(5, paths.size()))) + (paths.size() > 5 ? ", ..." : "") + ". Running or loading them fails.",
        "exec format error",
        image.fix("Build every file for one platform; make one image per platform and combine them with ImageIndex.",
            "COPY the " + expected + " build of these files, or build one image per platform."))));
  }

  /** The OCI architecture of an ELF executable or shared object, from its header; empty otherwise. */
  static Optional<String> architecture(byte[] h) {
    if (!ImageView.isElf(h) || h.length < 20) {
      return Optional.empty();
    }
    boolean is64 = h[4] == 2;
    boolean little = h[5] == 1;
    int type = little ? (h[16] & 0xff) | (h[17] & 0xff) << 8 : (h[17] & 0xff) | (h[16] & 0xff) << 8;
    int machine = little ? (h[18] & 0xff) | (h[19] & 0xff) << 8 : (h[19] & 0xff) | (h[18] & 0xff) << 8;
    if (type != 2 && type != 3) {
      return Optional.empty(); // relocatable objects and core files are not run
    }
    switch (machine) {
      case 62: return Optional.of(is64 ? "amd64" : "amd64p32");
      case 3: return Optional.of("386");
      case 183: return Optional.of("arm64");
      case 40: return Optional.of("arm");
      case 21: return Optional.of(little ? "ppc64le" : "ppc64");
      case 22: return Optional.of("s390x");
      case 243: return Optional.of(is64 ? "riscv64" : "riscv32");
      case 258: return Optional.of("loong64");
      default: return Optional.empty();
    }
  }
}
