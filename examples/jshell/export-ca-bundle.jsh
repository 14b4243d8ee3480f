// Export the running JDK's CA certificates as a PEM bundle (-R-Dout=..., default target/ca-certificates.crt).
// jshell --class-path "$(cat examples/target/classpath.txt)" examples/jshell/export-ca-bundle.jsh
import dev.scratchkit.certs.*;
import java.nio.file.Path;
import java.time.Instant;

var bundle = CaBundle.fromJdk().withoutExpired(Instant.now());
var out = Path.of(System.getProperty("out", "target/ca-certificates.crt"));
bundle.writePem(out);
System.out.println("wrote " + bundle.size() + " certificates to " + out);
/exit
