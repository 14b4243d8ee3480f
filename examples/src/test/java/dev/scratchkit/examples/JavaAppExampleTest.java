package dev.scratchkit.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.testkit.Runc;
import dev.scratchkit.testkit.Tools;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java example, as a user runs it: a jar built here, the image run with runc. */
class JavaAppExampleTest {

  @TempDir Path work;

  @Test
  void anExecutableJarBecomesAnImageThatRunsAndTheSecondBuildComesFromTheCache() throws IOException {
    Path jar = helloJar();
    String first = example(jar, work.resolve("image-1"));
    assertThat(first).contains("Entrypoint /opt/java/bin/java -jar /app/hello.jar")
        .contains("scratchkit: Java runtime, jlink of JDK " + Runtime.version().feature());
    String second = example(jar, work.resolve("image-2"));
    assertThat(second.lines().filter(l -> l.contains("scratchkit: Java runtime")))
        .allMatch(l -> l.endsWith("from the layer cache"));

    Tools.Result run = Runc.run(work.resolve("image-2"), "latest", work.resolve("run"));
    assertThat(run.stdout()).as(run.describe()).isEqualTo("hello, nonroot in /home/nonroot\n");
  }

  private static String example(Path jar, Path layout) {
    PrintStream previous = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      JavaAppExample.main(new String[] {jar.toString(), layout.toString()});
    } finally {
      System.setOut(previous);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private Path helloJar() throws IOException {
    Path src = Files.writeString(Files.createDirectories(work.resolve("src")).resolve("Hello.java"),
        "public class Hello { public static void main(String[] a) {"
            + " System.out.println(\"hello, \" + System.getProperty(\"user.name\") + \" in \""
            + " + System.getProperty(\"user.home\")); } }\n");
    Path classes = Files.createDirectories(work.resolve("classes"));
    int rc = ToolProvider.getSystemJavaCompiler().run(null, null, null, "--release", "17", "-d", classes.toString(),
        src.toString());
    assertThat(rc).isZero();
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "Hello");
    Path jar = work.resolve("hello.jar");
    try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(out, manifest)) {
      jos.putNextEntry(new JarEntry("Hello.class"));
      jos.write(Files.readAllBytes(classes.resolve("Hello.class")));
      jos.closeEntry();
    }
    return jar;
  }
}
