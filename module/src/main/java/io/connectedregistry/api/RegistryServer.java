package io.connectedregistry.api;

import io.connectedregistry.auth.AccessControl;
import io.connectedregistry.config.ConfigControl;
import io.connectedregistry.config.RegistryConfig;
import io.connectedregistry.control.ConnectedRegistries;
import io.connectedregistry.control.ControlPlane;
import io.connectedregistry.control.RootControlPlane;
import java.time.Clock;
import io.connectedregistry.status.StatusBoard;
import io.connectedregistry.storage.RegistryStorage;
import io.connectedregistry.sync.SyncService;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.util.concurrent.TimeUnit;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The api package's entry point: serves the OCI Distribution API over {@link RegistryStorage}. */
public final class RegistryServer {
  /** Storage calls are short except commits (fsync) and rehashes; 16 keeps a slow disk from starving reads. */
  public static final String STORAGE_POOL = "registry-storage";
  /** The pool bundle imports read their body on (one thread: one import at a time). */
  static final String BUNDLE_POOL = "bundle-import";
  public static final int STORAGE_WORKERS = 16;

  private static final int AUTH_WORKERS = 2;
  private static final Logger LOG = LoggerFactory.getLogger(RegistryServer.class);

  private final Vertx vertx;
  private final WorkerExecutor worker;
  private final WorkerExecutor authWorker;
  private long changeTimer = -1;
  private WorkerExecutor bundleWorker;
  private String deploymentId;

  private RegistryServer(Vertx vertx, WorkerExecutor worker, WorkerExecutor authWorker) {
    this.vertx = vertx;
    this.worker = worker;
    this.authWorker = authWorker;
  }

  /**
   * Listens with one server per event loop; completes once the port accepts connections.
   *
   * @param sync the sync service of a connected registry; null for a root
   * @param board the registry's status, served at {@code GET /_connected/v1/status}
   */
  public static Future<RegistryServer> start(Vertx vertx, RegistryConfig config, RegistryStorage storage,
      AccessControl access, SyncService sync, StatusBoard board) {
    return start(vertx, config, storage, access, sync, board, null);
  }

  /** @param configControl the running configuration for the config API; null = that API answers 405 */
  public static Future<RegistryServer> start(Vertx vertx, RegistryConfig config, RegistryStorage storage,
      AccessControl access, SyncService sync, StatusBoard board, ConfigControl configControl) {
    return start(vertx, config, storage, access, sync, board, configControl, null);
  }

  /**
   * @param relay the control plane a connected registry serves its children from its replica;
   *     null: at a root the definitions' own ({@link RootControlPlane}), elsewhere none (404)
   */
  public static Future<RegistryServer> start(Vertx vertx, RegistryConfig config, RegistryStorage storage,
      AccessControl access, SyncService sync, StatusBoard board, ConfigControl configControl,
      ControlPlane relay) {
    return start(vertx, config, storage, access, sync, board, configControl, relay, null);
  }

