package io.connectedregistry;

import io.connectedregistry.api.RegistryServer;
import io.connectedregistry.auth.AccessControl;
import io.connectedregistry.auth.AuthStore;
import io.connectedregistry.auth.Authenticator;
import io.connectedregistry.auth.Limits;
import io.connectedregistry.auth.LoginThrottle;
import io.connectedregistry.auth.PasswordHasher;
import io.connectedregistry.auth.TokenService;
import io.connectedregistry.cli.ManifestVersion;
import io.connectedregistry.config.ConfigException;
import io.connectedregistry.config.ConfigLayers;
import io.connectedregistry.config.RegistryConfig;
import io.connectedregistry.config.RegistryConfig.AuthConfig;
import io.connectedregistry.control.InstanceAgent;
import io.connectedregistry.config.RegistryConfig.AuthConfig.Anonymous;
import io.connectedregistry.edge.EdgeModule;
import io.connectedregistry.metrics.RegistryMetrics;
import io.connectedregistry.status.Activation;
import io.connectedregistry.status.RegistryStatus;
import io.connectedregistry.status.StatusBoard;
import io.connectedregistry.status.StorageFigures;
import io.connectedregistry.storage.LocalRegistryStorage;
import io.connectedregistry.storage.RegistryStorage;
import io.connectedregistry.sync.SyncService;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Wires storage, the HTTP API and background jobs together; the one thing {@link Main} starts. */
public final class RegistryApplication {
  private static final Logger LOG = LoggerFactory.getLogger(RegistryApplication.class);
  /** Vert.x's worker pool: housekeeping only (see where Vert.x is made). */
  static final int HOUSEKEEPING_THREADS = 4;

  private final Vertx vertx;
  private final RegistryStorage storage;
  private final AuthStore authStore;
  private final RegistryServer server;
  private final SyncService sync;
  private final StatusBoard board;
  private final StorageFigures storageFigures;
  /** Null with metrics.enabled: false. */
  private final RegistryMetrics metrics;
  private volatile LiveConfiguration live;
  /** The control-plane agent of a connected registry started from a connection string; or null. */
  private volatile InstanceAgent agent;
  /** The IoT Edge module's twin and methods; null outside IoT Edge. */
  private volatile EdgeModule edge;
  /** Runs the garbage collector as storage.gcEnabled, gcSchedule and gcInterval say. */
  private final GarbageCollectionTimer gcTimer;
  /** The stale upload sweep's timer. */
  private long sweepTimer = -1;
  private volatile boolean stopped;

  private RegistryApplication(Vertx vertx, RegistryStorage storage, AuthStore authStore,
      RegistryServer server, SyncService sync, StatusBoard board, RegistryMetrics metrics) {
    this.sync = sync;
    this.metrics = metrics;
    this.board = board;
    // Same pool as the API's storage calls (shared by name): one short SQLite read.
    this.storageFigures = new StorageFigures(vertx, storage,
        vertx.createSharedWorkerExecutor(RegistryServer.STORAGE_POOL, RegistryServer.STORAGE_WORKERS), board);
    this.vertx = vertx;
    this.storage = storage;
    this.authStore = authStore;
    this.server = server;
    this.gcTimer = new GarbageCollectionTimer(vertx,
        metrics == null ? storage::collectGarbage : () -> metrics.collected(storage.collectGarbage()),
        report -> storageFigures.refresh(), Clock.systemUTC());
  }

  /** Opens the store and starts listening; returns once the server accepts connections. */
  public static RegistryApplication start(RegistryConfig config) throws Exception {
    return start(config, null, null);
  }

  /**
   * Like {@link #start(RegistryConfig)}, keeping the layers so the configuration can change while
   * the registry runs (config API, SIGHUP: {@link #reloadConfigurationFile}).
   */
  public static RegistryApplication start(ConfigLayers layers, ConfigLayers.Built built) throws Exception {
    return start(built.config(), layers, built);
  }

