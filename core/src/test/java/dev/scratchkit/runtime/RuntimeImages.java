package dev.scratchkit.runtime;

import dev.scratchkit.ScratchImage;
import dev.scratchkit.doctor.Finding;
import dev.scratchkit.doctor.ImageDoctor;
import dev.scratchkit.oci.ContainerConfig;
import dev.scratchkit.oci.ImageSpec;
import dev.scratchkit.oci.LayerEntry;
import dev.scratchkit.oci.LayerSpec;
import dev.scratchkit.oci.OciLayout;
import dev.scratchkit.testkit.Tools;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** What the run-time rule tests share: images build() would refuse, made as another tool would, and the host's run. */
final class RuntimeImages {

  private RuntimeImages() {}

  /** The image without the entries {@code drop} matches and with another command: what build() refuses. */
  static ImageSpec without(ScratchImage image, Predicate<String> drop, List<String> cmd) {
    List<LayerSpec> layers = new ArrayList<>();
    for (LayerSpec layer : image.layers()) {
      List<LayerEntry> kept = layer.entries().stream().filter(e -> !drop.test(e.path().path())).toList();
      if (!kept.isEmpty()) {
        layers.add(new LayerSpec(kept, layer.createdBy(), layer.modified()));
      }
    }
    ContainerConfig config = cmd == null ? image.config() : image.config().withCmd(cmd);
    return new ImageSpec(image.platform(), image.created(), config, layers, image.spec().annotations(), null);
  }

  static Path write(ImageSpec spec, Path layout) {
    OciLayout.at(layout).tag("t").write(spec);
    return layout;
  }

  static Path write(ScratchImage image, Path layout) {
    image.writeTo(OciLayout.at(layout).tag("t"));
    return layout;
  }

  /** The doctor's finding of a code, which must be there. */
  static Finding finding(Path layout, String code) {
    List<Finding> findings = ImageDoctor.examine(layout).findings();
    return findings.stream().filter(f -> f.code().equals(code)).findFirst()
        .orElseThrow(() -> new AssertionError("no " + code + " in " + findings));
  }

  /** The same command on this machine, as uid 65532 like the container, in {@code /}. */
  static Tools.Result onHost(List<String> command) {
    List<String> argv = new ArrayList<>(List.of("setpriv", "--reuid=65532", "--regid=65532", "--clear-groups"));
    argv.addAll(command);
    return Tools.run(Duration.ofMinutes(1), Path.of("/"), null, argv);
  }
}
