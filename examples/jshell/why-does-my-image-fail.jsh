// Why does my image fail? Give a docker save tar, an OCI layout or an OCI archive as -R-Dimage=...
// jshell --class-path "$(cat examples/target/classpath.txt)" -R-Dimage=app.tar examples/jshell/why-does-my-image-fail.jsh
import dev.scratchkit.doctor.*;
import java.nio.file.Path;

var diagnosis = ImageDoctor.examine(Path.of(System.getProperty("image", "app.tar")));
System.out.println(diagnosis);
diagnosis.errors().forEach(f -> System.out.println(f.code() + ": the container prints \"" + f.runtimeError() + "\""));
/exit
