package dev.scratchkit.registry.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.google.cloud.tools.jib.image.json.ManifestTemplate;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * A manifest or index for jib's {@code RegistryClient.pushManifest} whose JSON is exactly our
 * bytes: jib serialises templates with Jackson, and this template serialises as its raw bytes,
 * so the registry (and jib's digest check) see what the OCI layout holds.
 */
@JsonSerialize(using = RawManifest.Serializer.class)
final class RawManifest implements ManifestTemplate {

  private final String json;
  private final String mediaType;

  /** @param bytes the UTF-8 JSON, as written to the layout */
  RawManifest(byte[] bytes, String mediaType) {
    this.json = new String(bytes, StandardCharsets.UTF_8);
    if (!java.util.Arrays.equals(json.getBytes(StandardCharsets.UTF_8), bytes)) {
      throw new IllegalArgumentException("manifest is not valid UTF-8");
    }
    this.mediaType = mediaType;
  }

  @Override
  public int getSchemaVersion() {
    return 2;
  }

  @Override
  public String getManifestMediaType() {
    return mediaType;
  }

  /** Writes the JSON unchanged. */
  static final class Serializer extends StdSerializer<RawManifest> {
    private static final long serialVersionUID = 1L;

    Serializer() {
      super(RawManifest.class);
    }

    @Override
    public void serialize(RawManifest value, JsonGenerator gen, SerializerProvider provider) throws IOException {
      gen.writeRawValue(value.json);
    }
  }
}
