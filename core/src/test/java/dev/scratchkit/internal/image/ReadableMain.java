package dev.scratchkit.internal.image;

import dev.scratchkit.internal.oci.SourceFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** For {@link ReadableTest}, run as another user: compares {@link Readable} with {@code access(2)} for each file of a directory. */
public final class ReadableMain {

  private ReadableMain() {}

  /** Prints each mismatch, then the count of files checked and of mismatches. */
  public static void main(String[] args) throws IOException {
    List<Path> files;
    try (var list = Files.list(Path.of(args[0]))) {
      files = list.sorted().toList();
    }
    List<String> mismatches = mismatches(files);
    mismatches.forEach(System.out::println);
    System.out.println("checked " + files.size() + " files, " + mismatches.size() + " mismatches");
  }

  static List<String> mismatches(List<Path> files) {
    List<String> mismatches = new ArrayList<>();
    for (Path f : files) {
      boolean kernel = Files.isReadable(f);
      if (Readable.byThisProcess(f, SourceFiles.stat(f)) != kernel) {
        mismatches.add(f.getFileName() + ": access says " + kernel + ", Readable the opposite");
      }
    }
    return mismatches;
  }
}
