package io.connectedregistry.oci;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NamesTest {
  @ParameterizedTest
  @ValueSource(strings = {"hello-world", "library/ubuntu", "a/b/c", "app.v2/x__y", "a--b", "0"})
  void specConformingRepositoryNamesAreAccepted(String name) {
    assertDoesNotThrow(() -> RepositoryName.of(name));
  }

  @ParameterizedTest
  @ValueSource(strings = {"Upper", "-lead", "trail-", "a//b", "a/", "/a", "a..b", "a___b", "", "a b", "../etc"})
  void malformedRepositoryNamesAreRefusedAsNames(String name) {
    InvalidReferenceException e = assertThrows(InvalidReferenceException.class, () -> RepositoryName.of(name));
    assertEquals("name", e.kind());
  }

  @ParameterizedTest
  @ValueSource(strings = {"latest", "v1.0.0", "_x", "A-b_c.d"})
  void specConformingTagsAreAccepted(String tag) {
    assertDoesNotThrow(() -> Tag.validate(tag));
  }

  @ParameterizedTest
  @ValueSource(strings = {".hidden", "-x", "a/b", "has space"})
  void malformedTagsAreRefused(String tag) {
    assertThrows(InvalidReferenceException.class, () -> Tag.validate(tag));
  }

  @org.junit.jupiter.api.Test
  void tagsLongerThan128CharactersAreRefused() {
    assertDoesNotThrow(() -> Tag.validate("a".repeat(128)));
    assertThrows(InvalidReferenceException.class, () -> Tag.validate("a".repeat(129)));
  }

  @org.junit.jupiter.api.Test
  void aReferenceIsATagOrADigest() {
    assertTrue(Reference.parse("sha256:" + "a".repeat(64)).isDigest());
    assertEquals("v1", Reference.parse("v1").tag());
  }
}
