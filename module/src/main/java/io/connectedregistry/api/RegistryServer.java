package io.connectedregistry.api;

import io.connectedregistry.config.RegistryConfig;
import io.connectedregistry.storage.RegistryStorage;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;

/** The api package's entry point: serves the OCI Distribution API over {@link RegistryStorage}. */
public final class RegistryServer {
  /** Storage calls are short except commits (fsync) and rehashes; 16 keeps a slow disk from starving reads. */
  private static final int STORAGE_WORKERS = 16;

  private final Vertx vertx;
  private final WorkerExecutor worker;
  private String deploymentId;

  private RegistryServer(Vertx vertx, WorkerExecutor worker) {
    this.vertx = vertx;
    this.worker = worker;
  }

  /** Listens with one server per event loop; completes once the port accepts connections. */
  public static Future<RegistryServer> start(Vertx vertx, RegistryConfig config, RegistryStorage storage) {
    WorkerExecutor worker = vertx.createSharedWorkerExecutor("registry-storage", STORAGE_WORKERS);
    Storage calls = new Storage(storage, worker);
    RegistryServer server = new RegistryServer(vertx, worker);
    int instances = Math.max(1, Runtime.getRuntime().availableProcessors());
    return vertx
        .deployVerticle(() -> new RegistryVerticle(config, calls), new DeploymentOptions().setInstances(instances))
        .map(id -> {
          server.deploymentId = id;
          return server;
        });
  }

  /** Stops accepting connections and waits for in-flight requests (bounded by each server's shutdown). */
  public Future<Void> stop() {
    Future<Void> undeployed = deploymentId == null ? Future.succeededFuture() : vertx.undeploy(deploymentId);
    return undeployed.eventually(() -> worker.close());
  }
}
