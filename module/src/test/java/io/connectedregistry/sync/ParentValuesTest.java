package io.connectedregistry.sync;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.connectedregistry.RegistryApplication;
import io.connectedregistry.auth.RepositoryPattern;
import io.connectedregistry.config.ConfigLoader;
import io.connectedregistry.config.RegistryConfig;
import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.MediaTypes;
import io.connectedregistry.oci.Reference;
import io.connectedregistry.storage.LocalRegistryStorage;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Values from a broken or hostile parent: names, tags and digests that break the OCI grammar, in
 * the change feed and in listings, and referrers that list each other in a circle. The parent is
 * this project, in-process, behind WireMock, which replaces the answers the test needs broken.
 * Bad entries are reported and skipped (the feed's under the {@code sync.messageTtl} rules), the
 * parent is never asked for an invalid name, and referrer walks end.
 */
class ParentValuesTest {
  @TempDir Path parentData;
  @TempDir Path childData;
  @TempDir Path images;
  RegistryApplication parent;
  int parentPort;
  WireMockServer wireMock;
  Vertx vertx;
  WorkerExecutor worker;
  ParentCaller caller;
  LocalRegistryStorage storage;
  SyncService service;
  final MessageTtlTest.MutableClock clock = new MessageTtlTest.MutableClock();

  @BeforeEach
  void setUp() throws Exception {
    // Far from 1 January, so the service's yearly schedule never fires while the test moves the clock.
    clock.now = Instant.parse("2030-06-01T00:00:00Z");
    parentPort = Distribution.freePort();
    RegistryConfig config = new ConfigLoader(Map.of()).load(ConfigLoader.Flags.none()
        .withListen("127.0.0.1:" + parentPort).withData(parentData.toString()));
    parent = RegistryApplication.start(config);
    wireMock = new WireMockServer(WireMockConfiguration.options().bindAddress("127.0.0.1").dynamicPort());
    wireMock.start();
    wireMock.stubFor(any(anyUrl()).atPriority(10)
        .willReturn(aResponse().proxiedFrom("http://127.0.0.1:" + parentPort)));
    vertx = Vertx.vertx();
    worker = vertx.createSharedWorkerExecutor("registry-storage", 4);
    caller = new ParentCaller(vertx, ParentEndpoint.of("http://127.0.0.1:" + wireMock.port()),
        ParentPolicy.defaults());
    storage = LocalRegistryStorage.open(childData, LocalRegistryStorage.Options.defaults());
  }

  @AfterEach
  void tearDown() {
    if (service != null) {
      service.stop();
    }
    caller.close();
    storage.close();
    Await.result(vertx.close());
    wireMock.stop();
    parent.stop();
  }

  private Digest push(String repository, String tag, String seed) {
    Path layout = images.resolve(seed);
    Images.make(layout, tag, "-l", "2K", "-s", seed);
    return Images.push(layout, tag, "127.0.0.1:" + parentPort, repository, null);
  }

  /** One DownstreamSync cycle over {@code ttl/*}, on a worker thread that waits for it. */
  private DownstreamSync.Report cycle() {
    SyncState state = SyncState.load(childData, "parent");
    TransferCounter counter = new TransferCounter();
    DownstreamSync sync = new DownstreamSync(caller, storage, worker, state,
        List.of(RepositoryPattern.of("ttl/*")), TagFilter.ALL,
        new BlobFetcher(caller, storage, worker, counter), counter, true, Duration.ofDays(2), clock);
    return Await.result(vertx.getOrCreateContext().<DownstreamSync.Report>executeBlocking(
        () -> Await.result(sync.run(() -> false)), false));
  }

  // ---- the change feed, through SyncService: what the status says ----

  /** A SyncService over {@code ttl/*} with messageTtl P2D and a schedule that never fires by itself. */
  private SyncService service() throws Exception {
    Path file = Files.writeString(childData.resolve("child.yaml"), """
        parent: {endpoint: "127.0.0.1:%d", protocol: http}
        sync: {repositories: ["ttl/*"], schedule: "0 0 1 1 *", messageTtl: P2D}
        """.formatted(wireMock.port()));
    RegistryConfig config = new ConfigLoader(Map.of()).load(ConfigLoader.Flags.none()
        .withConfig(file).withData(childData.toString()));
    return SyncService.create(vertx, config, storage, worker, clock);
  }

  /** Runs one manual cycle and returns the status it left. */
  private JsonObject serviceCycle() {
    clock.now = clock.now.plusSeconds(1); // so this cycle's end time tells it from the last
    String end = clock.now.toString();
    service.trigger();
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      JsonObject status = new JsonObject(io.vertx.core.buffer.Buffer.buffer(
          io.connectedregistry.status.StatusJson.bytes(service.board().current())));
      if (end.equals(status.getString("lastSyncEndTime"))) {
        return status;
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
    throw new AssertionError("the cycle did not end within 60 s");
  }

  private static JsonObject change(long sequence, String repository, String tag, String digest, Instant at) {
    return new JsonObject().put("sequence", sequence).put("repository", repository).put("action", "tag_set")
        .put("tag", tag).put("digest", digest).put("timestamp", at.toString());
  }

  /** The parent's feed after {@code after}: these changes, up to {@code last}. */
  private void feedAfter(long after, long last, JsonObject... changes) {
    feedPage(after, last, last, changes);
  }

  /** A page of the feed after {@code after}, ending at {@code last}; more to come when {@code head} is further. */
  private void feedPage(long after, long last, long head, JsonObject... changes) {
    JsonObject page = new JsonObject().put("changes", new JsonArray(List.of((Object[]) changes)))
        .put("last", last).put("more", last < head).put("head", head);
    wireMock.stubFor(get(urlPathEqualTo("/_connected/v1/changes")).atPriority(1)
        .withQueryParam("after", equalTo(Long.toString(after)))
        .willReturn(aResponse().withHeader("Content-Type", "application/json").withBody(page.encode())));
  }

  private static String lastError(JsonObject status) {
    JsonObject error = status.getJsonObject("lastError");
    return error == null ? null : error.getString("description");
  }

  @Test
  void aChangeWithABadDigestIsReportedHoldsTheFeedAndIsGivenUpAfterTheTtl() throws Exception {
    service = service();
    assertEquals("Succeeded", serviceCycle().getString("syncState"), "first cycle: an empty parent");

    Digest one = push("ttl/app", "one", "feed-one");
    Digest two = push("ttl/app", "two", "feed-two");
    Instant made = clock.now;
    JsonObject first = change(1, "ttl/app", "one", one.toString(), made);
    JsonObject bad = change(2, "ttl/app", "bad", "sha256:not-a-digest", made);
    JsonObject after = change(3, "ttl/app", "two", two.toString(), made);
    feedAfter(0, 3, first, bad, after);
    feedAfter(1, 3, bad, after);
    feedAfter(3, 3);

    JsonObject failing = serviceCycle();
    assertEquals("Failed", failing.getString("syncState"), failing.encode());
    assertTrue(lastError(failing).contains("ttl/app:bad") && lastError(failing).contains("invalid digest"),
        failing.encode());
    assertEquals(one, storage.manifest("ttl/app", Reference.parse("one")).orElseThrow().digest(),
        "the good change before the bad one is applied");
    assertFalse(storage.manifest("ttl/app", Reference.parse("two")).isPresent(),
        "the change after it waits, so changes apply in order");
    assertEquals(1L, failing.getLong("cursor"));

    clock.now = clock.now.plus(Duration.ofDays(1));
    JsonObject stillFailing = serviceCycle();
    assertTrue(lastError(stillFailing).contains("ttl/app:bad"), stillFailing.encode());
    assertFalse(lastError(stillFailing).contains("expired"), stillFailing.encode());
    assertFalse(storage.manifest("ttl/app", Reference.parse("two")).isPresent());

    clock.now = clock.now.plus(Duration.ofDays(1).plusMinutes(1));
    JsonObject expired = serviceCycle();
    assertTrue(lastError(expired).contains("expired") && lastError(expired).contains("ttl/app:bad"),
        expired.encode());
    assertEquals(two, storage.manifest("ttl/app", Reference.parse("two")).orElseThrow().digest(),
        "the feed moved on past the expired change");
    assertEquals(3L, expired.getLong("cursor"));

    JsonObject clean = serviceCycle();
    assertEquals("Succeeded", clean.getString("syncState"), clean.encode());
    assertNull(clean.getValue("lastError"));
  }

  /** Without a readable timestamp, a bad change's age counts from when it first failed here. */
  @Test
  void aBadChangeWithoutATimestampExpiresTheTtlAfterItFirstFailed() throws Exception {
    service = service();
    serviceCycle();
    Digest good = push("ttl/app", "good", "feed-untimed");
    JsonObject bad = change(1, "ttl/app", "bad", "md5:0123", clock.now).put("timestamp", "yesterday");
    feedAfter(0, 2, bad, change(2, "ttl/app", "good", good.toString(), clock.now));
    feedAfter(2, 2);

    JsonObject failing = serviceCycle();
    assertTrue(lastError(failing).contains("ttl/app:bad") && lastError(failing).contains("invalid digest"),
        failing.encode());
    assertFalse(storage.manifest("ttl/app", Reference.parse("good")).isPresent());

    clock.now = clock.now.plus(Duration.ofDays(2).plusMinutes(1));
    JsonObject expired = serviceCycle();
    assertTrue(lastError(expired).contains("expired") && lastError(expired).contains("failing here since"),
        expired.encode());
    assertEquals(good, storage.manifest("ttl/app", Reference.parse("good")).orElseThrow().digest());
  }

  /**
   * Repositories' changes apply side by side: a slow image of one repository does not hold back
   * another's. Each repository's stay in order, and the cursor passes every change once applied.
   */
  @Test
  void changesOfDifferentRepositoriesApplySideBySide() throws Exception {
    service = service();
    serviceCycle();
    Digest slow = push("ttl/slow", "v1", "side-slow");
    Digest quick = push("ttl/quick", "v1", "side-quick");
    Digest slowNext = push("ttl/slow", "v2", "side-slow-next");
    int delay = 2000;
    wireMock.stubFor(get(urlPathEqualTo("/v2/ttl/slow/manifests/" + slow)).atPriority(1)
        .willReturn(aResponse().proxiedFrom("http://127.0.0.1:" + parentPort).withFixedDelay(delay)));
    feedAfter(0, 3,
        change(1, "ttl/slow", "v1", slow.toString(), clock.now),
        change(2, "ttl/quick", "v1", quick.toString(), clock.now),
        change(3, "ttl/slow", "v2", slowNext.toString(), clock.now));
    feedAfter(3, 3);

    JsonObject status = serviceCycle();

    assertEquals("Succeeded", status.getString("syncState"), status.encode());
    assertEquals(3L, status.getLong("cursor"));
    assertEquals(quick, storage.manifest("ttl/quick", Reference.parse("v1")).orElseThrow().digest());
    assertEquals(slowNext, storage.manifest("ttl/slow", Reference.parse("v2")).orElseThrow().digest());
    long slowAsked = wireMock.findAll(getRequestedFor(urlPathEqualTo("/v2/ttl/slow/manifests/" + slow)))
        .get(0).getLoggedDate().getTime();
    long quickAsked = wireMock.findAll(getRequestedFor(urlPathEqualTo("/v2/ttl/quick/manifests/" + quick)))
        .get(0).getLoggedDate().getTime();
    long slowNextAsked = wireMock.findAll(getRequestedFor(urlPathEqualTo("/v2/ttl/slow/manifests/" + slowNext)))
        .get(0).getLoggedDate().getTime();
    assertTrue(quickAsked < slowAsked + delay,
        "ttl/quick's image was asked for " + (quickAsked - slowAsked) + " ms after ttl/slow's, whose answer took "
            + delay + " ms: it waited for it");
    assertTrue(slowNextAsked >= slowAsked + delay,
        "ttl/slow's second change waits for its first: asked " + (slowNextAsked - slowAsked) + " ms after it");
  }

  /** A feed's manifest_put and then tag_set of one image: its referrers are asked for once. */
  @Test
  void anImagePutThenTaggedInTheFeedIsAskedForReferrersOnce() throws Exception {
    service = service();
    serviceCycle();
    Digest image = push("ttl/app", "v1", "put-then-tag");
    feedAfter(0, 2,
        new JsonObject().put("sequence", 1).put("repository", "ttl/app").put("action", "manifest_put")
            .put("digest", image.toString()).put("timestamp", clock.now.toString()),
        change(2, "ttl/app", "v1", image.toString(), clock.now));
    feedAfter(2, 2);

    JsonObject status = serviceCycle();

    assertEquals("Succeeded", status.getString("syncState"), status.encode());
    assertEquals(image, storage.manifest("ttl/app", Reference.parse("v1")).orElseThrow().digest());
    assertEquals(1, wireMock.findAll(getRequestedFor(urlPathEqualTo("/v2/ttl/app/referrers/" + image))).size(),
        "the tag_set finds the image here, its referrers asked for by the manifest_put");
  }

  /** A change that fails holds the cursor before it, whatever another repository applied after it. */
  @Test
  void aFailingChangeHoldsTheCursorBeforeItAcrossRepositories() throws Exception {
    service = service();
    serviceCycle();
    Digest one = push("ttl/app", "one", "across-one");
    Digest two = push("ttl/app", "two", "across-two");
    feedAfter(0, 3,
        change(1, "ttl/app", "one", one.toString(), clock.now),
        change(2, "ttl/other", "bad", "sha256:not-a-digest", clock.now),
        change(3, "ttl/app", "two", two.toString(), clock.now));
    feedAfter(1, 3,
        change(2, "ttl/other", "bad", "sha256:not-a-digest", clock.now),
        change(3, "ttl/app", "two", two.toString(), clock.now));

    JsonObject failing = serviceCycle();

    assertEquals("Failed", failing.getString("syncState"), failing.encode());
    assertTrue(lastError(failing).contains("ttl/other:bad"), failing.encode());
    assertEquals(one, storage.manifest("ttl/app", Reference.parse("one")).orElseThrow().digest());
    assertEquals(1L, failing.getLong("cursor"), "the cursor stops before the failed change, in feed order");
    wireMock.resetRequests();
    serviceCycle();
    assertEquals(1, wireMock.findAll(getRequestedFor(urlPathEqualTo("/_connected/v1/changes"))
        .withQueryParam("after", equalTo("1"))).size(), "the next cycle reads the feed from there again");
  }

  /**
   * A change that keeps failing holds its own repository's later changes (their order), not the
   * other repositories': one broken image at the parent must not stall every other repository's
   * updates until sync.messageTtl. The cursor stays before it, and what was applied after it is
   * not applied (nor asked of the parent) again by the cycles that read the feed from there.
   */
  @Test
  void aFailingChangeHoldsOnlyItsOwnRepository() throws Exception {
    service = service();
    serviceCycle();
    Digest one = push("ttl/app", "one", "own-one");
    Digest later = push("ttl/other", "later", "own-later");
    JsonObject bad = change(1, "ttl/other", "bad", "sha256:not-a-digest", clock.now);
    JsonObject held = change(2, "ttl/other", "later", later.toString(), clock.now);
    JsonObject put = new JsonObject().put("sequence", 3).put("repository", "ttl/app").put("action", "manifest_put")
        .put("digest", one.toString()).put("timestamp", clock.now.toString());
    JsonObject tagged = change(4, "ttl/app", "one", one.toString(), clock.now);
    feedAfter(0, 4, bad, held, put, tagged);

    JsonObject first = serviceCycle();

    assertEquals("Failed", first.getString("syncState"), first.encode());
    assertTrue(lastError(first).contains("ttl/other:bad"), first.encode());
    assertEquals(one, storage.manifest("ttl/app", Reference.parse("one")).map(m -> m.digest()).orElse(null),
        "another repository's change after the failed one is applied in the same cycle");
    assertTrue(storage.manifest("ttl/other", Reference.parse("later")).isEmpty(),
        "the failed change's own repository waits behind it, in feed order");
    assertEquals(0L, first.getLong("cursor", 0L), "the cursor stays before the failed change (no cursor yet): " + first.encode());

    Digest two = push("ttl/app", "two", "own-two");
    feedAfter(0, 5, bad, held, put, tagged, change(5, "ttl/app", "two", two.toString(), clock.now));
    wireMock.resetRequests();
    JsonObject second = serviceCycle();

    assertEquals(two, storage.manifest("ttl/app", Reference.parse("two")).map(m -> m.digest()).orElse(null),
        "a new change of another repository is applied while the failure lasts: " + second.encode());
    assertEquals(0L, second.getLong("cursor", 0L), second.encode());
    assertEquals(0, wireMock.findAll(getRequestedFor(urlPathMatching("/v2/ttl/app/(manifests|referrers)/" + one))).size(),
        "changes applied after the failed one are not applied again");
  }

  /**
   * The failed change's repository stays held on the feed's later pages of the cycle, and those
   * pages are read after the one before (not again from the held cursor, which would read the
   * first page over and over and never reach the second).
   */
  @Test
  void aFailingChangeHoldsItsRepositoryOnLaterPagesToo() throws Exception {
    service = service();
    serviceCycle();
    Digest one = push("ttl/app", "one", "pages-one");
    Digest later = push("ttl/other", "later", "pages-later");
    feedPage(0, 2, 4,
        change(1, "ttl/other", "bad", "sha256:not-a-digest", clock.now),
        change(2, "ttl/app", "one", one.toString(), clock.now));
    feedPage(2, 4, 4,
        change(3, "ttl/other", "later", later.toString(), clock.now),
        change(4, "ttl/app", "again", one.toString(), clock.now));
    wireMock.resetRequests();

    JsonObject status = serviceCycle();

    assertEquals(one, storage.manifest("ttl/app", Reference.parse("again")).map(m -> m.digest()).orElse(null),
        "the second page is read and applied: " + status.encode());
    assertTrue(storage.manifest("ttl/other", Reference.parse("later")).isEmpty(),
        "the failed change's repository waits on the next page too");
    assertEquals(0L, status.getLong("cursor", 0L), status.encode());
    assertEquals(1, wireMock.findAll(getRequestedFor(urlPathEqualTo("/_connected/v1/changes"))
        .withQueryParam("after", equalTo("0"))).size(), "the first page is read once");
  }

  /** Bad names and tags older than the TTL: given up at once, and never asked of the parent. */
  @Test
  void badNamesAndTagsInTheFeedAreNeverRequested() throws Exception {
    service = service();
    serviceCycle();
    Digest good = push("ttl/app", "good", "feed-good");
    Instant old = clock.now.minus(Duration.ofDays(3));
    feedAfter(0, 3,
        change(1, "ttl/../escape", "v1", good.toString(), old),
        change(2, "ttl/app", "-bad", good.toString(), old),
        change(3, "ttl/app", "good", good.toString(), clock.now));
    feedAfter(3, 3);

    JsonObject status = serviceCycle();

    assertEquals(good, storage.manifest("ttl/app", Reference.parse("good")).orElseThrow().digest());
    assertTrue(lastError(status).contains("expired") && lastError(status).contains("invalid name"), status.encode());
    assertEquals(2, status.getJsonObject("lastCycle").getInteger("errors"), status.encode());
    for (LoggedRequest request : wireMock.findAll(anyRequestedFor(anyUrl()))) {
      assertFalse(request.getUrl().contains("escape") || request.getUrl().contains("-bad"), request.getUrl());
    }
  }

  // ---- listings of a plain OCI parent ----

  @Test
  void badNamesAndTagsInListingsAreReportedAndNeverRequested() {
    Digest v1 = push("ttl/app", "v1", "list-v1");
    wireMock.stubFor(get(urlPathEqualTo("/_connected/v1/changes")).atPriority(1)
        .willReturn(aResponse().withStatus(404)));
    wireMock.stubFor(get(urlPathEqualTo("/v2/_catalog")).atPriority(1)
        .willReturn(aResponse().withHeader("Content-Type", "application/json")
            .withBody("{\"repositories\":[\"ttl/app\",\"ttl/Bad\",\"ttl/../escape\"]}")));
    wireMock.stubFor(get(urlPathEqualTo("/v2/ttl/app/tags/list")).atPriority(1)
        .willReturn(aResponse().withHeader("Content-Type", "application/json")
            .withBody("{\"name\":\"ttl/app\",\"tags\":[\"v1\",\"-bad\",\"a/../b\"]}")));

    DownstreamSync.Report report = cycle();

    assertEquals(v1, storage.manifest("ttl/app", Reference.parse("v1")).orElseThrow().digest());
    String errors = report.errors().toString();
    assertTrue(errors.contains("ttl/Bad") && errors.contains("-bad"), errors);
    for (LoggedRequest request : wireMock.findAll(anyRequestedFor(anyUrl()))) {
      String url = request.getUrl();
      assertFalse(url.contains("Bad") || url.contains("escape") || url.contains("-bad") || url.contains("a/../b"), url);
    }
  }

  // ---- referrers ----

  private String referrersIndex(Digest... referrers) {
    JsonArray manifests = new JsonArray();
    for (Digest d : referrers) {
      manifests.add(new JsonObject().put("mediaType", MediaTypes.OCI_MANIFEST).put("digest", d.toString())
          .put("size", Await.result(new GetManifest(caller).get("ttl/app", Reference.parse(d.toString())))
              .orElseThrow().bytes().length));
    }
    return new JsonObject().put("schemaVersion", 2).put("mediaType", MediaTypes.OCI_INDEX)
        .put("manifests", manifests).encode();
  }

  /** A lists itself and B; B lists A: each is copied once and the walk ends. */
  @Test
  void referrerCyclesAreWalkedOnce() {
    Digest a = push("ttl/app", "a", "ref-a");
    Digest b = push("ttl/app", "b", "ref-b");
    wireMock.stubFor(get(urlPathEqualTo("/v2/ttl/app/referrers/" + a)).atPriority(1)
        .willReturn(aResponse().withHeader("Content-Type", MediaTypes.OCI_INDEX).withBody(referrersIndex(a, b))));
    wireMock.stubFor(get(urlPathEqualTo("/v2/ttl/app/referrers/" + b)).atPriority(1)
        .willReturn(aResponse().withHeader("Content-Type", MediaTypes.OCI_INDEX).withBody(referrersIndex(a))));

    DownstreamSync.Report report = assertTimeoutPreemptively(Duration.ofSeconds(60), this::cycle,
        "the referrer walk goes round in circles");

    assertTrue(report.succeeded(), report.toString());
    assertEquals(a, storage.manifest("ttl/app", Reference.parse("a")).orElseThrow().digest());
    assertEquals(b, storage.manifest("ttl/app", Reference.parse("b")).orElseThrow().digest());
    int asked = wireMock.findAll(getRequestedFor(urlPathEqualTo("/v2/ttl/app/referrers/" + a))).size();
    assertTrue(asked <= 3, asked + " referrer listings of " + a);
  }
}
