package io.connectedregistry.api;

import io.connectedregistry.oci.ErrorCode;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/** {@code n}/{@code last} paging for tags and catalog, and the {@code Link: <...>; rel="next"} header. */
record Pagination(int limit, String last) {
  /** Without {@code n} a client gets everything; this bounds one response all the same. */
  static final int MAX_PAGE = 10_000;

  static Pagination of(RoutingContext ctx) {
    String n = ctx.request().getParam("n");
    int limit = MAX_PAGE;
    if (n != null && !n.isEmpty()) {
      try {
        limit = Integer.parseInt(n);
      } catch (NumberFormatException e) {
        throw ErrorCode.PAGINATION_NUMBER_INVALID.exception("n must be a number, got '" + n + "'");
      }
      if (limit < 0) {
        throw ErrorCode.PAGINATION_NUMBER_INVALID.exception("n must not be negative");
      }
      limit = Math.min(limit, MAX_PAGE);
    }
    return new Pagination(limit, ctx.request().getParam("last"));
  }

  /** Items are fetched with {@code limit + 1} so we know whether a next page exists. */
  <T> List<T> page(List<T> fetched) {
    return fetched.size() > limit ? fetched.subList(0, limit) : fetched;
  }

  void linkNext(RoutingContext ctx, String path, List<String> fetched) {
    if (fetched.size() > limit && limit > 0) {
      String lastOfPage = fetched.get(limit - 1);
      ctx.response().putHeader("Link",
          "<" + path + "?n=" + limit + "&last=" + Paths.query(lastOfPage) + ">; rel=\"next\"");
    }
  }
}
