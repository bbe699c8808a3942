package io.connectedregistry.api;

import io.connectedregistry.oci.ErrorCode;
import io.connectedregistry.sync.SyncService;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /_connected/v1/status}: the sync status (see {@code sync.SyncStatus}); a root
 * registry answers that it has no parent. {@code POST /_connected/v1/sync}: start a sync now
 * (202), for operators.
 */
final class SyncStatusHandler {
  static final String STATUS = "/_connected/v1/status";
  static final String SYNC = "/_connected/v1/sync";

  private final SyncService sync;

  /** @param sync null for a root registry */
  SyncStatusHandler(SyncService sync) {
    this.sync = sync;
  }

  void status(RoutingContext ctx) {
    if (sync == null) {
      ctx.response().putHeader("Content-Type", "application/json")
          .end(new JsonObject().put("role", "root").put("connectionState", "Online").encode());
      return;
    }
    sync.status().onSuccess(bytes -> ctx.response().putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store").end(Buffer.buffer(bytes))).onFailure(ctx::fail);
  }

  void trigger(RoutingContext ctx) {
    if (sync == null) {
      ctx.fail(ErrorCode.UNSUPPORTED.exception("this registry has no parent to sync from"));
      return;
    }
    sync.trigger();
    ctx.response().setStatusCode(202).putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("syncState", "Syncing").encode());
  }
}
