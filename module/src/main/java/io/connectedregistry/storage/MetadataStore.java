package io.connectedregistry.storage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.connectedregistry.oci.Descriptor;
import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.Manifest;
import io.connectedregistry.sqlite.SqliteDatabase;
import io.connectedregistry.sqlite.SqliteDatabase.Work;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The transactional half of storage, in {@code metadata.db} ({@link MetadataDatabase}):
 * repositories, per-repository blob links, manifests with their bytes and references, and tags.
 * Every change of a manifest or tag appends its events to the {@link ChangeLog} in the same
 * transaction.
 *
 * <p>Every method blocks: call them from a worker, never from an event loop.
 */
final class MetadataStore {
  /**
   * Made on first use: a first {@code ObjectMapper} loads ~370 Jackson classes, which stay loaded
   * for good in a registry that may never need them (bench/README.md, issue #13).
   */
  private static final class Mapper {
    static final ObjectMapper JSON = new ObjectMapper();
  }

  private final SqliteDatabase database;
  /** Dates every row and change; the garbage collector compares those dates with the same clock. */
  private final Clock clock;

  MetadataStore(SqliteDatabase database, Clock clock) {
    this.database = database;
    this.clock = clock;
  }

  /** Runs {@code work} in one write transaction; rolls back on any exception. */
  <T> T write(Work<T> work) {
    return database.write(work);
  }

