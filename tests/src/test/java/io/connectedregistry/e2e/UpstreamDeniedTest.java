package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.AuthSupport.createToken;
import static io.connectedregistry.e2e.support.ImageTools.makeImage;
import static io.connectedregistry.e2e.support.ImageTools.skopeo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import io.connectedregistry.e2e.support.AuthSupport;
import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
import io.connectedregistry.e2e.support.Response;
import io.connectedregistry.e2e.support.Workspace;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Deletes go up only where the sync token allows: a token that may push but not delete gets 403
 * from the root for a delete made at the child; the change is recorded (statusDetails
 * {@code UpstreamRefused}, one log line), not retried forever, and the queue goes on with the
 * changes after it.
 */
class UpstreamDeniedTest {
  private static Path work;
  private static RegistryProcess root;
  private static RegistryProcess child;
  private static AuthSupport.Credentials reader;

  @BeforeAll
  static void start() {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "the upstream queue is this project's own");
    work = Workspace.dir("upstream-denied");
    root = AuthSupport.prepareWithConfig("upstream-denied-root", "auth:\n  anonymousPull: false\n");
    AuthSupport.Credentials sync = createToken(root, "site-sync", "--repository", "app/*",
        "content/read", "content/write", "metadata/read", "metadata/write");
    reader = createToken(root, "reader", "--repository", "*", "content/read", "metadata/read");
    root.start();
    child = AuthSupport.prepareWithConfig("upstream-denied-child", "mode: ReadWrite\nparent:\n  endpoint: \"http://"
        + root.hostPort() + "\"\n  username: " + sync.name() + "\n  password: \"" + sync.password() + "\"\n"
        + "sync:\n  repositories: [\"app/*\"]\n").start();
  }

  @AfterAll
  static void stop() {
    if (child != null) {
      child.close();
    }
    if (root != null) {
      root.close();
    }
  }

  private static String digestAtRoot(String repository, String reference) {
    Response r = new RegistryClient(root).head("/v2/" + repository + "/manifests/" + reference,
        AuthSupport.concat(reader.header(), "Accept", "application/vnd.oci.image.manifest.v1+json"));
    return r.status() == 200 ? r.headerOrNull("Docker-Content-Digest") : null;
  }

  /** Waits until {@code arrived} holds at the root, then until the child's queue is empty. */
  private static JsonNode awaitUp(java.util.function.BooleanSupplier arrived) {
    Instant deadline = Instant.now().plusSeconds(60);
    RegistryClient client = new RegistryClient(child);
    while (true) {
      JsonNode status = client.get("/_connected/v1/status").json();
      if (arrived.getAsBoolean() && status.path("upstreamQueue").path("pending").asLong(-1) == 0) {
        return status;
      }
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("the upstream queue did not drain: " + status);
      }
      sleep(200);
    }
  }

  @Test
  void aDeleteTheSyncTokenMayNotMakeIsRecordedNotRetriedForeverAndTheQueueGoesOn() {
    Path layout = work.resolve("image");
    String one = makeImage(layout, "one", "-l", "4K", "-s", "denied-one");
    String two = makeImage(layout, "two", "-l", "4K", "-s", "denied-two");
    skopeo("copy", "--dest-tls-verify=false", "oci:" + layout + ":one",
        "docker://" + child.hostPort() + "/app/keep:one").assertOk();
    awaitUp(() -> one.equals(digestAtRoot("app/keep", "one"))); // the token may push

    Response deleted = new RegistryClient(child).delete("/v2/app/keep/manifests/one");
    assertEquals(202, deleted.status(), deleted.text());
    skopeo("copy", "--dest-tls-verify=false", "oci:" + layout + ":two",
        "docker://" + child.hostPort() + "/app/keep:two").assertOk();

    JsonNode status = awaitUp(() -> two.equals(digestAtRoot("app/keep", "two"))); // the change after the refused one
    assertEquals(one, digestAtRoot("app/keep", "one"), "the root kept what the token may not delete");
    sleep(3000);
    JsonNode details = new RegistryClient(child).get("/_connected/v1/status").json().path("statusDetails");
    assertEquals("UpstreamRefused", details.path("code").asText(), status.toString());
    assertTrue(details.path("description").asText().contains("tag_deleted app/keep:one")
        && details.path("description").asText().contains("403"), details.toString());
    long lines = child.log().lines().filter(l -> l.contains("tag_deleted app/keep:one") && l.contains("not sent"))
        .count();
    assertEquals(1, lines, "recorded once, not retried:\n" + child.logTail(40));
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
