package io.connectedregistry.sync;

import io.connectedregistry.oci.Tag;
import io.vertx.core.Future;
import java.util.Optional;

/**
 * {@code GET /v2/<name>/tags/list?n=..}: every tag of a parent repository, following the pages.
 * Tags off the distribution spec's grammar are refused (named in the listing, never used).
 */
public final class ListTags {
  private final ParentCaller caller;
  private final int pageSize;

  /** @param pageSize {@code n} asked for per page; the parent may send fewer */
  public ListTags(ParentCaller caller, int pageSize) {
    this.caller = caller;
    this.pageSize = pageSize;
  }

  /** All tags in the parent's order; empty when the parent does not know the repository. */
  public Future<Optional<Listing<String>>> list(String repository) {
    return PagedListing.all(caller, "/v2/" + repository + "/tags/list?n=" + pageSize,
        Scopes.pull(repository), "tags", element -> Tag.validate(PagedListing.string(element)));
  }
}
