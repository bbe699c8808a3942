package io.connectedregistry.metrics;

import io.connectedregistry.auth.AccessControl;
import io.connectedregistry.config.RegistryConfig.ListenAddress;
import io.connectedregistry.status.RegistryStatus;
import io.connectedregistry.status.StatusBoard;
import io.connectedregistry.status.SyncPhase;
import io.connectedregistry.storage.GcReport;
import io.connectedregistry.sync.SyncTotals;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.time.Instant;
import java.util.EnumSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToDoubleFunction;

/**
 * The metrics package's entry point: owns the Prometheus registry that Vert.x (HTTP server and
 * client, worker pools) records into, adds the registry's own figures, and serves the scrape.
 *
 * <p>Nothing here sits on the request path: Vert.x counts requests, latency and bytes itself
 * ({@link HttpLabels} keeps its labels bounded), and the registry's figures are read at scrape
 * time from what the parts already keep (the {@link StatusBoard}, {@link SyncTotals}, the login
 * counts of {@link AccessControl}). Only garbage collection, which is rare, is counted here.
 */
public final class RegistryMetrics implements AutoCloseable {
  static final String PREFIX = "connected_registry_";
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
  private static final int IDLE_TIMEOUT_SECONDS = 30;

  /** Numbers the instances of this JVM (tests run several). */
  private static final AtomicInteger INSTANCES = new AtomicInteger();

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  /** Vert.x keeps backend registries in a static map by name: one per instance, so tests can run several. */
  private final String vertxRegistryName = "connected-registry-" + INSTANCES.incrementAndGet();
  /** Null until {@link #bindJvm}. */
  private JvmGcMetrics jvmGc;
  private boolean closed;
  private final Counter gcRuns;
  private final Counter gcFreedBytes;
  private final AtomicReference<Future<String>> running = new AtomicReference<>();

  public RegistryMetrics() {
    registry.config().meterFilter(new HttpLabels());
    gcRuns = Counter.builder(PREFIX + "gc_runs")
        .description("Garbage-collection runs of the store (timer, schedule or asked for)").register(registry);
    gcFreedBytes = Counter.builder(PREFIX + "gc_freed").baseUnit("bytes")
        .description("Bytes of blobs the store's garbage collection removed").register(registry);
  }

  /**
   * The Vert.x instance, measured: HTTP server and client requests (by method, route template and
   * status class), latency, bytes, connections, and the named worker pools.
   */
  public Vertx createVertx(VertxOptions options) {
    MicrometerMetricsOptions metrics = new MicrometerMetricsOptions()
        .setEnabled(true)
        .setRegistryName(vertxRegistryName)
        // Never HTTP_PATH: a raw path holds repository names and digests (unbounded labels). The
        // method is ours (HttpLabels.method), not Vert.x's raw one: any token is a method to Vert.x.
        .setLabels(EnumSet.of(Label.HTTP_ROUTE, Label.HTTP_CODE, Label.POOL_TYPE, Label.POOL_NAME))
        .setServerRequestTagsProvider(HttpLabels::method)
        .setClientRequestTagsProvider(HttpLabels::method)
        .addDisabledMetricsCategory(MetricsDomain.EVENT_BUS)
        .addDisabledMetricsCategory(MetricsDomain.DATAGRAM_SOCKET)
        .addDisabledMetricsCategory(MetricsDomain.VERTICLES);
    return Vertx.builder().with(options.setMetricsOptions(metrics))
        .withMetrics(new EarlyConnectionGuard(new MicrometerMetricsFactory(registry))).build();
  }

  /**
   * The JVM's own figures (memory, collections, threads, classes, CPU, uptime, file descriptors).
   * Bound once the registry is ready, off its start path: the binders read the JVM's management
   * beans, ~50-90 ms of a start (bench/README.md, issue #13, tenth session). A scrape binds them
   * first if they are not yet, so no scrape ever lacks them. Idempotent; blocking.
   */
  public synchronized void bindJvm() {
    if (jvmGc != null || closed) {
      return;
    }
    new JvmMemoryMetrics().bindTo(registry);
    jvmGc = new JvmGcMetrics();
    jvmGc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
  }

  /** Storage figures, the upstream queue and the last successful sync, read from the status at scrape time. */
  public void watch(StatusBoard board) {
    storageGauge(board, "storage_used_bytes", "Bytes of blobs and manifests the store holds", "bytes",
        RegistryStatus.Storage::bytesUsed);
    storageGauge(board, "storage_free_bytes", "Free bytes on the data folder's file system", "bytes",
        RegistryStatus.Storage::freeBytes);
    storageGauge(board, "storage_blobs", "Blobs the store holds", null, RegistryStatus.Storage::blobs);
    storageGauge(board, "storage_repositories", "Repositories the store holds", null,
        RegistryStatus.Storage::repositories);
    Gauge.builder(PREFIX + "upstream_queue_pending", board, b -> b.current().upstreamQueue().pending())
        .description("Client pushes waiting to go up to the parent").register(registry);
    Gauge.builder(PREFIX + "upstream_queue_expired", board, b -> b.current().upstreamQueue().expired())
        .description("Queued pushes still not at the parent after sync.messageTtl").register(registry);
    Gauge.builder(PREFIX + "sync_last_success_timestamp_seconds", board, RegistryMetrics::lastSuccess)
        .description("When the last successful sync cycle ended (Unix time); NaN before any")
        .register(registry);
  }

