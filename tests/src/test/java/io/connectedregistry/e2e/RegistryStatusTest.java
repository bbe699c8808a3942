package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.AuthSupport.createToken;
import static io.connectedregistry.e2e.support.AuthSupport.manifest;
import static io.connectedregistry.e2e.support.AuthSupport.pushBlob;
import static io.connectedregistry.e2e.support.AuthSupport.pushManifest;
import static io.connectedregistry.e2e.support.Expect.status;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import io.connectedregistry.e2e.support.AuthSupport;
import io.connectedregistry.e2e.support.AuthSupport.Credentials;
import io.connectedregistry.e2e.support.Oci;
import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
import io.connectedregistry.e2e.support.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /_connected/v1/status} of a root registry (no parent): no sync part, but its
 * activation, mode, version and what its storage holds; the version and the storage figures only
 * for an admin token, the states for anyone who may read.
 *
 * <p>The root holds one image, pushed before a restart, so the figures measured at start count it.
 */
class RegistryStatusTest {
  private static final String STATUS = "/_connected/v1/status";
  private static RegistryProcess root;
  private static RegistryClient client;
  private static Credentials admin;
  private static Credentials reader;
  private static long imageBytes;

  @BeforeAll
  static void startRootWithOneImage() {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "the status API is this project's own");
    root = AuthSupport.prepareWithConfig("status-root", "auth:\n  anonymousPull: false\n  adminTokens: [root-admin]\n");
    admin = createToken(root, "root-admin", "--repository", "*", "content/read", "content/write", "metadata/read");
    reader = createToken(root, "root-reader", "--repository", "app/one", "content/read");
    root.start();
    client = new RegistryClient(root);
    Oci.Blob config = Oci.config("status-root");
    Oci.Blob layer = Oci.layer(7, 2048);
    pushBlob(client, admin.header(), "app/one", config.data());
    pushBlob(client, admin.header(), "app/one", layer.data());
    Oci.Manifest manifest = manifest(config, layer, "app/one");
    pushManifest(client, admin.header(), "app/one", "v1", manifest);
    imageBytes = config.data().length + layer.data().length + manifest.bytes().length;
    root.restart();
    client = new RegistryClient(root);
  }

  @AfterAll
  static void stop() {
    if (root != null) {
      root.close();
    }
  }

  @Test
  void anAdminSeesModeVersionActivationAndStorage() throws Exception {
    JsonNode s = awaitStorageMeasured();
    String version = System.getProperty("registry.version");
    assertNotNull(version, "the build passes the pom's version as registry.version");
    assertAll(
        () -> assertEquals("root", s.path("role").asText(), s::toString),
        () -> assertEquals("Active", s.path("activation").asText(), s::toString),
        () -> assertEquals("Online", s.path("connectionState").asText(), s::toString),
        () -> assertEquals("ReadWrite", s.path("mode").asText(), s::toString),
        () -> assertEquals(version, s.path("version").asText(), s::toString),
        () -> assertEquals(imageBytes, s.path("storage").path("bytesUsed").asLong(), s::toString),
        () -> assertEquals(1, s.path("storage").path("repositories").asLong(), s::toString),
        () -> assertEquals(2, s.path("storage").path("blobs").asLong(), s::toString),
        () -> assertTrue(s.path("storage").path("freeBytes").asLong() > 0, s::toString),
        () -> assertEquals(0, s.path("upstreamQueue").path("pending").asLong(), s::toString),
        () -> assertFalse(s.has("syncState"), () -> "a root does not sync: " + s));
  }

  @Test
  void aReaderSeesTheStatesButNotTheVersionOrTheStorage() {
    Response r = status(client.get(STATUS, reader.header()), 200);
    JsonNode s = r.json();
    assertAll(
        () -> assertEquals("root", s.path("role").asText(), r::describe),
        () -> assertEquals("Active", s.path("activation").asText(), r::describe),
        () -> assertEquals("Online", s.path("connectionState").asText(), r::describe),
        () -> assertEquals("ReadWrite", s.path("mode").asText(), r::describe),
        () -> assertFalse(s.has("version"), r::describe),
        () -> assertFalse(s.has("storage"), () -> "totals over every repository are for admins: " + r.describe()),
        () -> assertFalse(s.has("upstreamQueue"), r::describe));
  }

  /** The figures are measured on a worker just after start: wait (bounded) for the first measure. */
  private static JsonNode awaitStorageMeasured() throws InterruptedException {
    long deadline = System.nanoTime() + 20_000_000_000L;
    JsonNode s;
    do {
      s = status(client.get(STATUS, admin.header()), 200).json();
      if (s.path("storage").path("bytesUsed").asLong(-1) >= 0) {
        return s;
      }
      Thread.sleep(100);
    } while (System.nanoTime() < deadline);
    return s;
  }
}
