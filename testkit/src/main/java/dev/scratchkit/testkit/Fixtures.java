package dev.scratchkit.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Test binaries built during the test run from source, never committed: C programs with gcc
 * and Go programs with the Debian Go toolchain.
 */
public final class Fixtures {

  private Fixtures() {}

  /**
   * Compiles a C source with gcc into {@code dir/name}.
   *
   * @param flags extra gcc flags, e.g. {@code -static}, {@code -static-pie}, {@code -lm}
   *     or a shared library's path (libraries are placed after the source so the linker uses them)
   */
  public static Path gcc(Path dir, String name, String source, String... flags) {
    Path gcc = Tools.require("gcc");
    try {
      Files.createDirectories(dir);
      Path src = dir.resolve(name + ".c");
      Files.writeString(src, source);
      Path out = dir.resolve(name);
      List<String> command = new ArrayList<>(List.of(gcc.toString(), "-O1", "-o", out.toString()));
      List<String> libs = new ArrayList<>();
      for (String flag : flags) {
        boolean library = flag.startsWith("-l") || (!flag.startsWith("-") && flag.contains(".so"));
        (library ? libs : command).add(flag);
      }
      command.add(src.toString());
      command.addAll(libs);
      Tools.run(Duration.ofMinutes(2), dir, null, command).assertOk();
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Builds a single-file Go program into {@code dir/name}.
   *
   * @param env Go build environment, e.g. {@code CGO_ENABLED=0}, {@code GOARCH=arm64}
   */
  public static Path go(Path dir, String name, String source, Map<String, String> env, String... buildFlags) {
    Path go = Tools.require("go");
    try {
      Path src = dir.resolve(name + "-src");
      Files.createDirectories(src);
      Files.writeString(src.resolve("main.go"), source);
      Files.writeString(src.resolve("go.mod"), "module example.com/" + name + "\n\ngo 1.19\n");
      Path out = dir.resolve(name);
      Map<String, String> goEnv = new HashMap<>(goEnvironment());
      goEnv.putAll(env);
      List<String> command = new ArrayList<>(List.of(go.toString(), "build"));
      command.addAll(List.of(buildFlags));
      command.addAll(List.of("-o", out.toString(), "."));
      Tools.run(Duration.ofMinutes(8), src, goEnv, command).assertOk();
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A Go environment that works offline and without HOME: a build cache shared by all test
   * runs on this machine (so the standard library is compiled once), no module downloads.
   */
  public static Map<String, String> goEnvironment() {
    Map<String, String> env = new HashMap<>();
    Path base = Path.of(System.getProperty("java.io.tmpdir"), "scratchkit-go");
    if (System.getenv("GOCACHE") == null) {
      env.put("GOCACHE", base.resolve("cache").toString());
    }
    if (System.getenv("GOPATH") == null) {
      env.put("GOPATH", base.resolve("path").toString());
    }
    env.put("GOFLAGS", "-mod=mod");
    env.put("GOPROXY", "off");
    env.put("GOTOOLCHAIN", "local");
    return env;
  }

  /** A Go HTTPS client: GETs its first argument and prints the status code, or the error. */
  public static final String GO_HTTPS_CLIENT = """
      package main

      import (
      	"fmt"
      	"net/http"
      	"os"
      )

      func main() {
      	resp, err := http.Get(os.Args[1])
      	if err != nil {
      		fmt.Println("error:", err)
      		os.Exit(1)
      	}
      	defer resp.Body.Close()
      	fmt.Println(resp.StatusCode)
      }
      """;

  /** A Go program that only prints a greeting: needs neither certificates nor users. */
  public static final String GO_HELLO = """
      package main

      import "fmt"

      func main() {
      	fmt.Println("hello from go")
      }
      """;

  /**
   * A Go HTTP server: listens on {@code 127.0.0.1:ARG1}, answers every request with
   * {@code hello from scratch}, prints {@code listening on ADDRESS} once it accepts; with a
   * certificate and key file as ARG2 and ARG3 it speaks HTTPS.
   */
  public static final String GO_HTTP_SERVER = """
      package main

      import (
      	"fmt"
      	"net"
      	"net/http"
      	"os"
      )

      func main() {
      	listener, err := net.Listen("tcp", "127.0.0.1:"+os.Args[1])
      	if err != nil {
      		fmt.Println("error:", err)
      		os.Exit(1)
      	}
      	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
      		fmt.Fprintln(w, "hello from scratch")
      	})
      	fmt.Println("listening on", listener.Addr())
      	if len(os.Args) > 3 {
      		err = http.ServeTLS(listener, handler, os.Args[2], os.Args[3])
      	} else {
      		err = http.Serve(listener, handler)
      	}
      	fmt.Println("error:", err)
      	os.Exit(1)
      }
      """;
}
