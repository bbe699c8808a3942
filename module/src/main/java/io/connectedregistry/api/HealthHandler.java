package io.connectedregistry.api;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code /healthz}: the process answers. {@code /readyz}: storage takes writes and metadata is open. */
final class HealthHandler {
  private static final Logger LOG = LoggerFactory.getLogger(HealthHandler.class);

  private final Storage storage;
  /** Whether the last probe failed: the cause is logged when readiness is lost, not on every probe. */
  private final AtomicBoolean failing = new AtomicBoolean();

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
        // The cause names files and folders: it goes to the log, whoever asks gets the gist.
        body.put("reason", "storage cannot take writes; the registry log says why");
        if (!failing.getAndSet(true)) {
          LOG.warn("not ready: {}", ar.cause().toString());
        }
      } else if (failing.getAndSet(false)) {
        LOG.info("ready again: storage takes writes");
      }
      ctx.response()
          .setStatusCode(ar.succeeded() ? 200 : 503)
          .putHeader("Content-Type", "application/json")
          .end(body.encode());
    });
  }
}
