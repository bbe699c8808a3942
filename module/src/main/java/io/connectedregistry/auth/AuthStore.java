package io.connectedregistry.auth;

import io.connectedregistry.auth.AuthStoreException.Kind;
import io.connectedregistry.config.RegistryConfig.Mode;
import io.connectedregistry.sqlite.Migration;
import io.connectedregistry.sqlite.SqliteDatabase;
import io.connectedregistry.sqlite.SqliteDatabase.Access;
import io.connectedregistry.sqlite.SqliteDatabase.Settings;
import io.connectedregistry.sqlite.SqliteDatabase.Work;
import io.connectedregistry.storage.PrivateFiles;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Tokens and scope maps in {@code DATA/auth.db}.
 *
 * <p>A file of its own, not tables in {@code metadata.db}: the registry holds an exclusive lock
 * on its storage, but the CLI must be able to edit tokens of a running registry. SQLite's own
 * locking (WAL, busy_timeout) serialises the two processes, and {@link #dataVersion()} lets the
 * server notice the change and drop its credential cache.
 *
 * <p>All methods block on disk and some hash passwords: call them from a worker, never from an
 * event loop. The file is a {@link SqliteDatabase} with one writer and one reader connection: the
 * store is small and rarely written, and readers on the request path should go through the HTTP
 * layer's cache.
 */
public final class AuthStore implements AutoCloseable {

  public static final String FILE_NAME = "auth.db";

  /**
   * Version 1 is the schema of release 0.1.0, which had no version number: written with
   * {@code IF NOT EXISTS}, it adopts such a database's tables as they are.
   */
  private static final List<Migration> MIGRATIONS = List.of(
      Migration.of(1, "scope maps, tokens, password hashes, data version", List.of(
          "CREATE TABLE IF NOT EXISTS scope_maps("
              + " name TEXT PRIMARY KEY, description TEXT NOT NULL, created INTEGER NOT NULL)",
          // position keeps the rules in the order the operator wrote them.
          "CREATE TABLE IF NOT EXISTS scope_map_rules("
              + " scope_map TEXT NOT NULL REFERENCES scope_maps(name) ON DELETE CASCADE,"
              + " position INTEGER NOT NULL, pattern TEXT NOT NULL, actions TEXT NOT NULL,"
              + " PRIMARY KEY(scope_map, position))",
          "CREATE TABLE IF NOT EXISTS tokens("
              + " name TEXT PRIMARY KEY, scope_map TEXT NOT NULL REFERENCES scope_maps(name),"
              + " status TEXT NOT NULL, created INTEGER NOT NULL)",
          "CREATE TABLE IF NOT EXISTS token_passwords("
              + " token TEXT NOT NULL REFERENCES tokens(name) ON DELETE CASCADE,"
              + " slot INTEGER NOT NULL CHECK(slot IN (1, 2)), hash TEXT NOT NULL,"
              + " created INTEGER NOT NULL, expires INTEGER, PRIMARY KEY(token, slot))",
          // A counter bumped by every write transaction, whichever process made it. PRAGMA
          // data_version would only report other connections' writes; this one also counts our own.
          "CREATE TABLE IF NOT EXISTS data_version(id INTEGER PRIMARY KEY CHECK(id = 1),"
              + " version INTEGER NOT NULL)",
          "INSERT OR IGNORE INTO data_version(id, version) VALUES (1, 0)")),
      // The root's definitions of its connected registries (package control). Here, in auth.db,
      // because a definition, its sync token and its scope map change in one transaction.
      Migration.of(2, "connected registry definitions, their repositories and client tokens", List.of(
          "CREATE TABLE connected_registries("
              + " name TEXT PRIMARY KEY,"
              // null: a child of the root (this registry)
              + " parent TEXT REFERENCES connected_registries(name),"
              + " mode TEXT NOT NULL, sync_token TEXT NOT NULL,"
              + " sync_schedule TEXT NOT NULL, sync_window TEXT, sync_message_ttl TEXT NOT NULL,"
              + " log_level TEXT NOT NULL, gc_enabled INTEGER NOT NULL, gc_schedule TEXT NOT NULL,"
              // reported by the instance (read-only to the operator), except activation, which
              // deactivate sets too
              + " activation TEXT NOT NULL, connection_state TEXT NOT NULL,"
              + " last_activity INTEGER, last_sync INTEGER, version TEXT,"
              + " status_details TEXT NOT NULL, login_server TEXT,"
              // generation: bumped by every change of the definition, the instance's ETag
              + " created INTEGER NOT NULL, generation INTEGER NOT NULL)",
          "CREATE TABLE connected_registry_repositories("
              + " registry TEXT NOT NULL REFERENCES connected_registries(name) ON DELETE CASCADE,"
              + " position INTEGER NOT NULL, pattern TEXT NOT NULL,"
              + " PRIMARY KEY(registry, position))",
          "CREATE TABLE connected_registry_client_tokens("
              + " registry TEXT NOT NULL REFERENCES connected_registries(name) ON DELETE CASCADE,"
              + " token TEXT NOT NULL REFERENCES tokens(name),"
              + " PRIMARY KEY(registry, token))")),
      // Activation at the root (control.ControlPlane), and at a connected registry the tokens and
      // scope maps its parent owns (ParentMirror): replaced whole at each fetch, never edited here.
      Migration.of(3, "instances of connected registries, tokens mirrored from the parent", List.of(
          "CREATE TABLE connected_registry_instances("
              + " registry TEXT PRIMARY KEY REFERENCES connected_registries(name) ON DELETE CASCADE,"
              + " instance_id TEXT NOT NULL, since INTEGER NOT NULL, deactivated INTEGER NOT NULL)",
          "CREATE TABLE mirrored(kind TEXT NOT NULL CHECK(kind IN ('token', 'scope_map')),"
              + " name TEXT NOT NULL, PRIMARY KEY(kind, name))",
          // what the instance last reported of its upstream queue (pushes waiting to go up)
          "ALTER TABLE connected_registries ADD COLUMN upstream_pending INTEGER NOT NULL DEFAULT 0",
          "ALTER TABLE connected_registries ADD COLUMN upstream_expired INTEGER NOT NULL DEFAULT 0",
          "CREATE TABLE mirror_owner(id INTEGER PRIMARY KEY CHECK(id = 1),"
              + " registry TEXT NOT NULL, parent TEXT NOT NULL, updated INTEGER NOT NULL)")));

  private final SqliteDatabase database;
  /** Live ({@code mode}): read once per decision. */
  private volatile Mode mode;
  private final Limits limits;
  private final PasswordHasher hasher;
  private final Clock clock;

  private AuthStore(SqliteDatabase database, Mode mode, Limits limits, PasswordHasher hasher,
      Clock clock) {
    this.database = database;
    this.mode = mode;
    this.limits = limits;
    this.hasher = hasher;
    this.clock = clock;
  }

  public static AuthStore open(Path dataDirectory, Mode mode) {
    return open(dataDirectory, mode, Limits.DEFAULTS, new PasswordHasher(), Clock.systemUTC());
  }

  public static AuthStore open(Path dataDirectory, Mode mode, Limits limits,
      PasswordHasher hasher, Clock clock) {
    Path file = dataDirectory.resolve(FILE_NAME);
    PrivateFiles.database(file);
    // One reader: the server's once-a-second dataVersion() poll and its logins read while the CLI
    // (or the admin API) holds the write lock, instead of queueing behind it.
    SqliteDatabase database = SqliteDatabase.open(file, MIGRATIONS, Settings.readers(1), AuthStore::failure);
    return new AuthStore(database, mode, limits, hasher, clock);
  }

  private static RuntimeException failure(Access access, Exception e) {
    return new AuthStoreException(Kind.STORAGE, switch (access) {
      case OPEN -> e.getMessage();
      case READ -> "auth store read failed: " + e.getMessage();
      case WRITE -> "auth store write failed: " + e.getMessage();
    }, e);
  }

  public Mode mode() {
    return mode;
  }

  /**
   * Switches ReadOnly/ReadWrite in a running registry. Scope maps that already grant writes stay
   * as they are: in ReadOnly mode no write reaches them (the API refuses writes before auth).
   */
  public void setMode(Mode mode) {
    this.mode = mode;
  }

  public Limits limits() {
    return limits;
  }

  /**
   * Changes whenever any process commits a change to tokens or scope maps. Cheap: a server can
   * poll it and drop cached credentials when it moves.
   */
  public long dataVersion() {
    return read(c -> {
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT version FROM data_version WHERE id = 1")) {
        rs.next();
        return rs.getLong(1);
      }
    });
  }

  // ---- transactions ----

  /** Work done with a {@link Tx}: several changes that commit together or not at all. */
  @FunctionalInterface
  public interface Transaction<T> {
    T run(Tx tx) throws Exception;
  }

  /**
   * Runs {@code work} in one write transaction: every change made through the {@link Tx} (and
   * through its {@link Tx#connection()}, for tables of this database that other packages own)
   * commits together, or nothing does when it throws. Bumps {@link #dataVersion()}. This is how
   * the control package creates a connected registry with its sync token and scope map.
   */
  public <T> T inTransaction(Transaction<T> work) {
    return write(c -> work.run(new Tx(c)));
  }

  /** Runs {@code work} on a read connection (a {@link Tx} whose changes would be refused). */
  public <T> T reading(Transaction<T> work) {
    return read(c -> work.run(new Tx(c)));
  }

  /**
   * The store's operations on one connection, inside a transaction of {@link #inTransaction} or
   * {@link #reading}. The same checks and limits as the store's own methods, which are these run
   * one per transaction. Valid only during the transaction that handed it out.
   */
  public final class Tx {
    private final Connection c;

    private Tx(Connection c) {
      this.c = c;
    }

    /** For tables of {@code auth.db} the control package owns (migration 2). */
    public Connection connection() {
      return c;
    }

    public Mode mode() {
      return mode;
    }

    public ScopeMap createScopeMap(ScopeMap map) throws SQLException {
      checkDefinable(map);
      if (scopeMapExists(c, map.name())) {
        throw new AuthStoreException(Kind.ALREADY_EXISTS,
            "scope map '" + map.name() + "' already exists");
      }
      if (count(c, "SELECT COUNT(*) FROM scope_maps") >= limits.maxScopeMaps()) {
        throw new AuthStoreException(Kind.LIMIT_EXCEEDED, "this registry already has "
            + limits.maxScopeMaps() + " scope maps, the maximum; delete one first");
      }
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO scope_maps(name, description, created) VALUES (?, ?, ?)")) {
        ps.setString(1, map.name());
        ps.setString(2, map.description());
        ps.setLong(3, clock.millis());
        ps.executeUpdate();
      }
      insertRules(c, map);
      return map;
    }

    public ScopeMap updateScopeMap(ScopeMap map) throws SQLException {
      checkDefinable(map);
      requireScopeMap(c, map.name());
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE scope_maps SET description = ? WHERE name = ?")) {
        ps.setString(1, map.description());
        ps.setString(2, map.name());
        ps.executeUpdate();
      }
      try (PreparedStatement ps = c.prepareStatement(
          "DELETE FROM scope_map_rules WHERE scope_map = ?")) {
        ps.setString(1, map.name());
        ps.executeUpdate();
      }
      insertRules(c, map);
      return map;
    }

    public void deleteScopeMap(String name) throws SQLException {
      requireScopeMap(c, name);
      List<String> users = SqliteDatabase.strings(c, "SELECT name FROM tokens WHERE scope_map = ? ORDER BY name",
          name);
      if (!users.isEmpty()) {
        throw new AuthStoreException(Kind.IN_USE, "scope map '" + name
            + "' is used by token(s) " + String.join(", ", users)
            + "; delete them or give them another scope map first");
      }
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM scope_maps WHERE name = ?")) {
        ps.setString(1, name);
        ps.executeUpdate();
      }
    }

    public Optional<ScopeMap> scopeMap(String name) throws SQLException {
      return loadScopeMap(c, name);
    }

    public Token createToken(String name, String scopeMapName, TokenStatus status)
        throws SQLException {
      Names.check("token", name);
      Names.check("scope map", scopeMapName);
      if (tokenExists(c, name)) {
        throw new AuthStoreException(Kind.ALREADY_EXISTS, "token '" + name + "' already exists");
      }
      if (count(c, "SELECT COUNT(*) FROM tokens") >= limits.maxTokens()) {
        throw new AuthStoreException(Kind.LIMIT_EXCEEDED, limits.connectedRegistry()
            ? "this connected registry already has " + limits.maxTokens() + " client tokens, the"
                + " maximum for a connected registry (auth.limits.maxClientTokens, at most "
                + Limits.MAX_CLIENT_TOKENS + "); delete one first"
            : "this registry already has " + limits.maxTokens() + " tokens, the maximum; delete"
                + " one first");
      }
      requireScopeMap(c, scopeMapName);
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO tokens(name, scope_map, status, created) VALUES (?, ?, ?, ?)")) {
        ps.setString(1, name);
        ps.setString(2, scopeMapName);
        ps.setString(3, status.name());
        ps.setLong(4, clock.millis());
        ps.executeUpdate();
      }
      return loadToken(c, name).orElseThrow();
    }

    public Token setScopeMap(String tokenName, String scopeMapName) throws SQLException {
      requireToken(c, tokenName);
      requireScopeMap(c, scopeMapName);
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE tokens SET scope_map = ? WHERE name = ?")) {
        ps.setString(1, scopeMapName);
        ps.setString(2, tokenName);
        ps.executeUpdate();
      }
      return loadToken(c, tokenName).orElseThrow();
    }

    public Token setStatus(String tokenName, TokenStatus status) throws SQLException {
      requireToken(c, tokenName);
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE tokens SET status = ? WHERE name = ?")) {
        ps.setString(1, status.name());
        ps.setString(2, tokenName);
        ps.executeUpdate();
      }
      return loadToken(c, tokenName).orElseThrow();
    }

    /**
     * Refused while a connected registry uses the token (as its sync token or a client token):
     * the registry would lose it without anyone having said so.
     */
    public void deleteToken(String name) throws SQLException {
      requireToken(c, name);
      checkNotUsedByConnectedRegistry(name);
      deleteTokenRow(name);
    }

    /** For the control package deleting a connected registry with its sync token. */
    public void deleteSyncToken(String name) throws SQLException {
      requireToken(c, name);
      deleteTokenRow(name);
    }

    /** Its passwords go with it (ON DELETE CASCADE). */
    private void deleteTokenRow(String name) throws SQLException {
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM tokens WHERE name = ?")) {
        ps.setString(1, name);
        ps.executeUpdate();
      }
    }

    private void checkNotUsedByConnectedRegistry(String name) throws SQLException {
      List<String> syncOf = SqliteDatabase.strings(c,
          "SELECT name FROM connected_registries WHERE sync_token = ? ORDER BY name", name);
      if (!syncOf.isEmpty()) {
        throw new AuthStoreException(Kind.IN_USE, "token '" + name + "' is the sync token of"
            + " connected registry '" + syncOf.get(0) + "'; it goes with the connected registry"
            + " (cr delete --name " + syncOf.get(0) + " --cleanup)");
      }
      List<String> clientOf = SqliteDatabase.strings(c, "SELECT registry FROM connected_registry_client_tokens"
          + " WHERE token = ? ORDER BY registry", name);
      if (!clientOf.isEmpty()) {
        throw new AuthStoreException(Kind.IN_USE, "token '" + name + "' is a client token of"
            + " connected registry(ies) " + String.join(", ", clientOf) + "; remove it there"
            + " first (cr update --name " + clientOf.get(0) + " --remove-client-tokens " + name
            + ")");
      }
    }

    public Optional<Token> token(String name) throws SQLException {
      return loadToken(c, name);
    }
  }

  // ---- scope maps ----

  public ScopeMap createScopeMap(ScopeMap map) {
    return inTransaction(tx -> tx.createScopeMap(map));
  }

  /** Replaces description and rules. Tokens using the map get the new rules on their next login. */
  public ScopeMap updateScopeMap(ScopeMap map) {
    return inTransaction(tx -> tx.updateScopeMap(map));
  }

  /** Refused while a token uses the map: deleting it would silently lock those clients out. */
  public void deleteScopeMap(String name) {
    inTransaction(tx -> {
      tx.deleteScopeMap(name);
      return null;
    });
  }

  public Optional<ScopeMap> scopeMap(String name) {
    return read(c -> loadScopeMap(c, name));
  }

  public List<ScopeMap> scopeMaps() {
    return read(c -> {
      List<ScopeMap> maps = new ArrayList<>();
      for (String n : SqliteDatabase.strings(c, "SELECT name FROM scope_maps ORDER BY name")) {
        loadScopeMap(c, n).ifPresent(maps::add);
      }
      return maps;
    });
  }

  private void checkDefinable(ScopeMap map) {
    if (map.rules().size() > limits.maxRulesPerScopeMap()) {
      throw new AuthStoreException(Kind.LIMIT_EXCEEDED, "scope map '" + map.name() + "' has "
          + map.rules().size() + " rules; the maximum is " + limits.maxRulesPerScopeMap());
    }
    if (mode == Mode.ReadOnly && map.grantsWrite()) {
      throw new AuthStoreException(Kind.NOT_ALLOWED_IN_MODE, "scope map '" + map.name()
          + "' grants write or delete actions, but this registry is ReadOnly: a ReadOnly"
          + " registry's client tokens hold read actions only (content/read, metadata/read)");
    }
  }

  static void insertRules(Connection c, ScopeMap map) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO scope_map_rules(scope_map, position, pattern, actions) VALUES (?, ?, ?, ?)")) {
      int position = 0;
      for (ScopeMapRule rule : map.rules()) {
        ps.setString(1, map.name());
        ps.setInt(2, position++);
        ps.setString(3, rule.pattern().value());
        ps.setString(4, String.join(" ",
            EnumSet.copyOf(rule.actions()).stream().map(Action::wireName).toList()));
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  private static Optional<ScopeMap> loadScopeMap(Connection c, String name) throws SQLException {
    String description;
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT description FROM scope_maps WHERE name = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        description = rs.getString(1);
      }
    }
    List<ScopeMapRule> rules = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT pattern, actions FROM scope_map_rules WHERE scope_map = ? ORDER BY position")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Set<Action> actions = EnumSet.noneOf(Action.class);
          for (String a : rs.getString(2).split(" ")) {
            actions.add(Action.parse(a));
          }
          rules.add(new ScopeMapRule(RepositoryPattern.of(rs.getString(1)), actions));
        }
      }
    }
    return Optional.of(new ScopeMap(name, description, rules));
  }

  // ---- tokens ----

  /** Creates a token without passwords; follow with {@link #generatePassword}. */
  public Token createToken(String name, String scopeMapName, TokenStatus status) {
    return inTransaction(tx -> tx.createToken(name, scopeMapName, status));
  }

  /** Points the token at another scope map. */
  public Token setScopeMap(String tokenName, String scopeMapName) {
    return inTransaction(tx -> tx.setScopeMap(tokenName, scopeMapName));
  }

  public Token setStatus(String tokenName, TokenStatus status) {
    return inTransaction(tx -> tx.setStatus(tokenName, status));
  }

  public Token enable(String tokenName) {
    return setStatus(tokenName, TokenStatus.ENABLED);
  }

  public Token disable(String tokenName) {
    return setStatus(tokenName, TokenStatus.DISABLED);
  }

  /** Refused while a connected registry uses the token (see {@link Tx#deleteToken}). */
  public void deleteToken(String name) {
    inTransaction(tx -> {
      tx.deleteToken(name);
      return null;
    });
  }

  public Optional<Token> token(String name) {
    return read(c -> loadToken(c, name));
  }

  public List<Token> tokens() {
    return read(c -> {
      List<Token> tokens = new ArrayList<>();
      for (String n : SqliteDatabase.strings(c, "SELECT name FROM tokens ORDER BY name")) {
        loadToken(c, n).ifPresent(tokens::add);
      }
      return tokens;
    });
  }

  // ---- passwords ----

  /**
   * Generates a new password for the slot, replacing any password there. The plaintext is in the
   * result and nowhere else: only its hash is stored.
   */
  public GeneratedPassword generatePassword(String tokenName, PasswordSlot slot,
      Optional<Instant> expires) {
    String password = hasher.generatePassword();
    setPassword(tokenName, slot, password, expires);
    return new GeneratedPassword(tokenName, slot, password, expires);
  }

  /** Stores the hash of an operator-chosen password. Hashing runs outside the store's lock. */
  public void setPassword(String tokenName, PasswordSlot slot, String password,
      Optional<Instant> expires) {
    if (password == null || password.isEmpty()) {
      throw new IllegalArgumentException("password must not be empty");
    }
    PasswordHash hash = hasher.hash(password);
    write(c -> {
      requireToken(c, tokenName);
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT OR REPLACE INTO token_passwords(token, slot, hash, created, expires)"
              + " VALUES (?, ?, ?, ?, ?)")) {
        ps.setString(1, tokenName);
        ps.setInt(2, slot.number());
        ps.setString(3, hash.encoded());
        ps.setLong(4, clock.millis());
        if (expires.isPresent()) {
          ps.setLong(5, expires.get().toEpochMilli());
        } else {
          ps.setNull(5, java.sql.Types.INTEGER);
        }
        ps.executeUpdate();
      }
      return null;
    });
  }

  public void deletePassword(String tokenName, PasswordSlot slot) {
    write(c -> {
      requireToken(c, tokenName);
      try (PreparedStatement ps = c.prepareStatement(
          "DELETE FROM token_passwords WHERE token = ? AND slot = ?")) {
        ps.setString(1, tokenName);
        ps.setInt(2, slot.number());
        ps.executeUpdate();
      }
      return null;
    });
  }

  private static Optional<Token> loadToken(Connection c, String name) throws SQLException {
    String scopeMap;
    TokenStatus status;
    Instant created;
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT scope_map, status, created FROM tokens WHERE name = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        scopeMap = rs.getString(1);
        status = TokenStatus.valueOf(rs.getString(2));
        created = Instant.ofEpochMilli(rs.getLong(3));
      }
    }
    List<TokenPassword> passwords = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT slot, hash, created, expires FROM token_passwords WHERE token = ? ORDER BY slot")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long expires = rs.getLong(4);
          Optional<Instant> expiry =
              rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(expires));
          passwords.add(new TokenPassword(PasswordSlot.of(rs.getInt(1)),
              PasswordHash.parse(rs.getString(2)), Instant.ofEpochMilli(rs.getLong(3)), expiry));
        }
      }
    }
    return Optional.of(new Token(name, scopeMap, status, passwords, created));
  }

  // ---- plumbing ----

  private static boolean scopeMapExists(Connection c, String name) throws SQLException {
    return exists(c, "SELECT 1 FROM scope_maps WHERE name = ?", name);
  }

  private static boolean tokenExists(Connection c, String name) throws SQLException {
    return exists(c, "SELECT 1 FROM tokens WHERE name = ?", name);
  }

  private static void requireScopeMap(Connection c, String name) throws SQLException {
    if (!scopeMapExists(c, name)) {
      throw new AuthStoreException(Kind.NOT_FOUND, "scope map '" + name + "' does not exist");
    }
  }

  private static void requireToken(Connection c, String name) throws SQLException {
    if (!tokenExists(c, name)) {
      throw new AuthStoreException(Kind.NOT_FOUND, "token '" + name + "' does not exist");
    }
  }

  private static boolean exists(Connection c, String sql, String arg) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, arg);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  private static long count(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private <T> T read(Work<T> work) {
    return database.read(work);
  }

  /**
   * One IMMEDIATE transaction per change: the write lock is taken up front, so the limit checks
   * and the insert cannot interleave with the CLI writing from another process. Each bumps
   * {@code data_version}, which is how the server notices.
   */
  private <T> T write(Work<T> work) {
    return database.write(c -> {
      T result = work.run(c);
      try (Statement s = c.createStatement()) {
        s.executeUpdate("UPDATE data_version SET version = version + 1 WHERE id = 1");
      }
      return result;
    });
  }

  @Override
  public void close() {
    database.close();
  }
}
