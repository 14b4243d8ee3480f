package dev.scratchkit.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.ScratchImage;
import dev.scratchkit.oci.DockerArchive;
import dev.scratchkit.oci.OciArchive;
import dev.scratchkit.oci.OciLayout;
import java.nio.file.Path;
import java.util.List;

/**
 * For tests that build images: write the image as a layout, an OCI archive and a
 * docker-archive, read each back and examine it; none may have an error finding, and all three
 * must agree.
 */
public final class DoctorAssertions {

  private DoctorAssertions() {}

  /**
   * Asserts that the doctor finds no error in the image, however it is written.
   *
   * @param image the image
   * @param dir a directory for the written forms
   * @return the diagnosis of the layout (for further assertions on warnings)
   */
  public static Diagnosis assertNoErrors(ScratchImage image, Path dir) {
    Path layout = dir.resolve("doctor-layout");
    Path archive = dir.resolve("doctor-oci.tar");
    Path docker = dir.resolve("doctor-docker.tar");
    image.writeTo(OciLayout.at(layout).tag("t"));
    image.writeTo(OciArchive.at(archive).tag("t"));
    image.writeTo(DockerArchive.at(docker).tag("doctor:t"));
    Diagnosis fromLayout = ImageDoctor.examine(layout);
    assertThat(fromLayout.errors()).as(fromLayout.toString()).isEmpty();
    for (Path other : List.of(archive, docker)) {
      Diagnosis d = ImageDoctor.examine(other);
      assertThat(d.findings()).as(other + ": " + d).isEqualTo(fromLayout.findings());
    }
    return fromLayout;
  }
}
