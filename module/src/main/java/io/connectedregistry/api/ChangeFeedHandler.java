package io.connectedregistry.api;

import io.connectedregistry.auth.Principal;
import io.connectedregistry.oci.ErrorCode;
import io.connectedregistry.oci.RepositoryName;
import io.connectedregistry.oci.Tag;
import io.connectedregistry.storage.Change;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.List;

/**
 * {@code GET /_connected/v1/changes?after=N[&limit=M]}: the change log a child registry syncs
 * from. Every tag and manifest change has a sequence number; a child keeps the last one it applied
 * (its cursor) and asks for what came after, so a sync with nothing new is one small request
 * whatever the number of tags.
 *
 * <pre>{"changes":[{"sequence","repository","action","tag","digest","timestamp"}],
 *  "last": N, "more": false, "head": H, "store": ID}</pre>
 *
 * Only repositories the caller may read are listed; {@code last} is the last sequence number
 * examined (listed or not), so the child's cursor moves past what it may not see; {@code head} is
 * the newest sequence number, where a child that copies everything by listing tags starts from;
 * {@code store} is this store's id ({@code RegistryStorage.storeId}), the log the numbers count in.
 *
 * <p>{@code GET /_connected/v1/changes?repository=R&tag=T}: only the newest change of that tag (a
 * list of one, or empty), with {@code head}. A ReadWrite child's upstream queue asks it to learn
 * when the parent's tag last changed (its conflict rule).
 */
final class ChangeFeedHandler {
  private static final int DEFAULT_LIMIT = 1_000;
  private static final int MAX_LIMIT = 10_000;

  private final Storage storage;

  ChangeFeedHandler(Storage storage) {
    this.storage = storage;
  }

  private record Read(String store, long head, List<Change> changes) {}

  void list(RoutingContext ctx) {
    if (ctx.request().getParam("tag") != null || ctx.request().getParam("repository") != null) {
      latestOfTag(ctx);
      return;
    }
    long after = number(ctx, "after", 0, Long.MAX_VALUE);
    int limit = (int) number(ctx, "limit", DEFAULT_LIMIT, MAX_LIMIT);
    Principal principal = AuthHandler.principal(ctx);
    // The head is read first: a change committed meanwhile is then in the page or after the head,
    // never skipped by a child that starts from the head.
    storage.call(s -> new Read(s.storeId(), s.lastChangeSequence(), s.changesAfter(after, limit + 1)))
        .onSuccess(read -> {
      long head = read.head();
      List<Change> found = read.changes();
      boolean more = found.size() > limit;
      List<Change> page = more ? found.subList(0, limit) : found;
      JsonArray changes = new JsonArray();
      for (Change change : page) {
        if (principal.maySee(change.repository())) {
          changes.add(entry(change));
        }
      }
      long last = page.isEmpty() ? after : page.get(page.size() - 1).sequence();
      JsonObject body = new JsonObject().put("changes", changes).put("last", last).put("more", more)
          .put("head", Math.max(head, last)).put("store", read.store());
      ctx.response().putHeader("Content-Type", "application/json").end(body.encode());
    }).onFailure(ctx::fail);
  }

  private record Latest(long head, java.util.Optional<Change> change) {}

  private void latestOfTag(RoutingContext ctx) {
    String repository = ctx.request().getParam("repository");
    String tag = ctx.request().getParam("tag");
    try {
      RepositoryName.of(repository);
      Tag.validate(tag);
    } catch (IllegalArgumentException | NullPointerException e) {
      throw ErrorCode.REQUEST_INVALID.exception("repository and tag must both be given, and valid");
    }
    Principal principal = AuthHandler.principal(ctx);
    storage.call(s -> new Latest(s.lastChangeSequence(), s.latestTagChange(repository, tag)))
        .onSuccess(read -> {
          JsonArray changes = new JsonArray();
          read.change().filter(c -> principal.maySee(c.repository())).ifPresent(c -> changes.add(entry(c)));
          JsonObject body = new JsonObject().put("changes", changes).put("last", read.head()).put("more", false)
              .put("head", read.head());
          ctx.response().putHeader("Content-Type", "application/json").end(body.encode());
        }).onFailure(ctx::fail);
  }

  private static JsonObject entry(Change change) {
    JsonObject entry = new JsonObject()
        .put("sequence", change.sequence())
        .put("repository", change.repository())
        .put("action", change.action())
        .put("digest", change.digest())
        .put("timestamp", Instant.ofEpochMilli(change.timestampMillis()).toString());
    if (change.tag() != null) {
      entry.put("tag", change.tag());
    }
    return entry;
  }


  private static long number(RoutingContext ctx, String name, long absent, long max) {
    String raw = ctx.request().getParam(name);
    if (raw == null || raw.isEmpty()) {
      return absent;
    }
    try {
      long value = Long.parseLong(raw);
      if (value < 0 || value > max) {
        throw ErrorCode.REQUEST_INVALID.exception(name + " must be between 0 and " + max);
      }
      return value;
    } catch (NumberFormatException e) {
      throw ErrorCode.REQUEST_INVALID.exception(name + " must be a number, not '" + raw + "'");
    }
  }
}
