package io.connectedregistry.sync;

import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A list the parent hands out in pages ({@code n}/{@code last}), each pointing to the next with
 * {@code Link: <url>; rel="next"}: tags, the catalog, referrers. Follows the links to the end,
 * within bounds a hostile parent cannot stretch: each page is read up to {@link #MAX_PAGE_BYTES},
 * a listing has at most {@link #MAX_PAGES} pages and {@link #MAX_ENTRIES} entries, and a link back
 * to a page already read is a loop. Past a bound the listing fails, never returns what it has so
 * far: sync mirrors deletions from listings, and a truncated one would delete what it cut off.
 *
 * <p>Every entry goes through the OCI grammar ({@code entry} throws for a bad one): a bad entry is
 * left out and named in {@link Listing#refused()}, the good ones still count.
 */
final class PagedListing {
  private static final Pattern NEXT_LINK = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");
  /**
   * One page: 1000 tags of at most 128 characters are about 130 KiB, 1000 repository names of
   * at most 255 about 260 KiB, a referrers page of descriptors with annotations a few MiB at most.
   */
  static final long MAX_PAGE_BYTES = 4L * 1024 * 1024;
  /**
   * Asking {@code n=1000}, {@link #MAX_ENTRIES} fit in 100 pages; 1000 leaves room for parents
   * that cap {@code n} lower (Docker Hub: 100), and ends a parent whose links never stop.
   */
  static final int MAX_PAGES = 1_000;
  /**
   * Entries of one listing held in memory (one repository's tags, the catalog, one manifest's
   * referrers): at most about 10 MiB of names, far more than any real parent lists.
   */
  static final int MAX_ENTRIES = 100_000;
  /** Refused entries named one by one in the report; the rest are counted. */
  private static final int MAX_REFUSALS_NAMED = 10;

  private PagedListing() {}

  /**
   * Every valid entry of every page; empty when the first page is a 404 (no such repository).
   *
   * @param field the JSON array of each page holding the entries ({@code tags}, ...)
   * @param entry one element of that array as an entry; throws (IllegalArgumentException,
   *     ClassCastException) to refuse it
   */
  static <T> Future<Optional<Listing<T>>> all(ParentCaller caller, String firstTarget, String scope,
      String field, Function<Object, T> entry) {
    Walk<T> walk = new Walk<>(caller, scope, field, entry, ParentRequest.withoutQuery(firstTarget));
    return walk.page(firstTarget).compose(found -> found ? walk.rest() : Future.succeededFuture(Optional.empty()));
  }

  /** One listing in progress. */
  private static final class Walk<T> {
    final ParentCaller caller;
    final String scope;
    final String field;
    final Function<Object, T> entry;
    final String what;
    final List<T> entries = new ArrayList<>();
    final List<String> refused = new ArrayList<>();
    final Set<String> seen = new HashSet<>();
    int refusedCount;
    String next;

    Walk(ParentCaller caller, String scope, String field, Function<Object, T> entry, String what) {
      this.caller = caller;
      this.scope = scope;
      this.field = field;
      this.entry = entry;
      this.what = what;
    }

    Future<Optional<Listing<T>>> rest() {
      if (next == null) {
        List<String> reasons = new ArrayList<>(refused);
        if (refusedCount > refused.size()) {
          reasons.add((refusedCount - refused.size()) + " more invalid entries in " + what);
        }
        return Future.succeededFuture(Optional.of(new Listing<>(entries, reasons)));
      }
      if (seen.size() >= MAX_PAGES) {
        return Future.failedFuture(refusal("has more than " + MAX_PAGES + " pages; not following it further"));
      }
      return page(next).compose(found -> found ? rest()
          : Future.failedFuture(refusal("page " + ParentRequest.withoutQuery(next) + " vanished (404) midway")));
    }

    /** Reads one page into the walk; false on a 404. */
    Future<Boolean> page(String target) {
      if (!seen.add(caller.absolute(target))) {
        return Future.failedFuture(refusal("links back to a page already read (a loop)"));
      }
      ParentRequest request = ParentRequest.of(HttpMethod.GET, target, scope);
      return caller.call(request, response -> {
        if (response.statusCode() == 404) {
          return ParentCaller.discard(response).map(v -> false);
        }
        if (response.statusCode() != 200) {
          return ParentCaller.failure(request, response);
        }
        String link = nextLink(response.getHeader("Link"));
        return ParentCaller.json(request, response, MAX_PAGE_BYTES).map(json -> {
          add(request, json);
          next = link;
          return true;
        });
      });
    }

    private void add(ParentRequest request, JsonObject page) {
      Object value = page.getValue(field);
      if (value != null && !(value instanceof JsonArray)) {
        throw new ParentStatusException("GET", request.loggable(), 200, null, "'" + field + "' is not a list");
      }
      JsonArray array = value == null ? new JsonArray() : (JsonArray) value;
      if (entries.size() + refusedCount + array.size() > MAX_ENTRIES) {
        throw refusal("has more than " + MAX_ENTRIES + " entries; not holding more");
      }
      for (int i = 0; i < array.size(); i++) {
        try {
          entries.add(entry.apply(array.getValue(i)));
        } catch (IllegalArgumentException | ClassCastException | NullPointerException bad) {
          if (refusedCount++ < MAX_REFUSALS_NAMED) {
            refused.add(what + ": " + (bad instanceof IllegalArgumentException ? bad.getMessage()
                : "an entry of '" + field + "' that is not of the expected shape"));
          }
        }
      }
    }

    private ParentStatusException refusal(String why) {
      return new ParentStatusException("GET", what, 200, null, "the listing " + why);
    }
  }

  static String nextLink(String header) {
    if (header == null) {
      return null;
    }
    Matcher m = NEXT_LINK.matcher(header);
    return m.find() ? m.group(1) : null;
  }

  /** A JSON string element; anything else is refused. */
  static String string(Object element) {
    if (!(element instanceof String s)) {
      throw new IllegalArgumentException("an entry that is not a string");
    }
    return s;
  }
}