  <T> T read(Work<T> work) {
    return database.read(work);
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

  /**
   * The repositories holding a manifest that {@code visible} accepts, newest change first (a tag
   * set or moved, a manifest stored), at most {@code limit}, with how many more there are. The
   * rows stream from one query, so memory stays bounded by {@code limit} however many exist.
   */
  RegistryStorage.RepositoryPage repositoriesByLastChange(java.util.function.Predicate<String> visible, int limit) {
    return read(c -> {
      // Both subqueries walk a primary key prefix (repository_id): no table scan per repository.
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT r.name, (SELECT COUNT(*) FROM tags t WHERE t.repository_id = r.id),"
              + " MAX(COALESCE((SELECT MAX(t.updated_at) FROM tags t WHERE t.repository_id = r.id), 0),"
              + " (SELECT MAX(m.created_at) FROM manifests m WHERE m.repository_id = r.id)) AS changed"
              + " FROM repositories r WHERE EXISTS (SELECT 1 FROM manifests m WHERE m.repository_id = r.id)"
              + " ORDER BY changed DESC, r.name");
          ResultSet rs = ps.executeQuery()) {
        List<RegistryStorage.RepositorySummary> first = new ArrayList<>();
        long more = 0;
        while (rs.next()) {
          String name = rs.getString(1);
          if (!visible.test(name)) {
            continue;
          }
          if (first.size() < limit) {
            first.add(new RegistryStorage.RepositorySummary(name, rs.getLong(2), rs.getLong(3)));
          } else {
            more++;
          }
        }
        return new RegistryStorage.RepositoryPage(first, more);
      }
    });
  }

  /** One pass over the metadata; no file is read. */
  StorageUsage usage() {
    return read(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT (SELECT COUNT(*) FROM blobs), (SELECT COALESCE(SUM(size), 0) FROM blobs),"
              + " (SELECT COALESCE(SUM(size), 0) FROM manifests),"
              + " (SELECT COUNT(*) FROM repositories r WHERE EXISTS"
              + " (SELECT 1 FROM manifests m WHERE m.repository_id = r.id))");
          ResultSet rs = ps.executeQuery()) {
        rs.next();
        return new StorageUsage(rs.getLong(2) + rs.getLong(3), rs.getLong(4), rs.getLong(1));
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
    // Asked before every download of a sync, nearly always about a blob that is nowhere yet: a
    // reader says so without queueing for the write lock behind other blobs' commits and fsyncs.
    // A blob committed just after this read is found by the download's own checks.
    if (read(c -> blobSize(c, digest)) == null) {
      return false;
    }
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
  List<Digest> putManifest(String repository, Manifest manifest, String tag, ChangeOrigin origin) {
    return putManifestTags(repository, manifest, tag == null ? List.of() : List.of(tag), origin);
  }

  /**
   * As {@link #putManifest(String, Manifest, String, ChangeOrigin)}, pointing every one of
   * {@code tags} at it in the same transaction: a sync that finds many tags of one image pays for
   * one commit (one fsync), and no tag is visible before the manifest's references are checked.
   */
  List<Digest> putManifestTags(String repository, Manifest manifest, List<String> tags, ChangeOrigin origin) {
    return write(c -> putManifestTags(c, repository, manifest, tags, origin));
  }

  /**
   * {@link #putManifestTags(String, Manifest, List, ChangeOrigin)} inside the write transaction of
   * {@code c}, which the caller commits.
   */
  List<Digest> putManifestTags(Connection c, String repository, Manifest manifest, List<String> tags,
      ChangeOrigin origin) throws Exception {
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
      ps.setString(7, manifest.annotations().isEmpty() ? null : Mapper.JSON.writeValueAsString(manifest.annotations()));
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
      ChangeLog.append(c, repository, "manifest_put", null, digest, now, origin);
    }
    if (!tags.isEmpty()) {
      try (PreparedStatement select =
              c.prepareStatement("SELECT digest FROM tags WHERE repository_id = ? AND name = ?");
          PreparedStatement upsert = c.prepareStatement(
              "INSERT INTO tags(repository_id, name, digest, updated_at) VALUES(?, ?, ?, ?)"
                  + " ON CONFLICT(repository_id, name) DO UPDATE SET digest = excluded.digest,"
                  + " updated_at = excluded.updated_at");
          // One statement for every tag's event: a first sync sets hundreds of tags here.
          PreparedStatement event = ChangeLog.inserter(c)) {
        for (String tag : tags) {
          String previous = null;
          select.setLong(1, repoId);
          select.setString(2, tag);
          try (ResultSet rs = select.executeQuery()) {
            if (rs.next()) {
              previous = rs.getString(1);
            }
          }
          if (!digest.equals(previous)) {
            upsert.setLong(1, repoId);
            upsert.setString(2, tag);
            upsert.setString(3, digest);
            upsert.setLong(4, now);
            upsert.executeUpdate();
            ChangeLog.append(event, repository, "tag_set", tag, digest, now, origin);
          }
        }
      }
    }
    return List.<Digest>of();
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
  boolean deleteManifest(String repository, Digest digest, ChangeOrigin origin) {
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
        ChangeLog.append(c, repository, "tag_deleted", tag, d, now, origin);
      }
      ChangeLog.append(c, repository, "manifest_deleted", null, d, now, origin);
      return true;
    });
  }

  /** Removes a tag only (OCI 1.1 DELETE by tag); false when there is no such tag. */
  boolean deleteTag(String repository, String tag, ChangeOrigin origin) {
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
      ChangeLog.append(c, repository, "tag_deleted", tag, digest, clock.millis(), origin);
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

  /** Every tag of the repository with the digest it points at (empty when there is no repository). */
  Map<String, Digest> tagDigests(String repository) {
    return read(c -> {
      Map<String, Digest> tags = new HashMap<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT t.name, t.digest FROM repositories r"
          + " JOIN tags t ON t.repository_id = r.id WHERE r.name = ?")) {
        ps.setString(1, repository);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            tags.put(rs.getString(1), Digest.parse(rs.getString(2)));
          }
        }
      }
      return tags;
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
      return Mapper.JSON.readValue(json, new TypeReference<Map<String, String>>() {});
    } catch (JsonProcessingException e) {
      throw new StorageException("corrupt annotations in metadata", e);
    }
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

  /** A cheap query: proves the database is open and readable. */
  void ping() {
    read(c -> {
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM repositories")) {
        return rs.next();
      }
    });
  }
}