  /** @param metrics {@code GET /metrics} (admin tokens only); null = not served */
  public static Future<RegistryServer> start(Vertx vertx, RegistryConfig config, RegistryStorage storage,
      AccessControl access, SyncService sync, StatusBoard board, ConfigControl configControl,
      ControlPlane relay, Handler<RoutingContext> metrics) {
    WorkerExecutor worker = vertx.createSharedWorkerExecutor(STORAGE_POOL, STORAGE_WORKERS);
    // Logins hash passwords (PBKDF2, ~0.1 s each): their own small pool, so a burst of logins
    // (or a guesser) never starves blob and manifest I/O.
    WorkerExecutor authWorker = vertx.createSharedWorkerExecutor("registry-auth", AUTH_WORKERS);
    Storage calls = new Storage(storage, worker);
    LoginQueue logins = new LoginQueue(authWorker, LoginQueue.CAPACITY);
    AuthHandler auth = new AuthHandler(access, logins, new ClientAddress(config.http().trustedProxies()));
    TokenHandler token = new TokenHandler(access, logins, auth);
    AdminHandler admin = new AdminHandler(access, authWorker);
    SyncStatusHandler syncStatus = new SyncStatusHandler(sync, board, access);
    StatusPage page = new StatusPage(calls, sync, board, access, new RecentFailures(), Clock.systemUTC());
    PullThrough pullThrough = new PullThrough(sync);
    ConfigHandler configHandler = new ConfigHandler(configControl, authWorker);
    // loginServer and auth.adminTokens are live: read from the running configuration at each call.
    ConnectedRegistryHandler connected = new ConnectedRegistryHandler(access, authWorker,
        ConnectedRegistries.Site.of(configControl == null ? () -> config : configControl::running));
    ControlPlane plane = relay != null ? relay : config.parent() != null ? null
        : new RootControlPlane(new ConnectedRegistries(access.store(), ConnectedRegistries.Site.of(
            configControl == null ? () -> config : configControl::running), Clock.systemUTC()),
            authWorker);
    ControlPlaneHandler control = new ControlPlaneHandler(plane);
    // Bundle imports read their (long) body on a pool of their own, one at a time.
    WorkerExecutor bundleWorker = vertx.createSharedWorkerExecutor(BUNDLE_POOL, 1, 24, TimeUnit.HOURS);
    BundleHandler bundles = new BundleHandler(storage, sync,
        configControl == null ? () -> config : configControl::running, bundleWorker);
    // One for all server instances: the caps hold for the process, not per event loop.
    long heap = Runtime.getRuntime().maxMemory();
    HttpLimits limits = new HttpLimits(vertx, config.http(), BodyBudget.of(config.http().maxBodyMemory(), heap));
    if (limits.bodies().capacity() > heap / 2) {
      LOG.warn("http.maxBodyMemory ({} MiB) is more than half the heap ({} MiB): request bodies can exhaust"
          + " memory; leave it 0 (a third of the heap) or raise -Xmx", limits.bodies().capacity() >> 20, heap >> 20);
    }
    LOG.info("HTTP limits: {} connections, {} KiB of request bodies in memory (manifests up to {} KiB),"
            + " header timeout {} s, idle timeout {} s ({} s before authentication)",
        config.http().maxConnections(), limits.bodies().capacity() / 1024,
        Math.min(ManifestHandler.MAX_MANIFEST_BYTES, limits.bodies().capacity() / BodyReader.MANIFEST_WEIGHT) / 1024,
        config.http().headerTimeout().toSeconds(), config.http().idleTimeout().toSeconds(),
        config.http().unauthenticatedIdleTimeout().toSeconds());
    RegistryServer server = new RegistryServer(vertx, worker, authWorker);
    server.bundleWorker = bundleWorker;
    // Tokens edited by the CLI (another process) or the admin API take effect within a second.
    server.changeTimer = vertx.setPeriodic(1000, id -> authWorker.executeBlocking(access::checkForChanges, false)
        .onFailure(e -> LOG.warn("cannot check the auth store for changes: {}", e.toString())));
    int instances = Math.max(1, Runtime.getRuntime().availableProcessors());
    return vertx
        .deployVerticle(() -> new RegistryVerticle(config, calls, auth, token, admin, syncStatus, pullThrough, limits,
            configHandler, connected, control, page, metrics, bundles),
            new DeploymentOptions().setInstances(instances))
        .map(id -> {
          server.deploymentId = id;
          return server;
        });
  }

  /** Stops accepting connections and waits for in-flight requests (bounded by each server's shutdown). */
  public Future<Void> stop() {
    Future<Void> undeployed = deploymentId == null ? Future.succeededFuture() : vertx.undeploy(deploymentId);
    vertx.cancelTimer(changeTimer);
    return undeployed.eventually(() -> worker.close()).eventually(() -> authWorker.close())
        .eventually(() -> bundleWorker == null ? Future.succeededFuture() : bundleWorker.close());
  }
}
