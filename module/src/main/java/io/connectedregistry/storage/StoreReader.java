package io.connectedregistry.storage;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.sqlite.SqliteDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import org.sqlite.SQLiteConfig;

/**
 * A read-only view of a data folder's store, for commands that read a store a registry may be
 * serving at the same moment ({@code bundle export}). It takes neither the store's {@code .lock}
 * nor a write lock of {@code metadata.db}: SQLite's WAL lets a reader run beside the writer, and
 * blob files never change once committed (only the garbage collector removes them).
 *
 * <p>The database is opened with SQLite's read-only flag and {@code query_only}: no migration,
 * no write, ever. A database at another schema version than this release's is refused, because
 * its tables are not the ones the queries below expect; an older one is upgraded by starting the
 * registry (or any command that opens the store for writing) of this release once.
 */
public final class StoreReader implements AutoCloseable {
  private final StoragePaths paths;
  private final Connection connection;

  private StoreReader(StoragePaths paths, Connection connection) {
    this.paths = paths;
    this.connection = connection;
  }

  /** Opens {@code dataDir}'s {@code metadata.db} for reading; throws a StorageException saying why not. */
  public static StoreReader open(Path dataDir) {
    StoragePaths paths = new StoragePaths(dataDir);
    Path file = paths.metadataDatabase();
    if (!Files.isRegularFile(file)) {
      throw new StorageException("no store in " + paths.root() + " (" + file.getFileName()
          + " is missing): is this the registry's data folder?");
    }
    SQLiteConfig config = new SQLiteConfig();
    config.setReadOnly(true);
    config.setBusyTimeout(30_000);
    Connection c = null;
    try {
      c = DriverManager.getConnection("jdbc:sqlite:" + file, config.toProperties());
      try (Statement s = c.createStatement()) {
        s.execute("PRAGMA query_only=1");
      }
      int found = SqliteDatabase.userVersion(c);
      int expected = MetadataDatabase.MIGRATIONS.size();
      if (found < expected) {
        throw new StorageException(file + " has schema version " + found + ", and this release reads version "
            + expected + ": start this release's registry on the data folder once (it upgrades the schema),"
            + " then export again; nothing was changed");
      }
      if (found > expected) {
        throw new StorageException(file + " has schema version " + found + ", and this release knows versions up to "
            + expected + ": a newer release wrote it; export with that release; nothing was changed");
      }
      return new StoreReader(paths, c);
    } catch (SQLException e) {
      close(c);
      throw new StorageException("cannot read " + file + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      close(c);
      throw e;
    }
  }

  public StoragePaths paths() {
    return paths;
  }

  /** Where a committed blob's bytes are (the file may be gone if the garbage collector removed it). */
  public Path blobFile(Digest digest) {
    return paths.blob(digest);
  }

  @FunctionalInterface
  public interface SnapshotWork<T> {
    T run(Snapshot snapshot) throws SQLException;
  }

  /**
   * Runs {@code work} in one read transaction: every query sees the same commit, whatever the
   * registry writes meanwhile. Keep it short: while it is open the writer cannot checkpoint the WAL
   * past it.
   */
  public synchronized <T> T snapshot(SnapshotWork<T> work) {
    try {
      try (Statement s = connection.createStatement()) {
        s.execute("BEGIN DEFERRED");
      }
      try {
        return work.run(new Snapshot(connection));
      } finally {
        try (Statement s = connection.createStatement()) {
          s.execute("COMMIT");
        }
      }
    } catch (SQLException e) {
      throw new StorageException("cannot read " + paths.metadataDatabase() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized void close() {
    close(connection);
  }

  private static void close(Connection c) {
    if (c != null) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // read-only: nothing to lose
      }
    }
  }

  /** The store as of one commit. Only valid inside {@link #snapshot}. */
  public static final class Snapshot {
    private final Connection c;

    private Snapshot(Connection c) {
      this.c = c;
    }

    /** The store id its change-log sequence numbers belong to. */
    public String storeId() throws SQLException {
      List<String> ids = SqliteDatabase.strings(c, "SELECT id FROM store");
      if (ids.isEmpty()) {
        throw new SQLException("metadata.db has no store id");
      }
      return ids.get(0);
    }

    /** The newest change's sequence number; 0 when there is none. */
    public long head() throws SQLException {
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT COALESCE(MAX(seq), 0) FROM changes")) {
        rs.next();
        return rs.getLong(1);
      }
    }

    public boolean repositoryExists(String repository) throws SQLException {
      return MetadataStore.repositoryId(c, repository) != null;
    }

    /** The repository's tags now, by name. */
    public TreeMap<String, Digest> tags(String repository) throws SQLException {
      TreeMap<String, Digest> tags = new TreeMap<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT t.name, t.digest FROM tags t"
          + " JOIN repositories r ON r.id = t.repository_id WHERE r.name = ?")) {
        ps.setString(1, repository);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            tags.put(rs.getString(1), Digest.parse(rs.getString(2)));
          }
        }
      }
      return tags;
    }

    public Optional<StoredManifest> manifest(String repository, Digest digest) throws SQLException {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT m.digest, m.media_type, m.content, m.subject FROM repositories r"
              + " JOIN manifests m ON m.repository_id = r.id WHERE r.name = ? AND m.digest = ?")) {
        ps.setString(1, repository);
        ps.setString(2, digest.toString());
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return Optional.empty();
          }
          String subject = rs.getString(4);
          return Optional.of(new StoredManifest(Digest.parse(rs.getString(1)), rs.getString(2), rs.getBytes(3),
              subject == null ? null : Digest.parse(subject)));
        }
      }
    }

    /** The manifests of {@code repository} whose subject is {@code subject}, oldest first. */
    public List<Digest> referrers(String repository, Digest subject) throws SQLException {
      List<Digest> out = new ArrayList<>();
      for (String d : SqliteDatabase.strings(c, "SELECT m.digest FROM repositories r"
          + " JOIN manifests m ON m.repository_id = r.id WHERE r.name = ? AND m.subject = ?"
          + " ORDER BY m.created_at, m.digest", repository, subject.toString())) {
        out.add(Digest.parse(d));
      }
      return out;
    }

    /** A committed blob's size, if the store records it. */
    public OptionalLong blobSize(Digest digest) throws SQLException {
      Long size = MetadataStore.blobSize(c, digest);
      return size == null ? OptionalLong.empty() : OptionalLong.of(size);
    }

    /**
     * Hands every change of {@code repository} after {@code sequence} to {@code visitor}, oldest
     * first, as the rows are read: a long log is never held in memory.
     */
    public void changesAfter(String repository, long sequence, ChangeVisitor visitor) throws SQLException {
      try (PreparedStatement ps = c.prepareStatement("SELECT seq, repository, action, tag, digest, at, origin"
          + " FROM changes WHERE repository = ? AND seq > ? ORDER BY seq")) {
        ps.setString(1, repository);
        ps.setLong(2, sequence);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            visitor.visit(new Change(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
                rs.getString(5), rs.getLong(6), ChangeOrigin.of(rs.getString(7))));
          }
        }
      }
    }

    /**
     * What {@code repository} held just after change {@code sequence}, replayed from the change
     * log: its tags, and the manifests that existed then.
     */
    public History historyAt(String repository, long sequence) throws SQLException {
      Map<String, Digest> tags = new HashMap<>();
      Set<Digest> manifests = new HashSet<>();
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT action, tag, digest FROM changes WHERE repository = ? AND seq <= ? ORDER BY seq")) {
        ps.setString(1, repository);
        ps.setLong(2, sequence);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            Digest digest = Digest.parse(rs.getString(3));
            switch (rs.getString(1)) {
              case "tag_set" -> tags.put(rs.getString(2), digest);
              case "tag_deleted" -> tags.remove(rs.getString(2));
              case "manifest_put" -> manifests.add(digest);
              case "manifest_deleted" -> manifests.remove(digest);
              default -> { } // a newer release's action: not one that changes what existed
            }
          }
        }
      }
      return new History(Map.copyOf(tags), Set.copyOf(manifests));
    }
  }

  @FunctionalInterface
  public interface ChangeVisitor {
    void visit(Change change) throws SQLException;
  }

  /** A repository's tags and manifests as they were at one change-log sequence number. */
  public record History(Map<String, Digest> tags, Set<Digest> manifests) {}
}
