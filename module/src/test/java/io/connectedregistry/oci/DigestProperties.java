package io.connectedregistry.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * {@link Digest#parse} reads digests from URLs, query parameters, manifests and the parent's
 * headers and bodies: whatever it is given, it answers a digest or {@link InvalidReferenceException}.
 */
class DigestProperties {

  @Property
  void aGeneratedSha256OrSha512DigestParsesToItself(@ForAll("validDigests") String text) {
    Digest digest = Digest.parse(text);
    assertEquals(text, digest.toString());
    assertEquals(text.substring(0, text.indexOf(':')), digest.algorithm());
  }

  @Property(tries = 200)
  void theDigestOfAnyContentParsesBackToItself(@ForAll byte[] content) {
    Digest digest = Digest.sha256(content);
    assertEquals(digest, Digest.parse(digest.toString()));
  }

  @Property(tries = 1000)
  void anyStringIsADigestOrRefusedAsOne(@ForAll String text) {
    parseOrRefuse(text);
  }

  @Property(tries = 1000)
  void stringsOfTheGrammarsAlphabetAreADigestOrRefusedAsOne(@ForAll("grammarShaped") String text) {
    parseOrRefuse(text);
  }

  @Property(tries = 50)
  void aHugeDigestIsRefusedAsOne(@ForAll @IntRange(min = 1, max = 100_000) int components,
      @ForAll("separators") String separator) {
    // Many algorithm components made the grammar's regex recurse once per component.
    String text = "a" + (separator + "a").repeat(components) + ":" + "0".repeat(64);
    parseOrRefuse(text);
    String hex = "sha256:" + "a".repeat(components);
    parseOrRefuse(hex);
  }

  @Example
  void aDigestWithTenThousandAlgorithmComponentsIsRefusedNotAStackOverflow() {
    String text = "a" + ".a".repeat(10_000) + ":" + "0".repeat(64);
    InvalidReferenceException e = assertThrows(InvalidReferenceException.class, () -> Digest.parse(text));
    assertEquals("digest", e.kind());
  }

  @Property(tries = 300)
  void invalidUtf8DecodedAsTextIsRefused(@ForAll byte[] bytes) {
    parseOrRefuse("sha256:" + new String(bytes, StandardCharsets.UTF_8));
  }

  private static void parseOrRefuse(String text) {
    try {
      Digest digest = Digest.parse(text);
      assertEquals(text, digest.toString());
    } catch (InvalidReferenceException e) {
      assertEquals("digest", e.kind());
    }
  }

  @Provide
  Arbitrary<String> validDigests() {
    Arbitrary<String> sha256 = Arbitraries.strings().withChars("0123456789abcdef").ofLength(64).map(h -> "sha256:" + h);
    Arbitrary<String> sha512 = Arbitraries.strings().withChars("0123456789abcdef").ofLength(128).map(h -> "sha512:" + h);
    return Arbitraries.oneOf(sha256, sha512);
  }

  @Provide
  Arbitrary<String> grammarShaped() {
    return Arbitraries.strings().withChars("sha256:512abcdefABCDEF+._-=\n\u0000é").ofMaxLength(300);
  }

  @Provide
  Arbitrary<String> separators() {
    return Arbitraries.of("+", ".", "_", "-");
  }
}
