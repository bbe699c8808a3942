package io.connectedregistry.api;

import io.connectedregistry.auth.AccessControl;
import io.connectedregistry.auth.Principal;
import io.connectedregistry.oci.ErrorCode;
import io.connectedregistry.status.RegistryStatus;
import io.connectedregistry.status.StatusBoard;
import io.connectedregistry.status.StatusJson;
import io.connectedregistry.sync.SyncService;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * {@code GET /_connected/v1/status}: the registry's status (the {@link StatusBoard}'s current one,
 * shaped by {@link StatusJson}); a root registry's has no sync fields and says {@code "role":
 * "root"}. {@code POST /_connected/v1/sync}: start a sync now (202), for operators.
 *
 * <p>The status is filtered by the caller, like the catalog. Operators (an admin token, or anyone
 * where anonymous callers may do everything) see all of it. Others see the state of sync and the
 * tag counts of the repositories they may read, nothing more: the parent's address and the sync
 * token's name, the error texts (which name both, and repositories), the cursor and the last
 * cycle's totals over every repository are for operators.
 */
final class SyncStatusHandler {
  /** The fields anyone who may read something sees; a field added to the status stays hidden until listed here. */
  // activation and mode are states like the others; version, storage (totals over every
  // repository, free space), upstreamQueue and statusDetails (error texts) are for operators.
  private static final List<String> PUBLIC_FIELDS = List.of("role", "activation", "connectionState", "mode",
      "syncState", "syncTrigger", "lastSyncStartTime", "lastSyncEndTime", "lastSuccessfulSyncEndTime",
      "nextSyncWindow");

  private final SyncService sync;
  private final StatusBoard board;
  private final AccessControl access;

  /** @param sync null for a root registry */
  SyncStatusHandler(SyncService sync, StatusBoard board, AccessControl access) {
    this.sync = sync;
    this.board = board;
    this.access = access;
  }

  void status(RoutingContext ctx) {
    Principal caller = AuthHandler.principal(ctx);
    boolean operator = access.isOperator(caller);
    // A root's status is the board's; sync brings its figures up to date first (on its context).
    Future<RegistryStatus> status = sync == null ? Future.succeededFuture(board.current()) : sync.freshStatus();
    status.onSuccess(current -> {
      Buffer body = Buffer.buffer(StatusJson.bytes(current));
      if (!operator) {
        body = visibleTo(caller, new JsonObject(body)).toBuffer();
      }
      ctx.response().putHeader("Content-Type", "application/json")
          .putHeader("Cache-Control", "no-store").end(body);
    }).onFailure(ctx::fail);
  }

  /** The part of the full status {@code caller}, who is not an operator, may see. */
  private static JsonObject visibleTo(Principal caller, JsonObject status) {
    JsonObject shown = new JsonObject();
    for (String field : PUBLIC_FIELDS) {
      if (status.getValue(field) != null) {
        shown.put(field, status.getValue(field));
      }
    }
    JsonObject all = status.getJsonObject("repositories");
    if (all == null) {
      return shown; // a root registry: no sync, no synchronised repositories
    }
    JsonObject repositories = new JsonObject();
    all.forEach(entry -> {
      if (caller.maySee(entry.getKey())) {
        repositories.put(entry.getKey(), entry.getValue());
      }
    });
    return shown.put("repositories", repositories);
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
