package io.connectedregistry.api;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** {@code /healthz}: the process answers. {@code /readyz}: storage takes writes and metadata is open. */
final class HealthHandler {
  private final Storage storage;

  HealthHandler(Storage storage) {
    this.storage = storage;
  }

  void alive(RoutingContext ctx) {
    ctx.response().putHeader("Content-Type", "application/json").end("{\"status\":\"ok\"}");
  }

  void ready(RoutingContext ctx) {
    storage.call(s -> {
      s.checkWritable();
      return null;
    }).onComplete(ar -> {
      JsonObject body = new JsonObject().put("status", ar.succeeded() ? "ready" : "unavailable");
      if (ar.failed()) {
        body.put("reason", ar.cause().getMessage());
      }
      ctx.response()
          .setStatusCode(ar.succeeded() ? 200 : 503)
          .putHeader("Content-Type", "application/json")
          .end(body.encode());
    });
  }
}
