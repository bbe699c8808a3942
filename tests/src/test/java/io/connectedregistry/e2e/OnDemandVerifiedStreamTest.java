package io.connectedregistry.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import io.connectedregistry.e2e.support.Digests;
import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
import io.connectedregistry.e2e.support.SyncSupport;
import io.connectedregistry.e2e.support.Response;
import io.connectedregistry.e2e.support.Workspace;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A blob that on-demand pull-through streams to the client while it arrives from the parent
 * reaches its last bytes only once the bytes hash to the digest asked for: when the parent sends
 * wrong bytes (of the right length) or a short blob (with a Content-Length to match), the
 * client's connection is cut, so it never holds a complete-looking wrong blob.
 *
 * <p>The parent is a real registry process; WireMock stands in front of it only to answer one blob
 * GET with bad bytes (the child's HEAD of that blob reaches the real parent). The child's sync
 * bandwidth (256 KiB/s) keeps the 1 MiB download in progress while the client follows it.
 */
class OnDemandVerifiedStreamTest {
  private static final int SIZE = 1024 * 1024;

  private static RegistryProcess root;
  private static WireMockServer faults;
  private static RegistryProcess child;

  @BeforeAll
  static void start() throws IOException {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "sync is this project's own");
    root = RegistryProcess.startFresh("verified-root");
    faults = new WireMockServer(WireMockConfiguration.options().bindAddress("127.0.0.1").dynamicPort());
    faults.start();
    // Whatever no fault stub answers goes to the real parent.
    faults.stubFor(any(anyUrl()).atPriority(10)
        .willReturn(aResponse().proxiedFrom("http://" + root.hostPort())));
    Path config = Workspace.dir("verified-stream").resolve("child.yaml");
    Files.writeString(config, "parent:\n  endpoint: \"http://127.0.0.1:" + faults.port() + "\"\n"
        + "sync:\n  repositories: [\"lazy/*\"]\n  schedule: \"0 0 1 1 *\"\n  onDemand: true\n"
        + "  bandwidth: 256K\n");
    child = RegistryProcess.startFresh("verified-child", "--config", config.toString());
    SyncSupport.awaitFirstCycle(child);
  }

  @AfterAll
  static void stop() {
    if (child != null) {
      child.close();
    }
    if (faults != null) {
      faults.stop();
    }
    if (root != null) {
      root.close();
    }
  }

  @Test
  void wrongBytesOfTheRightLengthCutTheConnectionBeforeTheLastByte() throws Exception {
    byte[] blob = Digests.randomBytes(5101, SIZE);
    String digest = new RegistryClient(root).pushBlob("lazy/wrong", blob);
    byte[] wrong = blob.clone();
    wrong[wrong.length - 1] ^= 0x5a; // all but the last byte right: only the digest can tell
    stubBlob("lazy/wrong", digest, wrong);

    Followed followed = follow("lazy/wrong", digest);
    assertEquals(200, followed.status, "streamed while it arrives");
    assertFalse(followed.cleanEnd, "the connection must be cut, never a clean end of wrong bytes: "
        + followed.received + " of " + wrong.length + " bytes, then a clean end");
    assertTrue(followed.received < wrong.length, "the last byte is held back: " + followed.received);
    assertArrayEquals(Arrays.copyOf(blob, followed.received), Arrays.copyOf(followed.body, followed.received));
  }

  @Test
  void aShortBlobWithAMatchingLengthCutsTheConnectionBeforeItsEnd() throws Exception {
    byte[] blob = Digests.randomBytes(5102, SIZE);
    String digest = new RegistryClient(root).pushBlob("lazy/short", blob);
    byte[] shortBody = Arrays.copyOf(blob, SIZE - 1000);
    stubBlob("lazy/short", digest, shortBody);

    Followed followed = follow("lazy/short", digest);
    // The parent's HEAD gave the whole size, so the child refuses the short GET up front (no
    // 200 at all); had it started streaming, the cut would come before the end.
    if (followed.status == 200) {
      assertFalse(followed.cleanEnd, "the connection must be cut, never a clean end of a short blob: "
          + followed.received + " bytes, then a clean end");
      assertTrue(followed.received < shortBody.length, "the last bytes are held back: " + followed.received);
    }
  }

  @Test
  void aBlobLongerThanTheParentsHeadSaidIsNeitherServedNorWrittenPastThatSize() throws Exception {
    byte[] blob = Digests.randomBytes(5103, SIZE);
    String digest = new RegistryClient(root).pushBlob("lazy/long", blob);
    byte[] longer = Arrays.copyOf(blob, 4 * SIZE); // the HEAD (real parent) says SIZE
    long before = bytesTransferred();
    stubBlob("lazy/long", digest, longer);

    Followed followed = follow("lazy/long", digest);
    assertFalse(followed.status == 200 && followed.cleanEnd,
        "no complete-looking answer: " + followed.status + ", " + followed.received + " bytes");
    long transferred = bytesTransferred() - before;
    assertTrue(transferred <= SIZE, "the download stops at the size the HEAD gave, "
        + transferred + " bytes came down");
    Response again = new RegistryClient(child).head("/v2/lazy/long/blobs/" + digest);
    assertTrue(again.status() != 200, "nothing stored: " + again.describe());
  }

  private static long bytesTransferred() {
    return new RegistryClient(child).get("/_connected/v1/status").json().path("bytesTransferred").asLong();
  }

  /** The parent's GET of this blob answers {@code body}, with a Content-Length to match it. */
  private static void stubBlob(String repository, String digest, byte[] body) {
    faults.stubFor(get(urlPathEqualTo("/v2/" + repository + "/blobs/" + digest)).atPriority(1)
        .willReturn(aResponse().withStatus(200)
            .withHeader("Content-Type", "application/octet-stream")
            .withHeader("Content-Length", Integer.toString(body.length))
            .withHeader("Docker-Content-Digest", digest)
            .withBody(body)));
  }

  /** What a client that pulls the blob from the child got, and how the body ended. */
  private record Followed(int status, byte[] body, int received, boolean cleanEnd) {}

  private static Followed follow(String repository, String digest) throws Exception {
    RegistryClient client = new RegistryClient(child);
    HttpResponse<InputStream> response = client.http().send(
        HttpRequest.newBuilder(client.uri("/v2/" + repository + "/blobs/" + digest)).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    byte[] body = new byte[2 * SIZE];
    int received = 0;
    boolean cleanEnd = false;
    try (InputStream in = response.body()) {
      int n;
      while (received < body.length && (n = in.read(body, received, body.length - received)) > 0) {
        received += n;
      }
      cleanEnd = true;
    } catch (IOException cut) {
      // The registry closed the connection mid-body: what a client must see here.
    }
    return new Followed(response.statusCode(), body, received, cleanEnd);
  }

}
