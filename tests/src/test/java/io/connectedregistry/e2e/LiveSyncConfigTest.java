package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.AuthSupport.createToken;
import static io.connectedregistry.e2e.support.Expect.status;
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
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code sync.repositories} and {@code parent} changed through {@code PUT /_connected/v1/config}
 * on a running connected registry, with a cycle in progress and a pull loop running: the content of
 * a repository that left the scope is kept and served, nothing more is synced into it, and the next
 * cycle syncs the new scope from the new parent. Two roots (A and B) and one child, all real
 * processes on loopback.
 */
class LiveSyncConfigTest {
  private static final int IMAGES = 12;

  private static RegistryProcess rootA;
  private static RegistryProcess rootB;
  private static RegistryProcess child;
  private static Credentials admin;

  @BeforeAll
  static void start() {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "sync is this project's own");
    rootA = RegistryProcess.startFresh("live-sync-root-a");
    rootB = RegistryProcess.startFresh("live-sync-root-b");
    // A schedule that never fires on its own during the test: cycles are started by hand.
    child = AuthSupport.prepareWithConfig("live-sync-child", "parent:\n  endpoint: \"http://"
        + rootA.hostPort() + "\"\nsync:\n  repositories: [\"app/*\"]\n  schedule: \"0 0 1 1 *\"\n"
        + "auth:\n  adminTokens: [child-admin]\n");
    admin = createToken(child, "child-admin", "--repository", "*", "content/read", "metadata/read");
    child.start();
  }

  @AfterAll
  static void stop() {
    RegistryProcess.closeAll(child, rootA, rootB);
  }

  private static String pushImage(RegistryProcess root, String repository, String tag) {
    RegistryClient c = new RegistryClient(root);
    Oci.Blob config = Oci.config(repository + tag);
    Oci.Blob layer = Oci.layer((repository + tag).hashCode(), 64 * 1024);
    AuthSupport.pushBlob(c, new String[0], repository, config.data());
    AuthSupport.pushBlob(c, new String[0], repository, layer.data());
    return AuthSupport.pushManifest(c, new String[0], repository, tag,
        AuthSupport.manifest(config, layer, repository + ":" + tag));
  }

  private static Response put(String json) {
    return new RegistryClient(child).put("/_connected/v1/config", json.getBytes(StandardCharsets.UTF_8),
        AuthSupport.concat(admin.header(), "Content-Type", "application/json"));
  }

  private static int manifestStatus(String repository, String tag) {
    return new RegistryClient(child).get("/v2/" + repository + "/manifests/" + tag,
        "Accept", Oci.IMAGE_MANIFEST).status();
  }

  @Test
  void scope_and_parent_changed_mid_cycle_keep_what_left_and_sync_what_came() throws Exception {
    for (int i = 0; i < IMAGES; i++) {
      pushImage(rootA, "app/r" + i, "v1");
    }
    pushImage(rootA, "lib/a", "v1");
    pushImage(rootB, "lib/b", "v1");
    pushImage(rootB, "app/from-b", "v1");
    JsonNode first = SyncChainTest.syncNow(child);
    assertEquals("Succeeded", first.path("syncState").asText(), first::toString);
    assertEquals(200, manifestStatus("app/r0", "v1"));
    assertEquals(404, manifestStatus("lib/a", "v1"));

    AtomicBoolean stop = new AtomicBoolean();
    List<String> failures = Collections.synchronizedList(new ArrayList<>());
    Thread pulls = new Thread(() -> {
      RegistryClient c = new RegistryClient(child);
      Instant deadline = Instant.now().plusSeconds(90);
      for (int n = 0; n < 5000 && !stop.get() && Instant.now().isBefore(deadline); n++) {
        Response r = c.get("/v2/app/r" + (n % IMAGES) + "/manifests/v1", "Accept", Oci.IMAGE_MANIFEST);
        if (r.status() != 200) {
          failures.add(r.describe());
        }
      }
    }, "pull-loop");
    pulls.start();
    try {
      // New tags at A for the whole old scope, so the cycle started now has work to stop in.
      for (int i = 0; i < IMAGES; i++) {
        pushImage(rootA, "app/r" + i, "v2");
      }
      status(new RegistryClient(child).post("/_connected/v1/sync", new byte[0]), 202);
      Response scope = status(put("{\"sync\": {\"repositories\": [\"lib/*\"], \"schedule\": \"0 0 1 1 *\"}}"), 200);
      assertEquals(List.of("sync.repositories"), texts(scope.json().path("applied")), scope::describe);

      awaitReplans(1);
      JsonNode second = SyncChainTest.syncNow(child);
      assertEquals("Succeeded", second.path("syncState").asText(), second::toString);
      assertEquals(200, manifestStatus("lib/a", "v1"), "the new scope is synced");
      for (int i = 0; i < IMAGES; i++) {
        assertEquals(200, manifestStatus("app/r" + i, "v1"), "what left the scope is kept and served");
      }
      // Whatever the interrupted cycle copied before its safe point stays; after it, nothing more.
      pushImage(rootA, "app/r0", "v3");
      SyncChainTest.syncNow(child);
      assertEquals(404, manifestStatus("app/r0", "v3"), "nothing more is synced into a repository out of scope");

      Response parent = status(put("{\"parent\": {\"endpoint\": \"http://" + rootB.hostPort() + "\"},"
          + " \"sync\": {\"repositories\": [\"lib/*\"], \"schedule\": \"0 0 1 1 *\"}}"), 200);
      assertTrue(texts(parent.json().path("applied")).contains("parent.endpoint"), parent::describe);
      assertEquals(List.of(), texts(parent.json().path("restartRequired")), parent::describe);

      awaitReplans(2);
      JsonNode third = SyncChainTest.syncNow(child);
      assertEquals("Succeeded", third.path("syncState").asText(), third::toString);
      assertEquals(200, manifestStatus("lib/b", "v1"), "the new parent's content is synced");
      assertEquals(404, manifestStatus("app/from-b", "v1"), "only the scope is synced from the new parent");
      // In scope, the new parent is the reference, exactly as after a restart with it: a synced
      // tag it does not have is mirrored away (SyncState keeps synced tags across parents).
      assertEquals(404, manifestStatus("lib/a", "v1"), "in scope, the new parent is mirrored");
      assertEquals(200, manifestStatus("app/r5", "v1"));
    } finally {
      stop.set(true);
      pulls.join(30_000);
    }
    assertEquals(List.of(), failures, "no pull may fail because of a reload");
    assertFalse(child.log().contains("Exception"), () -> child.logTail(30));
  }

  /**
   * Waits until sync has taken the {@code n}th new configuration, then a second more: syncNow
   * accepts a cycle that started up to a second before it asked.
   */
  private static void awaitReplans(int n) throws InterruptedException {
    Instant deadline = Instant.now().plusSeconds(30);
    while (child.log().lines().filter(l -> l.contains("sync reconfigured")).count() < n
        && Instant.now().isBefore(deadline)) {
      Thread.sleep(100);
    }
    assertEquals(n, child.log().lines().filter(l -> l.contains("sync reconfigured")).count(),
        () -> child.logTail(20));
    Thread.sleep(1100);
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }
}