  private static RegistryApplication start(RegistryConfig config, ConfigLayers layers,
      ConfigLayers.Built built) throws Exception {
    long started = System.nanoTime();
    // The stores open on a thread of their own while Vert.x is made on this one: neither needs
    // the other, each is ~100 ms of a start (mostly loading and initialising classes: SQLite's
    // driver and native library, Netty, Micrometer), and a start has a second CPU to spare.
    Opening opening = Opening.begin(config);
    RegistryMetrics metrics = null;
    Vertx vertx;
    try {
      // Metrics options are fixed when Vert.x is created: it counts HTTP requests, latency and bytes.
      metrics = config.metrics().enabled() ? new RegistryMetrics() : null;
      // Vert.x's own worker pool runs only the registry's housekeeping (disk space each second,
      // upload expiry, scheduled garbage collection, metrics scrapes); storage and auth have pools of
      // their own. Its default of 20 threads were all made within 20 s (a pool makes a thread per task
      // until it has them all), each with its stack and native buffers: ~2.5 MiB of a small device.
      VertxOptions vertxOptions = new VertxOptions().setPreferNativeTransport(false).setWorkerPoolSize(HOUSEKEEPING_THREADS);
      vertx = metrics == null ? Vertx.vertx(vertxOptions) : metrics.createVertx(vertxOptions);
    } catch (RuntimeException | Error e) {
      if (metrics != null) {
        metrics.close();
      }
      opening.abandon();
      throw e;
    }
    Stores stores;
    try {
      stores = opening.await();
    } catch (Exception | Error e) {
      vertx.close();
      if (metrics != null) {
        metrics.close();
      }
      throw e;
    }
    LocalRegistryStorage storage = stores.storage();
    AuthStore authStore = stores.authStore();
    AccessControl access = stores.access();
    RegistryServer server;
    SyncService sync = null;
    // Listeners (the module twin, reports to the parent) hear of changes on a context of their own.
    io.vertx.core.Context statusContext = vertx.getOrCreateContext();
    StatusBoard board = new StatusBoard(
        RegistryStatus.starting(config.mode(), ManifestVersion.get(), config.parent() != null),
        task -> statusContext.runOnContext(v -> task.run()));
    // The application owns the GC timer; the live configuration reschedules it through this.
    RegistryApplication[] app = {null};
    LiveConfiguration live = null;
    InstanceAgent agent = null;
    try {
      if (config.parent() != null) {
        // Same pool as the API's storage calls (shared by name): sync writes like a client push.
        sync = SyncService.create(vertx, config, storage,
            vertx.createSharedWorkerExecutor(RegistryServer.STORAGE_POOL, RegistryServer.STORAGE_WORKERS),
            Clock.systemUTC(), board);
      }
      live = layers == null ? null : new LiveConfiguration(layers, built, access, sync,
          next -> {
            if (app[0] != null) { // a change that arrives while still starting is applied at once below
              storage.reconfigure(next.storage().uploadExpiry(), next.storage().gcGrace(),
                  next.storage().uploadMaxAge());
              app[0].scheduleGarbageCollection(next);
            }
            board.update(status -> status.withMode(next.mode()));
          });
      if (sync != null && live != null && InstanceAgent.applies(config)) {
        LiveConfiguration configuration = live;
        AccessControl checked = access;
        agent = new InstanceAgent(vertx, config, authStore, board,
            vertx.createSharedWorkerExecutor(RegistryServer.STORAGE_POOL, RegistryServer.STORAGE_WORKERS),
            sync, document -> {
              try {
                configuration.setParentDefinition(document);
              } catch (ConfigException e) {
                LOG.error("the parent's definition was not applied, nothing changed: {}",
                    String.join("; ", e.problems()));
              }
            }, checked::checkForChanges, () -> configuration.running().loginServer(),
            Clock.systemUTC());
      }
      if (metrics != null) {
        metrics.watch(board);
        metrics.watch(access);
        if (sync != null) {
          metrics.watch(sync.totals());
        }
      }
      server = RegistryServer.start(vertx, config, storage, access, sync, board, live,
          agent == null ? null : agent.relay(), metrics == null ? null : metrics.handler())
          .await(30, TimeUnit.SECONDS);
      if (metrics != null && config.metrics().listen() != null) {
        metrics.listen(vertx, config.metrics().listen()).await(30, TimeUnit.SECONDS);
        LOG.info("metrics: GET /metrics on http://{} (no credentials)", config.metrics().listen());
      }
    } catch (Exception e) {
      if (sync != null) {
        sync.stop();
      }
      vertx.close();
      if (metrics != null) {
        metrics.close();
      }
      authStore.close();
      storage.close();
      throw e;
    }
    app[0] = new RegistryApplication(vertx, storage, authStore, server, sync, board, metrics);
    app[0].live = live;
    app[0].storageFigures.start();
    app[0].agent = agent;
    // Before the agent applies the definition it kept (on a worker), so that one is not
    // overwritten by the start-up configuration; and from what is in effect now, so a change made
    // through the config API while starting counts too.
    if (live == null) {
      app[0].scheduleGarbageCollection(config);
    } else {
      live.applyStorage();
    }
    if (agent == null) {
      board.update(s -> s.withActivation(Activation.Active));
    } else {
      // The parent decides: Active once it accepts this instance (the agent holds sync till then).
      agent.start();
    }
    if (sync != null) {
      // After the server is up: start-up work and the first cycle do not compete for the CPU.
      sync.start();
    }
    app[0].watchDiskSpace();
    if (live != null) {
      // Last, and it returns at once: the module connects to edgeHub on a thread of its own.
      app[0].edge = EdgeModule.startIfPresent(System.getenv(), app[0].edgeParts(live)).orElse(null);
    }
    String scheme = config.tls() == null ? "http" : "https";
    LOG.info("connected registry listening on {}://{} (mode {}, data {}) ready in {} ms",
        scheme, config.listen(), config.mode(), storage.paths().root(), (System.nanoTime() - started) / 1_000_000);
    if (metrics != null) {
      RegistryMetrics bound = metrics;
      // Off the start path: a scrape before this is done binds them itself.
      vertx.executeBlocking(() -> {
        bound.bindJvm();
        return null;
      }, false).onFailure(e -> LOG.warn("the JVM's figures are missing from /metrics: {}", e.toString()));
    }
    return app[0];
  }

