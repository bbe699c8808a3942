package io.connectedregistry.bundle;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.util.List;

/**
 * {@code connected-registry-bundle.json}: what a bundle is (see BUNDLE-FORMAT.md). Sequence
 * numbers ({@code cursor}, {@code since}) count in the change log of the store {@code store}.
 *
 * @param since null for a full bundle
 * @param createdAt ISO-8601 instant, whole seconds
 */
@JsonPropertyOrder({"bundleVersion", "store", "cursor", "since", "repositories", "deletedTags", "deletedManifests",
    "omittedBlobs", "createdAt"})
@JsonInclude(JsonInclude.Include.ALWAYS)
public record BundleMetadata(
    int bundleVersion,
    String store,
    long cursor,
    Long since,
    List<String> repositories,
    List<DeletedTag> deletedTags,
    List<DeletedManifest> deletedManifests,
    List<String> omittedBlobs,
    String createdAt) {

  public static final int VERSION = 1;
  /** Its name in the bundle's tar stream. */
  public static final String ENTRY = "connected-registry-bundle.json";

  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES); // a newer exporter may add fields

  public BundleMetadata {
    repositories = repositories == null ? List.of() : List.copyOf(repositories);
    deletedTags = deletedTags == null ? List.of() : List.copyOf(deletedTags);
    deletedManifests = deletedManifests == null ? List.of() : List.copyOf(deletedManifests);
    omittedBlobs = omittedBlobs == null ? List.of() : List.copyOf(omittedBlobs);
  }

  public record DeletedTag(String repository, String tag) {}

  public record DeletedManifest(String repository, String digest) {}

  public byte[] toJson() {
    try {
      return JSON.writeValueAsBytes(this);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Parses the entry's bytes; throws a BundleException naming what is wrong. */
  public static BundleMetadata parse(byte[] json) {
    BundleMetadata m;
    try {
      m = JSON.readValue(json, BundleMetadata.class);
    } catch (JsonProcessingException e) {
      throw BundleException.request(ENTRY + " is not valid: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw BundleException.request(ENTRY + " is not readable: " + e.getMessage());
    }
    if (m.bundleVersion() != VERSION) {
      throw BundleException.request(ENTRY + " has bundleVersion " + m.bundleVersion() + "; this release reads "
          + VERSION);
    }
    if (m.store() == null || !m.store().matches("[0-9a-f]{32}")) {
      throw BundleException.request(ENTRY + " has no valid store id");
    }
    return m;
  }
}