  /** Sync cycles, bytes, tags, feed lag and on-demand fetches of a connected registry. */
  public void watch(SyncTotals sync) {
    for (SyncPhase result : new SyncPhase[] {SyncPhase.Succeeded, SyncPhase.Failed, SyncPhase.TimedOut}) {
      FunctionCounter.builder(PREFIX + "sync_cycles", sync, s -> s.cycles(result))
          .tag("result", result.name().toLowerCase(java.util.Locale.ROOT))
          .description("Sync cycles that ended, by result (timedout: stopped before the end: window closed,"
              + " low space, a reconfiguration)")
          .register(registry);
    }
    FunctionTimer.builder(PREFIX + "sync_cycle_duration", sync, SyncTotals::cycles, SyncTotals::cycleSeconds,
            TimeUnit.SECONDS)
        .description("Time spent in sync cycles").register(registry);
    FunctionCounter.builder(PREFIX + "sync_received", sync, SyncTotals::bytes).baseUnit("bytes")
        .description("Blob bytes received from the parent (cycles and on-demand pulls)").register(registry);
    FunctionCounter.builder(PREFIX + "sync_tags_copied", sync, SyncTotals::tagsCopied)
        .description("Tags sync created or moved here").register(registry);
    FunctionCounter.builder(PREFIX + "sync_tags_deleted", sync, SyncTotals::tagsDeleted)
        .description("Tags sync deleted here (deleted at the parent)").register(registry);
    FunctionCounter.builder(PREFIX + "sync_on_demand_fetches", sync, SyncTotals::onDemandFetches)
        .description("Fetches from the parent that a client's pull started (sync.onDemand)").register(registry);
    Gauge.builder(PREFIX + "sync_feed_lag_changes", sync, s -> s.feedLag() < 0 ? Double.NaN : s.feedLag())
        .description("Changes of the parent's feed not applied at the last cycle's end (head - cursor);"
            + " NaN without a feed")
        .register(registry);
  }

  /** Refused and throttled logins. */
  public void watch(AccessControl access) {
    FunctionCounter.builder(PREFIX + "auth_failed_logins", access, AccessControl::failedLogins)
        .description("Logins refused: wrong password, unknown token, invalid refresh token").register(registry);
    FunctionCounter.builder(PREFIX + "auth_throttled_logins", access, AccessControl::throttledLogins)
        .description("Logins answered 429 unchecked: their address, or all, spent the failed-login budget")
        .register(registry);
    Gauge.builder(PREFIX + "auth_throttled_addresses", access, a -> a.throttle().throttledClients())
        .description("Client addresses (IPv6: /64s) whose failed-login budget is spent now").register(registry);
  }

  /** Counts one garbage-collection run; returns the report for chaining. */
  public GcReport collected(GcReport report) {
    gcRuns.increment();
    gcFreedBytes.increment(report.bytesFreed());
    return report;
  }

  /**
   * The Prometheus text, scraped on a worker (the JVM binders read the operating system). Callers
   * that ask while a scrape runs share it: a flood of scrapes costs one at a time.
   */
  public Future<String> scrape(Vertx vertx) {
    Future<String> current = running.get();
    if (current != null && !current.isComplete()) {
      return current;
    }
    Future<String> next = vertx.executeBlocking(this::scrapeNow, false);
    running.set(next);
    return next;
  }

  /** Blocking. */
  String scrapeNow() {
    bindJvm();
    return registry.scrape();
  }

  /** {@code GET /metrics}: the scrape; the caller's route decides who may ask. */
  public Handler<RoutingContext> handler() {
    return ctx -> scrape(ctx.vertx()).onComplete(done -> {
      if (done.failed()) {
        ctx.fail(done.cause());
      } else {
        ctx.response().putHeader("Content-Type", CONTENT_TYPE).end(done.result());
      }
    });
  }

  /**
   * {@code metrics.listen}: a listener that serves only {@code GET /metrics}, without credentials
   * (anything else 404). On a loopback address, a request naming another host is refused (403), so
   * a web page cannot read it through DNS rebinding.
   */
  public Future<HttpServer> listen(Vertx vertx, ListenAddress address) {
    Router router = Router.router(vertx);
    router.route().handler(ctx -> {
      if (address.isLoopback() && !LoopbackHost.named(ctx.request().authority())) {
        ctx.response().setStatusCode(403).end();
      } else {
        ctx.next();
      }
    });
    router.get("/metrics").setName("/metrics").handler(handler());
    // HTTP/1.1 only, and idle connections closed: nothing on this port needs more.
    HttpServerOptions options = new HttpServerOptions().setHost(address.host()).setPort(address.port())
        .setHttp2ClearTextEnabled(false).setIdleTimeout(IDLE_TIMEOUT_SECONDS);
    return vertx.createHttpServer(options).requestHandler(router).listen();
  }

  public void close() {
    synchronized (this) {
      closed = true;
      if (jvmGc != null) {
        jvmGc.close(); // its listeners on the JVM's collectors
      }
    }
    registry.close();
  }

  private void storageGauge(StatusBoard board, String name, String description, String unit,
      ToDoubleFunction<RegistryStatus.Storage> figure) {
    Gauge.builder(PREFIX + name, board, b -> {
          double value = figure.applyAsDouble(b.current().storage());
          return value < 0 ? Double.NaN : value; // -1: not measured yet
        })
        .description(description).baseUnit(unit).register(registry);
  }

  private static double lastSuccess(StatusBoard board) {
    RegistryStatus.Sync sync = board.current().sync();
    if (sync == null || sync.lastSuccessfulSyncEndTime() == null) {
      return Double.NaN;
    }
    try {
      return Instant.parse(sync.lastSuccessfulSyncEndTime()).toEpochMilli() / 1000.0;
    } catch (RuntimeException e) {
      return Double.NaN;
    }
  }
}
