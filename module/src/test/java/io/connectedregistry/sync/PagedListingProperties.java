package io.connectedregistry.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * {@link PagedListing#nextLink} reads the parent's {@code Link} header: a hostile parent's header
 * is a target taken from the header or null, never an exception.
 */
class PagedListingProperties {

  @Property
  void aGeneratedNextLinkParsesToItsTarget(@ForAll("targets") String target, @ForAll("relForms") String rel,
      @ForAll("prefixes") String prefix) {
    assertEquals(target, PagedListing.nextLink(prefix + "<" + target + ">" + rel));
  }

  @Property(tries = 1000)
  void anyLinkHeaderIsATargetOrNull(@ForAll("linkShaped") String header) {
    targetOrNull(header);
  }

  @Property(tries = 1000)
  void anyStringIsATargetOrNull(@ForAll String header) {
    targetOrNull(header);
  }

  @Property(tries = 300)
  void invalidUtf8IsATargetOrNull(@ForAll byte[] bytes) {
    targetOrNull("<" + new String(bytes, StandardCharsets.UTF_8) + ">; rel=\"next\"");
  }

  /** Vert.x's client takes headers up to 8 KiB; the regex's backtracking stays bounded there. */
  @Property(tries = 20)
  void longHeadersAreATargetOrNull(@ForAll @IntRange(min = 100, max = 8_192) int count,
      @ForAll("hugePieces") String piece) {
    targetOrNull(piece.repeat(count / piece.length() + 1));
  }

  @Property(tries = 1000)
  void anyJsonIsAListOfStringsOrAnIllegalArgument(@ForAll("lists") io.vertx.core.json.JsonObject json) {
    try {
      PagedListing.strings(json, "tags").forEach(org.junit.jupiter.api.Assertions::assertNotNull);
    } catch (IllegalArgumentException expected) {
      // the documented refusal
    }
  }

  @net.jqwik.api.Example
  void aListThatIsNotAnArrayOfStringsIsAnIllegalArgument() {
    for (String body : java.util.List.of("{\"tags\":\"x\"}", "{\"tags\":[null]}", "{\"tags\":{}}")) {
      org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
          () -> PagedListing.strings(new io.vertx.core.json.JsonObject(body), "tags"), body);
    }
  }

  private static void targetOrNull(String header) {
    String target = PagedListing.nextLink(header);
    if (target != null) {
      assertTrue(!target.isEmpty() && header.contains("<" + target + ">"), target);
    }
  }

  @Provide
  Arbitrary<io.vertx.core.json.JsonObject> lists() {
    Arbitrary<Object> tags = Arbitraries.oneOf(ParentJson.values(),
        ParentJson.values().list().ofMaxSize(4).map(l -> (Object) new io.vertx.core.json.JsonArray(l)));
    return tags.map(t -> io.vertx.core.json.JsonObject.of("name", "a", "tags", t));
  }

  @Provide
  Arbitrary<String> targets() {
    return Arbitraries.strings().withCharRange('!', '~').ofMinLength(1).ofMaxLength(200)
        .filter(t -> !t.contains(">") && !t.contains("<"));
  }

  @Provide
  Arbitrary<String> relForms() {
    return Arbitraries.of("; rel=\"next\"", ";rel=next", " ;  rel=\"next", "; rel=next\", <x>; rel=\"prev\"");
  }

  @Provide
  Arbitrary<String> prefixes() {
    return Arbitraries.of("", " ", "<other>; rel=\"prev\", ");
  }

  @Provide
  Arbitrary<String> linkShaped() {
    Arbitrary<String> piece = Arbitraries.oneOf(Arbitraries.strings().alpha().ofMaxLength(5),
        Arbitraries.of("<", ">", ";", "rel=", "\"", "next", " ", ",", "/v2/a/tags/list?n=1&last=b", "\u0000", "\r\n"));
    return piece.list().ofMaxSize(20).map(pieces -> String.join("", pieces));
  }

  @Provide
  Arbitrary<String> hugePieces() {
    return Arbitraries.of("<", "<a", "<a>;", "<a> ; rel=", ";", "<a>; rel=\"prev\", ");
  }
}
