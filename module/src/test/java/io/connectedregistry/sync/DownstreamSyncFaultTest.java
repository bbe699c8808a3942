package io.connectedregistry.sync;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import io.connectedregistry.auth.RepositoryPattern;
import io.connectedregistry.config.RegistryConfig.TagFilterConfig;
import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.Reference;
import io.connectedregistry.storage.LocalRegistryStorage;
import io.connectedregistry.storage.StoredManifest;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole sync cycles ({@link DownstreamSync}) against a real CNCF distribution registry with WireMock
 * in between injecting faults (FaultInjectionTest does the same for single calls): connection
 * resets and 503s are retried and the cycle succeeds; wrong bytes fail only the image they belong
 * to and leave nothing of it behind; a slow body still arrives; a parent that is down fails the
 * cycle fast with {@link ParentUnavailableException} and changes nothing here.
 */
class DownstreamSyncFaultTest {
  /**
   * The production policy ({@link ParentPolicy#defaults()}: 4 attempts, circuit over the last 10
   * calls) with short backoffs so the tests do not wait.
   */
  static final ParentPolicy POLICY =
      new ParentPolicy(4, Duration.ofMillis(20), 0.5, 50f, 10, 5, Duration.ofSeconds(10));
  static final String REPO = "faults/app";

  @TempDir static Path shared;
  static Distribution parent;
  static Path layout;
  /** Tag → manifest digest at the parent. */
  static final Map<String, Digest> IMAGES = new TreeMap<>();
  /** The single 1 MiB layer of image "c". */
  static Digest layerC;

  @TempDir Path dataDir;
  WireMockServer wireMock;
  Vertx vertx;
  WorkerExecutor worker;
  LocalRegistryStorage storage;
  ParentCaller caller;
  TransferCounter counter;
  String parentUrl;

  @BeforeAll
  static void startParent() {
    parent = Distribution.start(shared.resolve("parent"));
    layout = shared.resolve("layout");
    Images.make(layout, "a", "-l", "4K", "-l", "300K", "-s", "sync-fault-a");
    Images.make(layout, "b", "-l", "8K", "-l", "200K", "-s", "sync-fault-b");
    Images.make(layout, "c", "-l", "1M", "-s", "sync-fault-c");
    for (String tag : List.of("a", "b", "c")) {
      IMAGES.put(tag, Images.push(layout, tag, parent.hostPort(), REPO, null));
    }
    layerC = Images.layers(layout, IMAGES.get("c")).get(0);
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
    parentUrl = "http://127.0.0.1:" + wireMock.port();
    // Whatever no fault stub answers goes to the real registry.
    wireMock.stubFor(any(anyUrl()).atPriority(10).willReturn(aResponse().proxiedFrom(parent.url())));
    vertx = Vertx.vertx();
    worker = vertx.createSharedWorkerExecutor("registry-storage", 4);
    storage = LocalRegistryStorage.open(dataDir, LocalRegistryStorage.Options.defaults());
    caller = new ParentCaller(vertx, ParentEndpoint.of(wireMockUrl()), POLICY);
    counter = new TransferCounter();
  }

  @AfterEach
  void tearDown() {
    caller.close();
    storage.close();
    Await.result(vertx.close());
    wireMock.stop();
  }

  /** Kept, so it is still known once the WireMock server is stopped. */
  private String wireMockUrl() {
    return parentUrl;
  }

  /** One cycle over {@code faults/*}, run on an event-loop context as SyncService runs it. */
  private Future<DownstreamSync.Report> cycle(ParentCaller through) {
    return cycle(through, BandwidthLimiter.UNLIMITED);
  }

  private Future<DownstreamSync.Report> cycle(ParentCaller through, BandwidthLimiter bandwidth) {
    SyncState state = SyncState.load(dataDir, wireMockUrl());
    DownstreamSync sync = new DownstreamSync(through, storage, worker, state,
        List.of(RepositoryPattern.of("faults/*")), new TagFilter(TagFilterConfig.ALL),
        new BlobFetcher(through, storage, worker, counter, bandwidth), counter, true);
    Promise<DownstreamSync.Report> report = Promise.promise();
    vertx.getOrCreateContext().runOnContext(v -> sync.run(() -> false).onComplete(report));
    return report.future();
  }

  private DownstreamSync.Report succeededCycle() {
    DownstreamSync.Report report = Await.result(cycle(caller));
    assertTrue(report.succeeded(), "cycle failed: " + report);
    return report;
  }

  private static String blobPath(Digest digest) {
    return "/v2/" + REPO + "/blobs/" + digest;
  }

  private static String manifestPath(Digest digest) {
    return "/v2/" + REPO + "/manifests/" + digest;
  }

  private Optional<StoredManifest> local(String reference) {
    return storage.manifest(REPO, Reference.parse(reference));
  }

