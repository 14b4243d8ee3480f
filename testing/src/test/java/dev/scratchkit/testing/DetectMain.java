package dev.scratchkit.testing;

/** Prints what {@link ImageRunner#detect()} says in this process's environment. */
public final class DetectMain {

  private DetectMain() {}

  public static void main(String[] args) {
    try (ImageRunner runner = ImageRunner.detect()) {
      System.out.println("found " + runner.engine());
    } catch (ImageRunnerException e) {
      System.out.println(e.getMessage());
    }
  }
}
