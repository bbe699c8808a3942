package io.connectedregistry.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.RegistryApplication;
import io.connectedregistry.auth.RepositoryPattern;
import io.connectedregistry.config.ConfigLoader;
import io.connectedregistry.config.RegistryConfig;
import io.connectedregistry.oci.Descriptor;
import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.Manifest;
import io.connectedregistry.oci.ManifestParser;
import io.connectedregistry.oci.Reference;
import io.connectedregistry.status.RegistryStatus;
import io.connectedregistry.status.StatusBoard;
import io.connectedregistry.storage.LocalRegistryStorage;
import io.connectedregistry.storage.StoredManifest;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The upstream queue against a real parent (this registry, in-process) and against a parent that
 * is not there: content that came down by sync is never sent back, a client change goes up, and
 * a change still failing after {@code sync.messageTtl} (the clock moved by hand) is counted as
 * expired and reported, yet stays queued and reaches the parent once it is back.
 */
class UpstreamQueueTest {
  private static final Duration TTL = Duration.ofDays(2);

  @TempDir Path parentData;
  @TempDir Path childData;
  @TempDir Path images;
  RegistryApplication parent;
  int parentPort;
  Vertx vertx;
  WorkerExecutor worker;
  LocalRegistryStorage storage;
  SyncState syncState;
  UpstreamState upstreamState;
  final MessageTtlTest.MutableClock clock = new MessageTtlTest.MutableClock();
  final StatusBoard board = new StatusBoard(
      RegistryStatus.starting(RegistryConfig.Mode.ReadWrite, "test", true), Runnable::run);
  UpstreamQueue queue;

  @BeforeEach
  void setUp() throws Exception {
    parentPort = Distribution.freePort();
    RegistryConfig config = new ConfigLoader(Map.of()).load(ConfigLoader.Flags.none()
        .withListen("127.0.0.1:" + parentPort).withData(parentData.toString()));
    parent = RegistryApplication.start(config);
    vertx = Vertx.vertx();
    worker = vertx.createSharedWorkerExecutor("registry-storage", 4);
    storage = LocalRegistryStorage.open(childData, LocalRegistryStorage.Options.defaults());
    syncState = SyncState.load(childData, "parent");
    upstreamState = UpstreamState.load(childData);
  }

  @AfterEach
  void tearDown() {
    if (queue != null) {
      Await.result(queue.stop());
    }
    storage.close();
    Await.result(vertx.close());
    parent.stop();
  }

  private ParentCaller caller(int port) {
    return new ParentCaller(vertx, ParentEndpoint.of("http://127.0.0.1:" + port), ParentPolicy.defaults());
  }

  private UpstreamQueue queue(ParentCaller caller) {
    BlobFetcher blobs = new BlobFetcher(caller, storage, worker, new TransferCounter());
    return new UpstreamQueue(vertx, vertx.getOrCreateContext(), caller, storage, worker, upstreamState, syncState,
        new ImageCopier(caller, blobs, storage, worker, new ImageCopier.Counts()), board, BandwidthLimiter.UNLIMITED,
        TTL, clock, List.of(RepositoryPattern.of("app/*")));
  }

  /** Pushes an image to the parent and syncs it down here: written by sync. */
  private Digest syncDown(String repositoryAndTag, String seed) {
    Digest digest = pushAtParent(repositoryAndTag, seed);
    downstreamCycle(DownstreamSync.TagGuard.NONE);
    String[] parts = repositoryAndTag.split(":");
    assertEquals(digest, storage.manifest(parts[0], Reference.parse(parts[1])).orElseThrow().digest());
    return digest;
  }

  private Digest pushAtParent(String repositoryAndTag, String seed) {
    String[] parts = repositoryAndTag.split(":");
    Path layout = images.resolve(seed);
    Images.make(layout, parts[1], "-l", "3K", "-s", seed);
    return Images.push(layout, parts[1], "127.0.0.1:" + parentPort, parts[0], null);
  }

  /** One downstream cycle from the parent (its change feed), with {@code guard}. */
  private void downstreamCycle(DownstreamSync.TagGuard guard) {
    ParentCaller down = caller(parentPort);
    TransferCounter counter = new TransferCounter();
    DownstreamSync sync = new DownstreamSync(down, storage, worker, syncState,
        List.of(RepositoryPattern.of("app/*")), TagFilter.ALL, new BlobFetcher(down, storage, worker, counter),
        counter, false, TTL, clock).guardedBy(guard);
    DownstreamSync.Report report = Await.result(vertx.getOrCreateContext().<DownstreamSync.Report>executeBlocking(
        () -> Await.result(sync.run(() -> false)), false));
    assertTrue(report.succeeded(), report.errors().toString());
    down.close();
  }

