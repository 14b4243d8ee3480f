package dev.scratchkit.examples;

import dev.scratchkit.doctor.Diagnosis;
import dev.scratchkit.doctor.ImageDoctor;
import dev.scratchkit.oci.OciImages;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * "Why does my image fail?": examines a {@code docker save} tar, an OCI layout or an OCI
 * archive, whoever built it, and prints every finding with the error the container would print
 * and the fix. Exits with 1 when there is an error finding, so a CI step can run it.
 *
 * <pre>
 * docker save app:1 -o app.tar
 * java -cp "$(cat examples/target/classpath.txt):examples/target/classes" \
 *     dev.scratchkit.examples.WhyDoesMyImageFail app.tar [tag] [--json | --junit report.xml]
 * </pre>
 */
public final class WhyDoesMyImageFail {

  private WhyDoesMyImageFail() {}

  /**
   * Examines the image and prints the diagnosis.
   *
   * @param args the tar or layout; optionally a tag (when it holds several images), and
   *     {@code --json} (print JSON) or {@code --junit FILE} (also write a JUnit XML report)
   * @throws IOException if the JUnit report cannot be written
   */
  public static void main(String[] args) throws IOException {
    if (args.length == 0) {
      System.err.println("usage: WhyDoesMyImageFail IMAGE.tar|LAYOUT [TAG] [--json | --junit FILE]");
      System.exit(2);
    }
    int errors = run(args, System.out);
    System.exit(errors > 0 ? 1 : 0);
  }

  /**
   * Examines and prints, without exiting: what {@link #main} does.
   *
   * @param args as for {@link #main}
   * @param out where to print
   * @return the number of error findings
   * @throws IOException if the JUnit report cannot be written
   */
  public static int run(String[] args, PrintStream out) throws IOException {
    Path source = Path.of(args[0]);
    String tag = null;
    boolean json = false;
    Path junit = null;
    for (int i = 1; i < args.length; i++) {
      if (args[i].equals("--json")) {
        json = true;
      } else if (args[i].equals("--junit") && i + 1 < args.length) {
        junit = Path.of(args[++i]);
      } else {
        tag = args[i];
      }
    }
    Diagnosis diagnosis;
    if (tag == null) {
      diagnosis = ImageDoctor.examine(source);
    } else {
      OciImages images = OciImages.read(source);
      diagnosis = ImageDoctor.examine(images.image(tag));
    }
    out.println(json ? diagnosis.toJson() : diagnosis.toString());
    if (junit != null) {
      Files.writeString(junit, diagnosis.toJUnitXml(), StandardCharsets.UTF_8);
    }
    return diagnosis.errors().size();
  }
}
