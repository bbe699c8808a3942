package io.connectedregistry.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the agent keeps in the data folder, and how a definition becomes configuration. */
class InstanceAgentFilesTest {
  @TempDir Path data;

  @Test
  void theInstanceIdIsMadeOnceAndKeptAcrossStarts() throws Exception {
    String first = InstanceAgent.loadInstanceId(data);
    assertTrue(first.matches("[0-9a-f-]{36}"), first);
    assertEquals(first, InstanceAgent.loadInstanceId(data), "the same instance after a restart");
    Files.writeString(data.resolve(InstanceAgent.INSTANCE_ID_FILE), "not/an id\n");
    assertNotEquals(first, InstanceAgent.loadInstanceId(data), "garbage is replaced");
  }

  @Test
  void aDefinitionBecomesTheParentOwnedKeys() {
    JsonObject registry = new JsonObject().put("name", "line3").put("mode", "ReadOnly")
        .put("logLevel", "Warning").put("repositories", new JsonArray().add("app/*"))
        .put("sync", new JsonObject().put("schedule", "0 2 * * *").put("window", "PT2H")
            .put("messageTtl", "P2D"))
        .put("garbageCollection", new JsonObject(Map.of("enabled", true)));
    JsonNode config = InstanceAgent.configDocument(new JsonObject().put("registry", registry));
    assertEquals("{\"mode\":\"ReadOnly\",\"logLevel\":\"Warning\",\"sync\":{\"repositories\":"
        + "[\"app/*\"],\"schedule\":\"0 2 * * *\",\"window\":\"PT2H\",\"messageTtl\":\"P2D\"},"
        + "\"storage\":{\"gcEnabled\":true}}",
        config.toString());
    assertThrows(RuntimeException.class,
        () -> InstanceAgent.configDocument(new JsonObject().put("other", 1)));
  }

  @Test
  void theDefinitionsGarbageCollectionBecomesStorageGcEnabledAndGcSchedule() {
    JsonObject registry = new JsonObject().put("name", "line3").put("mode", "ReadOnly")
        .put("logLevel", "Information").put("repositories", new JsonArray().add("app/*"))
        .put("sync", new JsonObject().put("schedule", "* * * * *").put("messageTtl", "P2D"))
        .put("garbageCollection", new JsonObject().put("enabled", false).put("schedule", "15 1 * * 6"));

    JsonNode config = InstanceAgent.configDocument(new JsonObject().put("registry", registry));

    assertEquals("{\"gcEnabled\":false,\"gcSchedule\":\"15 1 * * 6\"}", config.get("storage").toString());
    // Every key the mapping writes is one the definition owns, so the twin cannot override it.
    for (String key : java.util.List.of("storage.gcEnabled", "storage.gcSchedule")) {
      assertTrue(io.connectedregistry.config.ConfigLayers.PARENT_OWNED.contains(key), key);
    }
    // Anything but a boolean goes on as text, for the configuration to refuse, naming the key.
    registry.put("garbageCollection", new JsonObject().put("enabled", "yes").put("schedule", "@reboot"));
    assertEquals("{\"gcEnabled\":\"yes\",\"gcSchedule\":\"@reboot\"}",
        InstanceAgent.configDocument(new JsonObject().put("registry", registry)).get("storage")
            .toString());
    // A parent that predates garbageCollection leaves the instance's own storage keys alone.
    registry.remove("garbageCollection");
    assertEquals(null, InstanceAgent.configDocument(new JsonObject().put("registry", registry))
        .get("storage"));
  }
}
