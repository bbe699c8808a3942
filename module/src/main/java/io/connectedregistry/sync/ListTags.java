package io.connectedregistry.sync;

import io.vertx.core.Future;
import java.util.List;
import java.util.Optional;

/** {@code GET /v2/<name>/tags/list?n=..}: every tag of a parent repository, following the pages. */
public final class ListTags {
  private final ParentCaller caller;
  private final int pageSize;

  /** @param pageSize {@code n} asked for per page; the parent may send fewer */
  public ListTags(ParentCaller caller, int pageSize) {
    this.caller = caller;
    this.pageSize = pageSize;
  }

  /** All tags in the parent's order; empty when the parent does not know the repository. */
  public Future<Optional<List<String>>> list(String repository) {
    return PagedListing.all(caller, "/v2/" + repository + "/tags/list?n=" + pageSize,
        Scopes.pull(repository), json -> PagedListing.strings(json, "tags"));
  }
}
