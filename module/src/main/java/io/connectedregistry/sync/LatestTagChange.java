package io.connectedregistry.sync;

import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * {@code GET /_connected/v1/changes?repository=R&tag=T}: the newest change of one tag at a parent
 * of this project, with the parent's timestamp: what the upstream queue's conflict rule compares
 * with the local push. A plain OCI parent has no change feed (404): {@link Answer#feed()} false.
 */
final class LatestTagChange {
  /** Whether the parent has a feed, and its newest change of the tag (empty: never changed, or not visible). */
  record Answer(boolean feed, Optional<ListChanges.Change> change) {
    static final Answer NO_FEED = new Answer(false, Optional.empty());
  }

  private final ParentCaller caller;

  LatestTagChange(ParentCaller caller) {
    this.caller = caller;
  }

  Future<Answer> get(String repository, String tag) {
    ParentRequest request = ParentRequest.of(HttpMethod.GET, "/_connected/v1/changes?repository="
        + URLEncoder.encode(repository, StandardCharsets.UTF_8) + "&tag=" + tag, Scopes.CATALOG);
    return caller.call(request, response -> {
      if (response.statusCode() == 404) {
        return ParentCaller.discard(response).map(v -> Answer.NO_FEED);
      }
      if (response.statusCode() != 200) {
        return ParentCaller.failure(request, response);
      }
      return ParentCaller.json(request, response, ListChanges.MAX_PAGE_BYTES).map(json -> {
        ListChanges.Page page = ListChanges.page(request, json, 0);
        Optional<ListChanges.Change> latest = page.changes().stream()
            .filter(c -> c.invalid() == null && repository.equals(c.repository()) && tag.equals(c.tag()))
            .reduce((first, second) -> second);
        return new Answer(true, latest);
      });
    });
  }
}
