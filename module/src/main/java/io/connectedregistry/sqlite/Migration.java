package io.connectedregistry.sqlite;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * One step of a database's schema: what turns version {@code version - 1} into {@code version}.
 * {@link SqliteDatabase#open} runs each step in a transaction of its own, together with setting
 * {@code PRAGMA user_version}, so a step either happens whole or not at all.
 *
 * <p>A released step never changes: a database that ran it must find the same schema as one that
 * runs it now. Change the schema with a new step instead.
 */
public record Migration(int version, String description, Step step) {

  @FunctionalInterface
  public interface Step {
    void apply(Connection c) throws SQLException;
  }

  public Migration {
    if (version < 1) {
      throw new IllegalArgumentException("schema versions start at 1, not " + version);
    }
  }

  /** A step that is a list of SQL statements, run in order. */
  public static Migration of(int version, String description, List<String> statements) {
    List<String> copy = List.copyOf(statements);
    return new Migration(version, description, c -> {
      try (Statement s = c.createStatement()) {
        for (String sql : copy) {
          s.execute(sql);
        }
      }
    });
  }
}
