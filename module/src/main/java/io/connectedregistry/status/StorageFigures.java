package io.connectedregistry.status;

import io.connectedregistry.storage.RegistryStorage;
import io.connectedregistry.storage.StorageUsage;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts the store's figures (bytes used, repositories, blobs: one SQLite query) and the free space
 * into the {@link StatusBoard}, on a worker: every {@link #INTERVAL}, and when asked ({@link
 * #refresh()}, after garbage collection). Never on an event loop.
 */
public final class StorageFigures {
  static final Duration INTERVAL = Duration.ofSeconds(30);
  private static final Logger LOG = LoggerFactory.getLogger(StorageFigures.class);

  private final Vertx vertx;
  private final RegistryStorage storage;
  private final WorkerExecutor worker;
  private final StatusBoard board;
  private long timer = -1;

  public StorageFigures(Vertx vertx, RegistryStorage storage, WorkerExecutor worker, StatusBoard board) {
    this.vertx = vertx;
    this.storage = storage;
    this.worker = worker;
    this.board = board;
  }

  /** Measures now, then every {@link #INTERVAL}. */
  public Future<RegistryStatus.Storage> start() {
    timer = vertx.setPeriodic(INTERVAL.toMillis(), id -> refresh());
    return refresh();
  }

  /** Measures now, on the worker; the board has the figures when the future completes. */
  public Future<RegistryStatus.Storage> refresh() {
    return worker.executeBlocking(() -> {
      StorageUsage usage = storage.usage();
      RegistryStatus.Storage figures = new RegistryStatus.Storage(usage.bytesUsed(), usage.repositories(),
          usage.blobs(), storage.diskSpace().freeBytes());
      board.update(s -> s.withStorage(figures));
      return figures;
    }, false).onFailure(e -> LOG.warn("cannot measure the store for the status: {}", e.toString()));
  }

  public void stop() {
    vertx.cancelTimer(timer);
  }
}
