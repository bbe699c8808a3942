package io.connectedregistry.control;

import io.connectedregistry.auth.AuthStore.Tx;
import io.connectedregistry.auth.AuthStoreException;
import io.connectedregistry.auth.RepositoryPattern;
import io.connectedregistry.auth.ScopeMap;
import io.connectedregistry.control.ControlException.Kind;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Walking and editing the tree of definitions inside one auth-store transaction: ancestors,
 * descendants, a repository added up or removed down (definition and sync scope map together),
 * and the generations that tell instances their subtree moved.
 */
final class Tree {

  private Tree() {}

  static ConnectedRegistryDefinition require(Tx tx, String name) throws SQLException {
    return DefinitionTable.load(tx.connection(), name).orElseThrow(() -> new ControlException(
        Kind.NOT_FOUND, "connected registry '" + name + "' does not exist"));
  }

  /** {@code from} and its ancestors up to the root's child, nearest first. */
  static List<ConnectedRegistryDefinition> ancestors(Tx tx, ConnectedRegistryDefinition from)
      throws SQLException {
    List<ConnectedRegistryDefinition> chain = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    ConnectedRegistryDefinition at = from;
    while (at != null) {
      if (!seen.add(at.name())) {
        // Parents are fixed at creation and must exist then, so this cannot happen unless the
        // database was edited by hand.
        throw new IllegalStateException("the parents of connected registry '" + from.name()
            + "' form a cycle: " + String.join(" -> ", seen) + " -> " + at.name());
      }
      chain.add(at);
      at = at.parent() == null ? null : require(tx, at.parent());
    }
    return chain;
  }

  static void collectDescendants(Tx tx, String name, List<ConnectedRegistryDefinition> out,
      Map<String, ConnectedRegistryDefinition> changed) throws SQLException {
    for (String child : DefinitionTable.children(tx.connection(), name)) {
      out.add(changed.getOrDefault(child, require(tx, child)));
      collectDescendants(tx, child, out, changed);
    }
  }

  /**
   * A new generation for {@code from} and each ancestor above it not in {@code touched} (which
   * grows): their instances serve this subtree to their children, so they must see it moved.
   */
  static void touchAncestors(Tx tx, String from, Set<String> touched) throws SQLException {
    Set<String> seen = new LinkedHashSet<>();
    for (String at = from; at != null && seen.add(at); ) { // seen: never loop on a bad database
      ConnectedRegistryDefinition d = require(tx, at);
      if (touched.add(at)) {
        DefinitionTable.update(tx.connection(), d.touched());
      }
      at = d.parent();
    }
  }

  /** Adds {@code r} unless covered already; returns {@code d} itself when unchanged. */
  static ConnectedRegistryDefinition addRepository(Tx tx, ConnectedRegistryDefinition d,
      RepositoryPattern r) throws SQLException {
    if (d.repositories().stream().anyMatch(p -> SyncScopeMaps.covers(p, r))) {
      return d;
    }
    List<RepositoryPattern> repositories = new ArrayList<>(d.repositories());
    repositories.add(r);
    ConnectedRegistryDefinition next = d.withRepositories(repositories);
    DefinitionTable.update(tx.connection(), next);
    updateSyncMap(tx, next, SyncScopeMaps.withRepository(requireSyncMap(tx, next), r, d.mode()));
    return next;
  }

  static ConnectedRegistryDefinition removeRepository(Tx tx,
      ConnectedRegistryDefinition d, RepositoryPattern r) throws SQLException {
    List<RepositoryPattern> kept = d.repositories().stream()
        .filter(p -> !SyncScopeMaps.covers(r, p)).toList();
    if (kept.size() == d.repositories().size()) {
      return d;
    }
    ConnectedRegistryDefinition next = d.withRepositories(kept);
    DefinitionTable.update(tx.connection(), next);
    updateSyncMap(tx, next, SyncScopeMaps.withoutRepositories(requireSyncMap(tx, next),
        p -> SyncScopeMaps.covers(r, p)));
    return next;
  }

  static ScopeMap requireSyncMap(Tx tx, ConnectedRegistryDefinition d)
      throws SQLException {
    return tx.scopeMap(d.syncScopeMapName()).orElseThrow(() -> new ControlException(
        Kind.NOT_FOUND, "the sync scope map '" + d.syncScopeMapName() + "' of connected registry '"
            + d.name() + "' does not exist; recreate it with 'scope-map create'"));
  }

  static void updateSyncMap(Tx tx, ConnectedRegistryDefinition d, ScopeMap map)
      throws SQLException {
    try {
      tx.updateScopeMap(map);
    } catch (AuthStoreException e) {
      if (e.kind() == AuthStoreException.Kind.LIMIT_EXCEEDED) {
        throw new ControlException(Kind.LIMIT_EXCEEDED, "the sync scope map of connected registry '"
            + d.name() + "' would exceed a limit: " + e.getMessage());
      }
      throw e;
    }
  }
}
