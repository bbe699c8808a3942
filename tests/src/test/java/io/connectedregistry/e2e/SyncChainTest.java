package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.ImageTools.layoutBlobs;
import static io.connectedregistry.e2e.support.ImageTools.layoutDigest;
import static io.connectedregistry.e2e.support.ImageTools.makeImage;
import static io.connectedregistry.e2e.support.ImageTools.skopeo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import io.connectedregistry.e2e.support.Command;
import io.connectedregistry.e2e.support.Digests;
import io.connectedregistry.e2e.support.Oci;
import io.connectedregistry.e2e.support.ImageTools;
import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
import io.connectedregistry.e2e.support.Response;
import io.connectedregistry.e2e.support.Workspace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A chain of real processes, root → A → B, each a connected registry of the one before (the
 * change feed), plus a CNCF distribution parent (tag listing): what is pushed at the top reaches
 * the bottom byte-exact, tag moves and deletions follow, and A keeps serving while its parent is
 * down. Sync is started with {@code POST /_connected/v1/sync} rather than by waiting for the
 * schedule.
 */
class SyncChainTest {

  private static RegistryProcess root;
  private static RegistryProcess a;
  private static RegistryProcess b;
  private static Path work;

  @BeforeAll
  static void startChain() {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "sync is this project's own");
    work = Workspace.dir("sync-chain");
    root = RegistryProcess.startFresh("sync-root");
    a = RegistryProcess.startFresh("sync-a", "--config", childConfig("a", root, "app/*").toString());
    b = RegistryProcess.startFresh("sync-b", "--config", childConfig("b", a, "app/*").toString());
  }

  @AfterAll
  static void stopChain() {
    RegistryProcess.closeAll(b, a, root);
  }

  static Path childConfig(String name, RegistryProcess parent, String... repositories) {
    return config(name, "http://" + parent.hostPort(), repositories);
  }

  static Path config(String name, String parentUrl, String... repositories) {
    StringBuilder yaml = new StringBuilder("parent:\n  endpoint: \"" + parentUrl + "\"\nsync:\n  repositories:\n");
    for (String r : repositories) {
      yaml.append("    - \"").append(r).append("\"\n");
    }
    Path file = work.resolve(name + ".yaml");
    try {
      Files.writeString(file, yaml.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }

  /** Starts a sync and waits for it to end; returns the status it ended with. */
  static JsonNode syncNow(RegistryProcess registry) {
    RegistryClient client = new RegistryClient(registry);
    Instant asked = Instant.now();
    Response started = client.post("/_connected/v1/sync", new byte[0]);
    assertEquals(202, started.status(), started.text());
    Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
    while (Instant.now().isBefore(deadline)) {
      JsonNode status = client.get("/_connected/v1/status").json();
      String start = status.path("lastSyncStartTime").asText("");
      String state = status.path("syncState").asText();
      if (!start.isEmpty() && !Instant.parse(start).isBefore(asked.minusSeconds(1))
          && !state.equals("Syncing") && !status.path("lastSyncEndTime").asText("").isEmpty()
          && !Instant.parse(status.path("lastSyncEndTime").asText()).isBefore(Instant.parse(start))) {
        return status;
      }
      sleep(100);
    }
    throw new AssertionError("sync of " + registry + " did not end within 60 s");
  }

  static String push(Path layout, String tag, RegistryProcess to, String repoAndTag, boolean all) {
    List<String> args = new java.util.ArrayList<>(List.of("copy", "--dest-tls-verify=false"));
    if (all) {
      args.add("--all");
    }
    args.add("oci:" + layout + ":" + tag);
    args.add("docker://" + to.hostPort() + "/" + repoAndTag);
    skopeo(args.toArray(String[]::new)).assertOk();
    return layoutDigest(layout, tag);
  }

  static String remoteDigest(RegistryProcess registry, String repoAndTag) {
    Command.Result raw = skopeo("inspect", "--raw", "--tls-verify=false",
        "docker://" + registry.hostPort() + "/" + repoAndTag).assertOk();
    return Digests.sha256(raw.stdout().getBytes(StandardCharsets.UTF_8));
  }

  static boolean hasTag(RegistryProcess registry, String repository, String tag) {
    Response tags = new RegistryClient(registry).get("/v2/" + repository + "/tags/list");
    if (tags.status() == 404) {
      return false;
    }
    for (JsonNode t : tags.json().path("tags")) {
      if (t.asText().equals(tag)) {
        return true;
      }
    }
    return false;
  }

  @Test
  void anImagePushedAtTheRootReachesTheBottomByteExact() {
    Path single = work.resolve("single");
    Path multi = work.resolve("multi");
    String singleDigest = makeImage(single, "v1", "-l", "4K", "-l", "700K", "-s", "chain-single");
    String multiDigest = makeImage(multi, "m", "-a", "amd64,arm64", "-n", "2", "-S", "64K", "-s", "chain-multi");
    push(single, "v1", root, "app/single:v1", false);
    push(multi, "m", root, "app/multi:v1", true);
    push(single, "v1", root, "other/out-of-scope:v1", false);

    JsonNode statusA = syncNow(a);
    assertEquals("Succeeded", statusA.path("syncState").asText(), statusA.toString());
    assertEquals("feed", statusA.path("parentKind").asText(), "a parent of this project has a change feed");
    JsonNode statusB = syncNow(b);
    assertEquals("Succeeded", statusB.path("syncState").asText(), statusB.toString());

    assertEquals(singleDigest, remoteDigest(b, "app/single:v1"));
    assertEquals(multiDigest, remoteDigest(b, "app/multi:v1"));
    Path back = work.resolve("multi-back");
    skopeo("copy", "--all", "--src-tls-verify=false", "docker://" + b.hostPort() + "/app/multi:v1",
        "oci:" + back + ":m").assertOk();
    assertEquals(layoutBlobs(multi), layoutBlobs(back), "every platform's manifest and blob arrived");
    ImageTools.assertLayoutIntact(back);
    assertFalse(hasTag(a, "other/out-of-scope", "v1"), "repositories outside sync.repositories stay out");

    JsonNode again = syncNow(a);
    assertEquals(0, again.path("lastCycle").path("tagsCopied").asLong(), again.toString());
    assertEquals(0, again.path("lastCycle").path("bytes").asLong(), "nothing is transferred twice");
    assertEquals(1, again.path("lastCycle").path("requests").asLong(),
        "a sync with nothing new is one request to the change feed: " + again);
  }

  /** Pushes a signature-like artifact whose subject is {@code repo@subjectDigest} (untagged). */
  private static String pushReferrer(String repo, String subjectDigest, String mediaType, byte[] subjectBytes,
      String seed) {
    RegistryClient client = new RegistryClient(root);
    client.pushBlob(repo, Oci.EMPTY_JSON_BLOB);
    Oci.Blob payload = Oci.Blob.of(
        "application/vnd.example.signature", seed.getBytes(StandardCharsets.UTF_8));
    client.pushBlob(repo, payload.data());
    Oci.Manifest subject =
        new Oci.Manifest(mediaType, subjectBytes);
    assertEquals(subjectDigest, subject.digest());
    Oci.Manifest sig = Oci.manifest(
        Oci.IMAGE_MANIFEST, Oci.artifact(
            "application/vnd.example.signature", subject, Map.of("seed", seed), payload));
    Response put = client.put("/v2/" + repo + "/manifests/" + sig.digest(), sig.bytes(),
        "Content-Type", Oci.IMAGE_MANIFEST);
    assertEquals(201, put.status(), put.text());
    return sig.digest();
  }

  private static List<String> referrers(RegistryProcess registry, String repo, String digest) {
    Response r = new RegistryClient(registry).get("/v2/" + repo + "/referrers/" + digest);
    assertEquals(200, r.status(), r.text());
    List<String> found = new ArrayList<>();
    r.json().path("manifests").forEach(m -> found.add(m.path("digest").asText()));
    return found;
  }

  @Test
  void referrersOfSyncedImagesComeDownToo() {
    Path layout = work.resolve("signed");
    String digest = makeImage(layout, "v1", "-l", "4K", "-s", "chain-signed");
    push(layout, "v1", root, "app/signed:v1", false);
    Response subject = new RegistryClient(root).get("/v2/app/signed/manifests/v1",
        "Accept", Oci.IMAGE_MANIFEST);
    String sig1 = pushReferrer("app/signed", digest, Oci.IMAGE_MANIFEST,
        subject.body(), "before-sync");

    syncNow(a);
    assertEquals(List.of(sig1), referrers(a, "app/signed", digest), "a referrer pushed before the sync");

    String sig2 = pushReferrer("app/signed", digest, Oci.IMAGE_MANIFEST,
        subject.body(), "after-sync");
    syncNow(a);
    syncNow(b);
    assertEquals(Set.of(sig1, sig2), Set.copyOf(referrers(b, "app/signed", digest)),
        "a referrer pushed later arrives through the change feed, down the chain");
  }

  @Test
  void tagMovesAndDeletionsPropagateDownTheChain() {
    Path layout = work.resolve("moving");
    makeImage(layout, "one", "-l", "2K", "-s", "move-one");
    makeImage(layout, "two", "-l", "2K", "-s", "move-two");
    String first = push(layout, "one", root, "app/moving:current", false);
    String gone = push(layout, "two", root, "app/moving:old", false);
    syncNow(a);
    syncNow(b);
    assertTrue(hasTag(b, "app/moving", "old"));
    // Pulled before the move, so the children hold the tag's manifest in their caches of answers.
    for (RegistryProcess child : List.of(a, b)) {
      assertEquals(first, remoteDigest(child, "app/moving:current"));
      assertEquals(first, remoteDigest(child, "app/moving:current"));
    }

    String moved = push(layout, "two", root, "app/moving:current", false);
    Response deleted = new RegistryClient(root).delete("/v2/app/moving/manifests/old");
    assertEquals(202, deleted.status(), deleted.text());
    syncNow(a);
    JsonNode status = syncNow(b);

    assertEquals("Succeeded", status.path("syncState").asText(), status.toString());
    assertEquals(moved, remoteDigest(a, "app/moving:current"), "the tag move reached A");
    assertEquals(moved, remoteDigest(b, "app/moving:current"), "the tag move reached B");
    assertFalse(hasTag(b, "app/moving", "old"), "the tag deletion reached B");
    assertEquals(gone, moved, "the moved tag now names the image 'old' named");
  }

  @Test
  void aChildKeepsServingWhileItsParentIsDownAndRecoversByItself() {
    Path layout = work.resolve("offline");
    String digest = makeImage(layout, "v1", "-l", "4K", "-l", "300K", "-s", "offline");
    push(layout, "v1", root, "app/offline:v1", false);
    syncNow(a);

    root.stop();
    try {
      Path back = work.resolve("offline-back");
      Instant began = Instant.now();
      skopeo("copy", "--src-tls-verify=false", "docker://" + a.hostPort() + "/app/offline:v1",
          "oci:" + back + ":v1").assertOk();
      assertEquals(digest, layoutDigest(back, "v1"));
      assertTrue(Duration.between(began, Instant.now()).toSeconds() < 20, "no pull waits on the parent");
      JsonNode offline = syncNow(a);
      assertEquals("Offline", offline.path("connectionState").asText(), offline.toString());
      assertEquals("Failed", offline.path("syncState").asText());
      assertFalse(offline.path("lastError").path("correlationId").asText().isEmpty());
      assertFalse(offline.path("lastSuccessfulSyncEndTime").asText().isEmpty(), "kept from before");
    } finally {
      root.start();
    }
    push(layout, "v1", root, "app/offline:v2", false);
    // The circuit breaker lets a call through again after its open period (10 s).
    Instant deadline = Instant.now().plus(Duration.ofSeconds(45));
    JsonNode status;
    do {
      sleep(2000);
      status = syncNow(a);
    } while (!status.path("syncState").asText().equals("Succeeded") && Instant.now().isBefore(deadline));
    assertEquals("Online", status.path("connectionState").asText(), status.toString());
    assertTrue(hasTag(a, "app/offline", "v2"));
  }

  @Test
  void aDistributionParentIsSyncedByListingTags() throws Exception {
    int port = RegistryProcess.prepare("dist-port").port();
    Map<String, String> env = Map.of("DIST_STATE", work.resolve("dist").toString());
    Path tool = Workspace.sharedTool("distribution.sh");
    Command.run(List.of(tool.toString(), "start", String.valueOf(port)), env, 30).assertOk();
    RegistryProcess child = null;
    try {
      Path layout = work.resolve("from-dist");
      String digest = makeImage(layout, "v1", "-l", "4K", "-l", "200K", "-s", "from-dist");
      skopeo("copy", "--dest-tls-verify=false", "oci:" + layout + ":v1",
          "docker://127.0.0.1:" + port + "/lib/tool:v1").assertOk();
      child = RegistryProcess.startFresh("sync-from-dist", "--config",
          config("from-dist", "http://127.0.0.1:" + port, "lib/*").toString());
      JsonNode status = syncNow(child);
      assertEquals("Succeeded", status.path("syncState").asText(), status.toString());
      assertEquals("tags", status.path("parentKind").asText());
      assertEquals(digest, remoteDigest(child, "lib/tool:v1"));
    } finally {
      if (child != null) {
        child.close();
      }
      Command.run(List.of(tool.toString(), "stop", String.valueOf(port)), env, 30);
    }
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
