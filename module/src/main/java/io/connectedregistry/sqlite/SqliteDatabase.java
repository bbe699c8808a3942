package io.connectedregistry.sqlite;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SQLite database file, as every database of the registry uses it: WAL, {@code synchronous=FULL},
 * foreign keys on, a 30 s busy timeout, a 1 MiB page cache per connection, and a schema version in
 * {@code PRAGMA user_version} brought up to date by {@link Migration}s when opened.
 *
 * <p>Writers share one connection behind a lock and start with {@code BEGIN IMMEDIATE}: the write
 * lock is taken up front, so checks and changes in one {@link #write} cannot interleave with
 * another process's (the {@code token} CLI, {@code gc}), and SQLite's busy timeout makes the
 * second writer wait instead of failing. Readers take one of a few shared read-only connections;
 * WAL lets them read the last commit while a write is in progress.
 *
 * <p>Every method blocks: call them from a worker, never from an event loop. The caller makes the
 * file private before opening it ({@code storage.PrivateFiles.database}): this package depends on
 * nothing else of the registry, so that storage and auth can both use it.
 */
public final class SqliteDatabase implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SqliteDatabase.class);
  /** Per connection: a small device pays for each connection's cache. */
  private static final int PAGE_CACHE_KIB = 1024;

  /** What was being done when a failure happened: each store reports them in its own terms. */
  public enum Access { OPEN, READ, WRITE }

  @FunctionalInterface
  public interface Work<T> {
    T run(Connection c) throws Exception;
  }

  /**
   * Turns a checked failure (an {@link SQLException}, or what the work threw) into the store's own
   * exception. Runtime exceptions and errors thrown by the work are passed on unchanged. On
   * {@link Access#OPEN} the cause's message is complete and names the file.
   */
  @FunctionalInterface
  public interface Failures {
    RuntimeException translate(Access access, Exception cause);
  }

  /**
   * @param readers how many read connections at most; each costs a page cache and native buffers
   * @param busyTimeout how long a write waits for another process's write lock before failing
   */
  public record Settings(int readers, Duration busyTimeout) {
    public Settings {
      if (readers < 1) {
        throw new IllegalArgumentException("at least one reader connection, not " + readers);
      }
    }

    public static Settings readers(int readers) {
      return new Settings(readers, Duration.ofSeconds(30));
    }
  }

  private final Path file;
  private final Settings settings;
  private final Failures failures;
  private final Connection writer;
  private final Object writeLock = new Object();
  private final List<Connection> readers = new CopyOnWriteArrayList<>();
  private final BlockingQueue<Connection> idleReaders;
  private volatile boolean closed;
  /** Write transactions committed since open (under the write lock). */
  private long commits;

  private SqliteDatabase(Path file, Settings settings, Failures failures, Connection writer) {
    this.file = file;
    this.settings = settings;
    this.failures = failures;
    this.writer = writer;
    this.idleReaders = new ArrayBlockingQueue<>(settings.readers());
  }

  /**
   * Builds, on a daemon thread of its own, what sqlite-jdbc builds on the first connection
   * whatever the file: its date formatter ({@code SQLiteConfig} makes one for every connection;
   * the first one loads the JDK's locale data, ~40-50 ms) and its registration with {@code
   * DriverManager}. Called as a start begins, so that the stores' opening, a little later, finds
   * them made instead of making them on the start's longest path (bench/README.md, issue #13,
   * tenth session). Nothing is opened or written; a failure here is only a lost head start.
   */
  public static void prepareDriver() {
    Thread thread = new Thread(() -> {
      try {
        new org.sqlite.SQLiteConfig(); // the formatter is cached by pattern, zone and locale
        DriverManager.getDrivers();
      } catch (RuntimeException | LinkageError e) {
        LOG.debug("SQLite's driver not prepared ahead: {}", e.toString());
      }
    }, "sqlite-prepare");
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Opens {@code file} (an empty or missing file is a new database) and brings its schema to the
   * last of {@code migrations}, whose versions must be 1, 2, 3... in order. A database whose
   * version is newer than the last migration was written by a newer release and is refused,
   * unchanged. Failures, the refusal included, go through {@code failures} as {@link Access#OPEN}.
   */
  public static SqliteDatabase open(Path file, List<Migration> migrations, Settings settings, Failures failures) {
    for (int i = 0; i < migrations.size(); i++) {
      if (migrations.get(i).version() != i + 1) {
        throw new IllegalArgumentException("migration " + i + " of " + file.getFileName() + " has version "
            + migrations.get(i).version() + ", not " + (i + 1) + ": versions are 1, 2, 3... in order");
      }
    }
    Connection writer = null;
    try {
      writer = connect(file, settings);
      int found = userVersion(writer);
      refuseIfNewer(found, migrations.size());
      execute(writer, "PRAGMA journal_mode=WAL");
      if (found < migrations.size()) {
        migrate(writer, file, migrations);
      }
      return new SqliteDatabase(file, settings, failures, writer);
    } catch (SQLException e) {
      closeQuietly(writer);
      throw failures.translate(Access.OPEN,
          new SQLException("cannot open " + file + ": " + e.getMessage(), e.getSQLState(), e.getErrorCode(), e));
    } catch (RuntimeException | Error e) {
      closeQuietly(writer);
      throw e;
    }
  }

  public Path file() {
    return file;
  }

  /** Runs {@code work} in one write transaction ({@code BEGIN IMMEDIATE}); rolls back on any exception. */
  public <T> T write(Work<T> work) {
    synchronized (writeLock) {
      if (closed) {
        throw failures.translate(Access.WRITE, new SQLException(file + " is closed"));
      }
      try {
        execute(writer, "BEGIN IMMEDIATE");
        try {
          T result = work.run(writer);
          execute(writer, "COMMIT");
          commits++;
          return result;
        } catch (Throwable t) {
          rollback(writer, t);
          throw t;
        }
      } catch (RuntimeException | Error e) {
        throw e;
      } catch (Exception e) {
        throw failures.translate(Access.WRITE, e);
      }
    }
  }

  /** Write transactions committed since this database was opened: each cost one fsync. */
  public long commits() {
    synchronized (writeLock) {
      return commits;
    }
  }

  /**
   * Runs {@code work} on a read-only connection, outside any write transaction: each statement
   * sees the last commit when it starts. Waits for a connection when all are in use.
   */
  public <T> T read(Work<T> work) {
    Connection c = null;
    try {
      c = takeReader();
      return work.run(c);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw failures.translate(Access.READ, e);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw failures.translate(Access.READ, e);
    } finally {
      if (c != null) {
        idleReaders.offer(c);
      }
    }
  }

  private Connection takeReader() throws SQLException, InterruptedException {
    if (closed) {
      throw new SQLException(file + " is closed");
    }
    Connection c = idleReaders.poll();
    if (c != null) {
      return c;
    }
    synchronized (readers) {
      if (readers.size() < settings.readers()) {
        c = connect(file, settings);
        execute(c, "PRAGMA query_only=1");
        readers.add(c);
        return c;
      }
    }
    return idleReaders.take();
  }

  @Override
  public void close() {
    synchronized (writeLock) {
      closed = true;
      for (Connection c : readers) {
        closeQuietly(c);
      }
      closeQuietly(writer);
    }
  }

  // ---- opening ----

  private static Connection connect(Path file, Settings settings) throws SQLException {
    NativeLibrary.useCachedCopy(file.toAbsolutePath().getParent());
    Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
    try (Statement s = c.createStatement()) {
      s.execute("PRAGMA busy_timeout=" + settings.busyTimeout().toMillis());
      // FULL: a committed transaction survives a power cut, which is what a 201 (or a CLI's "done") promises.
      s.execute("PRAGMA synchronous=FULL");
      s.execute("PRAGMA foreign_keys=ON");
      s.execute("PRAGMA cache_size=-" + PAGE_CACHE_KIB);
    } catch (SQLException e) {
      closeQuietly(c);
      throw e;
    }
    return c;
  }

  /**
   * One transaction per migration, each re-reading the version under the write lock: another
   * process opening the same file at the same moment (the server and the CLI) migrates it once.
   */
  private static void migrate(Connection c, Path file, List<Migration> migrations) throws SQLException {
    // A database created now (version 0, no tables) runs every step; that is routine, not news.
    boolean created = false;
    while (true) {
      execute(c, "BEGIN IMMEDIATE");
      Migration next;
      int from;
      boolean adopting;
      try {
        from = userVersion(c);
        refuseIfNewer(from, migrations.size());
        if (from == migrations.size()) {
          execute(c, "ROLLBACK");
          return;
        }
        next = migrations.get(from);
        adopting = from == 0 && hasTables(c);
        created = created || (from == 0 && !adopting);
        try {
          next.step().apply(c);
        } catch (SQLException e) {
          throw new SQLException("upgrading its schema to version " + next.version() + " (" + next.description()
              + ") failed, nothing was changed: " + e.getMessage(), e.getSQLState(), e.getErrorCode(), e);
        }
        execute(c, "PRAGMA user_version=" + next.version());
        execute(c, "COMMIT");
      } catch (Throwable t) {
        rollback(c, t);
        throw t;
      }
      if (from > 0 && !created) {
        LOG.info("{}: schema upgraded from version {} to {} ({})", file, from, next.version(), next.description());
      } else {
        // Debug: the token commands print JSON on the same stdout as the log, and this is routine.
        LOG.debug("{}: {} as schema version {} ({})", file,
            adopting ? "existing tables adopted" : from == 0 ? "created" : "created up to",
            next.version(), next.description());
      }
    }
  }

  private static void refuseIfNewer(int found, int latest) throws SQLException {
    if (found > latest) {
      throw new SQLException("it has schema version " + found + ", and this release knows versions up to " + latest
          + ": a newer release wrote it. Run that release (or a newer one) on this data folder, or restore a"
          + " backup made with this release; the file was left as it is");
    }
  }

  private static boolean hasTables(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT 1 FROM sqlite_master WHERE type = 'table' LIMIT 1")) {
      return rs.next();
    }
  }

  /** {@code PRAGMA user_version}: 0 for a new database, and for one made before versions existed. */
  public static int userVersion(Connection c) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA user_version")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  /** The first column of every row {@code sql} selects, with {@code args} bound as text in order. */
  public static List<String> strings(Connection c, String sql, String... args) throws SQLException {
    List<String> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setString(i + 1, args[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    }
    return out;
  }

  // ---- plumbing ----

  private static void execute(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  private static void rollback(Connection c, Throwable cause) {
    try {
      execute(c, "ROLLBACK");
    } catch (SQLException suppressed) {
      // SQLite may have rolled back already (SQLITE_FULL, for one): then there is nothing to undo.
      cause.addSuppressed(suppressed);
    }
  }

  private static void closeQuietly(Connection c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (SQLException ignored) {
      // closing: nothing useful to do
    }
  }
}
