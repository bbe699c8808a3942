package io.connectedregistry.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.sync.ListChanges.Change;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * {@link ListChanges#page} reads the change feed of a parent: whatever the body, a page or
 * {@link IllegalArgumentException} — never a ClassCastException, NullPointerException or a JSON
 * or date parser's exception.
 */
class ListChangesProperties {

  @Property(tries = 300)
  void aGeneratedPageParsesToItsChanges(@ForAll @Size(max = 10) List<@From("changes") Change> changes,
      @ForAll boolean more) {
    JsonArray array = new JsonArray();
    for (ListChanges.Change c : changes) {
      JsonObject o = JsonObject.of("sequence", c.sequence(), "repository", c.repository(), "action", c.action());
      if (c.tag() != null) {
        o.put("tag", c.tag());
      }
      o.put("digest", c.digest());
      if (c.timestamp() != null) {
        o.put("timestamp", c.timestamp().toString());
      }
      array.add(o);
    }
    long last = changes.isEmpty() ? 0 : changes.get(changes.size() - 1).sequence();
    Buffer body = JsonObject.of("changes", array, "last", last, "more", more, "head", last + 5).toBuffer();

    ListChanges.Page page = ListChanges.page(body);

    assertEquals(new ListChanges.Page(changes, last, more, last + 5), page);
  }

  @Example
  void malformedChangesAreAnIllegalArgument() {
    for (String body : List.of("{\"changes\":[{}]}", "{\"changes\":[1]}", "{\"changes\":[null]}",
        "{\"changes\":[{\"sequence\":1,\"repository\":\"a\",\"action\":\"tag_set\",\"timestamp\":\"x\"}]}",
        "{\"changes\":\"x\"}", "{\"last\":\"x\"}", "[]", "not json")) {
      assertThrows(IllegalArgumentException.class, () -> ListChanges.page(Buffer.buffer(body)), body);
    }
  }

  @Property(tries = 1000)
  void anyJsonInAnyFieldIsAPageOrAnIllegalArgument(@ForAll("pages") JsonObject json) {
    pageOrRefused(json.toBuffer());
  }

  @Property(tries = 500)
  void anyBytesAreAPageOrAnIllegalArgument(@ForAll @Size(max = 300) byte[] bytes) {
    pageOrRefused(Buffer.buffer(bytes));
  }

  @Property(tries = 500)
  void anyTextIsAPageOrAnIllegalArgument(@ForAll @Size(max = 300) String text) {
    pageOrRefused(Buffer.buffer(text.getBytes(StandardCharsets.UTF_8)));
  }

  private static void pageOrRefused(Buffer body) {
    try {
      ListChanges.Page page = ListChanges.page(body);
      page.changes().forEach(c -> assertTrue(c.repository() != null && c.action() != null));
    } catch (IllegalArgumentException expected) {
      assertTrue(expected.getMessage().startsWith("the parent's change feed is malformed"), expected.getMessage());
    }
  }

  @Provide
  Arbitrary<ListChanges.Change> changes() {
    Arbitrary<Instant> times = Arbitraries.longs().between(0, 4_000_000_000L).map(Instant::ofEpochSecond).injectNull(0.2);
    return Combinators.combine(Arbitraries.longs().between(1, Long.MAX_VALUE), Arbitraries.strings().alpha().ofMinLength(1)
            .ofMaxLength(10), Arbitraries.of("tag_set", "tag_deleted", "manifest_put", "manifest_deleted", "new_kind"),
        Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(10).injectNull(0.3),
        Arbitraries.of("sha256:" + "b".repeat(64)), times)
        .as(ListChanges.Change::new);
  }

  @Provide
  Arbitrary<JsonObject> pages() {
    Arbitrary<Object> change = Arbitraries.oneOf(ParentJson.values(), changes().map(c -> (Object) JsonObject.of(
        "sequence", c.sequence(), "repository", c.repository(), "action", c.action())));
    Arbitrary<Object> changeList = change.list().ofMaxSize(4).map(l -> (Object) new JsonArray(l));
    return Combinators.combine(Arbitraries.oneOf(changeList, ParentJson.values()), ParentJson.values(),
        ParentJson.values(), ParentJson.values())
        .as((changes, last, more, head) -> JsonObject.of("changes", changes, "last", last, "more", more, "head", head));
  }
}
