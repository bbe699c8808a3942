package io.connectedregistry;

import io.connectedregistry.api.RegistryServer;
import io.connectedregistry.config.RegistryConfig;
import io.connectedregistry.storage.LocalRegistryStorage;
import io.connectedregistry.storage.RegistryStorage;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Wires storage, the HTTP API and background jobs together; the one thing {@link Main} starts. */
public final class RegistryApplication {
  private static final Logger LOG = LoggerFactory.getLogger(RegistryApplication.class);

  private final Vertx vertx;
  private final RegistryStorage storage;
  private final RegistryServer server;
  private volatile boolean stopped;

  private RegistryApplication(Vertx vertx, RegistryStorage storage, RegistryServer server) {
    this.vertx = vertx;
    this.storage = storage;
    this.server = server;
  }

  /** Opens the store and starts listening; returns once the server accepts connections. */
  public static RegistryApplication start(RegistryConfig config) throws Exception {
    long started = System.nanoTime();
    LocalRegistryStorage storage = LocalRegistryStorage.open(config.data(), storageOptions(config));
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(false));
    RegistryServer server;
    try {
      server = RegistryServer.start(vertx, config, storage).await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      vertx.close();
      storage.close();
      throw e;
    }
    RegistryApplication app = new RegistryApplication(vertx, storage, server);
    app.scheduleGarbageCollection(config);
    String scheme = config.tls() == null ? "http" : "https";
    LOG.info("connected registry listening on {}://{} (mode {}, data {}) ready in {} ms",
        scheme, config.listen(), config.mode(), storage.paths().root(), (System.nanoTime() - started) / 1_000_000);
    return app;
  }

  private void scheduleGarbageCollection(RegistryConfig config) {
    // Stale uploads expire even when full garbage collection is off: they only cost disk.
    long sweep = Math.min(Duration.ofHours(1).toMillis(), config.storage().uploadExpiry().toMillis());
    vertx.setPeriodic(sweep, id -> vertx.executeBlocking(storage::expireUploads, false)
        .onFailure(e -> LOG.error("expiring stale uploads failed", e)));
    Duration interval = config.storage().gcInterval();
    if (interval == null) {
      return;
    }
    vertx.setPeriodic(interval.toMillis(), id -> vertx.executeBlocking(storage::collectGarbage, false)
        .onFailure(e -> LOG.error("scheduled garbage collection failed", e)));
    LOG.info("garbage collection every {}", interval);
  }

  /** Stops accepting connections, lets in-flight requests finish, closes the store. Idempotent. */
  public synchronized void stop() {
    if (stopped) {
      return;
    }
    stopped = true;
    LOG.info("stopping: finishing in-flight requests");
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
    return new LocalRegistryStorage.Options(
        config.storage().uploadExpiry(), config.storage().gcGrace(), Clock.systemUTC());
  }
}
