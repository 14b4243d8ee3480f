package dev.scratchkit.internal.view;

import dev.scratchkit.internal.oci.Json;
import dev.scratchkit.internal.oci.RecentlyUsed;
import dev.scratchkit.internal.oci.SourceFiles;
import dev.scratchkit.oci.ImageSpec;
import dev.scratchkit.oci.LayerEntry;
import dev.scratchkit.oci.LayerSpec;
import dev.scratchkit.oci.OciException;
import dev.scratchkit.oci.OciImages;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Makes {@link ImageView}s: of scratchkit's candidate image (its {@link ImageSpec}, whose files
 * are host files or bytes), and of an image read back with {@link OciImages}.
 */
public final class ImageViews {

  /** Files up to this size are kept in memory when read from a layer blob. */
  static final int SMALL_FILE = 256 * 1024;
  /** At most this much of small files' content is kept in memory per view. */
  static final long SMALL_FILES_BUDGET = 32L << 20;

  private ImageViews() {}

  /**
   * The view of an image the builder assembled.
   *
   * @param spec the candidate image
   * @return its view; host files are read when needed
   */
  public static ImageView of(ImageSpec spec) {
    ImageView.Builder view = new ImageView.Builder("the image being built", true, spec.platform(), spec.config(),
        spec.config().env());
    for (LayerSpec layer : spec.layers()) {
      view.layer(layer.createdBy());
      for (LayerEntry e : layer.entries()) {
        ImageView.Content content = null;
        long size = 0;
        byte[] head = null;
        if (e.type() == LayerEntry.Type.FILE) {
          if (e.source().isPresent()) {
            Path host = e.source().get();
            SourceFiles.HostFile recorded = SourceFiles.hostFile(e);
            content = new HostFile(host);
            if (recorded != null) {
              size = recorded.size(); // the file as it was recorded, which is the file that goes in
              if (recorded.identifiesContent()) {
                SourceFiles.HostFile identity = recorded.withoutSha256();
                head = HEADS.get(identity);
                if (head == null) {
                  content = new RememberedHead(host, identity);
                }
              }
            } else {
              try {
                size = Files.size(host);
              } catch (IOException ex) {
                size = 0; // the assembler reports a missing host file
              }
            }
          } else {
            byte[] bytes = e.content().orElse(new byte[0]);
            content = new Bytes(bytes);
            size = bytes.length;
          }
        }
        view.add(e.path(), e.type(), e.mode(), e.uid(), e.gid(), size, e.link().orElse(null), content, head);
      }
    }
    return view.build();
  }

  /**
   * The view of an image read back: every layer streamed once for its entries (keeping small
   * files and each file's first bytes); other contents are streamed again when asked for.
   *
   * @param images where the image was read from
   * @param image one of {@code images.images()}
   * @return its view
   * @throws OciException if a layer cannot be read or does not match its digest
   */
  public static ImageView of(OciImages images, OciImages.Image image) {
    String name = (image.tag().isEmpty() ? image.manifestDigest().toString() : image.tag()) + " in "
        + images.source();
    ImageView.Builder view = new ImageView.Builder(name, false, image.platform(), image.config(),
        rawEnv(image.configJson()).orElse(image.config().env()));
    long[] budget = {SMALL_FILES_BUDGET};
    for (int i = 0; i < image.layers().size(); i++) {
      OciImages.Layer layer = image.layers().get(i);
      view.layer(layer.digest().toString());
      int[] ordinal = {0};
      images.readLayer(layer, (entry, in) -> {
        int index = ordinal[0]++;
        ImageView.Content content = null;
        byte[] head = null;
        if (entry.type() == LayerEntry.Type.FILE) {
          if (entry.size() <= SMALL_FILE && entry.size() <= budget[0]) {
            byte[] bytes = in.readNBytes((int) entry.size());
            budget[0] -= bytes.length;
            content = new Bytes(bytes);
            head = java.util.Arrays.copyOf(bytes, Math.min(bytes.length, ImageView.HEAD_BYTES));
          } else {
            head = in.readNBytes(ImageView.HEAD_BYTES);
            content = new LayerFile(images, layer, index, entry.path());
          }
        }
        view.add(entry.path(), entry.type(), entry.mode(), entry.uid(), entry.gid(), entry.size(),
            entry.link().isEmpty() ? null : entry.link(), content, head);
      });
    }
    return view.build();
  }

  /** The config's {@code Env} as stored, malformed entries included. */
  @SuppressWarnings("unchecked")
  static Optional<List<String>> rawEnv(String configJson) {
    try {
      Map<String, Object> c = Json.parseObject(configJson);
      Object runtime = c.get("config");
      if (runtime instanceof Map<?, ?> r && r.get("Env") instanceof List<?> env) {
        List<String> out = new ArrayList<>();
        for (Object o : env) {
          out.add(String.valueOf(o));
        }
        return Optional.of(out);
      }
    } catch (RuntimeException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  /** A host file, read when needed. */
  record HostFile(Path file) implements ImageView.Content {
    @Override
    public InputStream open() throws IOException {
      return Files.newInputStream(file);
    }

    @Override
    public Optional<Path> hostFile() {
      return Optional.of(file);
    }
  }

  /**
   * The first bytes of host files read for the checks, by identity: every check of a rebuild reads
   * the head of every file (is it ELF, a script), and a tree such as the time zone data has
   * hundreds; bounded, least recently used out.
   */
  private static final Map<SourceFiles.HostFile, byte[]> HEADS = RecentlyUsed.map(16384);

  /** A host file whose first bytes, once read, are remembered under its identity. */
  record RememberedHead(Path file, SourceFiles.HostFile identity) implements ImageView.Content {
    @Override
    public InputStream open() throws IOException {
      return new HostFile(file).open();
    }

    @Override
    public Optional<Path> hostFile() {
      return Optional.of(file);
    }

    @Override
    public void headRead(byte[] head) {
      HEADS.put(identity, head.clone());
    }
  }

  /** Bytes in memory. */
  record Bytes(byte[] bytes) implements ImageView.Content {
    @Override
    public InputStream open() {
      return new ByteArrayInputStream(bytes);
    }
  }

  /** A file of a layer blob: the layer is streamed again up to that entry. */
  record LayerFile(OciImages images, OciImages.Layer layer, int index, String path) implements ImageView.Content {
    @Override
    public InputStream open() throws IOException {
      Path copy = Files.createTempFile("scratchkit-entry", ".bin");
      try {
        int[] ordinal = {0};
        boolean[] found = {false};
        images.readLayer(layer, (entry, in) -> {
          if (ordinal[0]++ == index) {
            Files.copy(in, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            found[0] = true;
          }
        });
        if (!found[0]) {
          throw new IOException("layer " + layer.digest() + " no longer has " + path + " at entry " + index);
        }
        return new java.io.FilterInputStream(Files.newInputStream(copy)) {
          @Override
          public void close() throws IOException {
            try {
              super.close();
            } finally {
              Files.deleteIfExists(copy);
            }
          }
        };
      } catch (IOException | RuntimeException e) {
        Files.deleteIfExists(copy);
        throw e;
      }
    }
  }
}