  @Test
  void downstreamSyncLeavesATagAClientMovedHereToTheQueueWhileItIsQueued() throws Exception {
    syncDown("app/guard:v1", "guard-a");
    Digest mine = syncDown("app/guard:mine", "guard-b");
    clientPush("app/guard", mine, "app/guard", "v1"); // a client moves v1 here: queued, not yet sent
    Digest theirs = pushAtParent("app/guard:v1", "guard-c"); // and the parent moves it too, later

    ParentCaller unused = caller(Distribution.freePort());
    queue = queue(unused); // not started: the client change stays queued
    downstreamCycle(queue::holds);
    assertEquals(mine, storage.manifest("app/guard", Reference.parse("v1")).orElseThrow().digest(),
        "sync leaves the queued client change to the upstream queue's conflict rule");

    syncState.relist(); // without the guard, the same parent change overwrites the client's
    downstreamCycle(DownstreamSync.TagGuard.NONE);
    assertEquals(theirs, storage.manifest("app/guard", Reference.parse("v1")).orElseThrow().digest());
    queue = null;
    unused.close();
  }

  /** What a client push here does: the image's blobs linked into {@code repository}, then the manifest tagged. */
  private void clientPush(String fromRepository, Digest digest, String repository, String tag) {
    StoredManifest stored = storage.manifest(fromRepository, new Reference(null, digest)).orElseThrow();
    Manifest manifest = ManifestParser.parse(stored.bytes(), stored.mediaType(), "sha256");
    for (Descriptor blob : manifest.blobs()) {
      assertTrue(storage.linkExistingBlob(repository, blob.digest()));
    }
    storage.putManifest(repository, manifest, tag); // a client's: the default origin
  }

  private static void await(String what, BooleanSupplier condition) {
    Instant deadline = Instant.now().plusSeconds(30);
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("not within 30 s: " + what);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  private Digest atParent(String repository, String tag) {
    ParentCaller look = caller(parentPort);
    try {
      return Await.result(new HeadManifest(look).head(repository, Reference.parse(tag)))
          .map(ManifestInfo::digest).orElse(null);
    } finally {
      look.close();
    }
  }

  @Test
  void contentThatCameDownBySyncIsNeverSentBackButAClientPushGoesUp() throws Exception {
    Digest synced = syncDown("app/down:v1", "came-down");
    long head = storage.lastChangeSequence();
    assertTrue(head > 0);

    ParentCaller up = caller(parentPort);
    queue = queue(up);
    queue.start();
    await("the queue passes the synced changes", () -> upstreamState.cursor() == head);
    assertEquals(0, up.requestsSent(), "not one request for content that came down by sync");
    assertEquals(0, board.current().upstreamQueue().pending());

    clientPush("app/down", synced, "local/only", "v1"); // outside sync.repositories: this registry's own
    long local = storage.lastChangeSequence();
    await("the queue passes the local repository's changes", () -> upstreamState.cursor() == local);
    assertEquals(0, up.requestsSent(), "a repository outside sync.repositories stays here");

    clientPush("app/down", synced, "app/mine", "v1");
    await("the client push reaches the parent", () -> synced.equals(atParent("app/mine", "v1")));
    await("the queue is empty", () -> board.current().upstreamQueue().pending() == 0
        && upstreamState.cursor() == storage.lastChangeSequence());
    assertTrue(up.requestsSent() > 0);

    Path file = childData.resolve(UpstreamState.FILE_NAME);
    java.nio.file.attribute.FileTime written = java.nio.file.Files.getLastModifiedTime(file);
    Thread.sleep(2500); // two idle polls and more
    assertEquals(written, java.nio.file.Files.getLastModifiedTime(file), "an idle queue writes nothing");
    up.close();
  }

  @Test
  void theParentsChangeFeedTellsTheNewestChangeOfOneTagWithItsTime() throws Exception {
    Path layout = images.resolve("feed-tag");
    Images.make(layout, "a", "-l", "2K", "-s", "feed-a");
    Images.make(layout, "b", "-l", "2K", "-s", "feed-b");
    Images.push(layout, "a", "127.0.0.1:" + parentPort, "app/feed", null);
    Instant before = Instant.now().minusSeconds(1);
    Digest moved = Images.push(layout, "b", "127.0.0.1:" + parentPort, "app/feed", null);
    ParentCaller look = caller(parentPort);
    Path tagged = images.resolve("feed-tag-2");
    Images.make(tagged, "latest", "-l", "2K", "-s", "feed-b"); // same image as b, under another tag
    Images.push(tagged, "latest", "127.0.0.1:" + parentPort, "app/feed", null);
    // b then latest: ask for "b"
    LatestTagChange.Answer answer = Await.result(new LatestTagChange(look).get("app/feed", "b"));
    assertTrue(answer.feed());
    ListChanges.Change latest = answer.change().orElseThrow();
    assertEquals("tag_set", latest.action());
    assertEquals(moved, latest.digest());
    assertTrue(!latest.timestamp().isBefore(before), latest.toString());
    assertTrue(Await.result(new LatestTagChange(look).get("app/feed", "never")).change().isEmpty());
    assertTrue(Await.result(new LatestTagChange(look).get("app/other", "b")).change().isEmpty());

    java.net.http.HttpResponse<String> bad = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + parentPort
            + "/_connected/v1/changes?repository=app/feed&tag=..bad")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(400, bad.statusCode(), bad.body());
    look.close();
  }

