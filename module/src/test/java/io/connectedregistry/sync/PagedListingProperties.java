package io.connectedregistry.sync;

import static io.connectedregistry.Generators.anyStrings;
import static io.connectedregistry.Generators.bytes;
import static io.connectedregistry.Generators.chars;
import static io.connectedregistry.Generators.joined;
import static io.connectedregistry.Generators.pick;
import static io.connectedregistry.Generators.strings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import io.vertx.core.json.JsonArray;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * {@link PagedListing#nextLink} reads the parent's {@code Link} header: a hostile parent's header
 * is a target taken from the header or null, never an exception. {@link PagedListing#string}
 * reads one entry of a tag or catalog list: the string, or {@link IllegalArgumentException}.
 */
class PagedListingProperties {

  @Test
  void aGeneratedNextLinkParsesToItsTarget() {
    qt().withExamples(500).forAll(targets(), pick("; rel=\"next\"", ";rel=next", " ;  rel=\"next",
            "; rel=next\", <x>; rel=\"prev\""), pick("", " ", "<other>; rel=\"prev\", "))
        .checkAssert((target, rel, prefix) -> assertEquals(target, PagedListing.nextLink(prefix + "<" + target + ">" + rel)));
  }

  @Test
  void anyLinkHeaderIsATargetOrNull() {
    Gen<String> linkShaped = joined(Generate.oneOf(strings(Generate.oneOf(chars('a', 'z'), chars('A', 'Z')), 0, 5),
        pick("<", ">", ";", "rel=", "\"", "next", " ", ",", "/v2/a/tags/list?n=1&last=b", "\u0000", "\r\n")), 20);
    qt().withExamples(1000).forAll(linkShaped).checkAssert(PagedListingProperties::targetOrNull);
  }

  @Test
  void anyStringIsATargetOrNull() {
    qt().withExamples(1000).forAll(anyStrings(200)).checkAssert(PagedListingProperties::targetOrNull);
  }

  @Test
  void invalidUtf8IsATargetOrNull() {
    qt().withExamples(300).forAll(bytes(0, 300))
        .checkAssert(bytes -> targetOrNull("<" + new String(bytes, StandardCharsets.UTF_8) + ">; rel=\"next\""));
  }

  /** Vert.x's client takes headers up to 8 KiB; the regex's backtracking stays bounded there. */
  @Test
  void longHeadersAreATargetOrNull() {
    qt().withExamples(20).forAll(integers().between(100, 8_192), pick("<", "<a", "<a>;", "<a> ; rel=", ";",
            "<a>; rel=\"prev\", "))
        .checkAssert((count, piece) -> targetOrNull(piece.repeat(count / piece.length() + 1)));
  }

  @Test
  void anyJsonElementIsItsStringOrAnIllegalArgument() {
    qt().withExamples(1000).forAll(ParentJson.values()).checkAssert(element -> {
      try {
        assertEquals(element, PagedListing.string(element));
      } catch (IllegalArgumentException expected) {
        assertFalse(element instanceof String, "a string refused");
      }
    });
  }

  @Test
  void anElementThatIsNotAStringIsAnIllegalArgument() {
    for (String list : List.of("[null]", "[1]", "[{}]", "[[]]", "[true]", "[1.5]")) {
      Object element = new JsonArray(list).getValue(0);
      assertThrows(IllegalArgumentException.class, () -> PagedListing.string(element), list);
    }
  }

  private static void targetOrNull(String header) {
    String target = PagedListing.nextLink(header);
    if (target != null) {
      assertTrue(!target.isEmpty() && header.contains("<" + target + ">"), target);
    }
  }

  /** Printable ASCII but the angle brackets that delimit a target. */
  private static Gen<String> targets() {
    return strings("!\"#$%&'()*+,-./0123456789:;=?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~",
        1, 200);
  }
}
