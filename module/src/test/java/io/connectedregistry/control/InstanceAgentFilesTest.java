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
        + "[\"app/*\"],\"schedule\":\"0 2 * * *\",\"window\":\"PT2H\",\"messageTtl\":\"P2D\"}}",
        config.toString());
    assertThrows(RuntimeException.class,
        () -> InstanceAgent.configDocument(new JsonObject().put("other", 1)));
  }
}
