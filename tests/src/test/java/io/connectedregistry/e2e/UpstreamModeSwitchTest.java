package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.AuthSupport.createToken;
import static io.connectedregistry.e2e.support.ImageTools.makeImage;
import static io.connectedregistry.e2e.support.ImageTools.skopeo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import io.connectedregistry.e2e.support.AuthSupport;
import io.connectedregistry.e2e.support.AuthSupport.Credentials;
import io.connectedregistry.e2e.support.Command;
import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
import io.connectedregistry.e2e.support.Response;
import io.connectedregistry.e2e.support.Workspace;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A ReadOnly connected registry switched to ReadWrite through the configuration API while it runs
 * starts its upstream queue without a restart: what clients push from then on reaches the root,
 * and what sync brought down while it was ReadOnly does not go back up.
 */
class UpstreamModeSwitchTest {
  private static Path work;
  private static RegistryProcess root;
  private static RegistryProcess child;
  private static Credentials admin;

  @BeforeAll
  static void start() {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "the upstream queue is this project's own");
    work = Workspace.dir("upstream-mode");
    root = RegistryProcess.startFresh("upstream-mode-root");
    child = AuthSupport.prepareWithConfig("upstream-mode-child", "parent:\n  endpoint: \"http://"
        + root.hostPort() + "\"\nsync:\n  repositories: [\"app/*\"]\nauth:\n  adminTokens: [child-admin]\n");
    admin = createToken(child, "child-admin", "--repository", "*", "content/read", "metadata/read");
    child.start();
  }

  @AfterAll
  static void stop() {
    RegistryProcess.closeAll(child, root);
  }

  private static String digestAt(RegistryProcess registry, String repository, String tag) {
    Response r = new RegistryClient(registry).head("/v2/" + repository + "/manifests/" + tag,
        "Accept", "application/vnd.oci.image.manifest.v1+json");
    return r.status() == 200 ? r.headerOrNull("Docker-Content-Digest") : null;
  }

  private static long feedHead(RegistryProcess registry) {
    return new RegistryClient(registry).get("/_connected/v1/changes?after=0&limit=1").json().path("head").asLong();
  }

  @Test
  void switchedToReadWriteWhileRunningItPushesUpWhatClientsPushFromThenOn() throws Exception {
    Path layout = work.resolve("image");
    String down = makeImage(layout, "down", "-l", "4K", "-s", "mode-down");
    String up = makeImage(layout, "up", "-l", "4K", "-s", "mode-up");
    SyncChainTest.push(layout, "down", root, "app/came-down:v1", false);
    JsonNode synced = SyncChainTest.syncNow(child);
    assertEquals("Succeeded", synced.path("syncState").asText(), synced.toString());
    assertEquals(down, digestAt(child, "app/came-down", "v1"));
    Command.Result refused = skopeo("copy", "--dest-tls-verify=false", "oci:" + layout + ":up",
        "docker://" + child.hostPort() + "/app/went-up:v1");
    assertTrue(refused.exitCode() != 0, "ReadOnly: pushes are refused");
    long rootHead = feedHead(root);

    Response switched = new RegistryClient(child).put("/_connected/v1/config",
        "{\"mode\": \"ReadWrite\"}".getBytes(StandardCharsets.UTF_8),
        AuthSupport.concat(admin.header(), "Content-Type", "application/json"));
    assertEquals(200, switched.status(), switched.text());
    SyncChainTest.push(layout, "up", child, "app/went-up:v1", false);

    Instant deadline = Instant.now().plusSeconds(60);
    while (!up.equals(digestAt(root, "app/went-up", "v1"))) {
      assertTrue(Instant.now().isBefore(deadline), "the push did not reach the root:\n" + child.logTail(30));
      Thread.sleep(200);
    }
    assertEquals(rootHead + 2, feedHead(root), "only the new push went up (a manifest and its tag), not what "
        + "came down while ReadOnly");
    assertFalse(child.log().contains("upstream: pushed app/came-down"));
  }
}
