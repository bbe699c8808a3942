package io.connectedregistry.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * {@link Reference#parse} (and {@link Tag#validate} under it) reads the {@code <reference>} of
 * manifest URLs and the tags of the parent's change feed: a tag, a digest, or
 * {@link InvalidReferenceException}.
 */
class ReferenceProperties {

  @Property
  void aGeneratedTagParsesToThatTag(@ForAll("validTags") String tag) {
    Reference reference = Reference.parse(tag);
    assertFalse(reference.isDigest());
    assertEquals(tag, reference.tag());
    assertEquals(tag, reference.toString());
  }

  @Property(tries = 200)
  void aDigestParsesToThatDigest(@ForAll byte[] content) {
    Digest digest = Digest.sha256(content);
    Reference reference = Reference.parse(digest.toString());
    assertTrue(reference.isDigest());
    assertNull(reference.tag());
    assertEquals(digest, reference.digest());
  }

  @Property(tries = 1000)
  void anyStringIsAReferenceOrRefusedAsOne(@ForAll String text) {
    referenceOrRefused(text);
  }

  @Property(tries = 1000)
  void stringsOfTheGrammarsAlphabetAreAReferenceOrRefused(@ForAll("grammarShaped") String text) {
    referenceOrRefused(text);
  }

  @Property(tries = 50)
  void aHugeReferenceIsRefused(@ForAll @IntRange(min = 129, max = 100_000) int length,
      @ForAll("hugeShapes") String shape) {
    referenceOrRefused(shape.replace("N", "a".repeat(length)));
  }

  @Property(tries = 300)
  void invalidUtf8DecodedAsTextIsAReferenceOrRefused(@ForAll byte[] bytes) {
    referenceOrRefused(new String(bytes, StandardCharsets.UTF_8));
  }

  private static void referenceOrRefused(String text) {
    try {
      Reference reference = Reference.parse(text);
      assertEquals(text, reference.toString());
    } catch (InvalidReferenceException e) {
      assertTrue(e.kind().equals("tag") || e.kind().equals("digest"), e.kind());
    }
  }

  @Provide
  Arbitrary<String> validTags() {
    Arbitrary<Character> first = Arbitraries.chars().range('a', 'z').range('A', 'Z').range('0', '9').with('_');
    Arbitrary<String> rest = Arbitraries.strings().withCharRange('a', 'z').withCharRange('A', 'Z')
        .withCharRange('0', '9').withChars("._-").ofMaxLength(127);
    return Combinators.combine(first, rest).as((c, r) -> c + r);
  }

  @Provide
  Arbitrary<String> grammarShaped() {
    return Arbitraries.strings().withChars("aZ09._-:sha256+@/ \u0000\n\u00e9").ofMaxLength(300);
  }

  @Provide
  Arbitrary<String> hugeShapes() {
    return Arbitraries.of("N", "sha256:N", "N:N", "a" + ".a".repeat(3000) + ":N", "_N", ".N");
  }
}