  /**
   * SIGHUP: rereads the configuration file and applies what can change live. A bad file changes
   * nothing (logged with every bad key). Without layers (started from a bare config), does nothing.
   */
  public void reloadConfigurationFile() {
    LiveConfiguration current = live;
    if (current == null || stopped) {
      return;
    }
    try {
      current.reloadFile();
    } catch (ConfigException e) {
      LOG.error("configuration file not applied, nothing changed: {}", String.join("; ", e.problems()));
    } catch (RuntimeException e) {
      LOG.error("configuration reload failed, nothing changed", e);
    }
  }

  private EdgeModule.Parts edgeParts(LiveConfiguration live) {
    return new EdgeModule.Parts(live, board,
        () -> {
          if (sync == null) {
            return board.current();
          }
          try {
            return sync.freshStatus().await(5, TimeUnit.SECONDS);
          } catch (Exception e) {
            return board.current(); // the sync context is busy: the last published figures
          }
        },
        sync == null ? null : sync::trigger,
        () -> {
          var report = gcTimer.runNow();
          storageFigures.refresh();
          LOG.info("{} (asked for through the module's garbageCollect method)", report);
          return report;
        });
  }

  /** What {@link Opening} opens: the registry's store and its access control. */
  private record Stores(LocalRegistryStorage storage, AuthStore authStore, AccessControl access) {
    static Stores open(RegistryConfig config) {
      LocalRegistryStorage storage = LocalRegistryStorage.open(config.data(), storageOptions(config));
      try {
        AuthStore authStore = AuthStore.open(config.data(), config.mode(),
            Limits.of(config.auth(), config.parent() != null), new PasswordHasher(), Clock.systemUTC());
        try {
          return new Stores(storage, authStore, accessControl(config, authStore));
        } catch (RuntimeException | Error e) {
          authStore.close();
          throw e;
        }
      } catch (RuntimeException | Error e) {
        storage.close();
        throw e;
      }
    }

    void close() {
      authStore.close();
      storage.close();
    }
  }

  /** {@link Stores#open} on a thread of its own ({@code registry-open}), started at once. */
  private static final class Opening {
    private final FutureTask<Stores> task;

    private Opening(FutureTask<Stores> task) {
      this.task = task;
    }

    static Opening begin(RegistryConfig config) {
      FutureTask<Stores> task = new FutureTask<>(() -> Stores.open(config));
      new Thread(task, "registry-open").start();
      return new Opening(task);
    }

    /** The stores, or what stopped them from opening, as {@link Stores#open} threw it. */
    Stores await() throws Exception {
      try {
        return awaitUninterruptibly();
      } catch (ExecutionException e) {
        if (e.getCause() instanceof Exception cause) {
          throw cause;
        }
        if (e.getCause() instanceof Error cause) {
          throw cause;
        }
        throw e;
      }
    }

