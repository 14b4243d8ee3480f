package dev.scratchkit.internal.checks;

import dev.scratchkit.ScratchImage;
import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.ImageDoctor;
import dev.scratchkit.oci.ImageSpec;
import dev.scratchkit.oci.LayerEntry;
import dev.scratchkit.oci.LayerSpec;
import dev.scratchkit.oci.OciLayout;
import dev.scratchkit.testkit.Runc;
import dev.scratchkit.testkit.Tools;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Shared by the run-time data rule tests: an image as scratchkit builds it and the same image
 * lacking what a rule's action added (as an image built elsewhere would), each run under runc,
 * and the same command on this machine as the image's user with the image's environment.
 */
final class RunTimeData {

  private RunTimeData() {}

  /** {@return the image with every entry at or under one of the paths left out} */
  static ImageSpec without(ImageSpec spec, String... paths) {
    Predicate<String> drop = p -> {
      for (String d : paths) {
        if (p.equals(d) || p.startsWith(d + "/")) {
          return true;
        }
      }
      return false;
    };
    List<LayerSpec> layers = new ArrayList<>();
    for (LayerSpec layer : spec.layers()) {
      List<LayerEntry> kept = layer.entries().stream().filter(e -> !drop.test(e.path().toString())).toList();
      if (!kept.isEmpty()) {
        layers.add(new LayerSpec(kept, layer.createdBy() + " (without " + String.join(", ", paths) + ")",
            layer.modified()));
      }
    }
    return ImageSpec.of(spec.platform(), spec.created(), spec.config(), layers);
  }

  static Path write(ImageSpec spec, Path dir) {
    OciLayout.at(dir).tag("t").write(spec);
    return dir;
  }

  static Path write(ScratchImage image, Path dir) {
    image.writeTo(OciLayout.at(dir).tag("t"));
    return dir;
  }

  /** Runs the image's own command under runc (as its user, 65532). */
  static Tools.Result run(Path layout, Path work) {
    Tools.Result r = Runc.run(layout, "t", work);
    System.out.println(layout.getFileName() + ": " + r.describe());
    return r;
  }

  /** Makes a test file and the directories above it readable for 65532, so the host run can read it. */
  static Path readable(Path file) {
    for (Path p = file.toAbsolutePath(); p != null && !p.toString().equals("/tmp") && p.getParent() != null;
        p = p.getParent()) {
      p.toFile().setReadable(true, false);
      p.toFile().setExecutable(true, false);
    }
    return file;
  }

  /** Runs a command on this machine as uid/gid 65532 with only the given environment, in /. */
  static Tools.Result host(Map<String, String> env, List<String> command) {
    List<String> c = new ArrayList<>(List.of(Tools.require("setpriv").toString(), "--reuid=65532",
        "--regid=65532", "--clear-groups", "env", "-i"));
    env.forEach((k, v) -> c.add(k + "=" + v));
    c.addAll(command);
    Tools.Result r = Tools.run(Duration.ofMinutes(1), Path.of("/"), null, c);
    System.out.println("host: " + r.describe());
    return r;
  }

  /** {@return the doctor's one finding of a rule on a layout} */
  static Finding finding(Path layout, String rule, String code) {
    List<Finding> findings = ImageDoctor.examine(layout).findings().stream()
        .filter(f -> f.rule().equals(rule) && f.code().equals(code)).toList();
    if (findings.size() != 1) {
      throw new AssertionError("expected one " + code + " finding, got " + ImageDoctor.examine(layout));
    }
    return findings.get(0);
  }

  static boolean hasFinding(Path layout, String rule) {
    return ImageDoctor.examine(layout).findings().stream().anyMatch(f -> f.rule().equals(rule));
  }
}