  /** Every given tag is here, names the parent's digest, and every layer is byte-exact. */
  private void assertSyncedByteExact(String... tags) {
    for (String tag : tags) {
      Digest expected = IMAGES.get(tag);
      assertEquals(Optional.of(expected), local(tag).map(StoredManifest::digest), "tag " + tag);
      assertArrayEquals(Images.bytes(Images.blob(layout, expected)), local(tag).orElseThrow().bytes(),
          "manifest bytes of " + tag);
      for (Digest layer : Images.layers(layout, expected)) {
        assertArrayEquals(Images.bytes(Images.blob(layout, layer)), Images.stored(storage, REPO, layer), "layer " + layer + " of " + tag);
      }
    }
  }

  /** Files anywhere under the data folder whose name contains the digest's hex. */
  private List<Path> filesNamedAfter(Digest digest) throws IOException {
    try (Stream<Path> walk = Files.walk(dataDir)) {
      return walk.filter(Files::isRegularFile)
          .filter(p -> p.getFileName().toString().contains(digest.hex())).toList();
    }
  }

  /**
   * Every file under the data folder with its bytes: "nothing changed" is this map unchanged. The
   * SQLite shared-memory index ({@code -shm}) changes on reads too, so it is left out.
   */
  private Map<String, byte[]> dataSnapshot() throws IOException {
    Map<String, byte[]> files = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(dataDir)) {
      for (Path p : walk.filter(Files::isRegularFile)
          .filter(p -> !p.getFileName().toString().endsWith("-shm")).toList()) {
        files.put(dataDir.relativize(p).toString(), Files.readAllBytes(p));
      }
    }
    return files;
  }

  // ---- (a) ----

  @Test
  void connectionResetsOnFirstBlobRequestsAreRetriedAndTheCycleSucceeds() throws Exception {
    List<Digest> reset = List.of(Images.layers(layout, IMAGES.get("a")).get(1),
        Images.layers(layout, IMAGES.get("b")).get(0), layerC);
    for (Digest blob : reset) {
      wireMock.stubFor(get(urlPathEqualTo(blobPath(blob))).atPriority(1)
          .inScenario("reset-" + blob.hex()).whenScenarioStateIs(Scenario.STARTED).willSetStateTo("reset")
          .willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
    }

    DownstreamSync.Report report = succeededCycle();

    assertEquals(3, report.tagsCopied(), report.toString());
    for (Digest blob : reset) {
      wireMock.verify(2, getRequestedFor(urlPathEqualTo(blobPath(blob))));
    }
    assertSyncedByteExact("a", "b", "c");
    ParentCallsTest.assertNoUploadsLeft(dataDir);
  }

  // ---- (b) ----

  @Test
  void twoServiceUnavailableAnswersToAManifestAreRetriedAndTheCycleSucceeds() throws Exception {
    String path = manifestPath(IMAGES.get("b"));
    wireMock.stubFor(get(urlPathEqualTo(path)).atPriority(1).inScenario("busy")
        .whenScenarioStateIs(Scenario.STARTED).willSetStateTo("once")
        .willReturn(aResponse().withStatus(503)));
    wireMock.stubFor(get(urlPathEqualTo(path)).atPriority(1).inScenario("busy")
        .whenScenarioStateIs("once").willSetStateTo("twice")
        .willReturn(aResponse().withStatus(503)));

    DownstreamSync.Report report = succeededCycle();

    assertEquals(3, report.tagsCopied(), report.toString());
    wireMock.verify(3, getRequestedFor(urlPathEqualTo(path)));
    assertSyncedByteExact("a", "b", "c");
    ParentCallsTest.assertNoUploadsLeft(dataDir);
  }

  // ---- (c) ----

  @Test
  void wrongBlobBytesFailOnlyThatImageAndLeaveNothingOfItUntilTheParentIsRight() throws Exception {
    byte[] right = Images.bytes(Images.blob(layout, layerC));
    byte[] wrong = new byte[right.length];
    new Random(7).nextBytes(wrong);
    StubMapping corrupt = wireMock.stubFor(get(urlPathEqualTo(blobPath(layerC))).atPriority(1)
        .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/octet-stream")
            .withBody(wrong)));

    DownstreamSync.Report failed = Await.result(cycle(caller));

    assertFalse(failed.succeeded(), failed.toString());
    assertEquals(1, failed.errors().size(), failed.errors().toString());
    assertTrue(failed.errors().get(0).startsWith(REPO + ":c"), failed.errors().toString());
    assertTrue(failed.errors().get(0).contains(layerC.toString()), "names the blob: " + failed.errors());
    assertEquals(Optional.empty(), local("c"), "the tag of a broken image is never visible");
    assertEquals(Optional.empty(), local(IMAGES.get("c").toString()), "nor its manifest");
    assertEquals(Optional.empty(), storage.blobSize(REPO, layerC), "the wrong bytes are not committed");
    assertEquals(List.of(), filesNamedAfter(layerC), "no file of the wrong blob anywhere");
    assertEquals(List.of(), filesNamedAfter(Digest.sha256(wrong)), "nor under the digest of the wrong bytes");
    ParentCallsTest.assertNoUploadsLeft(dataDir);
    assertSyncedByteExact("a", "b");
    assertEquals(2, failed.tagsCopied());

    // The parent serves the right bytes again: the next cycle copies what is missing, and only that.
    wireMock.removeStub(corrupt);
    long before = counter.blobBytes();
    DownstreamSync.Report next = succeededCycle();
    assertEquals(1, next.tagsCopied(), next.toString());
    assertSyncedByteExact("a", "b", "c");
    assertTrue(counter.blobBytes() - before < right.length + 64 * 1024,
        "only image c was transferred again: " + (counter.blobBytes() - before));
    ParentCallsTest.assertNoUploadsLeft(dataDir);
  }

  // ---- (d) ----

  @Test
  void aSlowlyDribbledBodyStillCompletes() throws Exception {
    byte[] right = Images.bytes(Images.blob(layout, layerC));
    // 20 chunks over 3 s: a gap of 150 ms, well inside the 1 s idle timeout the whole body exceeds.
    wireMock.stubFor(get(urlPathEqualTo(blobPath(layerC))).atPriority(1)
        .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/octet-stream")
            .withBody(right).withChunkedDribbleDelay(20, 3000)));
    ParentCaller slowOk = new ParentCaller(vertx, ParentEndpoint.of(wireMockUrl())
        .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(1)), POLICY);
    try {
      long start = System.nanoTime();
      DownstreamSync.Report report = Await.result(cycle(slowOk));
      long tookMillis = (System.nanoTime() - start) / 1_000_000;

      assertTrue(report.succeeded(), report.toString());
      assertTrue(tookMillis >= 2500, "the body really was dribbled: " + tookMillis + " ms");
      wireMock.verify(1, getRequestedFor(urlPathEqualTo(blobPath(layerC))));
      assertSyncedByteExact("a", "b", "c");
      ParentCallsTest.assertNoUploadsLeft(dataDir);
    } finally {
      slowOk.close();
    }
  }

  // ---- (d2) a drop while sync.bandwidth holds the response paused ----

  /**
   * The first GET of c's layer announces every byte, sends half and closes the connection, while
   * a 512 KiB/s budget keeps the response paused: the download must resume at exactly the bytes in
   * the upload, and nothing the dropped response still delivers may be appended after that.
   */
  @Test
  void aDropWhileTheBandwidthLimiterHoldsTheResponsePausedIsResumedByteExact() throws Exception {
    byte[] right = Images.bytes(Images.blob(layout, layerC));
    wireMock.stubFor(get(urlPathEqualTo(blobPath(layerC))).atPriority(1)
        .inScenario("drop").whenScenarioStateIs(Scenario.STARTED).willSetStateTo("dropped")
        .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/octet-stream")
            .withHeader("Content-Length", Integer.toString(right.length))
            .withBody(java.util.Arrays.copyOf(right, right.length / 2))));

    DownstreamSync.Report report = Await.result(cycle(caller, new BandwidthLimiter(512 * 1024)));

    assertTrue(report.succeeded(), "cycle failed: " + report);
    wireMock.verify(2, getRequestedFor(urlPathEqualTo(blobPath(layerC))));
    wireMock.verify(1, getRequestedFor(urlPathEqualTo(blobPath(layerC)))
        .withHeader("Range", com.github.tomakehurst.wiremock.client.WireMock.matching("bytes=[1-9][0-9]*-")));
    assertSyncedByteExact("a", "b", "c");
    ParentCallsTest.assertNoUploadsLeft(dataDir);
  }

  // ---- (e) ----

  @Test
  void aParentThatIsDownFailsTheCycleFastAndNothingHereChanges() throws Exception {
    succeededCycle();
    Map<String, byte[]> before = dataSnapshot();
    List<String> tagsBefore = storage.tags(REPO, null, 10).orElseThrow();
    assertEquals(List.of("a", "b", "c"), tagsBefore);
    wireMock.stop(); // connection refused from now on

    long start = System.nanoTime();
    Throwable failure = Await.failure(cycle(caller));
    long tookMillis = (System.nanoTime() - start) / 1_000_000;

    assertInstanceOf(ParentUnavailableException.class, failure, String.valueOf(failure));
    assertTrue(tookMillis < 5000, "failed fast: " + tookMillis + " ms");
    assertEquals(tagsBefore, storage.tags(REPO, null, 10).orElseThrow(), "no tag deleted");
    assertSyncedByteExact("a", "b", "c");
    Map<String, byte[]> after = dataSnapshot();
    assertEquals(before.keySet(), after.keySet(), "no file added or removed");
    List<String> changed = new ArrayList<>();
    before.forEach((name, bytes) -> {
      if (!java.util.Arrays.equals(bytes, after.get(name))) {
        changed.add(name);
      }
    });
    assertEquals(List.of(), changed, "no file changed");

    // A further cycle fails the same way (unreachable, or the circuit now open), still changing nothing.
    assertInstanceOf(ParentUnavailableException.class, Await.failure(cycle(caller)));
    assertEquals(before.keySet(), dataSnapshot().keySet());
  }
}
