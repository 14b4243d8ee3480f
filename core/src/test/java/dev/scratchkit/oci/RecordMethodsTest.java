package dev.scratchkit.oci;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scratchkit.elf.Platform;
import dev.scratchkit.internal.cache.LayerKey;
import dev.scratchkit.internal.oci.SourceFiles;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The records whose {@code equals} and {@code hashCode} are written out (to spare every new JVM
 * their invokedynamic linking) behave exactly as the generated ones would. The oracle is the
 * JDK's own generator, {@link java.lang.runtime.ObjectMethods}, over every record component; each
 * record is compared with copies that differ in one component at a time, with itself and with an
 * equal copy.
 */
class RecordMethodsTest {

  private static final Path FILE = Path.of("/usr/bin/ls");
  private static final FileTime T1 = FileTime.fromMillis(1_000);
  private static final FileTime T2 = FileTime.fromMillis(2_000);

  @Test
  void digest() throws Throwable {
    String a = "sha256:" + "a".repeat(64);
    agree(Digest.of(a), Digest.of(a), Digest.of("sha256:" + "b".repeat(64)));
  }

  @Test
  void imagePath() throws Throwable {
    agree(ImagePath.of("/etc/passwd"), ImagePath.of("/etc/passwd"), ImagePath.of("/etc/group"), ImagePath.ROOT);
  }

  @Test
  void platform() throws Throwable {
    agree(Platform.parse("linux/arm/v7"), Platform.parse("linux/arm/v7"), Platform.parse("freebsd/arm/v7"),
        Platform.parse("linux/arm64/v7"), Platform.parse("linux/arm"), Platform.LINUX_AMD64);
  }

  @Test
  void layerSpec() throws Throwable {
    LayerEntry dir = LayerEntry.directory(ImagePath.of("/etc"), 0755);
    LayerEntry tmp = LayerEntry.directory(ImagePath.of("/tmp"), 01777);
    Instant t = Instant.ofEpochSecond(1_700_000_000);
    agree(new LayerSpec(List.of(dir), "a", t), new LayerSpec(List.of(dir), "a", t),
        new LayerSpec(List.of(dir, tmp), "a", t), new LayerSpec(List.of(dir), "b", t),
        new LayerSpec(List.of(dir), "a", t.plusSeconds(1)), new LayerSpec(List.of(dir), "a", null));
  }

  @Test
  void hostFile() throws Throwable {
    SourceFiles.HostFile h = new SourceFiles.HostFile(FILE, "(dev=1,ino=2)", 10, T1, T2, "ab");
    agree(h, new SourceFiles.HostFile(FILE, "(dev=1,ino=2)", 10, T1, T2, "ab"),
        new SourceFiles.HostFile(Path.of("/usr/bin/cat"), "(dev=1,ino=2)", 10, T1, T2, "ab"),
        new SourceFiles.HostFile(FILE, "(dev=1,ino=3)", 10, T1, T2, "ab"),
        new SourceFiles.HostFile(FILE, null, 10, T1, T2, "ab"),
        new SourceFiles.HostFile(FILE, "(dev=1,ino=2)", 11, T1, T2, "ab"),
        new SourceFiles.HostFile(FILE, "(dev=1,ino=2)", 10, T2, T2, "ab"),
        new SourceFiles.HostFile(FILE, "(dev=1,ino=2)", 10, T1, "-", "ab"),
        new SourceFiles.HostFile(FILE, "(dev=1,ino=2)", 10, T1, T2, null),
        new SourceFiles.HostFile(FILE, "(dev=1,ino=2)", 10, T1, T2, "cd"));
  }

  @Test
  void sourceIdentity() throws Throwable {
    agree(new LayerKey.SourceIdentity(FILE, "x"), new LayerKey.SourceIdentity(FILE, "x"),
        new LayerKey.SourceIdentity(Path.of("/usr/bin/cat"), "x"), new LayerKey.SourceIdentity(FILE, "y"));
  }

  @Test
  void ociImagesLayer() throws Throwable {
    Digest d1 = Digest.of("sha256:" + "1".repeat(64));
    Digest d2 = Digest.of("sha256:" + "2".repeat(64));
    String gzip = "application/vnd.oci.image.layer.v1.tar+gzip";
    String blob = "blobs/sha256/1";
    OciImages.Layer layer = new OciImages.Layer(d1, d2, 5, gzip, blob);
    agree(layer, new OciImages.Layer(d1, d2, 5, gzip, blob),
        new OciImages.Layer(d2, d2, 5, gzip, blob), new OciImages.Layer(null, d2, 5, gzip, blob),
        new OciImages.Layer(d1, d1, 5, gzip, blob), new OciImages.Layer(d1, null, 5, gzip, blob),
        new OciImages.Layer(d1, d2, 6, gzip, blob),
        new OciImages.Layer(d1, d2, 5, "application/vnd.oci.image.layer.v1.tar", blob),
        new OciImages.Layer(d1, d2, 5, gzip, "x/1"), new OciImages.Layer(d1, d2, 5, gzip, null));
  }

  /**
   * {@code same} equals {@code subject}; every other differs from it in one component. Every pair
   * (in both orders, with null and with an object of another class too) gets the generated
   * answer, and every record the generated hash.
   */
  private static void agree(Record subject, Record same, Record... others) throws Throwable {
    assertThat(same).isNotSameAs(subject);
    List<Record> all = new ArrayList<>(List.of(subject, same));
    all.addAll(Arrays.asList(others));
    MethodHandle equals = generated(subject.getClass(), "equals");
    MethodHandle hashCode = generated(subject.getClass(), "hashCode");
    for (Record a : all) {
      assertThat(a.hashCode()).as("hashCode of %s", a).isEqualTo((int) hashCode.invoke(a));
      for (Object b : List.of(a, all.get(0), all.get(1), "other", all.get(all.size() - 1))) {
        assertThat(a.equals(b)).as("%s equals %s", a, b).isEqualTo((boolean) equals.invoke(a, b));
      }
      assertThat(a.equals(null)).isFalse();
      for (Record b : all) {
        assertThat(a.equals(b)).as("%s equals %s", a, b).isEqualTo((boolean) equals.invoke(a, b));
      }
    }
    assertThat(subject).isEqualTo(same).hasSameHashCodeAs(same);
    for (Record other : others) {
      assertThat(subject).isNotEqualTo(other);
    }
  }

  /** The method the compiler would have generated, from the JDK's own bootstrap. */
  private static MethodHandle generated(Class<?> record, String method) throws Throwable {
    RecordComponent[] components = record.getRecordComponents();
    MethodHandle[] getters = new MethodHandle[components.length];
    MethodHandles.Lookup lookup = MethodHandles.lookup();
    for (int i = 0; i < components.length; i++) {
      getters[i] = lookup.unreflect(components[i].getAccessor());
    }
    String names = Arrays.stream(components).map(RecordComponent::getName).collect(Collectors.joining(";"));
    return (MethodHandle) java.lang.runtime.ObjectMethods.bootstrap(lookup, method, MethodHandle.class, record,
        names, getters);
  }
}
