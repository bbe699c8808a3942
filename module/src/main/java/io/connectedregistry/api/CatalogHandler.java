package io.connectedregistry.api;

import io.connectedregistry.auth.Principal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code GET /v2/_catalog}: repositories with at least one manifest, paginated like tags, and only
 * those the caller may read (so a token for {@code app/*} never learns that {@code other/x} exists).
 */
final class CatalogHandler {
  /** Storage is read in batches of this many names while filtering. */
  private static final int BATCH = 1_000;

  private final Storage storage;

  CatalogHandler(Storage storage) {
    this.storage = storage;
  }

  void list(RoutingContext ctx) {
    Pagination page = Pagination.of(ctx);
    Principal principal = AuthHandler.principal(ctx);
    storage.call(s -> {
      // One more than a page, so Pagination knows whether there is a next page.
      List<String> visible = new ArrayList<>();
      String after = page.last();
      while (visible.size() <= page.limit()) {
        List<String> batch = s.repositories(after, BATCH);
        for (String repository : batch) {
          if (principal.maySee(repository) && visible.size() <= page.limit()) {
            visible.add(repository);
          }
        }
        if (batch.size() < BATCH) {
          break;
        }
        after = batch.get(batch.size() - 1);
      }
      return visible;
    }).onSuccess(found -> {
      page.linkNext(ctx, "/v2/_catalog", found);
      JsonObject body = new JsonObject().put("repositories", new JsonArray(page.page(found)));
      ctx.response().putHeader("Content-Type", "application/json").end(body.encode());
    }).onFailure(ctx::fail);
  }

}
