package io.connectedregistry.e2e.support;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Media types and small builders for the manifests the HTTP tests push. */
public final class Oci {

  public static final String IMAGE_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  public static final String IMAGE_INDEX = "application/vnd.oci.image.index.v1+json";
  public static final String IMAGE_CONFIG = "application/vnd.oci.image.config.v1+json";
  public static final String LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
  public static final String LAYER_TAR = "application/vnd.oci.image.layer.v1.tar";
  public static final String EMPTY_JSON = "application/vnd.oci.empty.v1+json";
  public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
  public static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
  public static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
  public static final String DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip";

  /** The OCI "empty" blob {@code {}} that artifacts use as config. */
  public static final byte[] EMPTY_JSON_BLOB = "{}".getBytes(StandardCharsets.UTF_8);

  public static final ObjectMapper JSON = new ObjectMapper();

  private Oci() {}

  /** A blob's descriptor parts. */
  public record Blob(String mediaType, String digest, long size, byte[] data) {
    public static Blob of(String mediaType, byte[] data) {
      return new Blob(mediaType, Digests.sha256(data), data.length, data);
    }

    public ObjectNode descriptor() {
      ObjectNode d = JSON.createObjectNode();
      d.put("mediaType", mediaType);
      d.put("digest", digest);
      d.put("size", size);
      return d;
    }
  }

  /** A manifest's bytes with its media type and digest. */
  public record Manifest(String mediaType, byte[] bytes) {
    public String digest() {
      return Digests.sha256(bytes);
    }

    public long size() {
      return bytes.length;
    }

    public ObjectNode descriptor() {
      ObjectNode d = JSON.createObjectNode();
      d.put("mediaType", mediaType);
      d.put("digest", digest());
      d.put("size", bytes.length);
      return d;
    }
  }

  /** A config blob unique to {@code seed} (so each test's images have their own digests). */
  public static Blob config(String seed) {
    String json = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Labels\":{\"seed\":\"" + seed
        + "\"}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
    return Blob.of(IMAGE_CONFIG, json.getBytes(StandardCharsets.UTF_8));
  }

  public static Blob layer(long seed, int size) {
    return Blob.of(LAYER_GZIP, Digests.randomBytes(seed, size));
  }

  /** An OCI image manifest node: config + layers. Add fields (subject, annotations) before {@link #bytes}. */
  public static ObjectNode imageManifest(Blob config, Blob... layers) {
    ObjectNode m = JSON.createObjectNode();
    m.put("schemaVersion", 2);
    m.put("mediaType", IMAGE_MANIFEST);
    m.set("config", config.descriptor());
    ArrayNode ls = m.putArray("layers");
    for (Blob l : layers) {
      ls.add(l.descriptor());
    }
    return m;
  }

  /** An OCI image index node over {@code manifests}. */
  public static ObjectNode imageIndex(Manifest... manifests) {
    ObjectNode idx = JSON.createObjectNode();
    idx.put("schemaVersion", 2);
    idx.put("mediaType", IMAGE_INDEX);
    ArrayNode ms = idx.putArray("manifests");
    for (Manifest m : manifests) {
      ObjectNode d = m.descriptor();
      d.putObject("platform").put("architecture", "amd64").put("os", "linux");
      ms.add(d);
    }
    return idx;
  }

  /**
   * An artifact manifest (OCI image manifest with {@code artifactType}, empty config) that refers
   * to {@code subject}; {@code layers} carry its payload.
   */
  public static ObjectNode artifact(String artifactType, Manifest subject, Map<String, String> annotations,
      Blob... layers) {
    ObjectNode m = imageManifest(Blob.of(EMPTY_JSON, EMPTY_JSON_BLOB), layers);
    m.put("artifactType", artifactType);
    m.set("subject", subject.descriptor());
    if (!annotations.isEmpty()) {
      ObjectNode a = m.putObject("annotations");
      annotations.forEach(a::put);
    }
    return m;
  }

  public static Manifest manifest(String mediaType, ObjectNode node) {
    return new Manifest(mediaType, bytes(node));
  }

  public static byte[] bytes(ObjectNode node) {
    try {
      return JSON.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
