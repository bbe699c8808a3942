package io.connectedregistry.sync;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.RepositoryName;
import io.connectedregistry.oci.Tag;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code GET /_connected/v1/changes?after=N}: the change feed of a parent that is another instance
 * of this project. Empty when the parent does not have the API (a plain OCI registry answers 404),
 * which is how sync tells the two kinds of parent apart.
 *
 * <p>Every value goes through the OCI grammar here. A change whose name, tag or digest does not
 * parse is still handed on, marked {@link Change#invalid()}, so that sync reports it and gives it
 * up under the {@code sync.messageTtl} rules like any change that keeps failing. A page whose
 * sequence numbers are missing, out of order or do not advance cannot be followed at all and
 * fails with a {@link ParentStatusException}.
 */
public final class ListChanges {
  /** A page of 1000 changes of a few hundred bytes each is about 400 KiB; 4 MiB bounds the rest. */
  static final long MAX_PAGE_BYTES = 4L * 1024 * 1024;

  /**
   * One tag or manifest event at the parent. {@code tag} is null for manifest events;
   * {@code timestamp} is when the parent recorded it (null if it did not say, or not readably).
   *
   * @param invalid why the change cannot be applied (a name, tag or digest off the grammar), or
   *     null; {@code repository}, {@code tag} and {@code digest} are valid only when it is null
   */
  public record Change(long sequence, String repository, String action, String tag, Digest digest,
      Instant timestamp, String invalid) {

    /** {@code action repository:tag} or {@code action repository@digest}, for reports. */
    public String describe() {
      return action + " " + repository + (tag != null ? ":" + tag : digest != null ? "@" + digest : "");
    }
  }

  /**
   * A page of the feed: its changes, the last sequence examined, whether more follow, the head, and
   * the parent's store id (null from a parent that does not say, or not in the expected form).
   */
  public record Page(List<Change> changes, long last, boolean more, long head, String store) {}

  /** A store id is 32 lower-case hex digits ({@code RegistryStorage.storeId}). */
  private static final java.util.regex.Pattern STORE_ID = java.util.regex.Pattern.compile("[0-9a-f]{32}");

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
      return ParentCaller.json(request, response, MAX_PAGE_BYTES)
          .map(json -> Optional.of(page(request, json, sequence)));
    });
  }

  /**
   * One page of the feed, asked for after {@code after}.
   *
   * @throws ParentStatusException when the page cannot be followed (see the class comment)
   */
  static Page page(ParentRequest request, JsonObject json, long after) {
    Object value = json.getValue("changes");
    if (value != null && !(value instanceof JsonArray)) {
      throw unusable(request, "'changes' is not a list");
    }
    JsonArray array = value == null ? new JsonArray() : (JsonArray) value;
    List<Change> changes = new ArrayList<>();
    long previous = after;
    for (int i = 0; i < array.size(); i++) {
      if (!(array.getValue(i) instanceof JsonObject c)) {
        throw unusable(request, "change " + i + " of the page is not an object");
      }
      long sequence = number(c.getValue("sequence"), -1);
      if (sequence <= previous) {
        // Without an ascending sequence the cursor cannot say what was applied.
        throw unusable(request, "change " + i + " of the page has no sequence number after " + previous);
      }
      previous = sequence;
      changes.add(change(sequence, c));
    }
    long last = number(json.getValue("last"), -1);
    if (last < previous) {
      throw unusable(request, "'last' is missing or before the page's changes");
    }
    boolean more = json.getValue("more") instanceof Boolean b && b;
    if (more && last <= after) {
      throw unusable(request, "says more changes follow but does not advance past " + after);
    }
    String store = json.getValue("store") instanceof String id && STORE_ID.matcher(id).matches() ? id : null;
    return new Page(changes, last, more, Math.max(last, number(json.getValue("head"), last)), store);
  }

  /** One change, its values checked against the grammar the action needs. */
  private static Change change(long sequence, JsonObject c) {
    String repository = text(c.getValue("repository"));
    String action = text(c.getValue("action"));
    String tag = text(c.getValue("tag"));
    String digestText = text(c.getValue("digest"));
    Instant timestamp = instant(c.getValue("timestamp"));
    // An action this version does not know is skipped by sync whatever it holds: not checked.
    boolean needsTag = "tag_set".equals(action) || "tag_deleted".equals(action);
    boolean needsDigest = "tag_set".equals(action) || "manifest_put".equals(action) || "manifest_deleted".equals(action);
    Digest digest = null;
    String invalid = null;
    try {
      if (action == null) {
        throw new IllegalArgumentException("a change without an action");
      }
      if (needsTag || needsDigest) {
        RepositoryName.of(repository);
      }
      if (needsTag) {
        Tag.validate(tag);
      }
      if (needsDigest || needsTag && digestText != null) {
        digest = Digest.parse(digestText);
      }
    } catch (IllegalArgumentException e) {
      invalid = e.getMessage();
      digest = null;
    }
    return new Change(sequence, repository, action, needsTag ? tag : null, digest, timestamp, invalid);
  }

  private static long number(Object value, long otherwise) {
    return value instanceof Long || value instanceof Integer ? ((Number) value).longValue() : otherwise;
  }

  /** A string value, or null for anything else; what it holds is checked by the grammar later. */
  private static String text(Object value) {
    return value instanceof String s ? s : null;
  }

  private static Instant instant(Object value) {
    try {
      return value instanceof String s ? Instant.parse(s) : null;
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static ParentStatusException unusable(ParentRequest request, String why) {
    return new ParentStatusException("GET", request.loggable(), 200, null, "the change feed " + why);
  }
}
