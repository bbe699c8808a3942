package io.connectedregistry.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.connectedregistry.config.RegistryConfig.Mode;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StatusJsonTest {
  private static RegistryStatus.Sync sync(SyncPhase phase, SyncTrigger trigger) {
    return new RegistryStatus.Sync(phase, trigger, "https://parent:5000", "tags", "2026-11-30T10:00:00Z",
        "2026-11-30T10:00:05Z", null, null, 7L, 99, Map.of("b/two", 2, "a/one", 1),
        new RegistryStatus.LastCycle(2, 3, 0, 3, 4, 1, 0, 99, 12, 5000, 0),
        new RegistryStatus.StatusDetails("Sync", "SyncFailed", "boom", "2026-11-30T10:00:05Z", "id-1"), null);
  }

  @Test
  void everyStateRoundTripsThroughTheServedJson() throws Exception {
    for (Activation activation : Activation.values()) {
      for (ConnectionState connection : ConnectionState.values()) {
        for (SyncPhase phase : SyncPhase.values()) {
          for (SyncTrigger trigger : SyncTrigger.values()) {
            RegistryStatus status = new RegistryStatus(activation, connection, Mode.ReadWrite, "1.0.0",
                sync(phase, trigger), new RegistryStatus.Storage(1, 2, 3, 4), new RegistryStatus.UpstreamQueue(5, 6),
                new RegistryStatus.StatusDetails("Sync", "SyncFailed", "boom", "t", "id-1"));
            assertEquals(status, StatusJson.parse(StatusJson.bytes(status)));
          }
        }
      }
    }
  }

  @Test
  void theSyncFieldsSitAtTheTopLevelWithTheirNamesOfOld() {
    RegistryStatus status = RegistryStatus.starting(Mode.ReadOnly, "1.0.0", true)
        .withSync(sync(SyncPhase.TimedOut, SyncTrigger.Manual)).withConnectionState(ConnectionState.Syncing);

    ObjectNode json = StatusJson.toJson(status);

    assertEquals("TimedOut", json.path("syncState").asText());
    assertEquals("Manual", json.path("syncTrigger").asText());
    assertEquals("Syncing", json.path("connectionState").asText());
    assertEquals("Inactive", json.path("activation").asText());
    assertEquals("ReadOnly", json.path("mode").asText());
    assertEquals("{\"a/one\":1,\"b/two\":2}", json.path("repositories").toString(), "sorted, as before");
    assertEquals(12, json.path("lastCycle").path("requests").asInt());
    assertFalse(json.has("role"), "role is the root's alone");
    assertFalse(json.has("lastSuccessfulSyncEndTime"), "absent values are left out, as before");
  }

  @Test
  void aRootHasNoSyncFieldsButModeVersionAndStorage() throws Exception {
    RegistryStatus root = RegistryStatus.starting(Mode.ReadWrite, "1.0.0", false)
        .withStorage(new RegistryStatus.Storage(100, 2, 5, 1000));

    ObjectNode json = StatusJson.toJson(root);

    assertEquals("root", json.path("role").asText());
    assertEquals("Online", json.path("connectionState").asText());
    assertEquals("ReadWrite", json.path("mode").asText());
    assertEquals("1.0.0", json.path("version").asText());
    assertEquals(100, json.path("storage").path("bytesUsed").asLong());
    assertEquals(0, json.path("upstreamQueue").path("pending").asLong());
    assertFalse(json.has("syncState"));
    assertFalse(json.has("repositories"));
    assertEquals(root, StatusJson.parse(StatusJson.bytes(root)));
  }
}
