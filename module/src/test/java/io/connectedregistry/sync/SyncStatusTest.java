package io.connectedregistry.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyncStatusTest {
  @TempDir Path data;

  @Test
  void aWrittenStatusIsWhatTheNextStartLoads() throws Exception {
    SyncStatus status = new SyncStatus();
    status.syncState = "Succeeded";
    status.lastSuccessfulSyncEndTime = "2024-01-02T03:04:05Z";
    SyncStatus.write(data, status.snapshot());

    SyncStatus loaded = SyncStatus.load(data);

    assertEquals("Succeeded", loaded.syncState);
    assertEquals("2024-01-02T03:04:05Z", loaded.lastSuccessfulSyncEndTime);
  }

  @Test
  void aWriteThatFailsLeavesTheOldStatusAndNoTemporaryFile() throws Exception {
    SyncStatus status = new SyncStatus();
    status.syncState = "Succeeded";
    SyncStatus.write(data, status.snapshot());
    Path file = data.resolve(SyncStatus.FILE_NAME);
    // Something in the way of the rename (the status file replaced by a folder holding it).
    Files.move(file, data.resolve("saved"));
    Files.createDirectory(file);
    Files.move(data.resolve("saved"), file.resolve("inside"));
    status.syncState = "Failed";

    assertThrows(IOException.class, () -> SyncStatus.write(data, status.snapshot()));

    assertFalse(Files.exists(data.resolve(SyncStatus.FILE_NAME + ".tmp")),
        "a failed write must not leave its temporary file behind");
    assertEquals("Succeeded", readState(file.resolve("inside")), "the old status is untouched");
  }

  private static String readState(Path file) throws IOException {
    return new ObjectMapper().readTree(file.toFile()).get("syncState").asText();
  }
}
