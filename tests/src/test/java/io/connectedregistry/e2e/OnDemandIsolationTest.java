package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.AuthSupport.createToken;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.connectedregistry.e2e.support.AuthSupport;
import io.connectedregistry.e2e.support.AuthSupport.Credentials;
import io.connectedregistry.e2e.support.Digests;
import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
import io.connectedregistry.e2e.support.SyncSupport;
import io.connectedregistry.e2e.support.Response;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * On-demand pull-through never lets a read in one repository reach content of another: a blob of
 * {@code x/app} is served only if {@code x/app} holds it here or the parent's {@code x/app} does.
 * A blob the child holds only in {@code y/secret} (or is downloading for {@code y/*}) answers a
 * reader of {@code x/*} exactly as a digest that exists nowhere, and such a read writes nothing.
 *
 * <p>The child is ReadOnly, with a token that may read only {@code x/*}; its schedule never fires,
 * so only pulls bring content. Its sync bandwidth (1 MiB/s) keeps an 8 MiB download in progress
 * long enough to be joined.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OnDemandIsolationTest {
  private static final byte[] SECRET = Digests.randomBytes(4101, 64 * 1024);
  private static final byte[] BIG = Digests.randomBytes(4102, 8 * 1024 * 1024);
  private static final String NOWHERE =
      Digests.sha256("a blob that exists nowhere".getBytes(StandardCharsets.UTF_8));

  private static RegistryProcess root;
  private static RegistryProcess child;
  private static Credentials xReader;
  private static Credentials everything;
  private static String secret;
  private static String big;

  @BeforeAll
  static void start() {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "sync is this project's own");
    root = RegistryProcess.startFresh("isolation-root");
    child = AuthSupport.prepareWithConfig("isolation-child", "mode: ReadOnly\n"
        + "auth:\n  anonymousPull: false\n  adminTokens: [reader]\n"
        + "parent:\n  endpoint: \"http://" + root.hostPort() + "\"\n"
        + "sync:\n  repositories: [\"x/*\", \"y/*\"]\n  schedule: \"0 0 1 1 *\"\n  onDemand: true\n"
        + "  bandwidth: 1M\n");
    xReader = createToken(child, "x-reader", "--repository", "x/*", "content/read", "metadata/read");
    // An admin token too: the sync status's totals and last cycle are for operators.
    everything = createToken(child, "reader", "--repository", "*", "content/read", "metadata/read");
    child.start();
    SyncSupport.awaitFirstCycle(child, everything.header());
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

  @Test
  @Order(1)
  void aBlobHeldHereOnlyInAnotherRepositoryIsNeitherServedNorConfirmed() {
    secret = new RegistryClient(root).pushBlob("y/secret", SECRET);
    RegistryClient client = new RegistryClient(child);
    Response held = client.get("/v2/y/secret/blobs/" + secret, everything.header());
    assertEquals(200, held.status(), held.describe());
    assertArrayEquals(SECRET, held.body(), "precondition: the child now holds it, in y/secret");

    assertAnswersAsUnknown(client, "x/app", secret);
  }

  @Test
  @Order(2)
  void aDownloadInProgressForAnotherRepositoryIsJoinedOnlyWhereTheParentHoldsTheBlob() throws Exception {
    RegistryClient parent = new RegistryClient(root);
    big = parent.pushBlob("y/big", BIG);
    mount(parent, "x/shared", big, "y/big");
    RegistryClient client = new RegistryClient(child);
    long before = bytesTransferred(client);

    HttpResponse<InputStream> first = client.http().send(HttpRequest.newBuilder(
            client.uri("/v2/y/big/blobs/" + big)).header("Authorization", everything.basic()).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, first.statusCode());
    CompletableFuture<byte[]> firstBody = CompletableFuture.supplyAsync(() -> readAll(first.body()));

    assertAnswersAsUnknown(client, "x/app", big);
    assertFalse(firstBody.isDone(), "precondition: the y/big download is still in progress");
    CompletableFuture<Response> ranged = CompletableFuture.supplyAsync(() -> client.get(
        "/v2/x/shared/blobs/" + big, AuthSupport.concat(xReader.header(), "Range", "bytes=100-199")));
    Response joined = client.get("/v2/x/shared/blobs/" + big, xReader.header());
    assertEquals(200, joined.status(), joined.describe());
    assertArrayEquals(BIG, joined.body(), "x/shared at the parent holds it: served, byte-exact");
    Response range = ranged.get(60, TimeUnit.SECONDS);
    assertEquals(206, range.status(), range.describe());
    assertArrayEquals(java.util.Arrays.copyOfRange(BIG, 100, 200), range.body(), "a range, once it is here");
    assertArrayEquals(BIG, firstBody.get(60, TimeUnit.SECONDS));
    long fetched = bytesTransferred(client) - before;
    assertTrue(fetched < 2L * BIG.length, "one download for both repositories: " + fetched + " bytes");
  }

  @Test
  @Order(3)
  void aBlobTheParentsRepositoryHoldsIsServedFromTheCopyHere() {
    RegistryClient parent = new RegistryClient(root);
    mount(parent, "x/shared", secret, "y/secret");
    RegistryClient client = new RegistryClient(child);
    long before = bytesTransferred(client);
    Response head = client.head("/v2/x/shared/blobs/" + secret, xReader.header());
    assertEquals(200, head.status(), head.describe());
    assertEquals(String.valueOf(SECRET.length), head.headerOrNull("Content-Length"));
    Response got = client.get("/v2/x/shared/blobs/" + secret, xReader.header());
    assertEquals(200, got.status(), got.describe());
    assertArrayEquals(SECRET, got.body());
    assertEquals(before, bytesTransferred(client), "linked from the copy here, not downloaded again");
  }

  /** Last: it stops the parent, which leaves the child's circuit open for a while. */
  @Test
  @Order(4)
  void theRefusedReadsLinkedNothingIntoTheAskedRepository() {
    RegistryClient client = new RegistryClient(child);
    root.stop();
    try {
      // With the parent gone, only what the child itself holds in x/app could answer 200.
      for (String digest : new String[] {secret, big}) {
        Response head = client.head("/v2/x/app/blobs/" + digest, xReader.header());
        assertEquals(503, head.status(), "x/app must not hold " + digest + ": " + head.describe());
      }
      Response shared = client.head("/v2/x/shared/blobs/" + secret, xReader.header());
      assertEquals(200, shared.status(), "what x/shared legitimately got stays: " + shared.describe());
    } finally {
      root.start();
    }
  }

  /**
   * GET and HEAD of {@code digest} in {@code repository} answer exactly as a digest that exists
   * nowhere: same status, same body (but for the digest named in it).
   */
  private static void assertAnswersAsUnknown(RegistryClient client, String repository, String digest) {
    Response get = client.get("/v2/" + repository + "/blobs/" + digest, xReader.header());
    Response getUnknown = client.get("/v2/" + repository + "/blobs/" + NOWHERE, xReader.header());
    assertEquals(404, getUnknown.status(), getUnknown.describe());
    assertEquals(404, get.status(), "GET " + repository + "@" + digest + ": " + brief(get));
    assertEquals(getUnknown.text().replace(NOWHERE, digest), get.text());

    Response head = client.head("/v2/" + repository + "/blobs/" + digest, xReader.header());
    Response headUnknown = client.head("/v2/" + repository + "/blobs/" + NOWHERE, xReader.header());
    assertEquals(404, headUnknown.status(), headUnknown.describe());
    assertEquals(404, head.status(), "HEAD " + repository + "@" + digest + ": " + brief(head));
    assertEquals(headUnknown.headerOrNull("Content-Length"), head.headerOrNull("Content-Length"));
  }

  /** Status and headers: a blob body in a failure message helps nobody. */
  private static String brief(Response r) {
    return r.method() + " " + r.uri() + " -> " + r.status() + " " + r.headers().map();
  }

  private static void mount(RegistryClient parent, String to, String digest, String from) {
    Response mounted = parent.post("/v2/" + to + "/blobs/uploads/?mount=" + digest + "&from=" + from, new byte[0]);
    assertEquals(201, mounted.status(), mounted.describe());
  }

  private static long bytesTransferred(RegistryClient client) {
    return client.get("/_connected/v1/status", everything.header()).json().path("bytesTransferred").asLong();
  }


  private static byte[] readAll(InputStream in) {
    try (in) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

}
