package io.connectedregistry.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RepositoryPatternTest {

  @Test
  void anExactNameMatchesOnlyThatRepository() {
    RepositoryPattern p = RepositoryPattern.of("app/web");
    assertTrue(p.matches("app/web"));
    assertFalse(p.matches("app/web/x"));
    assertFalse(p.matches("app"));
  }

  @Test
  void aPrefixWildcardMatchesEverythingBelowButNotThePrefixItself() {
    RepositoryPattern p = RepositoryPattern.of("samples/*");
    assertTrue(p.matches("samples/hello"));
    assertTrue(p.matches("samples/a/b"));
    assertFalse(p.matches("samples"));
    assertFalse(p.matches("samplesx/hello"));
    assertFalse(p.matches("other/samples/hello"));
  }

  @Test
  void aStarMatchesEveryRepository() {
    assertTrue(RepositoryPattern.of("*").matches("anything/at/all"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "App", "a*", "a/*/b", "*/a", "a//b", "/a", "a/", "**"})
  void malformedPatternsAreRefusedWithAMessageNamingThem(String bad) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> RepositoryPattern.of(bad));
    assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
  }

  @Test
  void unknownActionsAreRefusedAndKnownOnesRoundTrip() {
    for (Action a : Action.values()) {
      assertEquals(a, Action.parse(a.wireName()));
    }
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Action.parse("content/push"));
    assertTrue(e.getMessage().contains("content/push"));
    assertTrue(e.getMessage().contains("content/read"));
  }

  @Test
  void onlyTheReadActionsAreReads() {
    assertEquals(Set.of(Action.CONTENT_READ, Action.METADATA_READ),
        Set.of(Action.values()).stream().filter(Action::isRead)
            .collect(java.util.stream.Collectors.toSet()));
  }
}
