package io.connectedregistry.sqlite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.sqlite.SqliteDatabase.Access;
import io.connectedregistry.sqlite.SqliteDatabase.Settings;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SQLite helper both stores use: transactions, the writer lock against another process, the
 * reader pool, the settings every connection gets, and schema versions.
 */
class SqliteDatabaseTest {
  @TempDir Path dir;
  private final List<AutoCloseable> toClose = new ArrayList<>();

  private static final Migration V1 = Migration.of(1, "items", List.of(
      "CREATE TABLE IF NOT EXISTS items(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)"));

  /** What the store-specific translation receives: kept whole so tests can look at it. */
  static final class Translated extends RuntimeException {
    final Access access;

    Translated(Access access, Exception cause) {
      super(access + ": " + cause.getMessage(), cause);
      this.access = access;
    }
  }

  private Path file() {
    return dir.resolve("test.db");
  }

  private SqliteDatabase open(List<Migration> migrations, Settings settings) {
    SqliteDatabase db = SqliteDatabase.open(file(), migrations, settings, Translated::new);
    toClose.add(db);
    return db;
  }

  private SqliteDatabase open() {
    return open(List.of(V1), Settings.readers(2));
  }

  /** A plain connection of its own, as another process (the CLI, gc) would have. */
  private Connection other() throws SQLException {
    Connection c = DriverManager.getConnection("jdbc:sqlite:" + file());
    toClose.add(c);
    return c;
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
  }

  private static int count(SqliteDatabase db) {
    return db.read(c -> scalar(c, "SELECT count(*) FROM items"));
  }

