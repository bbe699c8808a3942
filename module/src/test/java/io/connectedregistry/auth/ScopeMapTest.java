package io.connectedregistry.auth;

import static io.connectedregistry.auth.Action.CONTENT_DELETE;
import static io.connectedregistry.auth.Action.CONTENT_READ;
import static io.connectedregistry.auth.Action.CONTENT_WRITE;
import static io.connectedregistry.auth.Action.METADATA_READ;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ScopeMapTest {

  private final ScopeMap map = new ScopeMap("builder", "CI", List.of(
      ScopeMapRule.of("*", METADATA_READ),
      ScopeMapRule.of("app/*", CONTENT_READ),
      ScopeMapRule.of("app/web", CONTENT_WRITE),
      ScopeMapRule.of("app/web", CONTENT_DELETE)));

  @Test
  void rulesAddUpForARepositoryMatchedByManyRules() {
    assertEquals(Set.of(METADATA_READ, CONTENT_READ, CONTENT_WRITE, CONTENT_DELETE),
        map.allowed("app/web"));
  }

  @Test
  void aRepositoryGetsOnlyWhatItsMatchingRulesGrant() {
    assertEquals(Set.of(METADATA_READ, CONTENT_READ), map.allowed("app/api"));
    assertEquals(Set.of(METADATA_READ), map.allowed("other/x"));
    assertEquals(Set.of(METADATA_READ), map.allowed("app"));
  }

  @Test
  void aMapKnowsWhetherItGrantsAnyWrite() {
    assertTrue(map.grantsWrite());
    assertFalse(new ScopeMap("reader", "", List.of(ScopeMapRule.of("*", CONTENT_READ)))
        .grantsWrite());
  }

  @Test
  void aRuleWithoutActionsAndBadNamesAreRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> new ScopeMapRule(RepositoryPattern.of("a"), Set.of()));
    assertThrows(IllegalArgumentException.class, () -> new ScopeMap("a:b", "", List.of()));
    assertThrows(IllegalArgumentException.class, () -> new ScopeMap("abc", "", List.of()));
  }
}
