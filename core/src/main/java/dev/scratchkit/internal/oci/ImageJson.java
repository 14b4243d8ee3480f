package dev.scratchkit.internal.oci;

import dev.scratchkit.elf.Platform;
import dev.scratchkit.oci.ContainerConfig;
import dev.scratchkit.oci.Digest;
import dev.scratchkit.oci.ImageSpec;
import dev.scratchkit.oci.LayerDescriptor;
import dev.scratchkit.oci.LayerSpec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Config, manifest and index documents (OCI image-spec v1.1) with a fixed field order. */
public final class ImageJson {
  private ImageJson() {}

  /** The image config: created, author, architecture, os, variant, config, rootfs, history. */
  public static byte[] config(ImageSpec image, List<Digest> diffIds) {
    Map<String, Object> root = Json.object();
    String created = image.created().toString();
    root.put("created", created);
    if (image.author() != null) {
      root.put("author", image.author());
    }
    root.put("architecture", image.platform().architecture());
    root.put("os", image.platform().os());
    if (image.platform().variant() != null) {
      root.put("variant", image.platform().variant());
    }
    root.put("config", runtime(image.config()));
    Map<String, Object> rootfs = Json.object();
    rootfs.put("type", "layers");
    rootfs.put("diff_ids", diffIds.stream().map(Digest::toString).toList());
    root.put("rootfs", rootfs);
    List<Object> history = new ArrayList<>();
    for (LayerSpec layer : image.layers()) {
      Map<String, Object> h = Json.object();
      h.put("created", created);
      h.put("created_by", layer.createdBy());
      history.add(h);
    }
    root.put("history", history);
    return bytes(root);
  }

  private static Map<String, Object> runtime(ContainerConfig c) {
    Map<String, Object> m = Json.object();
    if (c.user() != null) {
      m.put("User", c.user());
    }
    if (!c.exposedPorts().isEmpty()) {
      Map<String, Object> ports = Json.object();
      c.exposedPorts().stream().sorted().forEach(p -> ports.put(p.contains("/") ? p : p + "/tcp", Json.object()));
      m.put("ExposedPorts", ports);
    }
    if (!c.env().isEmpty()) {
      m.put("Env", c.env());
    }
    if (!c.entrypoint().isEmpty()) {
      m.put("Entrypoint", c.entrypoint());
    }
    if (!c.cmd().isEmpty()) {
      m.put("Cmd", c.cmd());
    }
    if (c.workingDir() != null) {
      m.put("WorkingDir", c.workingDir());
    }
    if (!c.labels().isEmpty()) {
      m.put("Labels", c.labels());
    }
    if (c.stopSignal() != null) {
      m.put("StopSignal", c.stopSignal());
    }
    return m;
  }

  /** A descriptor: mediaType, digest, size, then optional platform and annotations. */
  public static Map<String, Object> descriptor(String mediaType, Digest digest, long size, Platform platform,
      Map<String, String> annotations) {
    Map<String, Object> d = Json.object();
    d.put("mediaType", mediaType);
    d.put("digest", digest.toString());
    d.put("size", size);
    if (platform != null) {
      Map<String, Object> p = Json.object();
      p.put("architecture", platform.architecture());
      p.put("os", platform.os());
      if (platform.variant() != null) {
        p.put("variant", platform.variant());
      }
      d.put("platform", p);
    }
    if (annotations != null && !annotations.isEmpty()) {
      d.put("annotations", annotations);
    }
    return d;
  }

  /** The image manifest. */
  public static byte[] manifest(Digest config, long configSize, List<LayerDescriptor> layers, Map<String, String> annotations) {
    Map<String, Object> root = Json.object();
    root.put("schemaVersion", 2);
    root.put("mediaType", MediaTypes.MANIFEST);
    root.put("config", descriptor(MediaTypes.CONFIG, config, configSize, null, null));
    List<Object> ls = new ArrayList<>();
    for (LayerDescriptor l : layers) {
      ls.add(descriptor(l.mediaType(), l.digest(), l.size(), null, null));
    }
    root.put("layers", ls);
    if (!annotations.isEmpty()) {
      root.put("annotations", annotations);
    }
    return bytes(root);
  }

  /** An image index over the given descriptors. */
  public static byte[] index(List<Map<String, Object>> manifests, Map<String, String> annotations) {
    Map<String, Object> root = Json.object();
    root.put("schemaVersion", 2);
    root.put("mediaType", MediaTypes.INDEX);
    root.put("manifests", manifests);
    if (annotations != null && !annotations.isEmpty()) {
      root.put("annotations", annotations);
    }
    return bytes(root);
  }

  /** The {@code oci-layout} file. */
  public static byte[] ociLayout() {
    return "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8);
  }

  /** Serialises to UTF-8 bytes. */
  public static byte[] bytes(Object json) {
    return Json.write(json).getBytes(StandardCharsets.UTF_8);
  }
}
