package io.connectedregistry.api;

import io.connectedregistry.oci.ErrorCode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** {@code GET /v2/<name>/tags/list} in lexical order, paginated with {@code n}/{@code last}. */
final class TagsHandler {
  private final Storage storage;

  TagsHandler(Storage storage) {
    this.storage = storage;
  }

  void list(RoutingContext ctx) {
    String repository = Paths.repository(ctx);
    Pagination page = Pagination.of(ctx);
    storage.call(s -> s.tags(repository, page.last(), page.limit() + 1)).onSuccess(found -> {
      if (found.isEmpty()) {
        ctx.fail(ErrorCode.NAME_UNKNOWN.exception(repository));
        return;
      }
      page.linkNext(ctx, "/v2/" + repository + "/tags/list", found.get());
      JsonObject body = new JsonObject()
          .put("name", repository)
          .put("tags", new JsonArray(page.page(found.get())));
      ctx.response().putHeader("Content-Type", "application/json").end(body.encode());
    }).onFailure(ctx::fail);
  }
}
