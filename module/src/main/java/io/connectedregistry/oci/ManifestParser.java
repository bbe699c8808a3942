package io.connectedregistry.oci;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the structure of a manifest from its raw bytes, refusing anything malformed.
 *
 * <p>It streams (jackson-core) and keeps only what the registry needs: a 4 MiB manifest with tens
 * of thousands of descriptors parsed into a JSON tree would need several times its size in heap,
 * more than a small device's whole heap. Fields it does not know are skipped, as the spec asks.
 */
public final class ManifestParser {
  private static final JsonFactory JSON = JsonFactory.builder()
      .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .build();
  private static final String FOREIGN_LAYER = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

  private ManifestParser() {}

  /**
   * @param contentType the request's Content-Type (parameters ignored), may be null
   * @param digestAlgorithm the algorithm to identify the manifest with (sha256 unless the client
   *     addressed it by another digest)
   * @throws RegistryException with {@link ErrorCode#MANIFEST_INVALID} for anything that is not a
   *     manifest, whatever the bytes (malformed JSON or UTF-8, duplicate keys, nesting deeper than
   *     Jackson's limit, numbers out of range)
   */
  public static Manifest parse(byte[] bytes, String contentType, String digestAlgorithm) {
    Fields root;
    try (JsonParser p = JSON.createParser(bytes)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw invalid("a manifest is a JSON object");
      }
      root = readManifest(p, new Strings());
      if (p.nextToken() != null) {
        throw invalid("unexpected content after the manifest object");
      }
    } catch (JsonProcessingException e) {
      throw invalid("not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw invalid("unreadable: " + e.getMessage());
    }
    if (!Integer.valueOf(2).equals(root.schemaVersion)) {
      throw invalid("schemaVersion must be 2 (schema 1 manifests are not supported)");
    }
    String header = contentType == null ? null : contentType.split(";", 2)[0].trim();
    if (header != null && (header.isEmpty() || header.equals("*/*"))) {
      header = null;
    } else if (header != null && !MediaTypeSyntax.isContentType(contentType)) {
      throw invalid("Content-Type is not a media type (RFC 6838 type/subtype, RFC 9110 parameters)");
    }
    if (root.mediaType != null && !MediaTypeSyntax.isTypeAndSubtype(root.mediaType)) {
      // Served back as the Content-Type of every pull: it must be a plain type/subtype.
      throw invalid("mediaType is not an RFC 6838 type/subtype without parameters");
    }
    String mediaType;
    if (root.mediaType != null && header != null && !root.mediaType.equals(header)) {
      throw invalid("mediaType '" + root.mediaType + "' does not match Content-Type '" + header + "'");
    } else if (root.mediaType != null) {
      mediaType = root.mediaType;
    } else if (header != null) {
      mediaType = header;
    } else {
      mediaType = root.manifests != null ? MediaTypes.OCI_INDEX : MediaTypes.OCI_MANIFEST;
    }
    if (MediaTypes.IMAGES.contains(mediaType) && root.config == null) {
      throw invalid("an image manifest needs a config descriptor");
    }
    if (MediaTypes.isIndex(mediaType) && root.manifests == null) {
      throw invalid("an index needs a 'manifests' array");
    }
    String artifactType = root.artifactType;
    if (artifactType == null && root.config != null && MediaTypes.OCI_MANIFEST.equals(mediaType)) {
      artifactType = root.config.mediaType();
    }
    return new Manifest(
        mediaType,
        Digest.of(digestAlgorithm, bytes),
        bytes,
        List.copyOf(root.blobs),
        root.manifests == null ? List.of() : List.copyOf(root.manifests),
        root.subject,
        artifactType,
        root.annotations);
  }

  /** The top-level fields the registry uses. */
  private static final class Fields {
    Integer schemaVersion;
    String mediaType;
    String artifactType;
    Descriptor config;
    Descriptor subject;
    final List<Descriptor> blobs = new ArrayList<>();
    List<Descriptor> manifests;
    Map<String, String> annotations = Map.of();
  }

  /** Media types repeat in every descriptor: keep one copy of each. */
  private static final class Strings extends HashMap<String, String> {
    String dedupe(String s) {
      return s == null ? null : computeIfAbsent(s, k -> k);
    }
  }

