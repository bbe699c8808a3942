package io.connectedregistry.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.MediaTypes;
import io.connectedregistry.oci.Reference;
import io.connectedregistry.storage.LocalRegistryStorage;
import io.connectedregistry.storage.RegistryStorage;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every read from the parent has a byte cap: a hostile parent answers with bodies far larger than
 * any legitimate one (64 MiB, chunked so no Content-Length gives it away), and the client must stop
 * reading near its cap and fail clearly. {@link ScriptedServer#streamed()} shows how much the
 * parent got to send: a client that reads everything takes all 64 MiB; one that stops at its cap
 * closes the connection, and only the cap plus what sat in socket buffers went out.
 */
class ParentBoundsTest {
  static final long HUGE = 64L * 1024 * 1024;
  /** Well above every cap plus loopback socket buffers, well below {@link #HUGE}. */
  static final long READ_AT_MOST = 32L * 1024 * 1024;
  static final String REPO = "team/app";
  static final Map<String, String> JSON = Map.of("Content-Type", "application/json");

  @TempDir Path dataDir;
  ScriptedServer parent;
  Vertx vertx;
  WorkerExecutor worker;
  ParentCaller caller;
  RegistryStorage storage;

  @BeforeEach
  void setUp() {
    parent = ScriptedServer.http();
    vertx = Vertx.vertx();
    worker = vertx.createSharedWorkerExecutor("registry-storage", 4);
    caller = new ParentCaller(vertx, ParentEndpoint.of(parent.url()).withCredentials("sync", "pw"),
        ParentPolicy.defaults());
    storage = LocalRegistryStorage.open(dataDir, LocalRegistryStorage.Options.defaults());
  }

  @AfterEach
  void tearDown() {
    caller.close();
    storage.close();
    Await.result(vertx.close());
    parent.close();
  }

  private void assertStoppedReading() {
    assertTrue(parent.streamed() < READ_AT_MOST,
        "the client read " + parent.streamed() + " bytes of a " + HUGE + "-byte answer");
  }

  @Test
  void chunkedManifestLargerThanFourMiBIsCutOff() {
    Digest digest = Digest.sha256("any".getBytes(StandardCharsets.UTF_8));
    parent.on("/v2/" + REPO + "/manifests/" + digest,
        parent.stream(200, Map.of("Content-Type", MediaTypes.OCI_MANIFEST), HUGE));

    Throwable failure = Await.failure(new GetManifest(caller).get(REPO, Reference.parse(digest.toString())));

    assertEquals("MANIFEST_TOO_LARGE", assertInstanceOf(ParentStatusException.class, failure).errorCode(),
        failure.toString());
    assertStoppedReading();
  }

  @Test
  void errorBodyIsReadOnlyUpToItsCap() {
    Digest digest = Digest.sha256("any".getBytes(StandardCharsets.UTF_8));
    parent.on("/v2/" + REPO + "/manifests/" + digest, parent.stream(400, JSON, HUGE));

    Throwable failure = Await.failure(new GetManifest(caller).get(REPO, Reference.parse(digest.toString())));

    assertEquals(400, assertInstanceOf(ParentStatusException.class, failure).status(), failure.toString());
    assertStoppedReading();
  }

  @Test
  void bodyOfANotFoundIsNotReadToTheEnd() {
    Digest digest = Digest.sha256("any".getBytes(StandardCharsets.UTF_8));
    parent.on("/v2/" + REPO + "/manifests/" + digest, parent.stream(404, JSON, HUGE));

    assertEquals(Optional.empty(), Await.result(new GetManifest(caller).get(REPO, Reference.parse(digest.toString()))));
    assertStoppedReading();
  }

  @Test
  void tokenResponseIsCapped() {
    parent.on("/v2/" + REPO + "/tags/list", ScriptedServer.answer(401, Map.of("WWW-Authenticate",
        "Bearer realm=\"" + parent.url() + "/token\",service=\"test\""), ""));
    parent.on("/token", parent.stream(200, JSON, HUGE));

    Throwable failure = Await.failure(new ListTags(caller, 100).list(REPO));

    assertInstanceOf(ParentStatusException.class, failure, failure.toString());
    assertTrue(failure.getMessage().contains("token"), failure.getMessage());
    assertStoppedReading();
  }

  @Test
  void tagPageIsCapped() {
    parent.on("/v2/" + REPO + "/tags/list", parent.stream(200, JSON, HUGE));

    Throwable failure = Await.failure(new ListTags(caller, 100).list(REPO));

    assertInstanceOf(ParentStatusException.class, failure, failure.toString());
    assertStoppedReading();
  }

  @Test
  void changeFeedPageIsCapped() {
    parent.on("/_connected/v1/changes", parent.stream(200, JSON, HUGE));

    Throwable failure = Await.failure(new ListChanges(caller, 100).after(0));

    assertInstanceOf(ParentStatusException.class, failure, failure.toString());
    assertStoppedReading();
  }

  /** "More follow" without moving past the cursor would have sync ask for the same page forever. */
  @Test
  void changeFeedThatDoesNotAdvanceIsRefused() {
    parent.on("/_connected/v1/changes", ScriptedServer.answer(200, JSON,
        "{\"changes\":[],\"last\":5,\"more\":true,\"head\":9}"));

    Throwable failure = Await.failure(new ListChanges(caller, 100).after(5));

    assertInstanceOf(ParentStatusException.class, failure, failure.toString());
    assertTrue(failure.getMessage().contains("does not advance"), failure.getMessage());
  }

  /** A feed that always says "more": one cycle applies a bounded number of pages, keeps its progress, ends. */
  @Test
  void endlessChangeFeedEndsTheCycleAfterBoundedPages() {
    String changes = "/_connected/v1/changes";
    parent.on(changes, request -> {
      long after = Long.parseLong(request.getParam("after"));
      request.response().putHeader("Content-Type", "application/json").end("{\"changes\":[],\"last\":"
          + (after + 1) + ",\"more\":true,\"head\":" + (after + 1) + "}");
    });
    SyncState state = SyncState.load(dataDir, parent.url());
    state.follow(1);
    TransferCounter counter = new TransferCounter();
    DownstreamSync sync = new DownstreamSync(caller, storage, worker, state,
        java.util.List.of(io.connectedregistry.auth.RepositoryPattern.of(REPO)), TagFilter.ALL,
        new BlobFetcher(caller, storage, worker, counter), counter, true);
    Promise<DownstreamSync.Report> cycle = Promise.promise();
    vertx.getOrCreateContext().runOnContext(v -> sync.run(() -> false).onComplete(cycle));

    DownstreamSync.Report report = Await.result(cycle.future());

    assertTrue(report.succeeded(), report.toString());
    int asked = parent.requests(changes).size();
    assertTrue(asked <= 101, asked + " feed pages in one cycle");
    assertEquals(1 + asked, state.cursor(), "the pages applied are kept: the next cycle carries on");
  }

  /** Every page links to a new one: the listing fails clearly instead of going on (or truncating). */
  @Test
  void endlessTagPagesFailInsteadOfBeingTruncated() {
    String tags = "/v2/" + REPO + "/tags/list";
    parent.on(tags, request -> {
      String last = request.getParam("last");
      int next = last == null ? 0 : Integer.parseInt(last.substring(1)) + 1;
      request.response().putHeader("Content-Type", "application/json")
          .putHeader("Link", "<" + tags + "?n=1&last=t" + next + ">; rel=\"next\"")
          .end("{\"name\":\"" + REPO + "\",\"tags\":[\"t" + next + "\"]}");
    });

    Throwable failure = Await.failure(new ListTags(caller, 1).list(REPO));

    assertInstanceOf(ParentStatusException.class, failure, failure.toString());
    assertTrue(failure.getMessage().contains("pages"), failure.getMessage());
    assertTrue(parent.requests(tags).size() <= 1001, parent.requests(tags).size() + " pages asked for");
  }

  /** A link back to a page already read: a loop, refused at once. */
  @Test
  void circularTagPagesFailAtOnce() {
    String tags = "/v2/" + REPO + "/tags/list";
    parent.on(tags, request -> request.response().putHeader("Content-Type", "application/json")
        .putHeader("Link", "<" + tags + "?n=1&last=b>; rel=\"next\"")
        .end("{\"name\":\"" + REPO + "\",\"tags\":[\"" + (request.getParam("last") == null ? "a" : "b") + "\"]}"));

    Throwable failure = Await.failure(new ListTags(caller, 1).list(REPO));

    assertInstanceOf(ParentStatusException.class, failure, failure.toString());
    assertTrue(parent.requests(tags).size() <= 3, parent.requests(tags).size() + " pages asked for");
  }

  /**
   * The manifest says its layer is 1 KiB; the parent sends 64 MiB for it. The download stops at
   * the descriptor's size, nothing is stored, and the image copy fails saying why.
   */
  @Test
  void blobLongerThanItsDescriptorIsCutOff() throws Exception {
    byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
    byte[] layer = new byte[1024];
    Arrays.fill(layer, (byte) ' ');
    Digest configDigest = Digest.sha256(config);
    Digest layerDigest = Digest.sha256(layer);
    byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\","
        + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
        + configDigest + "\",\"size\":" + config.length + "},"
        + "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\""
        + layerDigest + "\",\"size\":" + layer.length + "}]}").getBytes(StandardCharsets.UTF_8);
    Digest manifestDigest = Digest.sha256(manifest);
    parent.on("/v2/" + REPO + "/manifests/" + manifestDigest, ScriptedServer.answer(200,
        Map.of("Content-Type", MediaTypes.OCI_MANIFEST, "Docker-Content-Digest", manifestDigest.toString()),
        new String(manifest, StandardCharsets.UTF_8)));
    parent.on("/v2/" + REPO + "/blobs/" + configDigest, ScriptedServer.answer(200, Map.of(),
        new String(config, StandardCharsets.UTF_8)));
    parent.on("/v2/" + REPO + "/blobs/" + layerDigest, parent.stream(200, Map.of(), HUGE));

    ImageCopier copier = new ImageCopier(caller, new BlobFetcher(caller, storage, worker, new TransferCounter()),
        storage, worker, new ImageCopier.Counts());
    Promise<Void> copied = Promise.promise();
    vertx.getOrCreateContext().runOnContext(v -> copier.copy(REPO, manifestDigest, "v1").onComplete(copied));
    Throwable failure = Await.failure(copied.future());

    assertTrue(failure.getMessage().contains("1024"), failure.toString());
    assertStoppedReading();
    assertFalse(storage.blobSize(REPO, layerDigest).isPresent());
    assertFalse(storage.manifest(REPO, Reference.parse("v1")).isPresent());
    try (var uploads = Files.list(dataDir.resolve("uploads"))) {
      assertEquals(0, uploads.count(), "the cut-off download leaves no upload behind");
    }
  }
}
