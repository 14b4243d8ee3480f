package dev.scratchkit.doctor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scratchkit.ScratchImage;
import dev.scratchkit.elf.Platform;
import dev.scratchkit.internal.oci.Json;
import dev.scratchkit.oci.ContainerConfig;
import dev.scratchkit.oci.ImagePath;
import dev.scratchkit.oci.ImageSpec;
import dev.scratchkit.oci.LayerEntry;
import dev.scratchkit.oci.LayerSpec;
import dev.scratchkit.oci.OciException;
import dev.scratchkit.oci.OciImages;
import dev.scratchkit.oci.OciLayout;
import dev.scratchkit.testkit.Tools;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** The doctor on images written to disk and read back: scratchkit's own, and broken ones. */
class ImageDoctorTest {

  @TempDir Path work;

  @Test
  void aStaticProgramBuiltWithScratchkitHasNoFindingInAnyForm() {
    Path busybox = Tools.require("busybox");
    ScratchImage image = ScratchImage.builder().entrypoint(busybox, "/bin/busybox").args("echo", "hi").build();
    Diagnosis d = DoctorAssertions.assertNoErrors(image, work);
    assertThat(d.isClean()).as(d.toString()).isTrue();
    assertThat(d.toString()).endsWith("no findings; " + d.rules().size() + " rules passed");
  }

  @Test
  void aDynamicProgramWithBundledLibrariesResolvesInsideTheImage() {
    Path ls = Tools.require("ls");
    ScratchImage image = ScratchImage.builder().entrypoint(ls, "/bin/ls").bundleSharedLibraries().build();
    Diagnosis d = DoctorAssertions.assertNoErrors(image, work);
    assertThat(d.errors()).isEmpty();
  }

  /** What {@code COPY ls /app} in a {@code FROM scratch} Dockerfile makes: no loader, no libraries. */
  private ImageSpec dynamicWithoutLibraries() {
    Path ls = Tools.require("ls");
    return ImageSpec.of(Platform.LINUX_AMD64, Instant.EPOCH,
        ContainerConfig.empty().withEntrypoint(List.of("/app")).withUser("nonroot"),
        List.of(LayerSpec.of("COPY ls /app", LayerEntry.file(ImagePath.of("/app"), ls, 0755))));
  }

  @Test
  void aDynamicProgramCopiedAloneIsDiagnosedWithTheRuntimesErrors() {
    Path layout = work.resolve("broken");
    OciLayout.at(layout).tag("broken").write(dynamicWithoutLibraries());

    Diagnosis d = ImageDoctor.examine(layout);

    assertThat(d.errors()).extracting(Finding::code).containsExactly("INTERPRETER_MISSING", "USER_UNKNOWN");
    assertThat(d.errors().get(0).runtimeError()).isEqualTo("exec /app: no such file or directory");
    assertThat(d.errors().get(1).runtimeError()).isEqualTo("unable to find user nonroot: no matching entries in passwd file");
    assertThat(d.errors().get(0).fix()).startsWith("COPY the interpreter /lib64/ld-linux-x86-64.so.2");
    assertThat(d.isClean()).isFalse();
    assertThat(d.image()).isEqualTo("broken in " + layout.toAbsolutePath().normalize());
    assertThat(d.toString()).contains("ERROR INTERPRETER_MISSING /lib64/ld-linux-x86-64.so.2")
        .contains("fails with: exec /app: no such file or directory");
  }

  @Test
  @SuppressWarnings("unchecked")
  void jsonHasAFixedFieldOrder() {
    Path layout = work.resolve("json");
    OciLayout.at(layout).tag("t").write(dynamicWithoutLibraries());
    String json = ImageDoctor.examine(layout).toJson();
    Map<String, Object> doc = Json.parseObject(json);
    assertThat(doc.keySet()).containsExactly("image", "platform", "clean", "errors", "warnings", "findings");
    Map<String, Object> first = (Map<String, Object>) ((List<Object>) doc.get("findings")).get(0);
    assertThat(first.keySet()).containsExactly("rule", "code", "severity", "path", "message", "runtimeError", "fix");
    assertThat(first.get("code")).isEqualTo("INTERPRETER_MISSING");
    assertThat(ImageDoctor.examine(layout).toJson()).isEqualTo(json);
  }

  @Test
  void junitXmlHasOneTestCasePerRuleAndAFailurePerRuleWithErrors() throws Exception {
    Path layout = work.resolve("xml");
    OciLayout.at(layout).tag("t").write(dynamicWithoutLibraries());
    Diagnosis d = ImageDoctor.examine(layout);
    Document xml = DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(new ByteArrayInputStream(d.toJUnitXml().getBytes(StandardCharsets.UTF_8)));
    Element suite = xml.getDocumentElement();
    assertThat(suite.getAttribute("tests")).isEqualTo(String.valueOf(d.rules().size()));
    assertThat(suite.getAttribute("failures")).isEqualTo("2");
    NodeList cases = suite.getElementsByTagName("testcase");
    assertThat(cases.getLength()).isEqualTo(d.rules().size());
    NodeList failures = suite.getElementsByTagName("failure");
    assertThat(failures.getLength()).isEqualTo(2);
    Element failure = (Element) failures.item(0);
    assertThat(((Element) failure.getParentNode()).getAttribute("name")).isEqualTo("shared-libraries");
    assertThat(failure.getAttribute("type")).isEqualTo("INTERPRETER_MISSING");
    assertThat(failure.getTextContent()).contains("exec /app: no such file or directory");
  }

  @Test
  void aSourceWithSeveralImagesNamesThemAndTheWayToPickOne() {
    Path layout = work.resolve("two");
    OciLayout.at(layout).tag("a").write(dynamicWithoutLibraries());
    OciLayout.at(layout).tag("b").write(dynamicWithoutLibraries());
    assertThatThrownBy(() -> ImageDoctor.examine(layout)).isInstanceOf(OciException.class)
        .hasMessageContaining("holds 2 images").hasMessageContaining("ImageDoctor.examine(OciImages.read(path).image(tag))");
    OciImages images = OciImages.read(layout);
    assertThat(ImageDoctor.examine(images.image("b")).image()).startsWith("b in ");
  }
}
