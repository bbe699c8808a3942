package io.connectedregistry.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DigestTest {
  @Test
  void sha256OfKnownContentMatchesTheStandardVector() {
    assertEquals("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        Digest.sha256("abc".getBytes(StandardCharsets.US_ASCII)).toString());
  }

  @Test
  void sha512DigestsAreAccepted() {
    Digest d = Digest.of("sha512", "abc".getBytes(StandardCharsets.US_ASCII));
    assertEquals("sha512", d.algorithm());
    assertEquals(128, d.hex().length());
    assertEquals(d, Digest.parse(d.toString()));
  }

  @Test
  void parseRejectsUppercaseHexWrongLengthAndUnknownAlgorithms() {
    assertThrows(InvalidReferenceException.class,
        () -> Digest.parse("sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
    assertThrows(InvalidReferenceException.class, () -> Digest.parse("sha256:abc"));
    assertThrows(InvalidReferenceException.class,
        () -> Digest.parse("md5:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    assertThrows(InvalidReferenceException.class, () -> Digest.parse("not-a-digest"));
    assertThrows(InvalidReferenceException.class, () -> Digest.parse(null));
  }

  @Test
  void invalidDigestReportsItsKind() {
    InvalidReferenceException e = assertThrows(InvalidReferenceException.class, () -> Digest.parse("x:y"));
    assertEquals("digest", e.kind());
  }
}
