package io.connectedregistry.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.config.RegistryConfig;
import io.connectedregistry.config.RegistryConfig.TagFilterConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** When an imported bundle may move the sync cursor, and what it records. */
class ImportCursorTest {
  static final String STORE = "0123456789abcdef0123456789abcdef";
  @TempDir Path data;

  static RegistryConfig.SyncConfig scope(String... repositories) {
    return new RegistryConfig.SyncConfig(List.of(repositories), "* * * * *", null, Duration.ofDays(2), false,
        TagFilterConfig.ALL, 0);
  }

  static final ImportCursor.Applied TAGS = new ImportCursor.Applied(
      List.of(new ImportCursor.TagChange("a", "v1", "sha256:" + "1".repeat(64)),
          new ImportCursor.TagChange("elsewhere", "v1", "sha256:" + "2".repeat(64))), List.of());

  SyncState state(long cursor, boolean following) {
    SyncState state = SyncState.load(data, "http://parent");
    state.storeSeen(STORE);
    state.cursor(cursor);
    if (following) {
      state.follow(cursor);
    }
    return state;
  }

  @Test
  void aFullBundleOfTheStoreCoveringTheScopeMovesTheCursorAndRecordsItsTagsInScope() {
    SyncState state = state(5, true);
    ImportCursor.Outcome o = ImportCursor.apply(state, new ImportCursor.Bundle(STORE, 40, null, Set.of("a", "b")),
        TAGS, scope("a", "b"));
    assertTrue(o.advanced());
    assertEquals(40, state.cursor());
    assertTrue(state.following());
    assertEquals("sha256:" + "1".repeat(64), state.syncedDigest("a", "v1"));
    assertNull(state.syncedDigest("elsewhere", "v1"), "only what this registry syncs is sync's");
  }

  @Test
  void theCursorNeverGoesBack() {
    SyncState state = state(50, true);
    ImportCursor.Outcome o = ImportCursor.apply(state, new ImportCursor.Bundle(STORE, 40, null, Set.of("a")), TAGS, scope("a"));
    assertTrue(o.advanced());
    assertEquals(50, state.cursor());
  }

  @Test
  void aSinceBundleAfterTheCursorLeavesIt() {
    SyncState state = state(5, true);
    ImportCursor.Outcome o = ImportCursor.apply(state, new ImportCursor.Bundle(STORE, 40, 20L, Set.of("a")), TAGS, scope("a"));
    assertFalse(o.advanced());
    assertEquals(5, state.cursor());
    assertTrue(o.reason().contains("after 20"), o.reason());
    assertNull(state.syncedDigest("a", "v1"));
  }

  @Test
  void aSinceBundleAtOrBeforeTheCursorMovesIt() {
    SyncState state = state(20, true);
    assertTrue(ImportCursor.apply(state, new ImportCursor.Bundle(STORE, 40, 20L, Set.of("a")), TAGS, scope("a")).advanced());
    assertEquals(40, state.cursor());
  }

  @Test
  void aBundleMissingARepositoryOfTheScopeLeavesTheCursor() {
    SyncState state = state(5, true);
    ImportCursor.Outcome o = ImportCursor.apply(state, new ImportCursor.Bundle(STORE, 40, null, Set.of("a")), TAGS, scope("a", "b"));
    assertFalse(o.advanced());
    assertTrue(o.reason().contains("does not cover b"), o.reason());
  }

  @Test
  void anArchiveWithoutAStoreLeavesTheCursor() {
    SyncState state = state(5, true);
    assertFalse(ImportCursor.apply(state, new ImportCursor.Bundle(null, 0, null, Set.of("a")), TAGS, scope("a")).advanced());
  }

  @Test
  void deletedTagsStopBeingSyncsWhateverTheCursor() {
    SyncState state = state(5, true);
    state.tagSynced("a", "old", "sha256:" + "3".repeat(64));
    ImportCursor.apply(state, new ImportCursor.Bundle(null, 0, null, Set.of()),
        new ImportCursor.Applied(List.of(), List.of(new ImportCursor.TagChange("a", "old", null))), scope("a"));
    assertNull(state.syncedDigest("a", "old"));
  }
}
