package io.connectedregistry.oci;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads the structure of a manifest from its raw bytes, refusing anything malformed. */
public final class ManifestParser {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String FOREIGN_LAYER = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

  private ManifestParser() {}

  /**
   * @param contentType the request's Content-Type (parameters ignored), may be null
   * @param digestAlgorithm the algorithm to identify the manifest with (sha256 unless the client
   *     addressed it by another digest)
   */
  public static Manifest parse(byte[] bytes, String contentType, String digestAlgorithm) {
    JsonNode root;
    try {
      root = JSON.readTree(bytes);
    } catch (JsonProcessingException e) {
      throw invalid("not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw invalid("unreadable: " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      throw invalid("a manifest is a JSON object");
    }
    JsonNode schemaVersion = root.get("schemaVersion");
    if (schemaVersion == null || !schemaVersion.isInt() || schemaVersion.intValue() != 2) {
      throw invalid("schemaVersion must be 2 (schema 1 manifests are not supported)");
    }
    String declared = textOrNull(root, "mediaType");
    String header = contentType == null ? null : contentType.split(";", 2)[0].trim();
    if (header != null && (header.isEmpty() || header.equals("*/*"))) {
      header = null;
    }
    String mediaType;
    if (declared != null && header != null && !declared.equals(header)) {
      throw invalid("mediaType '" + declared + "' does not match Content-Type '" + header + "'");
    } else if (declared != null) {
      mediaType = declared;
    } else if (header != null) {
      mediaType = header;
    } else {
      mediaType = root.has("manifests") ? MediaTypes.OCI_INDEX : MediaTypes.OCI_MANIFEST;
    }

    List<Descriptor> blobs = new ArrayList<>();
    List<Descriptor> manifests = new ArrayList<>();
    Descriptor config = null;
    if (root.has("config")) {
      config = descriptor(root.get("config"), "config");
      blobs.add(config);
    }
    for (String field : List.of("layers", "blobs")) {
      JsonNode array = root.get(field);
      if (array == null) {
        continue;
      }
      if (!array.isArray()) {
        throw invalid("'" + field + "' must be an array");
      }
      for (int i = 0; i < array.size(); i++) {
        Descriptor d = descriptor(array.get(i), field + "[" + i + "]");
        boolean foreign = FOREIGN_LAYER.equals(d.mediaType()) || array.get(i).has("urls");
        if (!foreign) {
          blobs.add(d);
        }
      }
    }
    JsonNode children = root.get("manifests");
    if (children != null) {
      if (!children.isArray()) {
        throw invalid("'manifests' must be an array");
      }
      for (int i = 0; i < children.size(); i++) {
        manifests.add(descriptor(children.get(i), "manifests[" + i + "]"));
      }
    }
    if (MediaTypes.IMAGES.contains(mediaType) && config == null) {
      throw invalid("an image manifest needs a config descriptor");
    }
    if (MediaTypes.isIndex(mediaType) && children == null) {
      throw invalid("an index needs a 'manifests' array");
    }
    Descriptor subject = root.has("subject") ? descriptor(root.get("subject"), "subject") : null;
    String artifactType = textOrNull(root, "artifactType");
    if (artifactType == null && config != null && MediaTypes.OCI_MANIFEST.equals(mediaType)) {
      artifactType = config.mediaType();
    }
    return new Manifest(
        mediaType,
        Digest.of(digestAlgorithm, bytes),
        bytes,
        List.copyOf(blobs),
        List.copyOf(manifests),
        subject,
        artifactType,
        annotations(root.get("annotations"), "annotations"));
  }

  private static Descriptor descriptor(JsonNode node, String where) {
    if (node == null || !node.isObject()) {
      throw invalid("'" + where + "' must be a descriptor object");
    }
    String mediaType = textOrNull(node, "mediaType");
    if (mediaType == null) {
      throw invalid("'" + where + ".mediaType' is missing");
    }
    String digestText = textOrNull(node, "digest");
    Digest digest;
    try {
      digest = Digest.parse(digestText);
    } catch (InvalidReferenceException e) {
      throw invalid("'" + where + ".digest' is not a valid digest: " + digestText);
    }
    JsonNode size = node.get("size");
    if (size == null || !size.canConvertToLong() || !size.isIntegralNumber() || size.longValue() < 0) {
      throw invalid("'" + where + ".size' must be a non-negative integer");
    }
    return new Descriptor(
        mediaType,
        digest,
        size.longValue(),
        textOrNull(node, "artifactType"),
        annotations(node.get("annotations"), where + ".annotations"));
  }

  private static Map<String, String> annotations(JsonNode node, String where) {
    if (node == null || node.isNull()) {
      return Map.of();
    }
    if (!node.isObject()) {
      throw invalid("'" + where + "' must be an object of strings");
    }
    Map<String, String> result = new LinkedHashMap<>();
    var fields = node.fields();
    while (fields.hasNext()) {
      var e = fields.next();
      if (!e.getValue().isTextual()) {
        throw invalid("'" + where + "." + e.getKey() + "' must be a string");
      }
      result.put(e.getKey(), e.getValue().textValue());
    }
    return result;
  }

  private static String textOrNull(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw invalid("'" + field + "' must be a string");
    }
    return v.textValue();
  }

  private static RegistryException invalid(String detail) {
    return ErrorCode.MANIFEST_INVALID.exception(detail);
  }
}