    /** The start failed elsewhere: closes the stores once open (the data folder's lock with them). */
    void abandon() {
      try {
        awaitUninterruptibly().close();
      } catch (ExecutionException | RuntimeException e) {
        // Nothing opened, or closing failed: the start's own failure is the one to report.
      }
    }

    private Stores awaitUninterruptibly() throws ExecutionException {
      boolean interrupted = false;
      try {
        while (true) {
          try {
            return task.get();
          } catch (InterruptedException e) {
            interrupted = true; // the stores hold the data folder's lock: never left open behind
          }
        }
      } finally {
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  private static AccessControl accessControl(RegistryConfig config, AuthStore store) {
    AuthConfig auth = config.auth();
    Anonymous anonymous = auth.anonymous(config.listen());
    switch (anonymous) {
      case FULL -> LOG.info("anonymous access: on, every action (listening on loopback {});"
          + " set auth.anonymousPull to require tokens", config.listen());
      case PULL -> LOG.info("anonymous access: pull only (auth.anonymousPull: true)");
      case NONE -> LOG.info("anonymous access: off; every request needs a token{}",
          auth.anonymousPull() == null ? " (not listening on loopback)" : "");
    }
    for (String admin : auth.adminTokens()) {
      if (store.token(admin).isEmpty()) {
        LOG.warn("auth.adminTokens names token '{}', which does not exist (yet)", admin);
      }
    }
    return new AccessControl(store, new Authenticator(store, new PasswordHasher()),
        TokenService.open(config.data(), auth.tokenLifetime()),
        new LoginThrottle(auth.failedLoginsPerMinute()), anonymous, auth.adminTokens(),
        Clock.systemUTC());
  }

  private void watchDiskSpace() {
    // Measured once a second off the event loop: requests and sync read the last value, and a
    // disk that something else filled gets the space reserve back within a second.
    vertx.setPeriodic(1000, id -> vertx.executeBlocking(() -> {
      storage.diskSpace().refresh();
      return null;
    }, false));
  }

  /** (Re)schedules upload expiry and garbage collection; a run in progress finishes. */
  private synchronized void scheduleGarbageCollection(RegistryConfig config) {
    // Stale uploads expire even when full garbage collection is off: they only cost disk.
    long sweep = Math.min(Duration.ofHours(1).toMillis(),
        Math.min(config.storage().uploadExpiry().toMillis(), config.storage().uploadMaxAge().toMillis()));
    if (sweepTimer >= 0) {
      vertx.cancelTimer(sweepTimer);
    }
    sweepTimer = vertx.setPeriodic(sweep, id -> vertx.executeBlocking(storage::expireUploads, false)
        .onFailure(e -> LOG.error("expiring stale uploads failed", e)));
    gcTimer.schedule(config.storage());
  }

  /**
   * The registry's status. Parts that own a piece update it here (configuration: {@code
   * board.update(s -> s.withMode(mode))}); the module twin and reports to the parent subscribe.
   */
  public StatusBoard statusBoard() {
    return board;
  }

  /** Stops accepting connections, lets in-flight requests finish, closes the store. Idempotent. */
  public synchronized void stop() {
    if (stopped) {
      return;
    }
    stopped = true;
    LOG.info("stopping: finishing in-flight requests");
    board.update(s -> s.withActivation(Activation.Inactive));
    if (edge != null) {
      edge.close();
    }
    storageFigures.stop();
    gcTimer.stop();
    if (agent != null) {
      agent.stop();
    }
    if (sync != null) {
      sync.stop();
    }
    try {
      server.stop().await(40, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("in-flight requests did not finish in time: {}", e.toString());
    }
    try {
      vertx.close().await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("event loops did not stop in time: {}", e.toString());
    }
    if (metrics != null) {
      metrics.close();
    }
    authStore.close();
    storage.close();
    LOG.info("stopped");
  }

  /** Runs the garbage collector once on a registry's data folder and returns a one-line summary. */
  public static String collectGarbage(RegistryConfig config) throws Exception {
    try (LocalRegistryStorage storage = LocalRegistryStorage.open(config.data(), storageOptions(config))) {
      return storage.collectGarbage().toString();
    }
  }

  private static LocalRegistryStorage.Options storageOptions(RegistryConfig config) {
    return new LocalRegistryStorage.Options(config.storage().uploadExpiry(), config.storage().gcGrace(),
        config.storage().uploadMaxAge(), config.storage().minFreeBytes(), Clock.systemUTC());
  }
}
