package io.connectedregistry.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.connectedregistry.status.ConnectionState;
import io.connectedregistry.status.RegistryStatus;
import io.connectedregistry.status.SyncPhase;
import io.connectedregistry.status.SyncTrigger;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyncStatusTest {
  /**
   * Written by 0.1.0's SyncStatus (commit 86a821c, every field set), byte for byte: the file an
   * upgrade finds.
   */
  static final String RELEASE_0_1_0_FILE = "{\"connectionState\":\"Unhealthy\",\"syncState\":\"Paused\","
      + "\"syncTrigger\":\"Schedule\",\"parent\":\"https://puller@parent.example:5000\",\"parentKind\":\"feed\","
      + "\"lastSyncStartTime\":\"2026-11-30T10:00:00Z\",\"lastSyncEndTime\":\"2026-11-30T10:00:05Z\","
      + "\"lastSuccessfulSyncEndTime\":\"2026-11-29T10:00:05Z\",\"nextSyncWindow\":\"2026-11-30T22:00:00Z\","
      + "\"cursor\":42,\"bytesTransferred\":1234,\"repositories\":{\"app/one\":3},"
      + "\"lastCycle\":{\"repositories\":1,\"tagsCopied\":3,\"tagsDeleted\":0,\"manifests\":0,\"blobsFetched\":0,"
      + "\"blobsLinked\":0,\"referrers\":0,\"bytes\":1234,\"requests\":9,\"durationMillis\":5000,\"errors\":1},"
      + "\"lastError\":{\"type\":\"Sync\",\"code\":\"SyncFailed\",\"description\":\"1 image(s) failed; first: app/one:v1\","
      + "\"timestamp\":\"2026-11-30T10:00:05Z\",\"correlationId\":\"0b7f8a54-5b7e-4f57-9a54-7d2a0b3c9e11\"},"
      + "\"paused\":{\"reason\":\"InsufficientStorage\",\"description\":\"sync is paused\",\"freeBytes\":10,"
      + "\"minFreeBytes\":20,\"since\":\"2026-11-30T10:00:06Z\"}}";

  @TempDir Path data;

  @Test
  void aStatusFileFromTheFirstReleaseLoadsWithItsStatesTyped() throws Exception {
    Files.writeString(data.resolve(SyncStatus.FILE_NAME), RELEASE_0_1_0_FILE);

    SyncStatus loaded = SyncStatus.load(data);
    RegistryStatus.Sync sync = loaded.toRecord();

    assertEquals(ConnectionState.Unhealthy, loaded.connectionState);
    assertEquals(SyncPhase.Paused, sync.syncState());
    assertEquals(SyncTrigger.Schedule, sync.syncTrigger());
    assertEquals("2026-11-29T10:00:05Z", sync.lastSuccessfulSyncEndTime());
    assertEquals(Map.of("app/one", 3), sync.repositories());
    assertEquals(42L, sync.cursor());
    assertEquals(9, sync.lastCycle().requests());
    assertEquals("0b7f8a54-5b7e-4f57-9a54-7d2a0b3c9e11", sync.lastError().correlationId());
    assertEquals(20, sync.paused().minFreeBytes());
    // Written back unchanged: 0.1.0 (which refuses unknown fields) reads what this release writes.
    assertEquals(RELEASE_0_1_0_FILE, new String(loaded.snapshot(), StandardCharsets.UTF_8));
  }

  @Test
  void aWrittenStatusIsWhatTheNextStartLoads() throws Exception {
    SyncStatus status = new SyncStatus();
    status.syncState = SyncPhase.Succeeded;
    status.lastSuccessfulSyncEndTime = "2024-01-02T03:04:05Z";
    SyncStatus.write(data, status.snapshot());

    SyncStatus loaded = SyncStatus.load(data);

    assertEquals(SyncPhase.Succeeded, loaded.syncState);
    assertEquals("2024-01-02T03:04:05Z", loaded.lastSuccessfulSyncEndTime);
  }

  @Test
  void aWriteThatFailsLeavesTheOldStatusAndNoTemporaryFile() throws Exception {
    SyncStatus status = new SyncStatus();
    status.syncState = SyncPhase.Succeeded;
    SyncStatus.write(data, status.snapshot());
    Path file = data.resolve(SyncStatus.FILE_NAME);
    // Something in the way of the rename (the status file replaced by a folder holding it).
    Files.move(file, data.resolve("saved"));
    Files.createDirectory(file);
    Files.move(data.resolve("saved"), file.resolve("inside"));
    status.syncState = SyncPhase.Failed;

    assertThrows(IOException.class, () -> SyncStatus.write(data, status.snapshot()));

    assertFalse(Files.exists(data.resolve(SyncStatus.FILE_NAME + ".tmp")),
        "a failed write must not leave its temporary file behind");
    assertEquals("Succeeded", readState(file.resolve("inside")), "the old status is untouched");
  }

  private static String readState(Path file) throws IOException {
    return new ObjectMapper().readTree(file.toFile()).get("syncState").asText();
  }
}
