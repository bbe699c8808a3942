package io.connectedregistry.status;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The JSON of {@code GET /_connected/v1/status}: one flat object, as served since 0.1.0. The sync
 * part's fields sit at the top level beside {@code connectionState} (clients read {@code
 * syncState} there); the registry's own fields ({@code activation}, {@code mode}, {@code version},
 * {@code storage}, {@code upstreamQueue}, {@code statusDetails}) are added beside them. A root
 * registry has no sync fields and says {@code "role": "root"}.
 */
public final class StatusJson {
  /**
   * Made on first use: a first {@code ObjectMapper} loads ~370 Jackson classes, which stay loaded
   * for good in a registry that may never need them (bench/README.md, issue #13).
   */
  private static final class Mapper {
    static final ObjectMapper JSON = new ObjectMapper().setSerializationInclusion(JsonInclude.Include.NON_NULL);
  }

  private StatusJson() {}

  public static ObjectNode toJson(RegistryStatus status) {
    ObjectNode json = Mapper.JSON.createObjectNode();
    if (status.sync() == null) {
      json.put("role", "root");
    }
    json.put("activation", status.activation().name());
    json.put("connectionState", status.connectionState().name());
    if (status.mode() != null) {
      json.put("mode", status.mode().name());
    }
    if (status.version() != null) {
      json.put("version", status.version());
    }
    if (status.sync() != null) {
      json.setAll((ObjectNode) Mapper.JSON.valueToTree(status.sync()));
    }
    json.set("storage", Mapper.JSON.valueToTree(status.storage()));
    json.set("upstreamQueue", Mapper.JSON.valueToTree(status.upstreamQueue()));
    if (status.statusDetails() != null) {
      json.set("statusDetails", Mapper.JSON.valueToTree(status.statusDetails()));
    }
    return json;
  }

  public static byte[] bytes(RegistryStatus status) {
    try {
      return Mapper.JSON.writeValueAsBytes(toJson(status));
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Reads what {@link #toJson} wrote (for tests and listeners that receive it over the wire). */
  public static RegistryStatus parse(byte[] json) throws java.io.IOException {
    ObjectNode node = (ObjectNode) Mapper.JSON.readTree(json);
    RegistryStatus.Sync sync = node.has("role") ? null : Mapper.JSON.treeToValue(node, RegistryStatus.Sync.class);
    return new RegistryStatus(
        Activation.valueOf(node.path("activation").asText()),
        ConnectionState.valueOf(node.path("connectionState").asText()),
        node.hasNonNull("mode") ? io.connectedregistry.config.RegistryConfig.Mode.valueOf(node.get("mode").asText()) : null,
        node.hasNonNull("version") ? node.get("version").asText() : null,
        sync,
        Mapper.JSON.treeToValue(node.get("storage"), RegistryStatus.Storage.class),
        Mapper.JSON.treeToValue(node.get("upstreamQueue"), RegistryStatus.UpstreamQueue.class),
        node.hasNonNull("statusDetails") ? Mapper.JSON.treeToValue(node.get("statusDetails"), RegistryStatus.StatusDetails.class) : null);
  }
}
