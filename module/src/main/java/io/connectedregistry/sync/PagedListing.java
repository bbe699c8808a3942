package io.connectedregistry.sync;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A list the parent hands out in pages ({@code n}/{@code last}), each pointing to the next with
 * {@code Link: <url>; rel="next"}: tags, the catalog, referrers. Follows the links to the end.
 */
final class PagedListing {
  private static final Pattern NEXT_LINK = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");
  /** A parent whose links go round in circles must not keep sync busy forever. */
  private static final int MAX_PAGES = 10_000;

  private PagedListing() {}

  /** One page: its items and the target of the next page, null on the last one. */
  record Page<T>(List<T> items, String next) {}

  /** Every item of every page; empty when the first page is a 404 (no such repository). */
  static <T> Future<Optional<List<T>>> all(
      ParentCaller caller, String firstTarget, String scope, Function<JsonObject, List<T>> items) {
    List<T> all = new ArrayList<>();
    return page(caller, firstTarget, scope, items).compose(first -> {
      if (first.isEmpty()) {
        return Future.succeededFuture(Optional.empty());
      }
      return rest(caller, first.get(), scope, items, all, 1).map(Optional::of);
    });
  }

  private static <T> Future<List<T>> rest(
      ParentCaller caller, Page<T> page, String scope, Function<JsonObject, List<T>> items, List<T> all, int count) {
    all.addAll(page.items());
    if (page.next() == null || count >= MAX_PAGES) {
      return Future.succeededFuture(all);
    }
    return page(caller, page.next(), scope, items).compose(next -> next.isEmpty()
        ? Future.succeededFuture(all)
        : rest(caller, next.get(), scope, items, all, count + 1));
  }

  /** One page; empty on 404. */
  static <T> Future<Optional<Page<T>>> page(
      ParentCaller caller, String target, String scope, Function<JsonObject, List<T>> items) {
    ParentRequest request = ParentRequest.of(HttpMethod.GET, target, scope);
    return caller.call(request, response -> {
      if (response.statusCode() == 404) {
        return ParentCaller.discard(response).map(v -> Optional.<Page<T>>empty());
      }
      if (response.statusCode() != 200) {
        return ParentCaller.failure(request, response);
      }
      String next = nextLink(response.getHeader("Link"));
      return ParentCaller.body(response).map(body -> Optional.of(new Page<>(items.apply(json(body)), next)));
    });
  }

  static String nextLink(String header) {
    if (header == null) {
      return null;
    }
    Matcher m = NEXT_LINK.matcher(header);
    return m.find() ? m.group(1) : null;
  }

  private static JsonObject json(Buffer body) {
    return body.length() == 0 ? new JsonObject() : new JsonObject(body);
  }

  /**
   * The strings of {@code field} (tags, repositories).
   *
   * @throws IllegalArgumentException when it is not an array of strings
   */
  static List<String> strings(JsonObject json, String field) {
    List<String> out = new ArrayList<>();
    try {
      var array = json.getJsonArray(field);
      if (array != null) {
        for (int i = 0; i < array.size(); i++) {
          String value = array.getString(i);
          if (value == null) {
            throw new IllegalArgumentException("'" + field + "' of the parent's list holds a null");
          }
          out.add(value);
        }
      }
    } catch (ClassCastException wrongType) {
      throw new IllegalArgumentException("'" + field + "' of the parent's list is not an array of strings");
    }
    return out;
  }
}
