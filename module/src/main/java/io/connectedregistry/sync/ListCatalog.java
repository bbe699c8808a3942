package io.connectedregistry.sync;

import io.connectedregistry.oci.RepositoryName;
import io.vertx.core.Future;

/**
 * {@code GET /v2/_catalog?n=..}: the parent's repositories, following the pages (to expand
 * wildcards). Names off the distribution spec's grammar are refused (named in the listing).
 */
public final class ListCatalog {
  private final ParentCaller caller;
  private final int pageSize;

  public ListCatalog(ParentCaller caller, int pageSize) {
    this.caller = caller;
    this.pageSize = pageSize;
  }

  /** Fails with a 404 {@link ParentStatusException} when the parent has no catalog API. */
  public Future<Listing<String>> list() {
    String target = "/v2/_catalog?n=" + pageSize;
    return PagedListing.all(caller, target, Scopes.CATALOG, "repositories",
            element -> RepositoryName.of(PagedListing.string(element)).value())
        .map(found -> found.orElseThrow(() ->
            new ParentStatusException("GET", "/v2/_catalog", 404, null, "the parent has no catalog API")));
  }
}
