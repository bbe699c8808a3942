package io.connectedregistry.oci;

import static io.connectedregistry.Generators.anyStrings;
import static io.connectedregistry.Generators.bytes;
import static io.connectedregistry.Generators.pick;
import static io.connectedregistry.Generators.strings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * {@link Digest#parse} reads digests from URLs, query parameters, manifests and the parent's
 * headers and bodies: whatever it is given, it answers a digest or {@link InvalidReferenceException}.
 */
class DigestProperties {

  @Test
  void aGeneratedSha256OrSha512DigestParsesToItself() {
    qt().withExamples(500).forAll(validDigests()).checkAssert(text -> {
      Digest digest = Digest.parse(text);
      assertEquals(text, digest.toString());
      assertEquals(text.substring(0, text.indexOf(':')), digest.algorithm());
    });
  }

  @Test
  void theDigestOfAnyContentParsesBackToItself() {
    qt().withExamples(200).forAll(bytes(0, 300)).checkAssert(content -> {
      Digest digest = Digest.sha256(content);
      assertEquals(digest, Digest.parse(digest.toString()));
    });
  }

  @Test
  void anyStringIsADigestOrRefusedAsOne() {
    qt().withExamples(1000).forAll(anyStrings(300)).checkAssert(DigestProperties::parseOrRefuse);
  }

  @Test
  void stringsOfTheGrammarsAlphabetAreADigestOrRefusedAsOne() {
    qt().withExamples(1000).forAll(strings("sha256:512abcdefABCDEF+._-=\n\u0000é", 0, 300))
        .checkAssert(DigestProperties::parseOrRefuse);
  }

  @Test
  void aHugeDigestIsRefusedAsOne() {
    qt().withExamples(50).forAll(integers().between(1, 100_000), pick("+", ".", "_", "-"))
        .checkAssert((components, separator) -> {
          // Many algorithm components made the grammar's regex recurse once per component.
          parseOrRefuse("a" + (separator + "a").repeat(components) + ":" + "0".repeat(64));
          parseOrRefuse("sha256:" + "a".repeat(components));
        });
  }

  @Test
  void aDigestWithTenThousandAlgorithmComponentsIsRefusedNotAStackOverflow() {
    String text = "a" + ".a".repeat(10_000) + ":" + "0".repeat(64);
    InvalidReferenceException e = assertThrows(InvalidReferenceException.class, () -> Digest.parse(text));
    assertEquals("digest", e.kind());
  }

  @Test
  void invalidUtf8DecodedAsTextIsRefused() {
    qt().withExamples(300).forAll(bytes(0, 300))
        .checkAssert(bytes -> parseOrRefuse("sha256:" + new String(bytes, StandardCharsets.UTF_8)));
  }

  private static void parseOrRefuse(String text) {
    try {
      Digest digest = Digest.parse(text);
      assertEquals(text, digest.toString());
    } catch (InvalidReferenceException e) {
      assertEquals("digest", e.kind());
    }
  }

  private static Gen<String> validDigests() {
    return Generate.oneOf(strings("0123456789abcdef", 64, 64).map(h -> "sha256:" + h),
        strings("0123456789abcdef", 128, 128).map(h -> "sha512:" + h));
  }
}
