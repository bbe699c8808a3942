package io.connectedregistry.sync;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code GET /_connected/v1/changes?after=N}: the change feed of a parent that is another instance
 * of this project. Empty when the parent does not have the API (a plain OCI registry answers 404),
 * which is how sync tells the two kinds of parent apart.
 */
public final class ListChanges {

  /**
   * One tag or manifest event at the parent. {@code tag} is null for manifest events;
   * {@code timestamp} is when the parent recorded it (null if it did not say).
   */
  public record Change(long sequence, String repository, String action, String tag, String digest,
      java.time.Instant timestamp) {}

  /** A page of the feed: its changes, the last sequence examined, whether more follow, the head. */
  public record Page(List<Change> changes, long last, boolean more, long head) {}

  private final ParentCaller caller;
  private final int pageSize;

  public ListChanges(ParentCaller caller, int pageSize) {
    this.caller = caller;
    this.pageSize = pageSize;
  }

  public Future<Optional<Page>> after(long sequence) {
    ParentRequest request = ParentRequest.of(HttpMethod.GET,
        "/_connected/v1/changes?after=" + sequence + "&limit=" + pageSize, Scopes.CATALOG);
    return caller.call(request, response -> {
      if (response.statusCode() == 404) {
        return ParentCaller.discard(response).map(v -> Optional.<Page>empty());
      }
      if (response.statusCode() != 200) {
        return ParentCaller.failure(request, response);
      }
      return ParentCaller.body(response).map(body -> Optional.of(page(body)));
    });
  }

  /**
   * One page of the feed as the parent sent it.
   *
   * @throws IllegalArgumentException when it is not a page of the feed: not JSON, a field of the
   *     wrong type, a change without its sequence, repository or action
   */
  static Page page(Buffer body) {
    try {
      JsonObject json = body.toJsonObject();
      List<Change> changes = new ArrayList<>();
      JsonArray array = json.getJsonArray("changes", new JsonArray());
      for (int i = 0; i < array.size(); i++) {
        JsonObject c = array.getJsonObject(i);
        if (c == null || c.getLong("sequence") == null || c.getString("repository") == null
            || c.getString("action") == null) {
          throw malformed("changes[" + i + "] lacks its sequence, repository or action");
        }
        String timestamp = c.getString("timestamp");
        changes.add(new Change(c.getLong("sequence"), c.getString("repository"),
            c.getString("action"), c.getString("tag"), c.getString("digest"),
            timestamp == null ? null : java.time.Instant.parse(timestamp)));
      }
      long last = json.getLong("last", 0L);
      return new Page(changes, last, json.getBoolean("more", false), json.getLong("head", last));
    } catch (DecodeException | ClassCastException | DateTimeParseException e) {
      // What Vert.x's typed getters and Instant.parse throw for a value of the wrong shape.
      throw malformed(e.getMessage());
    }
  }

  private static IllegalArgumentException malformed(String detail) {
    return new IllegalArgumentException("the parent's change feed is malformed: " + detail);
  }
}