  private static int scalar(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getInt(1);
    }
  }

  private static String text(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static Void insert(Connection c, String name) throws SQLException {
    try (var ps = c.prepareStatement("INSERT INTO items(name) VALUES(?)")) {
      ps.setString(1, name);
      ps.executeUpdate();
    }
    return null;
  }

  // ---- transactions ----

  @Test
  void aWriteThatThrowsChangesNothingAndItsExceptionPassesUnchanged() {
    SqliteDatabase db = open();
    db.write(c -> insert(c, "kept"));
    IllegalStateException thrown = new IllegalStateException("refused half-way");

    IllegalStateException e = assertThrows(IllegalStateException.class, () -> db.write(c -> {
      insert(c, "half-way");
      throw thrown;
    }));

    assertSame(thrown, e);
    assertEquals(1, count(db), "the insert before the exception was rolled back");
    db.write(c -> insert(c, "after")); // the writer is usable again: no transaction left open
    assertEquals(2, count(db));
  }

  @Test
  void aCheckedFailureInAWriteRollsBackAndIsTranslatedAsAWriteFailure() {
    SqliteDatabase db = open();
    db.write(c -> insert(c, "taken"));

    Translated e = assertThrows(Translated.class, () -> db.write(c -> {
      insert(c, "first");
      return insert(c, "taken"); // UNIQUE constraint: an SQLException
    }));

    assertEquals(Access.WRITE, e.access);
    assertInstanceOf(SQLException.class, e.getCause());
    assertEquals(1, count(db), "the first insert of the failed transaction was rolled back");
  }

  @Test
  void aWriteAfterCloseIsRefused() {
    SqliteDatabase db = open();
    db.close();
    Translated e = assertThrows(Translated.class, () -> db.write(c -> insert(c, "late")));
    assertEquals(Access.WRITE, e.access);
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
    assertEquals(Access.READ, assertThrows(Translated.class, () -> count(db)).access);
  }

  // ---- busy handling: another process holding the write lock ----

  @Test
  void aWriteWaitsWhileAnotherConnectionHoldsTheWriteLockThenCommits() throws Exception {
    SqliteDatabase db = open();
    Connection cli = other();
    try (Statement s = cli.createStatement()) {
      s.execute("BEGIN IMMEDIATE");
      s.execute("INSERT INTO items(name) VALUES('from the cli')");
    }
    CompletableFuture<Void> write = CompletableFuture.runAsync(() -> db.write(c -> insert(c, "from the server")));
    // While the other transaction is open, the write cannot have committed, and readers still work.
    assertThrows(java.util.concurrent.TimeoutException.class, () -> write.get(300, TimeUnit.MILLISECONDS));
    assertEquals(0, count(db), "readers see the last commit while another connection writes");

    try (Statement s = cli.createStatement()) {
      s.execute("COMMIT");
    }
    write.get(20, TimeUnit.SECONDS);
    assertEquals(2, count(db), "both writes committed, one after the other");
  }

  @Test
  void aWriteThatCannotGetTheLockWithinTheBusyTimeoutFailsAndChangesNothing() throws Exception {
    SqliteDatabase db = open(List.of(V1), new Settings(1, Duration.ofMillis(200)));
    Connection cli = other();
    try (Statement s = cli.createStatement()) {
      s.execute("BEGIN IMMEDIATE");
    }

    Translated e = assertThrows(Translated.class, () -> db.write(c -> insert(c, "never")));

    assertEquals(Access.WRITE, e.access);
    SQLException busy = assertInstanceOf(SQLException.class, e.getCause());
    assertEquals(5, busy.getErrorCode() & 0xff, "SQLITE_BUSY: " + busy);
    try (Statement s = cli.createStatement()) {
      s.execute("ROLLBACK");
    }
    assertEquals(0, count(db));
    db.write(c -> insert(c, "later")); // and the helper's writer is not stuck in a transaction
    assertEquals(1, count(db));
  }

  // ---- connections ----

  @Test
  void everyConnectionHasTheRegistrysSettingsAndReadersCannotWrite() throws Exception {
    SqliteDatabase db = open();
    for (Connection c : List.of(db.write(c -> c), db.read(c -> c))) {
      assertEquals("wal", text(c, "PRAGMA journal_mode"));
      assertEquals(2, scalar(c, "PRAGMA synchronous"), "FULL");
      assertEquals(1, scalar(c, "PRAGMA foreign_keys"));
      assertEquals(-1024, scalar(c, "PRAGMA cache_size"), "a 1 MiB page cache");
      assertEquals(30_000, scalar(c, "PRAGMA busy_timeout"));
    }
    Translated e = assertThrows(Translated.class, () -> db.read(c -> insert(c, "through a reader")));
    assertEquals(Access.READ, e.access);
    assertEquals(0, count(db));
  }

  @Test
  void readsShareAtMostTheConfiguredNumberOfConnections() throws Exception {
    SqliteDatabase db = open(List.of(V1), Settings.readers(2));
    CountDownLatch holding = new CountDownLatch(2);
    CountDownLatch release = new CountDownLatch(1);
    List<CompletableFuture<Connection>> held = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      held.add(CompletableFuture.supplyAsync(() -> db.read(c -> {
        holding.countDown();
        release.await(20, TimeUnit.SECONDS);
        return c;
      })));
    }
    assertTrue(holding.await(20, TimeUnit.SECONDS));
    CompletableFuture<Connection> third = CompletableFuture.supplyAsync(() -> db.read(c -> c));
    assertThrows(java.util.concurrent.TimeoutException.class, () -> third.get(300, TimeUnit.MILLISECONDS),
        "a third reader waits for one of the two connections");

    release.countDown();
    Connection reused = third.get(20, TimeUnit.SECONDS);
    assertTrue(reused == held.get(0).get() || reused == held.get(1).get(), "it got one of the two");
  }

  // ---- schema versions ----

  @Test
  void aNewDatabaseGetsEveryMigrationAndTheLastVersion() throws Exception {
    Migration v2 = Migration.of(2, "labels", List.of("ALTER TABLE items ADD COLUMN label TEXT"));
    SqliteDatabase db = open(List.of(V1, v2), Settings.readers(1));
    assertEquals(2, (int) db.read(SqliteDatabase::userVersion));
    db.write(c -> {
      try (Statement s = c.createStatement()) {
        s.execute("INSERT INTO items(name, label) VALUES('a', 'b')");
      }
      return null;
    });
    assertEquals(1, count(db));
  }

  @Test
  void aDatabaseFromBeforeVersionsWithItsTablesIsAdoptedAsVersion1WithItsRows() throws Exception {
    try (Connection old = other(); Statement s = old.createStatement()) {
      s.execute("CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)");
      s.execute("INSERT INTO items(name) VALUES('from 0.1.0')");
    }
    SqliteDatabase db = open();
    assertEquals(1, (int) db.read(SqliteDatabase::userVersion));
    assertEquals("from 0.1.0", db.read(c -> text(c, "SELECT name FROM items")));
  }

  @Test
  void anExistingDatabaseIsMigratedFromItsVersionOnly() throws Exception {
    open().close();
    // Version 1 must not run again: it would fail on the existing table.
    Migration strictV1 = Migration.of(1, "items", List.of("CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT)"));
    Migration v2 = Migration.of(2, "labels", List.of("ALTER TABLE items ADD COLUMN label TEXT"));
    SqliteDatabase db = open(List.of(strictV1, v2), Settings.readers(1));
    assertEquals(2, (int) db.read(SqliteDatabase::userVersion));
  }

  @Test
  void aMigrationThatFailsChangesNothingOfItsStepAndLeavesTheVersionBefore() throws Exception {
    open().close();
    Migration broken = Migration.of(2, "half a migration", List.of(
        "CREATE TABLE labels(item INTEGER, label TEXT)",
        "INSERT INTO no_such_table VALUES(1)"));

    Translated e = assertThrows(Translated.class, () -> open(List.of(V1, broken), Settings.readers(1)));

    assertEquals(Access.OPEN, e.access);
    assertTrue(e.getMessage().contains(file().toString()), e.getMessage());
    assertTrue(e.getMessage().contains("version 2 (half a migration)"), e.getMessage());
    try (Connection c = other()) {
      assertEquals(1, SqliteDatabase.userVersion(c));
      assertEquals(0, scalar(c, "SELECT count(*) FROM sqlite_master WHERE name = 'labels'"),
          "the step's first statement was rolled back with it");
    }
  }

  @Test
  void aDatabaseNewerThanTheCodeIsRefusedNamingTheFileAndBothVersionsAndLeftUnchanged() throws Exception {
    try (Connection c = other(); Statement s = c.createStatement()) {
      s.execute("PRAGMA user_version=99");
    }

    Translated e = assertThrows(Translated.class, () -> open(List.of(V1), Settings.readers(1)));

    assertEquals(Access.OPEN, e.access);
    String message = e.getCause().getMessage();
    assertTrue(message.contains(file().toString()), message);
    assertTrue(message.contains("schema version 99"), message);
    assertTrue(message.contains("versions up to 1"), message);
    try (Connection c = other()) {
      assertEquals(99, SqliteDatabase.userVersion(c));
      assertEquals(0, scalar(c, "SELECT count(*) FROM sqlite_master"), "no table was created");
      assertEquals("delete", text(c, "PRAGMA journal_mode"), "not even the journal mode was changed");
    }
  }

  @Test
  void migrationVersionsMustBeConsecutiveFromOne() {
    Migration v3 = Migration.of(3, "skips 2", List.of("SELECT 1"));
    assertThrows(IllegalArgumentException.class, () -> open(List.of(V1, v3), Settings.readers(1)));
    assertThrows(IllegalArgumentException.class, () -> Migration.of(0, "zero", List.of()));
  }

  @Test
  void theFileIsNamedInOpenFailures() throws IOException {
    Path folder = dir.resolve("a-folder.db");
    java.nio.file.Files.createDirectories(folder);
    Translated e = assertThrows(Translated.class,
        () -> SqliteDatabase.open(folder, List.of(V1), Settings.readers(1), Translated::new));
    assertEquals(Access.OPEN, e.access);
    assertTrue(e.getMessage().contains("cannot open " + folder), e.getMessage());
    assertFalse(e.getMessage().isBlank());
  }
}
