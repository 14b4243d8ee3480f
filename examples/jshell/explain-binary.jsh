// What does a binary need before it can run in a scratch image?
// jshell --class-path "$(cat examples/target/classpath.txt)" -R-Dbinary=/usr/bin/ls examples/jshell/explain-binary.jsh
import dev.scratchkit.elf.*;
import java.nio.file.Path;

var elf = ElfFile.read(Path.of(System.getProperty("binary", "/usr/bin/ls")));
System.out.println(elf.path() + ": " + elf.platform() + ", " + elf.linkage());
elf.interpreter().ifPresent(i -> System.out.println("interpreter " + i));
System.out.println("needs " + elf.neededLibraries());
elf.goBuildInfo().ifPresent(go -> System.out.println("Go " + go.goVersion() + ", CGO_ENABLED=" + go.cgoEnabled().orElse(null)));
elf.runtimeNeeds().forEach(need -> System.out.println("runtime need: " + need));
var closure = LibraryResolver.forHost().resolve(elf);
closure.libraries().forEach(lib -> System.out.println("bundles " + lib));
System.out.println("missing " + closure.missing());
/exit
