package io.connectedregistry.auth;

import static io.connectedregistry.auth.Action.CONTENT_DELETE;
import static io.connectedregistry.auth.Action.CONTENT_READ;
import static io.connectedregistry.auth.Action.CONTENT_WRITE;
import static io.connectedregistry.auth.Action.METADATA_READ;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ScopeTest {

  @Test
  void pullAlsoAsksForMetadataReadAndPushForWrite() {
    Scope.Request request = Scope.parse(List.of("repository:app/web:pull,push"));
    assertEquals(Map.of("app/web", Set.of(CONTENT_READ, METADATA_READ, CONTENT_WRITE)),
        request.repositories());
    assertFalse(request.catalog());
  }

  @Test
  void repeatedAndSpaceSeparatedScopesAddUp() {
    Scope.Request request = Scope.parse(List.of(
        "repository:a:pull repository:b:delete", "repository:a:push", "registry:catalog:*"));
    assertEquals(Set.of(CONTENT_READ, METADATA_READ, CONTENT_WRITE), request.repositories().get("a"));
    assertEquals(Set.of(CONTENT_DELETE), request.repositories().get("b"));
    assertTrue(request.catalog());
  }

  @Test
  void starAsksForEveryActionAndUnknownsAreIgnored() {
    Scope.Request request = Scope.parse(List.of(
        "repository:x:*", "repository:y:fly", "bogus", "repository::pull", "plugin:z:pull"));
    assertEquals(Action.repositoryActions(), request.repositories().get("x"));
    assertEquals(Set.of(), request.repositories().get("y"));
    assertEquals(Set.of("x", "y"), request.repositories().keySet());
  }

  @Test
  void challengeNamesDockerActions() {
    assertEquals("repository:app/web:pull", Scope.challenge("app/web", Set.of(CONTENT_READ)));
    assertEquals("repository:app/web:pull,push",
        Scope.challenge("app/web", Set.of(CONTENT_READ, CONTENT_WRITE)));
  }

  @Test
  void dockerNamesRoundTrip() {
    for (Action action : Action.repositoryActions()) {
      assertEquals(action, Scope.fromDockerName(Scope.dockerName(action)));
    }
  }
}
