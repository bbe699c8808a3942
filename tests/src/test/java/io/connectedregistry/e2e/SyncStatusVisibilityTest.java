package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.AuthSupport.bearer;
import static io.connectedregistry.e2e.support.AuthSupport.cli;
import static io.connectedregistry.e2e.support.AuthSupport.createToken;
import static io.connectedregistry.e2e.support.AuthSupport.manifest;
import static io.connectedregistry.e2e.support.AuthSupport.pushBlob;
import static io.connectedregistry.e2e.support.AuthSupport.pushManifest;
import static io.connectedregistry.e2e.support.Expect.error;
import static io.connectedregistry.e2e.support.Expect.status;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import io.connectedregistry.e2e.support.AuthSupport;
import io.connectedregistry.e2e.support.AuthSupport.Credentials;
import io.connectedregistry.e2e.support.Oci;
import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
import io.connectedregistry.e2e.support.Response;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /_connected/v1/status} of a connected registry is filtered by the caller, like the
 * catalog: repository counts only for repositories the caller may read; the parent's address, the
 * sync token's name, the last cycle's totals and the error texts only for an admin token (Basic).
 *
 * <p>The child has synced {@code app/one} and {@code other/two} from its parent, then failed a
 * cycle (its sync token was disabled on the parent), so its status holds an error.
 */
class SyncStatusVisibilityTest {

  private static final String STATUS = "/_connected/v1/status";
  private static RegistryProcess parent;
  private static RegistryProcess child;
  private static RegistryClient client;
  private static Credentials syncToken;
  private static Credentials admin;
  private static Credentials oneReader;

  @BeforeAll
  static void startParentAndChild() {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "sync is this project's own");
    parent = AuthSupport.prepareWithConfig("status-parent", "auth:\n  anonymousPull: false\n");
    syncToken = createToken(parent, "status-sync-user", "--repository", "*", "content/read", "metadata/read");
    Credentials pusher = createToken(parent, "status-pusher", "--repository", "*", "content/read",
        "content/write", "metadata/read");
    parent.start();
    RegistryClient up = new RegistryClient(parent);
    for (String repository : List.of("app/one", "other/two")) {
      Oci.Blob config = Oci.config("status-" + repository);
      Oci.Blob layer = Oci.layer(repository.hashCode(), 1024);
      pushBlob(up, pusher.header(), repository, config.data());
      pushBlob(up, pusher.header(), repository, layer.data());
      pushManifest(up, pusher.header(), repository, "v1", manifest(config, layer, repository));
    }

    child = AuthSupport.prepareWithConfig("status-child", "parent:\n  endpoint: \"http://" + parent.hostPort()
        + "\"\n  username: " + syncToken.name() + "\n  password: \"" + syncToken.password() + "\"\n"
        + "sync:\n  repositories: [\"*\"]\n"
        + "auth:\n  anonymousPull: true\n  adminTokens: [child-admin]\n");
    admin = createToken(child, "child-admin", "--repository", "*", "metadata/read");
    oneReader = createToken(child, "one-reader", "--repository", "app/one", "content/read");
    child.start();
    client = new RegistryClient(child);

    JsonNode synced = syncNow();
    assertEquals("Succeeded", synced.path("syncState").asText(), synced.toString());
    // The parent refuses the sync token from now on: the next cycle fails and leaves an error.
    cli(parent, "token", "update", syncToken.name(), "--status", "disabled").assertOk();
    AuthSupport.awaitAuthChangesSeen();
    JsonNode failed = syncNow();
    assertEquals("Failed", failed.path("syncState").asText(), failed.toString());
  }

  @AfterAll
  static void stop() {
    RegistryProcess.closeAll(child, parent);
  }

  /** Starts a cycle as the admin and waits (bounded) until one that started later has ended. */
  private static JsonNode syncNow() {
    Instant asked = Instant.now();
    status(client.post("/_connected/v1/sync", new byte[0], admin.header()), 202);
    Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
    while (Instant.now().isBefore(deadline)) {
      JsonNode s = status(client.get(STATUS, admin.header()), 200).json();
      String start = s.path("lastSyncStartTime").asText("");
      String end = s.path("lastSyncEndTime").asText("");
      if (!start.isEmpty() && !end.isEmpty() && !s.path("syncState").asText().equals("Syncing")
          && !Instant.parse(start).isBefore(asked.minusSeconds(1))
          && !Instant.parse(end).isBefore(Instant.parse(start))) {
        return s;
      }
      pause(100);
    }
    throw new AssertionError("the child's sync did not end within 60 s\n" + child.logTail(40));
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  private static List<String> names(JsonNode object) {
    List<String> names = new ArrayList<>();
    object.fieldNames().forEachRemaining(names::add);
    return names;
  }

  @Test
  void anAdminTokenSeesEverything() {
    Response r = status(client.get(STATUS, admin.header()), 200);
    JsonNode s = r.json();
    assertAll(
        () -> assertEquals(List.of("app/one", "other/two"), names(s.path("repositories")), r::describe),
        () -> assertEquals(1, s.path("repositories").path("other/two").asInt(), r::describe),
        () -> assertTrue(s.path("parent").asText().contains(parent.hostPort()), r::describe),
        () -> assertTrue(s.path("parent").asText().contains(syncToken.name()), r::describe),
        () -> assertFalse(s.path("lastError").path("description").asText().isEmpty(), r::describe),
        () -> assertTrue(s.has("lastCycle"), r::describe));
  }

  @Test
  void aTokenThatReadsOneRepositorySeesThatRepositoryAndTheStateOnly() {
    Response r = status(client.get(STATUS, oneReader.header()), 200);
    assertOnlyPublicFields(r, List.of("app/one"));
    assertFalse(r.text().contains("other/two"), r::describe);

    // The same through a Bearer token of that token.
    String token = status(client.get("/oauth2/token?service=x&scope="
        + RegistryClient.encode("repository:app/one:pull"), oneReader.header()), 200).json().path("token").asText();
    assertOnlyPublicFields(status(client.get(STATUS, bearer(token)), 200), List.of("app/one"));
  }

  @Test
  void anonymousCallersWhoMayPullSeeEveryRepositoryButNoParentUserOrError() {
    Response r = status(client.get(STATUS), 200);
    assertOnlyPublicFields(r, List.of("app/one", "other/two"));
  }

  @Test
  void aNonAdminTokenMayNotStartASync() {
    error(client.post("/_connected/v1/sync", new byte[0], oneReader.header()), 403, "DENIED");
  }

  /** The state of sync and the visible repositories' counts; nothing about the parent or errors. */
  private static void assertOnlyPublicFields(Response r, List<String> repositories) {
    JsonNode s = r.json();
    String text = r.text();
    Predicate<String> leaks = text::contains;
    assertAll(
        () -> assertEquals(repositories, names(s.path("repositories")), r::describe),
        () -> assertEquals("Failed", s.path("syncState").asText(), r::describe),
        () -> assertFalse(s.path("connectionState").asText().isEmpty(), r::describe),
        () -> assertFalse(s.path("lastSyncEndTime").asText().isEmpty(), r::describe),
        () -> assertFalse(s.has("parent"), () -> "the parent's address is for admins: " + r.describe()),
        () -> assertFalse(s.has("lastError"), () -> "error texts are for admins: " + r.describe()),
        () -> assertFalse(s.has("lastCycle"), () -> "totals over every repository are for admins: " + r.describe()),
        () -> assertFalse(leaks.test(parent.hostPort()), r::describe),
        () -> assertFalse(leaks.test(syncToken.name()), () -> "the sync user is for admins: " + r.describe()));
  }
}
