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
  void anyJsonElementIsItsStringOrAnIllegalArgument(@ForAll("elements") Object element) {
    try {
      assertEquals(element, PagedListing.string(element));
    } catch (IllegalArgumentException expected) {
      assertTrue(!(element instanceof String), "a string refused");
    }
  }

  @net.jqwik.api.Example
  void anElementThatIsNotAStringIsAnIllegalArgument() {
    for (String list : java.util.List.of("[null]", "[1]", "[{}]", "[[]]", "[true]", "[1.5]")) {
      Object element = new io.vertx.core.json.JsonArray(list).getValue(0);
      org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
          () -> PagedListing.string(element), list);
    }
  }

  private static void targetOrNull(String header) {
    String target = PagedListing.nextLink(header);
    if (target != null) {
      assertTrue(!target.isEmpty() && header.contains("<" + target + ">"), target);
    }
  }

  @Provide
  Arbitrary<Object> elements() {
    return ParentJson.values();
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