  @Test
  void aBlobTheParentHasInAnotherRepositoryIsMountedThereNotUploadedAgain() {
    Digest image = syncDown("app/source:v1", "mount-source");
    upstreamState.cursor(storage.lastChangeSequence());
    ParentCaller up = caller(parentPort);
    queue = queue(up);
    queue.start();

    clientPush("app/source", image, "app/first", "v1");
    await("the first push arrives", () -> image.equals(atParent("app/first", "v1")));
    await("the queue is empty", () -> upstreamState.cursor() == storage.lastChangeSequence());
    long uploaded = up.requestsSent();

    clientPush("app/source", image, "app/second", "v1");
    await("the second push arrives", () -> image.equals(atParent("app/second", "v1")));
    await("the queue is empty", () -> upstreamState.cursor() == storage.lastChangeSequence());
    long mounted = up.requestsSent() - uploaded;
    // Per blob: HEAD + mount (201) instead of HEAD + POST + PATCH + PUT; two blobs (config, layer).
    assertEquals(uploaded - 4, mounted, "each blob mounted from app/first: " + uploaded + " then " + mounted);
    up.close();
  }

  @Test
  void aClientPushReachesAPlainOciParentBlobsStreamedFromDisk() {
    Distribution.assumeInstalled();
    Digest synced = syncDown("app/base:v1", "to-distribution");
    upstreamState.cursor(storage.lastChangeSequence());
    clientPush("app/base", synced, "app/pushed", "v1");
    try (Distribution distribution = Distribution.start(images.resolve("distribution"))) {
      ParentCaller up = new ParentCaller(vertx, ParentEndpoint.of("http://" + distribution.hostPort()),
          ParentPolicy.defaults());
      queue = queue(up);
      queue.start();
      await("the push reaches distribution", () -> {
        Digest there = Await.result(new HeadManifest(up).head("app/pushed", Reference.parse("v1")))
            .map(ManifestInfo::digest).orElse(null);
        return synced.equals(there);
      });
      StoredManifest stored = storage.manifest("app/pushed", new Reference(null, synced)).orElseThrow();
      for (Descriptor blob : ManifestParser.parse(stored.bytes(), stored.mediaType(), "sha256").blobs()) {
        assertTrue(Await.result(new HeadBlob(up).check("app/pushed", blob.digest())).exists(), blob.toString());
      }
      Await.result(queue.stop());
      queue = null;
      assertEquals(LatestTagChange.Answer.NO_FEED,
          Await.result(new LatestTagChange(up).get("app/pushed", "v1")), "a plain OCI parent has no change feed");
      up.close();
    }
  }

  @Test
  void aChangeFailingPastMessageTtlIsCountedAndReportedAsExpiredButStaysQueuedUntilTheParentTakesIt()
      throws Exception {
    Digest synced = syncDown("app/base:v1", "ttl-base");
    long passed = storage.lastChangeSequence();
    clientPush("app/base", synced, "app/late", "v1"); // manifest_put and tag_set
    upstreamState.cursor(passed); // as if the synced changes were passed before the parent went away

    ParentCaller absent = caller(Distribution.freePort()); // nothing listens there
    queue = queue(absent);
    queue.start();
    await("two changes pending, none expired yet", () -> board.current().upstreamQueue().pending() == 2);
    assertEquals(0, board.current().upstreamQueue().expired());
    assertEquals(null, board.current().statusDetails());

    clock.now = clock.now.plus(TTL).plus(Duration.ofMinutes(1));
    queue.kick();
    await("both counted as expired", () -> board.current().upstreamQueue().expired() == 2);
    await("reported", () -> board.current().statusDetails() != null);
    RegistryStatus.StatusDetails details = board.current().statusDetails();
    assertEquals("UpstreamExpired", details.code(), details.toString());
    assertTrue(details.description().contains("app/late") && details.description().contains("messageTtl"),
        details.description());
    assertFalse(details.correlationId().isEmpty());
    for (int i = 0; i < 3; i++) {
      queue.kick();
      Thread.sleep(300);
    }
    assertEquals(passed, upstreamState.cursor(), "never acknowledged, never dropped");
    assertEquals(2, board.current().upstreamQueue().pending());
    Await.result(queue.stop());
    absent.close();

    ParentCaller back = caller(parentPort); // the parent is reachable again
    queue = queue(back);
    queue.start();
    await("the expired change reaches the parent", () -> synced.equals(atParent("app/late", "v1")));
    await("the queue drains and the report clears", () -> board.current().upstreamQueue().pending() == 0
        && board.current().upstreamQueue().expired() == 0 && board.current().statusDetails() == null);
    back.close();
  }
}
