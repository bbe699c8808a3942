package io.connectedregistry.sync;

import io.vertx.core.Future;
import java.util.List;

/** {@code GET /v2/_catalog?n=..}: the parent's repositories, following the pages (to expand wildcards). */
public final class ListCatalog {
  private final ParentCaller caller;
  private final int pageSize;

  public ListCatalog(ParentCaller caller, int pageSize) {
    this.caller = caller;
    this.pageSize = pageSize;
  }

  /** Fails with a 404 {@link ParentStatusException} when the parent has no catalog API. */
  public Future<List<String>> list() {
    String target = "/v2/_catalog?n=" + pageSize;
    return PagedListing.all(caller, target, Scopes.CATALOG,
            json -> PagedListing.strings(json, "repositories"))
        .map(found -> found.orElseThrow(() ->
            new ParentStatusException("GET", "/v2/_catalog", 404, null, "the parent has no catalog API")));
  }
}
