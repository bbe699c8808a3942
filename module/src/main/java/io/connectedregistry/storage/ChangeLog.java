package io.connectedregistry.storage;

import io.connectedregistry.sqlite.SqliteDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The change log in {@code metadata.db} (table {@code changes}): every tag or manifest change gets
 * the next sequence number, so a reader (a child's change feed, the upstream queue) can ask for
 * everything after the cursor it keeps. Events are appended by {@link MetadataStore} inside the
 * transaction of the change they record, so the log never shows a change that did not commit, nor
 * misses one that did.
 */
final class ChangeLog {
  private final SqliteDatabase database;

  ChangeLog(SqliteDatabase database) {
    this.database = database;
  }

  private static final String INSERT =
      "INSERT INTO changes(repository, action, tag, digest, at, origin) VALUES(?, ?, ?, ?, ?, ?)";

  /** Appends an event inside a running write transaction of the same database. */
  static void append(Connection c, String repository, String action, String tag, String digest, long at,
      ChangeOrigin origin) throws SQLException {
    try (PreparedStatement ps = inserter(c)) {
      append(ps, repository, action, tag, digest, at, origin);
    }
  }

  /** A statement for {@link #append(PreparedStatement, String, String, String, String, long, ChangeOrigin)}: one for many events. */
  static PreparedStatement inserter(Connection c) throws SQLException {
    return c.prepareStatement(INSERT);
  }

  /** Appends an event with a statement from {@link #inserter}, in the transaction it was made in. */
  static void append(PreparedStatement ps, String repository, String action, String tag, String digest, long at,
      ChangeOrigin origin) throws SQLException {
    ps.setString(1, repository);
    ps.setString(2, action);
    ps.setString(3, tag);
    ps.setString(4, digest);
    ps.setLong(5, at);
    ps.setString(6, origin.column());
    ps.executeUpdate();
  }

  /**
   * The id of this store, made at random when the database was created (or upgraded to schema 3):
   * the log whose sequence numbers a cursor counts in.
   */
  String storeId() {
    return database.read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT id FROM store");
          ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new StorageException("metadata.db has no store id");
        }
        return rs.getString(1);
      }
    });
  }

  /** The sequence number of the last event; 0 when there is none. */
  long head() {
    return database.read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT COALESCE(MAX(seq), 0) FROM changes");
          ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    });
  }

  /** At most {@code limit} events after {@code sequence}, in order. */
  List<Change> after(long sequence, int limit) {
    return database.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT " + COLUMNS + " FROM changes WHERE seq > ? ORDER BY seq LIMIT ?")) {
        ps.setLong(1, sequence);
        ps.setInt(2, limit);
        return changes(ps);
      }
    });
  }

  /** The newest change of one tag (set or deleted), if it ever changed. */
  Optional<Change> latestOfTag(String repository, String tag) {
    return database.read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS
          + " FROM changes WHERE repository = ? AND tag = ? ORDER BY seq DESC LIMIT 1")) {
        ps.setString(1, repository);
        ps.setString(2, tag);
        List<Change> found = changes(ps);
        return found.isEmpty() ? Optional.<Change>empty() : Optional.of(found.get(0));
      }
    });
  }

  /**
   * Client changes after {@code sequence}: how many, and how many of those were made before
   * {@code madeBefore} (epoch millis).
   */
  long[] countByClientAfter(long sequence, long madeBefore) {
    return database.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT COUNT(*), COALESCE(SUM(at < ?), 0) FROM changes WHERE seq > ? AND origin = ?")) {
        ps.setLong(1, madeBefore);
        ps.setLong(2, sequence);
        ps.setString(3, ChangeOrigin.CLIENT.column());
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return new long[] {rs.getLong(1), rs.getLong(2)};
        }
      }
    });
  }

  private static final String COLUMNS = "seq, repository, action, tag, digest, at, origin";

  private static List<Change> changes(PreparedStatement ps) throws SQLException {
    List<Change> result = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        result.add(new Change(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
            rs.getLong(6), ChangeOrigin.of(rs.getString(7))));
      }
    }
    return result;
  }
}
