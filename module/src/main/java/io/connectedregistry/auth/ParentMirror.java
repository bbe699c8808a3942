package io.connectedregistry.auth;

import io.connectedregistry.sqlite.SqliteDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The tokens and scope maps a connected registry's parent owns, mirrored into {@code auth.db} so
 * clients and children log in while the parent is offline: the client tokens (password hashes
 * only, never passwords) and the sync tokens of the registry's descendants.
 *
 * <p>The mirrored set is replaced whole in one transaction at each fetch: what the parent dropped
 * goes, what it changed is rewritten, so a disabled or deleted token stops working here as soon as
 * the registry has heard of it. A token or scope map created locally is kept, unless the parent
 * owns one of the same name: then the parent's wins. Once a mirror is installed the registry's
 * own {@code token} and {@code scope-map} commands refuse to change anything
 * ({@link #owner}).
 */
public final class ParentMirror {

  /** Bounds on what a parent may hand down: it is outside input like any other. */
  public static final int MAX_TOKENS = 1_000;
  public static final int MAX_SCOPE_MAPS = 1_000;
  /** A hostile parent must not make each login cost minutes of PBKDF2. */
  public static final int MAX_ITERATIONS = 10 * PasswordHasher.DEFAULT_ITERATIONS;

  /**
   * @param registry this registry's name in its parent's tree
   * @param parent the parent's address, for the message of refused local commands
   */
  public record Contents(String registry, String parent, List<ScopeMap> scopeMaps, List<Token> tokens) {
    public Contents {
      scopeMaps = List.copyOf(scopeMaps);
      tokens = List.copyOf(tokens);
      if (tokens.size() > MAX_TOKENS || scopeMaps.size() > MAX_SCOPE_MAPS) {
        throw new IllegalArgumentException("the parent sent " + tokens.size() + " tokens and "
            + scopeMaps.size() + " scope maps; at most " + MAX_TOKENS + " and " + MAX_SCOPE_MAPS
            + " are taken");
      }
      Set<String> maps = new LinkedHashSet<>();
      for (ScopeMap m : scopeMaps) {
        if (!maps.add(m.name())) {
          throw new IllegalArgumentException("the parent sent scope map '" + m.name() + "' twice");
        }
      }
      Set<String> names = new LinkedHashSet<>();
      for (Token t : tokens) {
        if (!names.add(t.name())) {
          throw new IllegalArgumentException("the parent sent token '" + t.name() + "' twice");
        }
        if (!maps.contains(t.scopeMapName())) {
          throw new IllegalArgumentException("the parent sent token '" + t.name()
              + "' without its scope map '" + t.scopeMapName() + "'");
        }
        for (TokenPassword p : t.passwords()) {
          if (p.hash().iterations() > MAX_ITERATIONS) {
            throw new IllegalArgumentException("the parent sent a password hash of token '"
                + t.name() + "' with " + p.hash().iterations() + " iterations; at most "
                + MAX_ITERATIONS + " are taken");
          }
        }
      }
    }
  }

  private ParentMirror() {}

  /** Replaces the mirrored set with {@code set}, all or nothing. */
  public static void install(AuthStore store, Contents set, Clock clock) {
    store.inTransaction(tx -> {
      Connection c = tx.connection();
      List<String> oldTokens = names(c, "token");
      List<String> oldMaps = names(c, "scope_map");
      Set<String> tokens = new LinkedHashSet<>(oldTokens);
      set.tokens().forEach(t -> tokens.add(t.name()));
      for (String t : tokens) {
        execute(c, "DELETE FROM token_passwords WHERE token = ?", t);
        execute(c, "DELETE FROM tokens WHERE name = ?", t);
      }
      Set<String> maps = new LinkedHashSet<>(oldMaps);
      set.scopeMaps().forEach(m -> maps.add(m.name()));
      for (String m : maps) {
        List<String> users = SqliteDatabase.strings(c,
            "SELECT name FROM tokens WHERE scope_map = ?", m);
        if (!users.isEmpty()) {
          throw new AuthStoreException(AuthStoreException.Kind.IN_USE, "scope map '" + m
              + "' of the parent is used by local token(s) " + String.join(", ", users)
              + "; delete them to take the parent's tokens");
        }
        execute(c, "DELETE FROM scope_map_rules WHERE scope_map = ?", m);
        execute(c, "DELETE FROM scope_maps WHERE name = ?", m);
      }
      execute(c, "DELETE FROM mirrored");
      long now = clock.millis();
      for (ScopeMap m : set.scopeMaps()) {
        try (PreparedStatement ps = c.prepareStatement(
            "INSERT INTO scope_maps(name, description, created) VALUES (?, ?, ?)")) {
          ps.setString(1, m.name());
          ps.setString(2, m.description());
          ps.setLong(3, now);
          ps.executeUpdate();
        }
        AuthStore.insertRules(c, m);
        execute(c, "INSERT INTO mirrored(kind, name) VALUES ('scope_map', ?)", m.name());
      }
      for (Token t : set.tokens()) {
        try (PreparedStatement ps = c.prepareStatement(
            "INSERT INTO tokens(name, scope_map, status, created) VALUES (?, ?, ?, ?)")) {
          ps.setString(1, t.name());
          ps.setString(2, t.scopeMapName());
          ps.setString(3, t.status().name());
          ps.setLong(4, t.created().toEpochMilli());
          ps.executeUpdate();
        }
        for (TokenPassword p : t.passwords()) {
          try (PreparedStatement ps = c.prepareStatement("INSERT INTO token_passwords(token, slot,"
              + " hash, created, expires) VALUES (?, ?, ?, ?, ?)")) {
            ps.setString(1, t.name());
            ps.setInt(2, p.slot().number());
            ps.setString(3, p.hash().encoded());
            ps.setLong(4, p.created().toEpochMilli());
            if (p.expires().isPresent()) {
              ps.setLong(5, p.expires().get().toEpochMilli());
            } else {
              ps.setNull(5, java.sql.Types.INTEGER);
            }
            ps.executeUpdate();
          }
        }
        execute(c, "INSERT INTO mirrored(kind, name) VALUES ('token', ?)", t.name());
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT OR REPLACE INTO mirror_owner(id,"
          + " registry, parent, updated) VALUES (1, ?, ?, ?)")) {
        ps.setString(1, set.registry());
        ps.setString(2, set.parent());
        ps.setLong(3, now);
        ps.executeUpdate();
      }
      return null;
    });
  }

  /**
   * Who owns this registry's tokens, when a parent does: "connected registry 'line3', whose
   * tokens are managed at its parent http://..."; empty on a registry that manages its own.
   */
  public static Optional<String> owner(AuthStore store) {
    return store.reading(tx -> {
      try (PreparedStatement ps = tx.connection().prepareStatement(
          "SELECT registry, parent FROM mirror_owner WHERE id = 1");
          ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of("this registry is connected registry '" + rs.getString(1)
            + "', whose tokens and scope maps are managed at the root of its tree (through its"
            + " parent " + rs.getString(2) + "); change them there ('token ...' and 'cr update"
            + " --name " + rs.getString(1) + " --add-client-tokens ...' at the root)")
            : Optional.<String>empty();
      }
    });
  }

  private static List<String> names(Connection c, String kind) throws SQLException {
    return SqliteDatabase.strings(c, "SELECT name FROM mirrored WHERE kind = ? ORDER BY name",
        kind);
  }

  private static void execute(Connection c, String sql, String... args) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setString(i + 1, args[i]);
      }
      ps.executeUpdate();
    }
  }

  /** Small query helpers shared with the store. */}
