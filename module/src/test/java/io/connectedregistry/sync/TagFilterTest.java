package io.connectedregistry.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.config.RegistryConfig.TagFilterConfig;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class TagFilterTest {
  private static final List<String> TAGS = List.of("latest", "1", "v1.2", "1.4", "1.4.1",
      "v1.5.0-rc.1", "2.0.0", "1.4-alpine", "alpine-3.18", "sha256-1234abcd.sig", "nightly-2026");

  private static List<String> accepted(String include, String exclude, String semver) {
    TagFilter filter = new TagFilter(new TagFilterConfig(include, exclude, semver));
    return TAGS.stream().filter(filter::accepts).collect(Collectors.toList());
  }

  @Test
  void allAcceptsEveryTag() {
    assertEquals(TAGS, TAGS.stream().filter(TagFilter.ALL::accepts).collect(Collectors.toList()));
    assertEquals(TAGS, accepted(null, null, null));
  }

  @Test
  void includeMustMatchTheWholeTag() {
    assertEquals(List.of("1.4", "1.4.1", "1.4-alpine"), accepted("1\\.4.*", null, null));
    // "alpine" occurs inside two tags but matches neither whole.
    assertEquals(List.of(), accepted("alpine", null, null));
  }

  @Test
  void excludeRejectsOnlyWholeTagMatches() {
    assertEquals(List.of("latest", "1", "v1.2", "1.4", "1.4.1", "v1.5.0-rc.1", "2.0.0",
        "alpine-3.18", "nightly-2026"), accepted(null, "sha256-.*|.*-alpine", null));
    assertEquals(TAGS, accepted(null, "alpine", null));
  }

  @Test
  void excludeWinsOverInclude() {
    assertEquals(List.of("1.4"), accepted("1\\.4.*", "1\\.4[.-].*", null));
  }

  @Test
  void semverRangeKeepsVersionsInRange() {
    assertEquals(List.of("v1.2", "1.4", "1.4.1"), accepted(null, null, ">=1.2.0 <2"));
    assertEquals(List.of("1.4", "1.4.1"), accepted(null, null, "^1.4"));
    assertEquals(List.of("1", "v1.2", "1.4", "1.4.1"), accepted(null, null, "1.x"));
  }

  @Test
  void tagsThatAreNotVersionsAreRejectedByARange() {
    List<String> any = accepted(null, null, "*");
    assertFalse(any.contains("latest"));
    assertFalse(any.contains("alpine-3.18"));
    assertFalse(any.contains("sha256-1234abcd.sig"));
    assertFalse(any.contains("nightly-2026"));
    assertTrue(any.contains("2.0.0"));
  }

  @Test
  void preReleasesNeedARangeThatNamesThem() {
    assertFalse(accepted(null, null, ">=1.2.0 <2").contains("v1.5.0-rc.1"));
    assertTrue(accepted(null, null, ">=1.5.0-rc.0 <2").contains("v1.5.0-rc.1"));
  }

  @Test
  void allThreeCombine() {
    assertEquals(List.of("1.4.1"), accepted("[0-9.]+", "1\\.4", "^1.4"));
  }

  @Test
  void shortAndPrefixedVersionsAreRead() {
    assertEquals("1.2.0", TagFilter.version("v1.2").toString());
    assertEquals("1.4.0", TagFilter.version("1.4").toString());
    assertEquals("3.0.0", TagFilter.version("3").toString());
    assertEquals("1.2.3-rc.1", TagFilter.version("v1.2.3-rc.1").toString());
    assertNull(TagFilter.version("sha256-1234abcd.sig"));
    assertNull(TagFilter.version("1.2.3.4"));
  }

  @Test
  void unreadableRangeIsRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> new TagFilter(new TagFilterConfig(null, null, "garbage")));
  }
}
