package dev.scratchkit.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.testkit.DockerEngine;
import dev.scratchkit.testkit.Podman;
import dev.scratchkit.testkit.Tools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/** What the engines hold of a runner's process, read with their own command lines. */
final class Leftovers {

  private Leftovers() {}

  /** Container names and image references of {@code owner} in the engine. */
  static List<String> of(Engine engine, String owner) {
    switch (engine) {
      case DOCKER: {
        DockerEngine docker = DockerEngine.require();
        return Stream.concat(
            lines(docker.dockerOk("ps", "--all", "--format", "{{.Names}}").stdout()),
            lines(docker.dockerOk("images", "--format", "{{.Repository}}:{{.Tag}}").stdout()))
            .filter(n -> n.contains(owner)).toList();
      }
      case PODMAN:
        return Stream.concat(
            lines(Podman.podman("ps", "--all", "--format", "{{.Names}}").assertOk().stdout()),
            lines(Podman.podman("images", "--format", "{{.Repository}}:{{.Tag}}").assertOk().stdout()))
            .filter(n -> n.contains(owner)).toList();
      default: {
        Path dir = ImageRunner.stateDirectory().resolve(owner);
        Path root = dir.resolve("runc");
        List<String> running = Files.isDirectory(root)
            ? lines(Tools.runOk(Tools.require("runc").toString(), "--root", root.toString(), "list", "--quiet").stdout())
                .toList()
            : List.of();
        return Stream.concat(running.stream(), list(dir).stream()).toList();
      }
    }
  }

  static void assertNoneOfThisProcess(Engine engine) {
    assertThat(of(engine, Owner.CURRENT)).as("what %s holds of this process", engine).isEmpty();
  }

  /** Entries of a directory except an empty runc state root; none if it does not exist. */
  static List<String> list(Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.filter(p -> !(p.getFileName().toString().equals("runc") && isEmpty(p)))
          .map(Path::toString).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean isEmpty(Path dir) {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.findAny().isEmpty();
    } catch (IOException e) {
      return true;
    }
  }

  private static Stream<String> lines(String text) {
    return Arrays.stream(text.split("\n")).map(String::trim).filter(s -> !s.isEmpty());
  }

}
