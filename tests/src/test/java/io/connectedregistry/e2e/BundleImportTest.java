package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.ImageTools.makeImage;
import static io.connectedregistry.e2e.support.ImageTools.readJson;
import static io.connectedregistry.e2e.support.ImageTools.skopeo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import io.connectedregistry.e2e.support.Command;
import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
import io.connectedregistry.e2e.support.Workspace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A site without a link, with the built jar: a bundle exported from the root's data folder is
 * imported into a connected registry while its parent is unreachable, pulled from it with skopeo,
 * and when the parent comes back the next sync goes on from the bundle's cursor and transfers none
 * of its bytes again.
 */
class BundleImportTest {
  private RegistryProcess root;
  private RegistryProcess child;

  @AfterEach
  void stop() {
    RegistryProcess.closeAll(child, root);
  }

  @Test
  void aBundleCarriedInByHandServesItsImagesAndTheNextSyncTransfersNoneOfItsBytes() throws Exception {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "bundles are this project's own");
    Path work = Workspace.dir("bundle-import");
    String one = makeImage(work.resolve("one"), "v1", "-l", "300K", "-l", "200K", "-z", "none", "-s", "bundle-e2e-1");
    String two = makeImage(work.resolve("two"), "v1", "-l", "100K", "-s", "bundle-e2e-2");
    root = RegistryProcess.startFresh("bundle-root");
    skopeo("copy", "-q", "--preserve-digests", "--dest-tls-verify=false", "oci:" + work.resolve("one") + ":v1",
        "docker://" + root.hostPort() + "/app/one:v1").assertOk();
    skopeo("copy", "-q", "--preserve-digests", "--dest-tls-verify=false", "oci:" + work.resolve("two") + ":v1",
        "docker://" + root.hostPort() + "/app/two:v1").assertOk();

    // Exported beside the running root (a read-only view of its data folder), then the link goes.
    Path bundle = work.resolve("site.tar.zst");
    Command.Result exported = RegistryProcess.runJar(60, "bundle", "export", "--data", root.dataDir().toString(),
        "--repository", "app/one", "app/two", "-o", bundle.toString()).assertOk();
    long bundleCursor = readJson(exported.stdout()).path("cursor").asLong();
    assertTrue(bundleCursor > 0, exported.stdout());
    root.stop();

    Path config = work.resolve("child.yaml");
    Files.writeString(config, "parent:\n  endpoint: \"http://" + root.hostPort() + "\"\n"
        + "sync:\n  repositories: [\"app/one\", \"app/two\"]\n");
    child = RegistryProcess.prepare("bundle-child", "--config", config.toString());
    Command.Result imported = RegistryProcess.runJar(60, "bundle", "import", "--config", config.toString(),
        "--data", child.dataDir().toString(), bundle.toString()).assertOk();
    JsonNode report = readJson(imported.stdout());
    assertEquals(2, report.path("images").asInt(), imported.stdout());
    assertTrue(report.path("cursor").path("advanced").asBoolean(), imported.stdout());
    assertEquals(bundleCursor, report.path("cursor").path("after").asLong());

    child.start(); // its parent is still down
    Path pulled = work.resolve("pulled");
    skopeo("copy", "-q", "--preserve-digests", "--src-tls-verify=false", "docker://" + child.hostPort() + "/app/one:v1",
        "oci:" + pulled + ":v1").assertOk();
    assertEquals(one, readJson(Files.readString(pulled.resolve("index.json"))).path("manifests").get(0)
        .path("digest").asText(), "the image keeps its digest through the bundle");
    skopeo("inspect", "--raw", "--tls-verify=false", "docker://" + child.hostPort() + "/app/two:v1").assertOk();

    root.start(); // the link is back: same data folder and port
    RegistryClient client = new RegistryClient(child);
    JsonNode status = awaitSuccessfulCycle(client);
    assertEquals(0, status.path("lastCycle").path("blobsFetched").asLong(), status.toString());
    assertEquals(0, status.path("lastCycle").path("bytes").asLong(), status.toString());
    assertEquals(0, status.path("bytesTransferred").asLong(), status.toString());
    assertEquals(bundleCursor, status.path("cursor").asLong(), status.toString());
    assertTrue(two.startsWith("sha256:"));
  }

  /** Asks for cycles until one succeeds (the first ones found the parent down; its breaker may wait). */
  private static JsonNode awaitSuccessfulCycle(RegistryClient client) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    JsonNode status = null;
    while (System.nanoTime() < deadline) {
      client.post("/_connected/v1/sync", new byte[0]);
      Thread.sleep(500);
      status = client.get("/_connected/v1/status").json();
      if ("Succeeded".equals(status.path("syncState").asText())) {
        return status;
      }
    }
    throw new AssertionError("no successful sync cycle within 30 s: " + status);
  }
}
