// Build a scratch image from a binary given as -R-Dbinary=... into the layout -R-Dlayout=...
// jshell --class-path "$(cat examples/target/classpath.txt)" -R-Dbinary=/usr/bin/ls -R-Dlayout=target/ls-image examples/jshell/build-image.jsh
import dev.scratchkit.*;
import dev.scratchkit.elf.*;
import dev.scratchkit.oci.*;
import java.nio.file.Path;

var binary = Path.of(System.getProperty("binary", "/usr/bin/ls"));
var builder = ScratchImage.builder().entrypoint(binary);
if (ElfFile.read(binary).linkage() == Linkage.DYNAMIC) builder.bundleSharedLibraries();
var image = builder.build();
var result = image.writeTo(OciLayout.at(Path.of(System.getProperty("layout", "target/jshell-image"))).tag("latest"));
System.out.println(image);
System.out.println(result.target() + " " + result.digest());
/exit
