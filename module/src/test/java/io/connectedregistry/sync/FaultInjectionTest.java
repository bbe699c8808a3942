package io.connectedregistry.sync;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import io.connectedregistry.oci.Digest;
import io.connectedregistry.storage.LocalRegistryStorage;
import io.connectedregistry.storage.RegistryStorage;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults injected by WireMock standing between the client and a real distribution registry: a
 * connection dropped mid-blob, 503s, wrong bytes, a parent that keeps failing or is down.
 */
class FaultInjectionTest {
  /** Fast retries so the tests do not wait; the circuit opens after 4 failed attempts. */
  static final ParentPolicy POLICY = new ParentPolicy(3, Duration.ofMillis(10), 0.5, 50f, 4, 4, Duration.ofMinutes(1));

  @TempDir static Path shared;
  static Distribution parent;
  static Digest layer; // a ~2 MiB layer of team/app:v1
  static byte[] layerBytes;

  @TempDir Path dataDir;
  WireMockServer wireMock;
  Vertx vertx;
  WorkerExecutor worker;
  RegistryStorage storage;
  ParentCaller caller;
  TransferCounter counter;
  String blobPath;

  @BeforeAll
  static void startParent() {
    parent = Distribution.start(shared.resolve("parent"));
    Path layout = shared.resolve("layout");
    Images.make(layout, "v1", "-l", "2M", "-s", "faults");
    Digest manifest = Images.push(layout, "v1", parent.hostPort(), "team/app", null);
    layer = Images.layers(layout, manifest).get(0);
    layerBytes = Images.bytes(Images.blob(layout, layer));
  }

  @AfterAll
  static void stopParent() {
    if (parent != null) {
      parent.close();
    }
  }

  @BeforeEach
  void setUp() {
    wireMock = new WireMockServer(WireMockConfiguration.options().bindAddress("127.0.0.1").dynamicPort());
    wireMock.start();
    // Whatever no fault stub answers goes to the real registry.
    wireMock.stubFor(any(anyUrl()).atPriority(10).willReturn(aResponse().proxiedFrom(parent.url())));
    vertx = Vertx.vertx();
    worker = vertx.createSharedWorkerExecutor("registry-storage", 4);
    storage = LocalRegistryStorage.open(dataDir, LocalRegistryStorage.Options.defaults());
    caller = new ParentCaller(vertx, ParentEndpoint.of("http://127.0.0.1:" + wireMock.port()), POLICY);
    counter = new TransferCounter();
    blobPath = "/v2/team/app/blobs/" + layer;
  }

  @AfterEach
  void tearDown() {
    caller.close();
    storage.close();
    Await.result(vertx.close());
    wireMock.stop();
  }

  private BlobFetcher fetcher() {
    return new BlobFetcher(caller, storage, worker, counter);
  }

  /** The first GET of the blob announces every byte, sends half, and the connection ends. */
  private int stubDropAfterHalf() {
    int half = layerBytes.length / 2;
    wireMock.stubFor(get(urlPathEqualTo(blobPath)).atPriority(1)
        .inScenario("drop").whenScenarioStateIs(Scenario.STARTED).willSetStateTo("dropped")
        .willReturn(aResponse().withStatus(200)
            .withHeader("Content-Type", "application/octet-stream")
            .withHeader("Content-Length", Integer.toString(layerBytes.length))
            .withBody(Arrays.copyOf(layerBytes, half))));
    return half;
  }

  private void assertBlobStoredIntact() throws Exception {
    assertEquals(Optional.of((long) layerBytes.length), storage.blobSize("team/app", layer));
    try (var channel = storage.openBlob("team/app", layer).channel()) {
      ByteBuffer stored = ByteBuffer.allocate(layerBytes.length);
      while (stored.hasRemaining() && channel.read(stored) >= 0) { }
      assertArrayEquals(layerBytes, stored.array());
    }
    ParentCallsTest.assertNoUploadsLeft(dataDir);
  }

  @Test
  void connectionDroppedMidBlobIsResumedWithRange() throws Exception {
    int half = stubDropAfterHalf();

    BlobFetcher.Result result = Await.result(fetcher().fetch("team/app", layer));

    assertEquals(layerBytes.length, result.size());
    wireMock.verify(2, getRequestedFor(urlPathEqualTo(blobPath)));
    wireMock.verify(1, getRequestedFor(urlPathEqualTo(blobPath)).withHeader("Range", equalTo("bytes=" + half + "-")));
    assertEquals(layerBytes.length, result.bytesReceived(), "no byte was transferred twice");
    assertEquals(layerBytes.length, counter.blobBytes());
    assertBlobStoredIntact();
  }

  @Test
  void resumeAnsweredWithTheWholeBlobRestartsFromZero() throws Exception {
    int half = stubDropAfterHalf();
    // A parent without Range support answers 200 with everything.
    wireMock.stubFor(get(urlPathEqualTo(blobPath)).atPriority(1)
        .inScenario("drop").whenScenarioStateIs("dropped")
        .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/octet-stream")
            .withBody(layerBytes)));

