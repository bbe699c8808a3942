package io.connectedregistry.control;

import io.connectedregistry.sqlite.SqliteDatabase;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.connectedregistry.auth.RepositoryPattern;
import io.connectedregistry.config.RegistryConfig.LogLevel;
import io.connectedregistry.config.RegistryConfig.Mode;
import io.connectedregistry.control.ConnectedRegistryDefinition.GarbageCollection;
import io.connectedregistry.control.ConnectedRegistryDefinition.Reported;
import io.connectedregistry.control.ConnectedRegistryDefinition.StatusDetail;
import io.connectedregistry.control.ConnectedRegistryDefinition.Sync;
import io.connectedregistry.status.Activation;
import io.connectedregistry.status.ConnectionState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The definitions' rows in {@code auth.db} (tables of the auth store's migration 2), read and
 * written on the connection of an {@code AuthStore} transaction.
 */
final class DefinitionTable {

  /**
   * Made on first use: a first {@code ObjectMapper} loads ~370 Jackson classes, which stay loaded
   * for good in a registry that may never need them (bench/README.md, issue #13).
   */
  private static final class Mapper {
    static final ObjectMapper JSON = new ObjectMapper();
  }

  private DefinitionTable() {}

  static Optional<ConnectedRegistryDefinition> load(Connection c, String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT name, parent, mode, sync_schedule,"
        + " sync_window, sync_message_ttl, log_level, gc_enabled, gc_schedule, activation,"
        + " connection_state, last_activity, last_sync, version, status_details, login_server,"
        + " created, generation, upstream_pending, upstream_expired FROM connected_registries"
        + " WHERE name = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        String window = rs.getString(5);
        Sync sync = new Sync(rs.getString(4), window == null ? null : Duration.parse(window),
            Duration.parse(rs.getString(6)));
        Reported reported = new Reported(Activation.valueOf(rs.getString(10)),
            ConnectionState.valueOf(rs.getString(11)), instant(rs, 12), instant(rs, 13),
            rs.getString(14), details(rs.getString(15)), rs.getString(16), rs.getLong(19),
            rs.getLong(20));
        String parent = rs.getString(2);
        Mode mode = Mode.valueOf(rs.getString(3));
        LogLevel logLevel = LogLevel.valueOf(rs.getString(7));
        GarbageCollection gc = new GarbageCollection(rs.getInt(8) != 0, rs.getString(9));
        Instant created = Instant.ofEpochMilli(rs.getLong(17));
        long generation = rs.getLong(18);
        return Optional.of(new ConnectedRegistryDefinition(name, mode, parent,
            repositories(c, name), clientTokens(c, name), sync, logLevel, gc, reported, created,
            generation));
      }
    }
  }

  /** Every definition, parents before their children (ordered by depth, then name). */
  static List<ConnectedRegistryDefinition> loadAll(Connection c) throws SQLException {
    List<ConnectedRegistryDefinition> all = new ArrayList<>();
    for (String n : SqliteDatabase.strings(c, "SELECT name FROM connected_registries ORDER BY name")) {
      load(c, n).ifPresent(all::add);
    }
    return all;
  }

  static List<String> children(Connection c, String name) throws SQLException {
    return SqliteDatabase.strings(c, "SELECT name FROM connected_registries WHERE parent = ? ORDER BY name", name);
  }

  static void insert(Connection c, ConnectedRegistryDefinition d) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO connected_registries(name, parent,"
        + " mode, sync_token, sync_schedule, sync_window, sync_message_ttl, log_level, gc_enabled,"
        + " gc_schedule, activation, connection_state, last_activity, last_sync, version,"
        + " status_details, login_server, created, generation)"
        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      ps.setString(1, d.name());
      ps.setString(2, d.parent());
      ps.setString(3, d.mode().name());
      ps.setString(4, d.syncTokenName());
      setColumns(ps, 5, d);
      ps.setLong(18, d.created().toEpochMilli());
      ps.setLong(19, d.generation());
      ps.executeUpdate();
    }
    writeLists(c, d);
  }

  /** Everything but name, parent, mode, sync token and creation time, which never change. */
  static void update(Connection c, ConnectedRegistryDefinition d) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE connected_registries SET"
        + " sync_schedule = ?, sync_window = ?, sync_message_ttl = ?, log_level = ?,"
        + " gc_enabled = ?, gc_schedule = ?, activation = ?, connection_state = ?,"
        + " last_activity = ?, last_sync = ?, version = ?, status_details = ?, login_server = ?,"
        + " generation = ?, upstream_pending = ?, upstream_expired = ? WHERE name = ?")) {
      setColumns(ps, 1, d);
      ps.setLong(14, d.generation());
      ps.setLong(15, d.reported().upstreamPending());
      ps.setLong(16, d.reported().upstreamExpired());
      ps.setString(17, d.name());
      ps.executeUpdate();
    }
    for (String table : List.of("connected_registry_repositories",
        "connected_registry_client_tokens")) {
      try (PreparedStatement ps = c.prepareStatement(
          "DELETE FROM " + table + " WHERE registry = ?")) {
        ps.setString(1, d.name());
        ps.executeUpdate();
      }
    }
    writeLists(c, d);
  }

  static void delete(Connection c, String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "DELETE FROM connected_registries WHERE name = ?")) {
      ps.setString(1, name);
      ps.executeUpdate();
    }
  }

  /** The 13 columns from sync_schedule to login_server, from {@code first} on. */
  private static void setColumns(PreparedStatement ps, int first, ConnectedRegistryDefinition d)
      throws SQLException {
    int i = first;
    ps.setString(i++, d.sync().schedule());
    ps.setString(i++, d.sync().window() == null ? null : d.sync().window().toString());
    ps.setString(i++, d.sync().messageTtl().toString());
    ps.setString(i++, d.logLevel().name());
    ps.setInt(i++, d.garbageCollection().enabled() ? 1 : 0);
    ps.setString(i++, d.garbageCollection().schedule());
    Reported r = d.reported();
    ps.setString(i++, r.activation().name());
    ps.setString(i++, r.connectionState().name());
    setInstant(ps, i++, r.lastActivityTime());
    setInstant(ps, i++, r.lastSyncTime());
    ps.setString(i++, r.version());
    ps.setString(i++, detailsJson(r.statusDetails()));
    ps.setString(i, r.loginServer());
  }

  private static void writeLists(Connection c, ConnectedRegistryDefinition d) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO connected_registry_repositories"
        + "(registry, position, pattern) VALUES (?, ?, ?)")) {
      int position = 0;
      for (RepositoryPattern r : d.repositories()) {
        ps.setString(1, d.name());
        ps.setInt(2, position++);
        ps.setString(3, r.value());
        ps.addBatch();
      }
      ps.executeBatch();
    }
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO connected_registry_client_tokens"
        + "(registry, token) VALUES (?, ?)")) {
      for (String token : d.clientTokens()) {
        ps.setString(1, d.name());
        ps.setString(2, token);
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  private static List<RepositoryPattern> repositories(Connection c, String name)
      throws SQLException {
    return SqliteDatabase.strings(c, "SELECT pattern FROM connected_registry_repositories WHERE registry = ?"
        + " ORDER BY position", name).stream().map(RepositoryPattern::of).toList();
  }

  private static List<String> clientTokens(Connection c, String name) throws SQLException {
    return SqliteDatabase.strings(c, "SELECT token FROM connected_registry_client_tokens WHERE registry = ?"
        + " ORDER BY token", name);
  }

  private static Instant instant(ResultSet rs, int column) throws SQLException {
    long millis = rs.getLong(column);
    return rs.wasNull() ? null : Instant.ofEpochMilli(millis);
  }

  private static void setInstant(PreparedStatement ps, int column, Instant value)
      throws SQLException {
    if (value == null) {
      ps.setNull(column, Types.INTEGER);
    } else {
      ps.setLong(column, value.toEpochMilli());
    }
  }

  private static String detailsJson(List<StatusDetail> details) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (StatusDetail d : details) {
      out.add(Views.detail(d));
    }
    try {
      return Mapper.JSON.writeValueAsString(out);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<StatusDetail> details(String json) {
    try {
      List<Map<String, String>> raw = Mapper.JSON.readValue(json, new TypeReference<>() {});
      List<StatusDetail> out = new ArrayList<>();
      for (Map<String, String> m : raw) {
        out.add(new StatusDetail(m.get("type"), m.get("code"), m.get("description"),
            Instant.parse(m.get("timestamp")), m.get("correlationId")));
      }
      return out;
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("statusDetails in auth.db are not JSON: " + e.getMessage());
    }
  }
}
