package io.connectedregistry.oci;

import static io.connectedregistry.Generators.anyStrings;
import static io.connectedregistry.Generators.bytes;
import static io.connectedregistry.Generators.chars;
import static io.connectedregistry.Generators.pick;
import static io.connectedregistry.Generators.strings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * {@link Reference#parse} (and {@link Tag#validate} under it) reads the {@code <reference>} of
 * manifest URLs and the tags of the parent's change feed: a tag, a digest, or
 * {@link InvalidReferenceException}.
 */
class ReferenceProperties {

  @Test
  void aGeneratedTagParsesToThatTag() {
    qt().withExamples(500).forAll(validTags()).checkAssert(tag -> {
      Reference reference = Reference.parse(tag);
      assertFalse(reference.isDigest());
      assertEquals(tag, reference.tag());
      assertEquals(tag, reference.toString());
    });
  }

  @Test
  void aDigestParsesToThatDigest() {
    qt().withExamples(200).forAll(bytes(0, 300)).checkAssert(content -> {
      Digest digest = Digest.sha256(content);
      Reference reference = Reference.parse(digest.toString());
      assertTrue(reference.isDigest());
      assertNull(reference.tag());
      assertEquals(digest, reference.digest());
    });
  }

  @Test
  void anyStringIsAReferenceOrRefusedAsOne() {
    qt().withExamples(1000).forAll(anyStrings(300)).checkAssert(ReferenceProperties::referenceOrRefused);
  }

  @Test
  void stringsOfTheGrammarsAlphabetAreAReferenceOrRefused() {
    qt().withExamples(1000).forAll(strings("aZ09._-:sha256+@/ \u0000\n\u00e9", 0, 300))
        .checkAssert(ReferenceProperties::referenceOrRefused);
  }

  @Test
  void aHugeReferenceIsRefused() {
    qt().withExamples(50).forAll(integers().between(129, 100_000),
            pick("N", "sha256:N", "N:N", "a" + ".a".repeat(3000) + ":N", "_N", ".N"))
        .checkAssert((length, shape) -> referenceOrRefused(shape.replace("N", "a".repeat(length))));
  }

  @Test
  void invalidUtf8DecodedAsTextIsAReferenceOrRefused() {
    qt().withExamples(300).forAll(bytes(0, 300))
        .checkAssert(bytes -> referenceOrRefused(new String(bytes, StandardCharsets.UTF_8)));
  }

  private static void referenceOrRefused(String text) {
    try {
      Reference reference = Reference.parse(text);
      assertEquals(text, reference.toString());
    } catch (InvalidReferenceException e) {
      assertTrue(e.kind().equals("tag") || e.kind().equals("digest"), e.kind());
    }
  }

  /** {@code [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}}. */
  private static Gen<String> validTags() {
    Gen<Character> word = Generate.oneOf(chars('a', 'z'), chars('A', 'Z'), chars('0', '9'));
    Gen<Character> first = Generate.oneOf(word, pick('_'));
    Gen<Character> rest = Generate.oneOf(word, chars("._-"));
    return first.zip(strings(rest, 0, 127), (c, r) -> c + r);
  }
}
