package io.connectedregistry.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.connectedregistry.bundle.BundleImporter;
import io.connectedregistry.bundle.ImportReport;
import io.connectedregistry.bundle.OfflineImport;
import io.connectedregistry.config.RegistryConfig;
import io.connectedregistry.oci.ErrorCode;
import io.connectedregistry.storage.RegistryStorage;
import io.connectedregistry.sync.SyncService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * {@code POST /_connected/v1/admin/bundles[?repository=R]}: imports the archive in the body (a
 * bundle, a skopeo oci-archive or a docker save archive; tar, gzip or zstd), streamed: the body
 * feeds a bounded {@link BodyStream} read by a worker of its own pool ({@code bundle-import}, one
 * thread: one import at a time, and a long one never holds the storage workers). A second import
 * meanwhile is refused with 409. The commit runs like a sync cycle's (in a connected registry,
 * through {@link SyncService#importBundle}, which also moves the sync cursor). Answers the JSON
 * {@link ImportReport}; a refused archive changes nothing and answers the error naming it.
 */
final class BundleHandler {
  /** Body bytes queued in memory before the request is paused. */
  static final long BODY_WINDOW = 4L * 1024 * 1024;
  /**
   * Made on first use: a first {@code ObjectMapper} loads ~370 Jackson classes, which stay loaded
   * for good in a registry that may never need them (bench/README.md, issue #13).
   */
  private static final class Mapper {
    static final ObjectMapper JSON = new ObjectMapper();
  }

  private final RegistryStorage storage;
  private final SyncService sync;
  private final Supplier<RegistryConfig> config;
  private final WorkerExecutor worker;
  private final AtomicBoolean running = new AtomicBoolean();

  BundleHandler(RegistryStorage storage, SyncService sync, Supplier<RegistryConfig> config, WorkerExecutor worker) {
    this.storage = storage;
    this.sync = sync;
    this.config = config;
    this.worker = worker;
  }

  void importBundle(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    request.pause();
    BundleImporter.Options options;
    try {
      options = OfflineImport.options(config.get(), ctx.queryParams().get("repository"));
    } catch (RuntimeException e) {
      ctx.fail(e);
      return;
    }
    if (!running.compareAndSet(false, true)) {
      ctx.fail(ErrorCode.RESOURCE_CONFLICT.exception("a bundle import is already running on this registry;"
          + " send this one when it has finished"));
      return;
    }
    BodyStream body = BodyStream.start(request, Vertx.currentContext(), BODY_WINDOW);
    BundleImporter importer = new BundleImporter(storage, options);
    worker.executeBlocking(() -> importer.stage(body), false)
        .compose(staged -> apply(staged).eventually(() -> worker.executeBlocking(() -> {
          staged.close(); // what no image needed, or everything when the commit failed
          return null;
        }, false)))
        .onComplete(result -> {
          running.set(false);
          boolean whole = body.ended();
          body.close();
          if (result.failed()) {
            ctx.fail(result.cause());
            return;
          }
          if (!whole) {
            // The archive ended before the body did (tar padding): not read, so not kept open.
            ctx.response().putHeader("Connection", "close");
            request.resume();
          }
          try {
            ctx.response().setStatusCode(200).putHeader("Content-Type", "application/json")
                .end(Mapper.JSON.writeValueAsString(result.result()));
          } catch (Exception e) {
            ctx.fail(e);
          }
        });
  }

  private Future<ImportReport> apply(BundleImporter.Staged staged) {
    if (sync == null) {
      return worker.executeBlocking(() -> ImportReport.of(staged.apply(null), null), false);
    }
    BundleImporter.Result[] result = new BundleImporter.Result[1];
    return sync.importBundle(staged.bundle(), synced -> {
      result[0] = staged.apply(synced);
      return result[0].applied();
    }).map(outcome -> ImportReport.of(result[0], outcome));
  }
}