    BlobFetcher.Result result = Await.result(fetcher().fetch("team/app", layer));

    assertEquals(layerBytes.length, result.size());
    assertEquals(half + layerBytes.length, result.bytesReceived());
    assertBlobStoredIntact();
  }

  @Test
  void twoServiceUnavailableAnswersAreRetried() {
    String tags = "/v2/team/app/tags/list";
    wireMock.stubFor(get(urlPathEqualTo(tags)).atPriority(1).inScenario("busy")
        .whenScenarioStateIs(Scenario.STARTED).willSetStateTo("once")
        .willReturn(aResponse().withStatus(503)));
    wireMock.stubFor(get(urlPathEqualTo(tags)).atPriority(1).inScenario("busy")
        .whenScenarioStateIs("once").willSetStateTo("twice")
        .willReturn(aResponse().withStatus(503)));

    assertEquals(Optional.of(List.of("v1")), Await.result(new ListTags(caller, 100).list("team/app")).map(Listing::entries));
    wireMock.verify(3, getRequestedFor(urlPathEqualTo(tags)));
  }

  @Test
  void uploadStartIsNotRetried() {
    wireMock.stubFor(post(urlPathMatching("/v2/.*/blobs/uploads/")).atPriority(1)
        .willReturn(aResponse().withStatus(503)));
    Throwable failure = Await.failure(new StartUpload(caller).start("team/app"));
    assertEquals(503, assertInstanceOf(ParentStatusException.class, failure).status());
    wireMock.verify(1, postRequestedFor(urlPathMatching("/v2/.*/blobs/uploads/")));
  }

  @Test
  void wrongBytesFailWithDigestMismatchAndCommitNothing() throws Exception {
    byte[] wrong = new byte[layerBytes.length];
    new Random(3).nextBytes(wrong);
    wireMock.stubFor(get(urlPathEqualTo(blobPath)).atPriority(1)
        .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/octet-stream").withBody(wrong)));

    Throwable failure = Await.failure(fetcher().fetch("team/app", layer));

    DigestMismatchException mismatch = assertInstanceOf(DigestMismatchException.class, failure);
    assertEquals(layer, mismatch.expected());
    assertEquals(Digest.sha256(wrong), mismatch.actual());
    assertTrue(mismatch.getMessage().contains(layer.toString()) && mismatch.getMessage().contains(Digest.sha256(wrong).toString()),
        mismatch.getMessage());
    assertEquals(Optional.empty(), storage.blobSize("team/app", layer));
    ParentCallsTest.assertNoUploadsLeft(dataDir);
  }

  @Test
  void failingParentOpensTheCircuitAndLaterCallsFailFast() {
    wireMock.stubFor(get(urlPathEqualTo("/v2/")).atPriority(1).willReturn(aResponse().withStatus(503)));
    Ping ping = new Ping(caller);

    // Two calls of up to 3 attempts each: the 4th failed attempt opens the circuit.
    assertEquals(503, assertInstanceOf(ParentStatusException.class, Await.failure(ping.ping())).status());
    Await.failure(ping.ping());
    assertEquals(CircuitBreaker.State.OPEN, caller.circuitState());
    int sent = wireMock.getAllServeEvents().size();

    long start = System.nanoTime();
    Throwable fast = Await.failure(ping.ping());
    long tookMillis = (System.nanoTime() - start) / 1_000_000;

    assertInstanceOf(ParentUnavailableException.class, fast);
    assertTrue(fast.getMessage().contains("circuit open"), fast.getMessage());
    assertEquals(sent, wireMock.getAllServeEvents().size(), "nothing reached the parent");
    assertTrue(tookMillis < 1000, "failed fast: " + tookMillis + " ms");
  }

  @Test
  void unreachableParentFailsAsUnavailableThenFast() throws Exception {
    int closedPort = Distribution.freePort(); // nothing listens there
    ParentCaller down = new ParentCaller(vertx, ParentEndpoint.of("http://127.0.0.1:" + closedPort)
        .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(2)), POLICY);
    try {
      Throwable first = Await.failure(new Ping(down).ping());
      assertInstanceOf(ParentUnavailableException.class, first);
      assertTrue(first.getMessage().contains("unreachable"), first.getMessage());
      Await.failure(new Ping(down).ping());
      assertEquals(CircuitBreaker.State.OPEN, down.circuitState());
      Throwable fast = Await.failure(new Ping(down).ping());
      assertTrue(fast.getMessage().contains("circuit open"), fast.getMessage());

      // A blob download against a down parent leaves no upload behind either.
      Throwable blob = Await.failure(new BlobFetcher(down, storage, worker, counter).fetch("team/app", layer));
      assertInstanceOf(ParentUnavailableException.class, blob);
      ParentCallsTest.assertNoUploadsLeft(dataDir);
    } finally {
      down.close();
    }
  }
}
