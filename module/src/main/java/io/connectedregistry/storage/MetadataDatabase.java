package io.connectedregistry.storage;

import io.connectedregistry.oci.ErrorCode;
import io.connectedregistry.sqlite.Migration;
import io.connectedregistry.sqlite.SqliteDatabase;
import io.connectedregistry.sqlite.SqliteDatabase.Access;
import io.connectedregistry.sqlite.SqliteDatabase.Settings;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code metadata.db}: its schema versions, its connections, and what its failures mean to a
 * client. {@link MetadataStore} (repositories, blobs, links, manifests, tags) and {@link ChangeLog}
 * share it, so a manifest and its change events commit together.
 */
final class MetadataDatabase {
  /**
   * Four readers shared by all storage workers: each holds its own page cache and native buffers,
   * so one per worker thread would cost a small device megabytes.
   */
  static final int READERS = 4;

  /**
   * Version 1 is the schema of release 0.1.0, which had no version number: written with
   * {@code IF NOT EXISTS}, it adopts such a database's tables as they are.
   */
  static final List<Migration> MIGRATIONS = List.of(
      Migration.of(1, "repositories, blobs, links, manifests, tags, change log", List.of(
          "CREATE TABLE IF NOT EXISTS repositories("
              + " id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL)",
          "CREATE TABLE IF NOT EXISTS blobs("
              + " digest TEXT PRIMARY KEY, size INTEGER NOT NULL, created_at INTEGER NOT NULL) WITHOUT ROWID",
          "CREATE TABLE IF NOT EXISTS repository_blobs("
              + " repository_id INTEGER NOT NULL REFERENCES repositories(id),"
              + " digest TEXT NOT NULL REFERENCES blobs(digest),"
              + " created_at INTEGER NOT NULL,"
              + " PRIMARY KEY(repository_id, digest)) WITHOUT ROWID",
          "CREATE INDEX IF NOT EXISTS repository_blobs_digest ON repository_blobs(digest)",
          "CREATE TABLE IF NOT EXISTS manifests("
              + " repository_id INTEGER NOT NULL REFERENCES repositories(id),"
              + " digest TEXT NOT NULL, media_type TEXT NOT NULL, artifact_type TEXT, subject TEXT,"
              + " size INTEGER NOT NULL, annotations TEXT, content BLOB NOT NULL, created_at INTEGER NOT NULL,"
              + " PRIMARY KEY(repository_id, digest))",
          "CREATE INDEX IF NOT EXISTS manifests_subject ON manifests(repository_id, subject) WHERE subject IS NOT NULL",
          "CREATE TABLE IF NOT EXISTS manifest_references("
              + " repository_id INTEGER NOT NULL, manifest_digest TEXT NOT NULL, child_digest TEXT NOT NULL,"
              + " kind TEXT NOT NULL, PRIMARY KEY(repository_id, manifest_digest, child_digest)) WITHOUT ROWID",
          "CREATE INDEX IF NOT EXISTS manifest_references_child ON manifest_references(repository_id, child_digest)",
          "CREATE TABLE IF NOT EXISTS tags("
              + " repository_id INTEGER NOT NULL REFERENCES repositories(id), name TEXT NOT NULL,"
              + " digest TEXT NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY(repository_id, name)) WITHOUT ROWID",
          "CREATE INDEX IF NOT EXISTS tags_digest ON tags(repository_id, digest)",
          "CREATE TABLE IF NOT EXISTS changes("
              + " seq INTEGER PRIMARY KEY AUTOINCREMENT, repository TEXT NOT NULL, action TEXT NOT NULL,"
              + " tag TEXT, digest TEXT NOT NULL, at INTEGER NOT NULL)")),
      // Rows of version 1 keep a NULL origin: unknown, so never pushed up by the upstream queue.
      Migration.of(2, "change log: who made each change (client or sync); the newest change of a tag", List.of(
          "ALTER TABLE changes ADD COLUMN origin TEXT",
          "CREATE INDEX changes_tag ON changes(repository, tag, seq) WHERE tag IS NOT NULL")),
      // A change-log sequence number means something only together with the log it came from: a
      // child keeps its parent's store id beside its cursor, and a bundle names the store its
      // cursor belongs to, so a cursor is never applied to another registry's log.
      Migration.of(3, "store identity: a random id the change log's sequence numbers belong to", List.of(
          "CREATE TABLE store(id TEXT NOT NULL)",
          "INSERT INTO store(id) SELECT lower(hex(randomblob(16)))")));

  private MetadataDatabase() {}

  /** Opens (creating or upgrading) {@code file}; the caller has made it private already. */
  static SqliteDatabase open(Path file) {
    return SqliteDatabase.open(file, MIGRATIONS, Settings.readers(READERS), MetadataDatabase::failure);
  }

  private static RuntimeException failure(Access access, Exception e) {
    return switch (access) {
      case OPEN -> new StorageException(e.getMessage(), e);
      case READ -> new StorageException("metadata read failed", e);
      // SQLite rolled back: nothing changed. Answered 507, like any write refused for space.
      case WRITE -> DiskSpace.isOutOfSpace(e)
          ? ErrorCode.INSUFFICIENT_STORAGE.exception("the data folder's file system is full; nothing was changed")
          : new StorageException("metadata write failed", e);
    };
  }
}
