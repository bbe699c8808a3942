package io.connectedregistry.control;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;

/**
 * Which instance holds each connected registry's activation ({@code connected_registry_instances},
 * auth store migration 3). Kept after {@code deactivate}, marked: that instance is not let back in
 * by itself, a new one (a new data folder) is.
 */
final class InstanceTable {

  record Instance(String instanceId, Instant since, boolean deactivated) {}

  private InstanceTable() {}

  static Optional<Instance> load(Connection c, String registry) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT instance_id, since, deactivated FROM"
        + " connected_registry_instances WHERE registry = ?")) {
      ps.setString(1, registry);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(new Instance(rs.getString(1),
            Instant.ofEpochMilli(rs.getLong(2)), rs.getInt(3) != 0)) : Optional.empty();
      }
    }
  }

  static void save(Connection c, String registry, Instance instance) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT OR REPLACE INTO"
        + " connected_registry_instances(registry, instance_id, since, deactivated)"
        + " VALUES (?, ?, ?, ?)")) {
      ps.setString(1, registry);
      ps.setString(2, instance.instanceId());
      ps.setLong(3, instance.since().toEpochMilli());
      ps.setInt(4, instance.deactivated() ? 1 : 0);
      ps.executeUpdate();
    }
  }
}