  private static Fields readManifest(JsonParser p, Strings strings) throws IOException {
    Fields f = new Fields();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken value = p.nextToken();
      switch (field) {
        case "schemaVersion" -> f.schemaVersion = value == JsonToken.VALUE_NUMBER_INT ? p.getIntValue() : -1;
        case "mediaType" -> f.mediaType = text(p, field);
        case "artifactType" -> f.artifactType = text(p, field);
        case "config" -> {
          f.config = descriptor(p, "config", strings).descriptor();
          f.blobs.add(0, f.config);
        }
        case "layers", "blobs" -> readArray(p, field, strings, (d, i) -> {
          if (!d.foreign) {
            f.blobs.add(d.descriptor());
          }
        });
        case "manifests" -> {
          f.manifests = new ArrayList<>();
          readArray(p, field, strings, (d, i) -> f.manifests.add(d.descriptor()));
        }
        case "subject" -> f.subject = descriptor(p, "subject", strings).descriptor();
        case "annotations" -> f.annotations = annotations(p, "annotations");
        default -> p.skipChildren();
      }
    }
    return f;
  }

  private interface DescriptorSink {
    void accept(ParsedDescriptor d, int index) throws IOException;
  }

  private static void readArray(JsonParser p, String field, Strings strings, DescriptorSink sink) throws IOException {
    if (p.currentToken() == JsonToken.VALUE_NULL) {
      return;
    }
    if (p.currentToken() != JsonToken.START_ARRAY) {
      throw invalid("'" + field + "' must be an array");
    }
    int i = 0;
    while (p.nextToken() != JsonToken.END_ARRAY) {
      sink.accept(descriptor(p, field + "[" + i + "]", strings), i);
      i++;
    }
  }

  private record ParsedDescriptor(Descriptor descriptor, boolean foreign) {}

  private static ParsedDescriptor descriptor(JsonParser p, String where, Strings strings) throws IOException {
    if (p.currentToken() != JsonToken.START_OBJECT) {
      throw invalid("'" + where + "' must be a descriptor object");
    }
    String mediaType = null;
    String digestText = null;
    Long size = null;
    boolean sizeSeen = false;
    String artifactType = null;
    Map<String, String> annotations = Map.of();
    boolean hasUrls = false;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken value = p.nextToken();
      switch (field) {
        case "mediaType" -> mediaType = text(p, where + ".mediaType");
        case "digest" -> digestText = text(p, where + ".digest");
        case "size" -> {
          sizeSeen = true;
          size = value == JsonToken.VALUE_NUMBER_INT && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER
              ? p.getLongValue() : null;
        }
        case "artifactType" -> artifactType = text(p, where + ".artifactType");
        case "annotations" -> annotations = annotations(p, where + ".annotations");
        case "urls" -> {
          hasUrls = value == JsonToken.START_ARRAY;
          p.skipChildren();
        }
        default -> p.skipChildren();
      }
    }
    if (mediaType == null) {
      throw invalid("'" + where + ".mediaType' is missing");
    }
    Digest digest;
    try {
      digest = Digest.parse(digestText);
    } catch (InvalidReferenceException e) {
      throw invalid("'" + where + ".digest' is not a valid digest: " + digestText);
    }
    if (!sizeSeen || size == null || size < 0) {
      throw invalid("'" + where + ".size' must be a non-negative integer");
    }
    boolean foreign = FOREIGN_LAYER.equals(mediaType) || hasUrls;
    return new ParsedDescriptor(
        new Descriptor(strings.dedupe(mediaType), digest, size, strings.dedupe(artifactType), annotations), foreign);
  }

  private static Map<String, String> annotations(JsonParser p, String where) throws IOException {
    if (p.currentToken() == JsonToken.VALUE_NULL) {
      return Map.of();
    }
    if (p.currentToken() != JsonToken.START_OBJECT) {
      throw invalid("'" + where + "' must be an object of strings");
    }
    Map<String, String> result = new LinkedHashMap<>();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      p.nextToken();
      if (p.currentToken() != JsonToken.VALUE_STRING) {
        throw invalid("'" + where + "." + key + "' must be a string");
      }
      result.put(key, p.getText());
    }
    return result;
  }

  private static String text(JsonParser p, String field) throws IOException {
    if (p.currentToken() == JsonToken.VALUE_NULL) {
      return null;
    }
    if (p.currentToken() != JsonToken.VALUE_STRING) {
      throw invalid("'" + field + "' must be a string");
    }
    return p.getText();
  }

  private static RegistryException invalid(String detail) {
    return ErrorCode.MANIFEST_INVALID.exception(detail);
  }
}
