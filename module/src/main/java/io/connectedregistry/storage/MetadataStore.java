package io.connectedregistry.storage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.connectedregistry.oci.Descriptor;
import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.Manifest;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The transactional half of storage, in SQLite (WAL, synchronous=FULL): repositories, per-repository
 * blob links, manifests with their bytes and references, tags, and the change log.
 *
 * <p>Writers share one connection behind a lock and use {@code BEGIN IMMEDIATE}, which also
 * serialises them against another process (the {@code gc} command) through SQLite's file lock.
 * Readers get one connection per worker thread; WAL lets them read while a write is in progress.
 * Every method blocks: call them from a worker, never from an event loop.
 */
final class MetadataStore implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] SCHEMA = {
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
        + " tag TEXT, digest TEXT NOT NULL, at INTEGER NOT NULL)",
  };

  private final String url;
  /** Dates every row and change; the garbage collector compares those dates with the same clock. */
  private final Clock clock;
  private final Connection writer;
  private final Object writeLock = new Object();
  /**
   * A few reader connections shared by all worker threads: each holds its own page cache and
   * native buffers, so one per thread would cost a small device megabytes per worker.
   */
  private static final int READERS = 4;
  private final List<Connection> readers = new CopyOnWriteArrayList<>();
  private final BlockingQueue<Connection> idleReaders = new ArrayBlockingQueue<>(READERS);
  private volatile boolean closed;

  MetadataStore(Path databaseFile, Clock clock) throws SQLException {
    this.url = "jdbc:sqlite:" + databaseFile;
    this.clock = clock;
    this.writer = open();
    try (Statement s = writer.createStatement()) {
      s.execute("PRAGMA journal_mode=WAL");
      for (String ddl : SCHEMA) {
        s.execute(ddl);
      }
    }
  }

  private Connection open() throws SQLException {
    Connection c = DriverManager.getConnection(url);
    try (Statement s = c.createStatement()) {
      s.execute("PRAGMA busy_timeout=30000");
      // FULL: a committed transaction survives a power cut, which is what a 201 promises.
      s.execute("PRAGMA synchronous=FULL");
      s.execute("PRAGMA foreign_keys=ON");
      // Keep each connection's page cache small (1 MiB) for small devices.
      s.execute("PRAGMA cache_size=-1024");
    }
    return c;
  }

  private Connection takeReader() throws SQLException, InterruptedException {
    if (closed) {
      throw new SQLException("metadata store is closed");
    }
    Connection c = idleReaders.poll();
    if (c != null) {
      return c;
    }
    synchronized (readers) {
      if (readers.size() < READERS) {
        c = open();
        readers.add(c);
        return c;
      }
    }
    return idleReaders.take();
  }

  @FunctionalInterface
  interface Work<T> {
    T run(Connection c) throws Exception;
  }

  /** Runs {@code work} in one write transaction; rolls back on any exception. */
  <T> T write(Work<T> work) {
    synchronized (writeLock) {
      if (closed) {
        throw new StorageException("metadata store is closed");
      }
      try {
        try (Statement s = writer.createStatement()) {
          s.execute("BEGIN IMMEDIATE");
        }
        try {
          T result = work.run(writer);
          try (Statement s = writer.createStatement()) {
            s.execute("COMMIT");
          }
          return result;
        } catch (Throwable t) {
          try (Statement s = writer.createStatement()) {
            s.execute("ROLLBACK");
          } catch (SQLException suppressed) {
            t.addSuppressed(suppressed);
          }
          throw t;
        }
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        if (DiskSpace.isOutOfSpace(e)) {
          // SQLite rolled back: nothing changed. Answered 507, like any write refused for space.
          throw io.connectedregistry.oci.ErrorCode.INSUFFICIENT_STORAGE.exception(
              "the data folder's file system is full; nothing was changed");
        }
        throw new StorageException("metadata write failed", e);
      }
    }
  }

  <T> T read(Work<T> work) {
    Connection c = null;
    try {
      c = takeReader();
      return work.run(c);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StorageException("interrupted while waiting for the metadata store", e);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new StorageException("metadata read failed", e);
    } finally {
      if (c != null) {
        idleReaders.offer(c);
      }
    }
  }

  // ---- repositories ----

  static Long repositoryId(Connection c, String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT id FROM repositories WHERE name = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : null;
      }
    }
  }

  static long ensureRepository(Connection c, String name, long now) throws SQLException {
    Long id = repositoryId(c, name);
    if (id != null) {
      return id;
    }
    try (PreparedStatement ps =
        c.prepareStatement("INSERT INTO repositories(name, created_at) VALUES(?, ?)", Statement.RETURN_GENERATED_KEYS)) {
      ps.setString(1, name);
      ps.setLong(2, now);
      ps.executeUpdate();
      try (ResultSet rs = ps.getGeneratedKeys()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  boolean repositoryExists(String name) {
    return read(c -> repositoryId(c, name) != null);
  }

  /** Repositories that hold at least one manifest, in lexical order, after {@code last}. */
  List<String> repositories(String last, int limit) {
    return read(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT name FROM repositories r WHERE name > ? AND EXISTS"
              + " (SELECT 1 FROM manifests m WHERE m.repository_id = r.id) ORDER BY name LIMIT ?")) {
        ps.setString(1, last == null ? "" : last);
        ps.setInt(2, limit);
        return strings(ps);
      }
    });
  }

  // ---- blobs ----

  /** Size of the blob if it is linked into the repository. */
  Optional<Long> linkedBlobSize(String repository, Digest digest) {
    return read(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT b.size FROM repositories r JOIN repository_blobs l ON l.repository_id = r.id"
              + " JOIN blobs b ON b.digest = l.digest WHERE r.name = ? AND l.digest = ?")) {
        ps.setString(1, repository);
        ps.setString(2, digest.toString());
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? Optional.of(rs.getLong(1)) : Optional.empty();
        }
      }
    });
  }

  /** Records a committed blob and links it into the repository, inside a running write. */
  void insertBlobAndLink(Connection c, String repository, Digest digest, long size) throws SQLException {
    long now = clock.millis();
    try (PreparedStatement ps =
        c.prepareStatement("INSERT OR IGNORE INTO blobs(digest, size, created_at) VALUES(?, ?, ?)")) {
      ps.setString(1, digest.toString());
      ps.setLong(2, size);
      ps.setLong(3, now);
      ps.executeUpdate();
    }
    link(c, ensureRepository(c, repository, now), digest, now);
  }

  private static void link(Connection c, long repositoryId, Digest digest, long now) throws SQLException {
    // A re-push refreshes created_at so the GC grace period protects a blob that is being re-used.
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO repository_blobs(repository_id, digest, created_at) VALUES(?, ?, ?)"
            + " ON CONFLICT(repository_id, digest) DO UPDATE SET created_at = excluded.created_at")) {
      ps.setLong(1, repositoryId);
      ps.setString(2, digest.toString());
      ps.setLong(3, now);
      ps.executeUpdate();
    }
  }

  static Long blobSize(Connection c, Digest digest) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT size FROM blobs WHERE digest = ?")) {
      ps.setString(1, digest.toString());
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : null;
      }
    }
  }

  /** Links a blob linked in {@code from} into {@code to}; false when {@code from} lacks it. */
  boolean mount(String to, String from, Digest digest) {
    return write(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT 1 FROM repositories r JOIN repository_blobs l ON l.repository_id = r.id"
              + " WHERE r.name = ? AND l.digest = ?")) {
        ps.setString(1, from);
        ps.setString(2, digest.toString());
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return false;
          }
        }
      }
      long now = clock.millis();
      link(c, ensureRepository(c, to, now), digest, now);
      return true;
    });
  }

  boolean linkExisting(String repository, Digest digest) {
    return write(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM blobs WHERE digest = ?")) {
        ps.setString(1, digest.toString());
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return false;
          }
        }
      }
      long now = clock.millis();
      link(c, ensureRepository(c, repository, now), digest, now);
      return true;
    });
  }

  boolean unlinkBlob(String repository, Digest digest) {
    return write(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "DELETE FROM repository_blobs WHERE digest = ? AND repository_id ="
              + " (SELECT id FROM repositories WHERE name = ?)")) {
        ps.setString(1, digest.toString());
        ps.setString(2, repository);
        return ps.executeUpdate() > 0;
      }
    });
  }

  // ---- manifests and tags ----

  Optional<StoredManifest> manifest(String repository, Digest digest) {
    return read(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT m.digest, m.media_type, m.content, m.subject FROM repositories r"
              + " JOIN manifests m ON m.repository_id = r.id WHERE r.name = ? AND m.digest = ?")) {
        ps.setString(1, repository);
        ps.setString(2, digest.toString());
        return storedManifest(ps);
      }
    });
  }

  Optional<StoredManifest> manifestByTag(String repository, String tag) {
    return read(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT m.digest, m.media_type, m.content, m.subject FROM repositories r"
              + " JOIN tags t ON t.repository_id = r.id"
              + " JOIN manifests m ON m.repository_id = r.id AND m.digest = t.digest"
              + " WHERE r.name = ? AND t.name = ?")) {
        ps.setString(1, repository);
        ps.setString(2, tag);
        return storedManifest(ps);
      }
    });
  }

  private static Optional<StoredManifest> storedManifest(PreparedStatement ps) throws SQLException {
    try (ResultSet rs = ps.executeQuery()) {
      if (!rs.next()) {
        return Optional.empty();
      }
      String subject = rs.getString(4);
      return Optional.of(new StoredManifest(
          Digest.parse(rs.getString(1)), rs.getString(2), rs.getBytes(3), subject == null ? null : Digest.parse(subject)));
    }
  }

  /**
   * Stores a manifest (and points {@code tag} at it, when given) in one transaction, after checking
   * that every blob and child manifest it references is in the repository.
   *
   * @return the references that are missing; empty means it was stored
   */
  List<Digest> putManifest(String repository, Manifest manifest, String tag) {
    return write(c -> {
      long now = clock.millis();
      long repoId = ensureRepository(c, repository, now);
      List<Digest> missing = new ArrayList<>();
      try (PreparedStatement blob = c.prepareStatement(
              "SELECT 1 FROM repository_blobs WHERE repository_id = ? AND digest = ?");
          PreparedStatement child = c.prepareStatement(
              "SELECT 1 FROM manifests WHERE repository_id = ? AND digest = ?")) {
        for (Descriptor d : manifest.blobs()) {
          if (!exists(blob, repoId, d.digest())) {
            missing.add(d.digest());
          }
        }
        for (Descriptor d : manifest.manifests()) {
          if (!exists(child, repoId, d.digest())) {
            missing.add(d.digest());
          }
        }
      }
      if (!missing.isEmpty()) {
        return missing;
      }
      String digest = manifest.digest().toString();
      boolean isNew;
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT OR IGNORE INTO manifests(repository_id, digest, media_type, artifact_type, subject, size,"
              + " annotations, content, created_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
        ps.setLong(1, repoId);
        ps.setString(2, digest);
        ps.setString(3, manifest.mediaType());
        ps.setString(4, manifest.artifactType());
        ps.setString(5, manifest.subject() == null ? null : manifest.subject().digest().toString());
        ps.setLong(6, manifest.bytes().length);
        ps.setString(7, manifest.annotations().isEmpty() ? null : JSON.writeValueAsString(manifest.annotations()));
        ps.setBytes(8, manifest.bytes());
        ps.setLong(9, now);
        isNew = ps.executeUpdate() > 0;
      }
      if (isNew) {
        try (PreparedStatement ps = c.prepareStatement(
            "INSERT OR IGNORE INTO manifest_references(repository_id, manifest_digest, child_digest, kind)"
                + " VALUES(?, ?, ?, ?)")) {
          for (Descriptor d : manifest.blobs()) {
            addReference(ps, repoId, digest, d.digest(), "blob");
          }
          for (Descriptor d : manifest.manifests()) {
            addReference(ps, repoId, digest, d.digest(), "manifest");
          }
          ps.executeBatch();
        }
        appendChange(c, repository, "manifest_put", null, digest, now);
      }
      if (tag != null) {
        String previous = null;
        try (PreparedStatement ps =
            c.prepareStatement("SELECT digest FROM tags WHERE repository_id = ? AND name = ?")) {
          ps.setLong(1, repoId);
          ps.setString(2, tag);
          try (ResultSet rs = ps.executeQuery()) {
            if (rs.next()) {
              previous = rs.getString(1);
            }
          }
        }
        if (!digest.equals(previous)) {
          try (PreparedStatement ps = c.prepareStatement(
              "INSERT INTO tags(repository_id, name, digest, updated_at) VALUES(?, ?, ?, ?)"
                  + " ON CONFLICT(repository_id, name) DO UPDATE SET digest = excluded.digest,"
                  + " updated_at = excluded.updated_at")) {
            ps.setLong(1, repoId);
            ps.setString(2, tag);
            ps.setString(3, digest);
            ps.setLong(4, now);
            ps.executeUpdate();
          }
          appendChange(c, repository, "tag_set", tag, digest, now);
        }
      }
      return List.<Digest>of();
    });
  }

  private static boolean exists(PreparedStatement ps, long repoId, Digest digest) throws SQLException {
    ps.setLong(1, repoId);
    ps.setString(2, digest.toString());
    try (ResultSet rs = ps.executeQuery()) {
      return rs.next();
    }
  }

  private static void addReference(PreparedStatement ps, long repoId, String manifest, Digest child, String kind)
      throws SQLException {
    ps.setLong(1, repoId);
    ps.setString(2, manifest);
    ps.setString(3, child.toString());
    ps.setString(4, kind);
    ps.addBatch();
  }

  /** Deletes a manifest and every tag pointing at it; false when it is not in the repository. */
  boolean deleteManifest(String repository, Digest digest) {
    return write(c -> {
      Long repoId = repositoryId(c, repository);
      if (repoId == null) {
        return false;
      }
      String d = digest.toString();
      long now = clock.millis();
      List<String> tags;
      try (PreparedStatement ps = c.prepareStatement("SELECT name FROM tags WHERE repository_id = ? AND digest = ?")) {
        ps.setLong(1, repoId);
        ps.setString(2, d);
        tags = strings(ps);
      }
      int deleted;
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM manifests WHERE repository_id = ? AND digest = ?")) {
        ps.setLong(1, repoId);
        ps.setString(2, d);
        deleted = ps.executeUpdate();
      }
      if (deleted == 0) {
        return false;
      }
      for (String sql : List.of(
          "DELETE FROM tags WHERE repository_id = ? AND digest = ?",
          "DELETE FROM manifest_references WHERE repository_id = ? AND manifest_digest = ?")) {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
          ps.setLong(1, repoId);
          ps.setString(2, d);
          ps.executeUpdate();
        }
      }
      for (String tag : tags) {
        appendChange(c, repository, "tag_deleted", tag, d, now);
      }
      appendChange(c, repository, "manifest_deleted", null, d, now);
      return true;
    });
  }

  /** Removes a tag only (OCI 1.1 DELETE by tag); false when there is no such tag. */
  boolean deleteTag(String repository, String tag) {
    return write(c -> {
      Long repoId = repositoryId(c, repository);
      if (repoId == null) {
        return false;
      }
      String digest;
      try (PreparedStatement ps = c.prepareStatement("SELECT digest FROM tags WHERE repository_id = ? AND name = ?")) {
        ps.setLong(1, repoId);
        ps.setString(2, tag);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return false;
          }
          digest = rs.getString(1);
        }
      }
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM tags WHERE repository_id = ? AND name = ?")) {
        ps.setLong(1, repoId);
        ps.setString(2, tag);
        ps.executeUpdate();
      }
      appendChange(c, repository, "tag_deleted", tag, digest, clock.millis());
      return true;
    });
  }

  /** Tags in lexical order after {@code last}; empty Optional when the repository is unknown. */
  Optional<List<String>> tags(String repository, String last, int limit) {
    return read(c -> {
      Long repoId = repositoryId(c, repository);
      if (repoId == null) {
        return Optional.empty();
      }
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT name FROM tags WHERE repository_id = ? AND name > ? ORDER BY name LIMIT ?")) {
        ps.setLong(1, repoId);
        ps.setString(2, last == null ? "" : last);
        ps.setInt(3, limit);
        return Optional.of(strings(ps));
      }
    });
  }

  List<ReferrerDescriptor> referrers(String repository, Digest subject, String artifactType) {
    return read(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT m.media_type, m.digest, m.size, m.artifact_type, m.annotations FROM repositories r"
              + " JOIN manifests m ON m.repository_id = r.id WHERE r.name = ? AND m.subject = ?"
              + (artifactType == null ? "" : " AND m.artifact_type = ?")
              + " ORDER BY m.created_at, m.digest")) {
        ps.setString(1, repository);
        ps.setString(2, subject.toString());
        if (artifactType != null) {
          ps.setString(3, artifactType);
        }
        List<ReferrerDescriptor> result = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            String annotations = rs.getString(5);
            result.add(new ReferrerDescriptor(
                rs.getString(1), Digest.parse(rs.getString(2)), rs.getLong(3), rs.getString(4),
                annotations == null ? Map.of() : parseAnnotations(annotations)));
          }
        }
        return result;
      }
    });
  }

  private static Map<String, String> parseAnnotations(String json) {
    try {
      return JSON.readValue(json, new TypeReference<Map<String, String>>() {});
    } catch (JsonProcessingException e) {
      throw new StorageException("corrupt annotations in metadata", e);
    }
  }

  // ---- change log ----

  private static void appendChange(Connection c, String repository, String action, String tag, String digest, long now)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("INSERT INTO changes(repository, action, tag, digest, at) VALUES(?, ?, ?, ?, ?)")) {
      ps.setString(1, repository);
      ps.setString(2, action);
      ps.setString(3, tag);
      ps.setString(4, digest);
      ps.setLong(5, now);
      ps.executeUpdate();
    }
  }

  long lastChangeSequence() {
    return read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT COALESCE(MAX(seq), 0) FROM changes");
          ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    });
  }

  List<Change> changesAfter(long sequence, int limit) {
    return read(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT seq, repository, action, tag, digest, at FROM changes WHERE seq > ? ORDER BY seq LIMIT ?")) {
        ps.setLong(1, sequence);
        ps.setInt(2, limit);
        List<Change> result = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            result.add(new Change(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getLong(6)));
          }
        }
        return result;
      }
    });
  }

  static List<String> strings(PreparedStatement ps) throws SQLException {
    List<String> result = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        result.add(rs.getString(1));
      }
    }
    return result;
  }

  /** A cheap query on the write connection: proves the database is open and not locked for good. */
  void ping() {
    read(c -> {
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM repositories")) {
        return rs.next();
      }
    });
  }

  @Override
  public void close() {
    synchronized (writeLock) {
      closed = true;
      for (Connection c : readers) {
        closeQuietly(c);
      }
      closeQuietly(writer);
    }
  }

  private static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException ignored) {
      // closing at shutdown: nothing useful to do
    }
  }
}
