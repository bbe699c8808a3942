package io.connectedregistry.sync;

import static io.connectedregistry.Generators.anyStrings;
import static io.connectedregistry.Generators.bytes;
import static io.connectedregistry.Generators.chars;
import static io.connectedregistry.Generators.nullable;
import static io.connectedregistry.Generators.pick;
import static io.connectedregistry.Generators.strings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.RepositoryName;
import io.connectedregistry.oci.Tag;
import io.connectedregistry.sync.ListChanges.Change;
import io.connectedregistry.sync.ListChanges.Page;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * {@link ListChanges#page} reads the change feed of a parent: whatever the body, a page whose
 * changes are valid or marked invalid, or a {@link ParentStatusException} — never a
 * ClassCastException, NullPointerException or a JSON or date parser's exception.
 */
class ListChangesProperties {
  private static final ParentRequest REQUEST =
      ParentRequest.of(HttpMethod.GET, "/_connected/v1/changes?after=0&limit=100", Scopes.CATALOG);
  private static final Set<String> KNOWN = Set.of("tag_set", "tag_deleted", "manifest_put", "manifest_deleted");

  @Test
  void aGeneratedPageParsesToItsChanges() {
    qt().withExamples(300).forAll(changeLists(), booleans().all()).checkAssert(ListChangesProperties::parsesToItsChanges);
  }

  private static void parsesToItsChanges(List<Change> changes, boolean more) {
    JsonArray array = new JsonArray();
    for (Change c : changes) {
      JsonObject o = JsonObject.of("sequence", c.sequence(), "repository", c.repository(), "action", c.action());
      if (c.tag() != null) {
        o.put("tag", c.tag());
      }
      if (c.digest() != null) {
        o.put("digest", c.digest().toString());
      }
      if (c.timestamp() != null) {
        o.put("timestamp", c.timestamp().toString());
      }
      array.add(o);
    }
    long last = (changes.isEmpty() ? 0 : changes.get(changes.size() - 1).sequence()) + (more ? 1 : 0);
    JsonObject json = JsonObject.of("changes", array, "last", last, "more", more, "head", last + 5);

    assertEquals(new Page(changes, last, more, last + 5, null), ListChanges.page(REQUEST, json, 0));
  }

  @Test
  void theParentsStoreIdIsKeptOnlyInItsOwnForm() {
    String id = "0123456789abcdef0123456789abcdef";
    assertEquals(id, ListChanges.page(REQUEST, JsonObject.of("last", 0, "store", id), 0).store());
    for (Object other : List.of("0123", id.toUpperCase(), id + "0", "../" + id, 42)) {
      assertEquals(null, ListChanges.page(REQUEST, JsonObject.of("last", 0, "store", other), 0).store(),
          String.valueOf(other));
    }
  }

  @Test
  void aPageThatCannotBeFollowedIsAParentStatusException() {
    for (String body : List.of("{\"changes\":[{}]}", "{\"changes\":[1]}", "{\"changes\":[null]}",
        "{\"changes\":[{\"sequence\":2,\"action\":\"x\"},{\"sequence\":1,\"action\":\"x\"}],\"last\":2}",
        "{\"changes\":[{\"sequence\":\"1\",\"action\":\"x\"}],\"last\":1}",
        "{\"changes\":\"x\"}", "{\"last\":\"x\"}", "{\"last\":0,\"more\":true}", "[]", "not json")) {
      assertThrows(ParentStatusException.class, () -> read(Buffer.buffer(body)), body);
    }
  }

  @Test
  void aChangeOffTheGrammarIsMarkedInvalidNotThrown() {
    String digest = "sha256:" + "b".repeat(64);
    for (String change : List.of("\"repository\":\"A B\",\"tag\":\"t\",\"digest\":\"" + digest + "\"",
        "\"repository\":\"a\",\"tag\":\"-t\",\"digest\":\"" + digest + "\"",
        "\"repository\":\"a\",\"tag\":\"t\",\"digest\":\"sha256:x\"", "\"repository\":1,\"tag\":[],\"digest\":{}")) {
      Page page = read(Buffer.buffer("{\"changes\":[{\"sequence\":1,\"action\":\"tag_set\"," + change + "}],\"last\":1}"));
      assertNotNull(page.changes().get(0).invalid(), change);
      assertNull(page.changes().get(0).digest(), change);
    }
  }

  @Test
  void anUnreadableTimestampIsNone() {
    Page page = read(Buffer.buffer("{\"changes\":[{\"sequence\":1,\"repository\":\"a\",\"action\":\"tag_set\","
        + "\"tag\":\"t\",\"digest\":\"sha256:" + "b".repeat(64) + "\",\"timestamp\":\"x\"}],\"last\":1}"));
    assertNull(page.changes().get(0).timestamp());
    assertNull(page.changes().get(0).invalid());
  }

  @Test
  void anyJsonInAnyFieldIsAPageOrAParentStatusException() {
    qt().withExamples(1000).forAll(pages()).checkAssert(json -> pageOrRefused(json.toBuffer()));
  }

  @Test
  void anyBytesAreAPageOrAParentStatusException() {
    qt().withExamples(500).forAll(bytes(0, 300)).checkAssert(bytes -> pageOrRefused(Buffer.buffer(bytes)));
  }

  @Test
  void anyTextIsAPageOrAParentStatusException() {
    qt().withExamples(500).forAll(anyStrings(300))
        .checkAssert(text -> pageOrRefused(Buffer.buffer(text.getBytes(StandardCharsets.UTF_8))));
  }

  private static Page read(Buffer body) {
    return ListChanges.page(REQUEST, ParentCaller.jsonObject(REQUEST, 200, body), 0);
  }

  /** A page's sequences ascend past the cursor, and a change not marked invalid holds valid values. */
  private static void pageOrRefused(Buffer body) {
    Page page;
    try {
      page = read(body);
    } catch (ParentStatusException expected) {
      return;
    }
    long previous = 0;
    for (Change c : page.changes()) {
      assertTrue(c.sequence() > previous, c::toString);
      previous = c.sequence();
      if (c.invalid() == null && KNOWN.contains(c.action())) {
        RepositoryName.of(c.repository());
        if (c.action().startsWith("tag_")) {
          Tag.validate(c.tag());
        } else {
          assertNotNull(c.digest(), c::toString);
        }
      }
    }
    assertTrue(page.last() >= previous && page.head() >= page.last(), page::toString);
  }

  private static Gen<List<Change>> changeLists() {
    Gen<Instant> times = nullable(longs().between(0, 4_000_000_000L).map(s -> Instant.ofEpochSecond(s)), 20);
    Gen<String> names = strings(chars('a', 'z'), 1, 10);
    Gen<Digest> digests = nullable(bytes(0, 8).map(Digest::sha256), 30);
    Gen<String> actions = pick("tag_set", "tag_deleted", "manifest_put", "manifest_deleted", "new_kind");
    Gen<Change> change = longs().between(1, 1_000_000).zip(names, actions, names, digests,
        (gap, repository, action, tag, digest) -> {
          // What the parser keeps: a tag for tag actions only, a digest where the action reads one.
          boolean tagged = action.startsWith("tag_");
          Digest kept = action.equals("new_kind") ? null
              : action.equals("tag_deleted") ? digest : digest == null ? Digest.sha256(new byte[0]) : digest;
          return new Change(gap, repository, action, tagged ? tag : null, kept, null, null);
        }).zip(times, (c, time) -> new Change(c.sequence(), c.repository(), c.action(), c.tag(), c.digest(), time, null));
    // Sequences ascend: each generated one is the gap after the one before.
    return lists().of(change).ofSizeBetween(0, 10).map(list -> {
      List<Change> out = new ArrayList<>();
      long sequence = 0;
      for (Change c : list) {
        sequence += c.sequence();
        out.add(new Change(sequence, c.repository(), c.action(), c.tag(), c.digest(), c.timestamp(), null));
      }
      return out;
    });
  }

  private static Gen<JsonObject> pages() {
    Gen<Object> change = Generate.oneOf(ParentJson.values(), changeLists().map(l -> l.isEmpty()
        ? (Object) JsonObject.of() : JsonObject.of("sequence", l.get(0).sequence(), "repository", l.get(0).repository(),
            "action", l.get(0).action(), "tag", "t", "digest", "sha256:" + "b".repeat(64))));
    Gen<Object> changeList = lists().of(change).ofSizeBetween(0, 4).map(l -> (Object) new JsonArray(l));
    return Generate.oneOf(changeList, ParentJson.values()).zip(ParentJson.values(), ParentJson.values(),
        ParentJson.values(), (changes, last, more, head) -> JsonObject.of("changes", changes, "last", last, "more", more,
            "head", head));
  }
}
