package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.AuthSupport.createToken;
import static io.connectedregistry.e2e.support.ImageTools.makeImage;
import static io.connectedregistry.e2e.support.ImageTools.skopeo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import io.connectedregistry.e2e.support.AuthSupport;
import io.connectedregistry.e2e.support.AuthSupport.Credentials;
import io.connectedregistry.e2e.support.RegistryProcess;
import io.connectedregistry.e2e.support.Workspace;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A connected registry logs in to its parent with a sync token: the parent (this project, tokens
 * only) answers with the Docker Bearer flow, and the sync token's scope map bounds what comes
 * down, whatever {@code sync.repositories} asks for. A wrong password makes the child Unhealthy,
 * and the password shows nowhere.
 */
class SyncAuthTest {
  private static RegistryProcess root;
  private static Credentials sync;
  private static Credentials pusher;
  private static Path work;

  @BeforeAll
  static void startRoot() {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "sync is this project's own");
    work = Workspace.dir("sync-auth");
    root = AuthSupport.prepareWithConfig("sync-auth-root", "auth:\n  anonymousPull: false\n");
    sync = createToken(root, "factory1-sync", "--repository", "app/*", "content/read", "metadata/read");
    pusher = createToken(root, "ci-pusher", "--repository", "*", "content/read", "content/write", "metadata/read");
    root.start();
  }

  @AfterAll
  static void stopRoot() {
    if (root != null) {
      root.close();
    }
  }

  private static RegistryProcess child(String name, String password) {
    return AuthSupport.prepareWithConfig(name, "parent:\n  endpoint: \"http://" + root.hostPort()
        + "\"\n  username: " + sync.name() + "\n  password: \"" + password + "\"\n"
        + "sync:\n  repositories: [\"*\"]\n").start();
  }

  private static String push(String seed, String repoAndTag) {
    Path layout = work.resolve(seed);
    String digest = makeImage(layout, "v1", "-l", "4K", "-l", "64K", "-s", seed);
    skopeo("copy", "--dest-tls-verify=false", "--dest-creds", pusher.name() + ":" + pusher.password(),
        "oci:" + layout + ":v1", "docker://" + root.hostPort() + "/" + repoAndTag).assertOk();
    return digest;
  }

  @Test
  void theSyncTokenLogsInWithTheBearerFlowAndBoundsWhatComesDown() {
    String app = push("sync-auth-app", "app/one:v1");
    push("sync-auth-secret", "secret/plans:v1");
    try (RegistryProcess child = child("sync-auth-child", sync.password())) {
      JsonNode status = SyncChainTest.syncNow(child);
      assertEquals("Succeeded", status.path("syncState").asText(), status.toString());
      assertEquals(app, SyncChainTest.remoteDigest(child, "app/one:v1"));
      assertFalse(SyncChainTest.hasTag(child, "secret/plans", "v1"),
          "the sync token may not read secret/*, so it never comes down");

      String later = push("sync-auth-later", "app/two:v1");
      JsonNode feed = SyncChainTest.syncNow(child);
      assertEquals("feed", feed.path("parentKind").asText(), feed.toString());
      assertEquals(later, SyncChainTest.remoteDigest(child, "app/two:v1"));
      assertFalse(child.log().contains(sync.password()), "the sync token's password is never logged");
      assertFalse(feed.toString().contains(sync.password()), "nor reported");
    }
  }

  @Test
  void aWrongSyncPasswordMakesTheChildUnhealthyAndLeaksNothing() {
    String wrong = "not-" + sync.password();
    try (RegistryProcess child = child("sync-auth-wrong", wrong)) {
      JsonNode status = SyncChainTest.syncNow(child);
      assertEquals("Failed", status.path("syncState").asText(), status.toString());
      assertEquals("Unhealthy", status.path("connectionState").asText(), status.toString());
      assertFalse(child.log().contains(wrong), "the password is never logged");
      assertFalse(status.toString().contains(wrong), "nor reported");
    }
  }
}
