package io.connectedregistry.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.config.RegistryConfig.Mode;
import io.connectedregistry.status.Activation;
import io.connectedregistry.status.ConnectionState;
import io.connectedregistry.status.RegistryStatus;
import io.connectedregistry.status.SyncPhase;
import io.connectedregistry.status.SyncTrigger;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class StatusReportTest {

  @Test
  @SuppressWarnings("unchecked")
  void a_connected_registrys_status_has_every_field_of_the_twin_shape() {
    RegistryStatus.StatusDetails error = new RegistryStatus.StatusDetails("Sync", "ParentUnavailable",
        "connection refused", "2026-11-30T10:00:00Z", "c0ffee");
    RegistryStatus status = RegistryStatus.starting(Mode.ReadOnly, "1.2.3", true)
        .withActivation(Activation.Active)
        .withSync(new RegistryStatus.Sync(SyncPhase.Failed, SyncTrigger.Schedule, "https://parent.example",
            "feed", "2026-11-30T09:59:00Z", "2026-11-30T10:00:00Z", "2026-11-30T09:00:00Z", null, 5L, 10,
            Map.of("app", 3), null, error, null))
        .withStorage(new RegistryStatus.Storage(1000, 2, 7, 5000))
        .withUpstreamQueue(new RegistryStatus.UpstreamQueue(4, 1))
        .withStatusDetails(error);

    Map<String, Object> report = StatusReport.of(status);

    assertEquals(List.of("activation", "connectionState", "mode", "version", "sync", "storage",
        "upstreamQueue", "statusDetails"), List.copyOf(report.keySet()));
    assertEquals("Active", report.get("activation"));
    assertEquals(ConnectionState.Offline.name(), report.get("connectionState"));
    Map<String, Object> sync = (Map<String, Object>) report.get("sync");
    assertEquals(List.of("state", "trigger", "lastSyncStartTime", "lastSyncEndTime",
        "lastSuccessfulSyncEndTime", "nextSyncTime", "lastError"), List.copyOf(sync.keySet()));
    assertEquals("Failed", sync.get("state"));
    assertEquals("c0ffee", ((Map<String, Object>) sync.get("lastError")).get("correlationId"));
    assertTrue(sync.containsKey("nextSyncTime"));
    assertNull(sync.get("nextSyncTime"), "null clears an old value in the twin");
    assertEquals(Map.of("usedBytes", 1000L, "freeBytes", 5000L, "repositories", 2L, "blobs", 7L), report.get("storage"));
    assertEquals(Map.of("pending", 4L, "expired", 1L), report.get("upstreamQueue"));
    assertEquals(1, ((List<?>) report.get("statusDetails")).size());
    assertFalse(report.toString().contains("parent.example"), "the parent's address is the status endpoint's");
  }

  @Test
  void a_root_has_no_sync_part_and_unmeasured_storage_is_null() {
    Map<String, Object> report = StatusReport.of(RegistryStatus.starting(Mode.ReadWrite, "dev", false));

    assertTrue(report.containsKey("sync"));
    assertNull(report.get("sync"));
    @SuppressWarnings("unchecked")
    Map<String, Object> storage = (Map<String, Object>) report.get("storage");
    assertNull(storage.get("usedBytes"));
    assertEquals(List.of(), report.get("statusDetails"));
  }
}
