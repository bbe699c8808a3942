package io.connectedregistry.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Repository and tag from the names docker save and skopeo write, host dropped. */
class ImageNamesTest {
  @ParameterizedTest
  @CsvSource({
    "docker.io/library/x:1, library/x, 1",
    "localhost/app:v1, app, v1",
    "localhost:5000/team/app:v2, team/app, v2",
    "registry.example.com/a/b/c:latest, a/b/c, latest",
    "busybox:1.36, busybox, 1.36",
    "team/app:v1, team/app, v1",
  })
  void theHostIsDropped(String name, String repository, String tag) {
    ImageNames.Name parsed = ImageNames.parse(name);
    assertEquals(repository, parsed.repository());
    assertEquals(tag, parsed.tag());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "UPPER/case:1", "app:bad tag", "../x:1", "app:"})
  void anythingElseIsNoName(String name) {
    assertNull(ImageNames.parse(name));
  }
}
