package dev.scratchkit.internal.compress;

import java.io.ByteArrayOutputStream;

/** Child process of a test: run on a class path without zstd-jni, prints what open() says. */
final class ZstdWithoutJni {

  private ZstdWithoutJni() {}

  public static void main(String[] args) throws Exception {
    System.out.println("available " + ZstdCompression.available());
    try {
      ZstdCompression.defaults().open(new ByteArrayOutputStream());
      System.out.println("opened");
    } catch (IllegalStateException e) {
      System.out.println("message " + e.getMessage());
    }
  }
}
