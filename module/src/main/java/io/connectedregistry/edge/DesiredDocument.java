package io.connectedregistry.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;

/**
 * The module twin's whole desired document as this module knows it. IoT Hub sends the whole
 * document on a twin read and JSON merge patches (RFC 7386: null removes a key) afterwards, each
 * with the document's {@code $version}; the configuration is always applied from the whole
 * document, so a key set to null returns to the layers below. Twin metadata ({@code $version},
 * {@code $metadata}, any {@code $}-key) is not configuration and is dropped.
 */
final class DesiredDocument {
  private ObjectNode document = JsonNodeFactory.instance.objectNode();
  private long version = -1;

  /** What a patch did to the document. */
  enum Patched {
    /** Merged: the document is current. */
    MERGED,
    /** At or below the version held (a patch the last full read already contained): ignored. */
    STALE,
    /** Merged, but a version in between was never seen: read the whole twin again. */
    GAP
  }

  /** A full twin read: replaces everything. */
  void replace(JsonNode desired, long desiredVersion) {
    document = JsonNodeFactory.instance.objectNode();
    merge(document, desired);
    version = desiredVersion;
  }

  Patched patch(JsonNode patch, long patchVersion) {
    if (version >= 0 && patchVersion <= version) {
      return Patched.STALE;
    }
    boolean gap = version >= 0 && patchVersion > version + 1;
    merge(document, patch);
    version = patchVersion;
    return gap ? Patched.GAP : Patched.MERGED;
  }

  /** The configuration document: the desired properties without twin metadata or nulls. */
  ObjectNode document() {
    return document.deepCopy();
  }

  /** The desired {@code $version} this document is at; -1 before the first read. */
  long version() {
    return version;
  }

  private static void merge(ObjectNode target, JsonNode patch) {
    if (patch == null || !patch.isObject()) {
      return;
    }
    Iterator<Map.Entry<String, JsonNode>> fields = patch.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      String key = field.getKey();
      JsonNode value = field.getValue();
      if (key.startsWith("$")) {
        continue;
      }
      if (value == null || value.isNull()) {
        target.remove(key);
      } else if (value.isObject()) {
        JsonNode existing = target.get(key);
        ObjectNode child = existing != null && existing.isObject() ? (ObjectNode) existing
            : JsonNodeFactory.instance.objectNode();
        merge(child, value);
        target.set(key, child);
      } else {
        target.set(key, value.deepCopy());
      }
    }
  }
}
