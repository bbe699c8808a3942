package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.ImageTools.layoutBlobs;
import static io.connectedregistry.e2e.support.ImageTools.layoutDigest;
import static io.connectedregistry.e2e.support.ImageTools.makeImage;
import static io.connectedregistry.e2e.support.ImageTools.skopeo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.connectedregistry.e2e.support.Command;
import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
import io.connectedregistry.e2e.support.SyncSupport;
import io.connectedregistry.e2e.support.Response;
import io.connectedregistry.e2e.support.Workspace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code sync.onDemand}: a pull of an in-scope image the connected registry does not have yet
 * fetches it from the parent (once, however many pull it at the same time) and serves it; with
 * the parent down such a pull fails with a clear 503 instead of hanging. The child's schedule
 * never fires during the test, so only pulls can bring the images.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OnDemandPullTest {

  private static RegistryProcess root;
  private static RegistryProcess child;
  private static Path work;

  @BeforeAll
  static void start() throws IOException {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "sync is this project's own");
    work = Workspace.dir("on-demand");
    root = RegistryProcess.startFresh("on-demand-root");
    Path config = work.resolve("child.yaml");
    Files.writeString(config, "parent:\n  endpoint: \"http://" + root.hostPort() + "\"\n"
        + "sync:\n  repositories: [\"lazy/*\"]\n  schedule: \"0 0 1 1 *\"\n  onDemand: true\n");
    child = RegistryProcess.startFresh("on-demand-child", "--config", config.toString());
    SyncSupport.awaitFirstCycle(child);
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


  private static long bytesTransferred() {
    return new RegistryClient(child).get("/_connected/v1/status").json().path("bytesTransferred").asLong();
  }

  @Test
  @Order(1)
  void aMissingImageIsFetchedOnceForConcurrentPullsAndServedByteExact() throws Exception {
    Path layout = work.resolve("lazy");
    String digest = makeImage(layout, "v1", "-l", "4K", "-l", "2M", "-s", "on-demand-1");
    skopeo("copy", "--dest-tls-verify=false", "oci:" + layout + ":v1",
        "docker://" + root.hostPort() + "/lazy/app:v1").assertOk();
    long imageBytes = 0;
    for (String blob : layoutBlobs(layout)) {
      imageBytes += Files.size(layout.resolve("blobs/sha256/" + blob.substring("sha256:".length())));
    }
    long before = bytesTransferred();

    List<CompletableFuture<Command.Result>> pulls = List.of(1, 2, 3).stream()
        .map(i -> CompletableFuture.supplyAsync(() -> skopeo("copy", "--src-tls-verify=false",
            "docker://" + child.hostPort() + "/lazy/app:v1", "oci:" + work.resolve("back-" + i) + ":v1")))
        .toList();
    for (int i = 0; i < pulls.size(); i++) {
      pulls.get(i).get().assertOk();
      assertEquals(digest, layoutDigest(work.resolve("back-" + (i + 1)), "v1"));
    }
    long fetched = bytesTransferred() - before;
    assertTrue(fetched >= imageBytes - 4096 && fetched < 2 * imageBytes,
        "three concurrent pulls fetch the image once: " + fetched + " bytes for an image of " + imageBytes);
  }

  @Test
  @Order(2)
  void aLargeLayerIsStreamedToTheClientWhileItArrives() throws Exception {
    Path layout = work.resolve("lazy-big");
    makeImage(layout, "v1", "-l", "16M", "-z", "none", "-s", "on-demand-big");
    skopeo("copy", "--preserve-digests", "--dest-tls-verify=false", "oci:" + layout + ":v1",
        "docker://" + root.hostPort() + "/lazy/big:v1").assertOk();
    Path config = work.resolve("slow-child.yaml");
    Files.writeString(config, "parent:\n  endpoint: \"http://" + root.hostPort() + "\"\n"
        + "sync:\n  repositories: [\"lazy/*\"]\n  schedule: \"0 0 1 1 *\"\n  onDemand: true\n"
        + "  bandwidth: 2M\n");
    try (RegistryProcess slow = RegistryProcess.startFresh("on-demand-slow", "--config", config.toString())) {
      RegistryClient client = new RegistryClient(slow);
      // The manifest comes at once (the image is copied behind it)...
      Response manifest = client.get("/v2/lazy/big/manifests/v1",
          "Accept", "application/vnd.oci.image.manifest.v1+json");
      assertEquals(200, manifest.status(), manifest.text());
      String layer = manifest.json().path("layers").get(0).path("digest").asText();
      long size = manifest.json().path("layers").get(0).path("size").asLong();

      // ...and the 16 MiB layer streams while it arrives at 2 MiB/s: the first MiB long before the last.
      java.net.http.HttpResponse<java.io.InputStream> blob = client.http().send(
          java.net.http.HttpRequest.newBuilder(client.uri("/v2/lazy/big/blobs/" + layer)).build(),
          java.net.http.HttpResponse.BodyHandlers.ofInputStream());
      assertEquals(200, blob.statusCode());
      assertEquals(String.valueOf(size), blob.headers().firstValue("Content-Length").orElse(""));
      java.security.MessageDigest sha256 = java.security.MessageDigest.getInstance("SHA-256");
      Instant began = Instant.now();
      Duration firstMib = null;
      long read = 0;
      byte[] chunk = new byte[64 * 1024];
      try (java.io.InputStream in = blob.body()) {
        int n;
        while ((n = in.read(chunk)) > 0) {
          sha256.update(chunk, 0, n);
          read += n;
          if (firstMib == null && read >= 1024 * 1024) {
            firstMib = Duration.between(began, Instant.now());
          }
        }
      }
      Duration whole = Duration.between(began, Instant.now());
      assertEquals(size, read);
      assertEquals(layer, "sha256:" + java.util.HexFormat.of().formatHex(sha256.digest()), "byte-exact");
      assertTrue(whole.toMillis() >= 5000, "16 MiB at 2 MiB/s cannot arrive in " + whole);
      assertTrue(firstMib.toMillis() * 3 < whole.toMillis(),
          "streamed as it arrived: first MiB after " + firstMib + ", whole after " + whole);
    }
  }

  @Test
  @Order(3)
  void outOfScopeAndUnknownImagesStayMisses() {
    RegistryClient client = new RegistryClient(child);
    Response unknown = client.get("/v2/lazy/app/manifests/never-pushed");
    assertEquals(404, unknown.status(), unknown.text());
    assertTrue(unknown.errorCodes().contains("MANIFEST_UNKNOWN"), unknown.text());
    Response outOfScope = client.get("/v2/other/app/manifests/v1");
    assertEquals(404, outOfScope.status(), outOfScope.text());
  }

  /** Last: it leaves the parent's circuit open for a while. */
  @Test
  @Order(4)
  void withTheParentDownAMissFailsFastWithAClearError() {
    Path layout = work.resolve("lazy-offline");
    makeImage(layout, "v1", "-l", "4K", "-s", "on-demand-offline");
    skopeo("copy", "--dest-tls-verify=false", "oci:" + layout + ":v1",
        "docker://" + root.hostPort() + "/lazy/offline:v1").assertOk();
    root.stop();
    try {
      RegistryClient client = new RegistryClient(child);
      Instant began = Instant.now();
      Response miss = client.get("/v2/lazy/offline/manifests/v1",
          "Accept", "application/vnd.oci.image.manifest.v1+json");
      assertEquals(503, miss.status(), miss.text());
      assertTrue(miss.errorCodes().contains("UNAVAILABLE"), miss.text());
      assertTrue(miss.text().contains("parent is unreachable"), miss.text());
      assertTrue(Duration.between(began, Instant.now()).toSeconds() < 10, "fails fast");
    } finally {
      root.start();
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
