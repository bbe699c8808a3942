package io.connectedregistry.bundle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.RepositoryName;
import io.connectedregistry.oci.Tag;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code connected-registry-bundle.json}: where a bundle comes from and what it changes besides
 * its images (see BUNDLE-FORMAT.md). Every field is checked; unknown fields are ignored (a newer
 * exporter's additions).
 */
record ImportMetadata(int bundleVersion, String store, long cursor, Long since, Set<String> repositories,
    List<TagRef> deletedTags, List<ManifestRef> deletedManifests, Set<Digest> omittedBlobs) {
  static final String FILE_NAME = "connected-registry-bundle.json";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern STORE_ID = Pattern.compile("[0-9a-f]{32}");

  record TagRef(String repository, String tag) {}

  record ManifestRef(String repository, Digest digest) {}

  static ImportMetadata parse(byte[] bytes) {
    JsonNode root;
    try {
      root = JSON.readTree(bytes);
    } catch (IOException e) {
      throw bad("not valid JSON: " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      throw bad("not a JSON object");
    }
    int version = root.path("bundleVersion").asInt(-1);
    if (version != 1) {
      throw bad("bundleVersion " + root.path("bundleVersion") + " is not supported (this release reads 1)");
    }
    String store = root.path("store").isTextual() ? root.get("store").asText() : null;
    if (store == null || !STORE_ID.matcher(store).matches()) {
      throw bad("store must be 32 hex digits");
    }
    if (!root.path("cursor").canConvertToLong() || root.get("cursor").asLong() < 0) {
      throw bad("cursor must be a number ≥ 0");
    }
    Long since = null;
    if (root.hasNonNull("since")) {
      if (!root.get("since").canConvertToLong() || root.get("since").asLong() < 0) {
        throw bad("since must be null or a number ≥ 0");
      }
      since = root.get("since").asLong();
    }
    Set<String> repositories = new LinkedHashSet<>();
    for (JsonNode r : array(root, "repositories")) {
      repositories.add(repository(r.asText(null)));
    }
    List<TagRef> deletedTags = new ArrayList<>();
    for (JsonNode t : array(root, "deletedTags")) {
      String tag = t.path("tag").asText(null);
      try {
        Tag.validate(tag);
      } catch (RuntimeException e) {
        throw bad("deletedTags: '" + tag + "' is not a tag");
      }
      deletedTags.add(new TagRef(repository(t.path("repository").asText(null)), tag));
    }
    List<ManifestRef> deletedManifests = new ArrayList<>();
    for (JsonNode m : array(root, "deletedManifests")) {
      deletedManifests.add(new ManifestRef(repository(m.path("repository").asText(null)),
          digest(m.path("digest").asText(null), "deletedManifests")));
    }
    Set<Digest> omitted = new LinkedHashSet<>();
    for (JsonNode d : array(root, "omittedBlobs")) {
      omitted.add(digest(d.asText(null), "omittedBlobs"));
    }
    return new ImportMetadata(version, store, root.get("cursor").asLong(), since, Set.copyOf(repositories),
        List.copyOf(deletedTags), List.copyOf(deletedManifests), Set.copyOf(omitted));
  }

  private static Iterable<JsonNode> array(JsonNode root, String field) {
    JsonNode node = root.get(field);
    if (node == null || node.isNull()) {
      return List.of();
    }
    if (!node.isArray()) {
      throw bad(field + " must be an array");
    }
    return node;
  }

  private static String repository(String name) {
    try {
      return RepositoryName.of(name).value();
    } catch (RuntimeException e) {
      throw bad("'" + name + "' is not a repository name");
    }
  }

  private static Digest digest(String text, String field) {
    try {
      return Digest.parse(text);
    } catch (RuntimeException e) {
      throw bad(field + ": '" + text + "' is not a digest");
    }
  }

  private static RuntimeException bad(String detail) {
    return StagedArchive.invalid(FILE_NAME + ": " + detail);
  }
}
