package io.connectedregistry.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** {@code GET /v2/_catalog}: repositories with at least one manifest, paginated like tags. */
final class CatalogHandler {
  private final Storage storage;

  CatalogHandler(Storage storage) {
    this.storage = storage;
  }

  void list(RoutingContext ctx) {
    Pagination page = Pagination.of(ctx);
    storage.call(s -> s.repositories(page.last(), page.limit() + 1)).onSuccess(found -> {
      page.linkNext(ctx, "/v2/_catalog", found);
      JsonObject body = new JsonObject().put("repositories", new JsonArray(page.page(found)));
      ctx.response().putHeader("Content-Type", "application/json").end(body.encode());
    }).onFailure(ctx::fail);
  }
}
