package io.connectedregistry.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyncStateTest {
  @TempDir Path data;

  @Test
  void aFileWithoutAStoreIsReadAndTheFirstStoreSeenIsRecordedWithoutAReset() throws Exception {
    java.nio.file.Files.writeString(data.resolve(SyncState.FILE_NAME),
        "{\"cursor\":42,\"following\":true,\"parent\":\"https://parent.example\",\"synced\":{}}");
    SyncState state = SyncState.load(data, "https://parent.example");
    assertEquals(null, state.store());
    assertEquals(false, state.storeSeen("0123456789abcdef0123456789abcdef"));
    assertEquals(42, state.cursor());
    assertEquals(true, state.following());
    state.save();
    assertEquals("0123456789abcdef0123456789abcdef", SyncState.load(data, "https://parent.example").store());
  }

  @Test
  void anotherStoreResetsTheCursorToAFullListing() {
    SyncState state = SyncState.load(data, "https://parent.example");
    state.storeSeen("0123456789abcdef0123456789abcdef");
    state.follow(42);
    assertEquals(true, state.storeSeen("fedcba9876543210fedcba9876543210"));
    assertEquals(0, state.cursor());
    assertEquals(false, state.following());
    assertEquals("fedcba9876543210fedcba9876543210", state.store());
  }

  @Test
  void aSnapshotWhoseWriteFailedIsWrittenWhenTriedAgain() throws Exception {
    SyncState state = SyncState.load(data, "https://parent.example");
    state.cursor(42);
    state.tagSynced("app", "v1", "sha256:" + "a".repeat(64));
    SyncState.Snapshot snapshot = state.snapshot();
    // A folder where the temporary file goes: the write fails (as it would on a full disk).
    Path obstacle = data.resolve(SyncState.FILE_NAME + ".tmp");
    Files.createDirectory(obstacle);

    assertThrows(UncheckedIOException.class, () -> state.write(snapshot));
    assertNull(fileCursor(), "nothing may be on disk after a failed write");

    Files.delete(obstacle);
    state.write(snapshot);

    assertEquals(42L, fileCursor(), "the snapshot whose write failed must be written on the next try");
    SyncState reloaded = SyncState.load(data, "https://parent.example");
    assertEquals(42L, reloaded.cursor());
    assertEquals("sha256:" + "a".repeat(64), reloaded.syncedDigest("app", "v1"));
  }

  @Test
  void aWriteThatFailsLeavesTheOldStateAndNoTemporaryFile() throws Exception {
    SyncState state = SyncState.load(data, "https://parent.example");
    state.cursor(7);
    state.save();
    state.cursor(8);
    SyncState.Snapshot snapshot = state.snapshot();
    // Something in the way of the rename (the state file replaced by a folder): the write fails
    // after the temporary file is complete.
    Path file = data.resolve(SyncState.FILE_NAME);
    Files.move(file, data.resolve("saved"));
    Files.createDirectory(file);
    Files.move(data.resolve("saved"), file.resolve("inside"));

    assertThrows(UncheckedIOException.class, () -> state.write(snapshot));

    assertFalse(Files.exists(data.resolve(SyncState.FILE_NAME + ".tmp")),
        "a failed write must not leave its temporary file behind");
    assertTrue(Files.readString(file.resolve("inside")).contains("\"cursor\":7,"), "the old state is untouched");
  }

  @Test
  void anOlderSnapshotNeverOverwritesANewerOne() {
    SyncState state = SyncState.load(data, "https://parent.example");
    state.cursor(1);
    SyncState.Snapshot older = state.snapshot();
    state.cursor(2);
    SyncState.Snapshot newer = state.snapshot();

    state.write(newer);
    state.write(older);

    assertEquals(2L, SyncState.load(data, "https://parent.example").cursor());
  }

  private Long fileCursor() throws Exception {
    Path file = data.resolve(SyncState.FILE_NAME);
    if (!Files.exists(file)) {
      return null;
    }
    return SyncState.load(data, "https://parent.example").cursor();
  }
}
