package io.connectedregistry.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.ManifestParser;
import io.connectedregistry.sqlite.SqliteDatabase;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.security.MessageDigest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The read-only view of a store that {@code bundle export} uses beside a running registry. */
class StoreReaderTest {
  @TempDir Path data;

  @Test
  void readsAStoreWhileItsRegistryHoldsIt_andSeesLaterCommits() throws Exception {
    try (LocalRegistryStorage storage = LocalRegistryStorage.open(data, LocalRegistryStorage.Options.defaults())) {
      tag(storage, "app", "v1", "one");
      try (StoreReader reader = StoreReader.open(data)) { // the store's lock is held: not taken here
        assertEquals(storage.storeId(), reader.snapshot(StoreReader.Snapshot::storeId));
        assertEquals(storage.lastChangeSequence(), reader.snapshot(StoreReader.Snapshot::head));
        tag(storage, "app", "v2", "two");
        assertEquals(storage.lastChangeSequence(), reader.snapshot(StoreReader.Snapshot::head));
        assertEquals(2, reader.snapshot(s -> s.tags("app")).size());
        // The registry still writes while the reader is open.
        tag(storage, "app", "v3", "three");
      }
    }
  }

  @Test
  void aSnapshotSeesOneCommit_whateverTheRegistryCommitsMeanwhile() throws Exception {
    try (LocalRegistryStorage storage = LocalRegistryStorage.open(data, LocalRegistryStorage.Options.defaults());
        StoreReader reader = StoreReader.open(data)) {
      tag(storage, "app", "v1", "one");
      long head = storage.lastChangeSequence();
      reader.snapshot(s -> {
        Digest v1 = s.tags("app").get("v1");
        assertEquals(head, s.head());
        // The registry deletes the manifest (and its tag) in its own connection, and commits.
        assertTrue(storage.deleteManifest("app", io.connectedregistry.oci.Reference.parse(v1.toString())));
        assertTrue(s.manifest("app", v1).isPresent(), "the snapshot still holds what its tags point at");
        assertEquals(head, s.head(), "and the cursor of that same commit");
        assertEquals(1, s.tags("app").size());
        return null;
      });
      assertEquals(0, reader.snapshot(s -> s.tags("app")).size(), "the next snapshot sees the delete");
    }
  }

  @Test
  void neverChangesTheDatabaseOfAStoppedStore() throws Exception {
    try (LocalRegistryStorage storage = LocalRegistryStorage.open(data, LocalRegistryStorage.Options.defaults())) {
      tag(storage, "app", "v1", "one");
    }
    Path db = new StoragePaths(data).metadataDatabase();
    byte[] before = sha256(db);
    try (StoreReader reader = StoreReader.open(data)) {
      assertEquals(1, reader.snapshot(s -> s.tags("app")).size());
    }
    assertArrayEquals(before, sha256(db));
  }

  @Test
  void refusesAnOlderSchema_andLeavesItAsItWas() throws Exception {
    Path db = new StoragePaths(data).metadataDatabase();
    SqliteDatabase.open(db, MetadataDatabase.MIGRATIONS.subList(0, 2), SqliteDatabase.Settings.readers(1),
        (access, e) -> new IllegalStateException(e)).close();
    StorageException e = assertThrows(StorageException.class, () -> StoreReader.open(data));
    assertTrue(e.getMessage().contains("has schema version 2, and this release reads version 3"), e.getMessage());
    assertTrue(e.getMessage().contains("start this release's registry on the data folder once"), e.getMessage());
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
      assertEquals(2, SqliteDatabase.userVersion(c), "no migration ran");
    }
  }

  @Test
  void refusesAFolderWithoutAStore_andCreatesNothing() {
    StorageException e = assertThrows(StorageException.class, () -> StoreReader.open(data.resolve("nothing")));
    assertTrue(e.getMessage().contains("metadata.db is missing"), e.getMessage());
    assertFalse(Files.exists(data.resolve("nothing")));
  }

  private static void tag(LocalRegistryStorage storage, String repository, String tag, String layer) throws Exception {
    byte[] bytes = layer.getBytes(StandardCharsets.UTF_8);
    Digest digest = Digest.sha256(bytes);
    UploadStatus upload = storage.startUpload(repository);
    try (UploadHandle h = storage.openUpload(repository, upload.id())) {
      h.append(ByteBuffer.wrap(bytes));
      storage.commitUpload(h, digest);
    }
    String json = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
        + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + digest
        + "\",\"size\":" + bytes.length + "},\"layers\":[]}";
    storage.putManifest(repository, ManifestParser.parse(json.getBytes(StandardCharsets.UTF_8), null, "sha256"), tag);
  }

  private static byte[] sha256(Path file) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
  }
}
