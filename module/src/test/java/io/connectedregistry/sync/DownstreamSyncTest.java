package io.connectedregistry.sync;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.auth.RepositoryPattern;
import io.connectedregistry.config.RegistryConfig.TagFilterConfig;
import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.ManifestParser;
import io.connectedregistry.oci.Reference;
import io.connectedregistry.storage.LocalRegistryStorage;
import io.connectedregistry.storage.StoredManifest;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Downstream sync from a real CNCF distribution registry (the plain OCI parent: tag listing). */
class DownstreamSyncTest {
  @TempDir static Path shared;
  static Distribution parent;
  static Path layout;
  static Digest webV1;
  static Digest webV2;

  @TempDir Path dataDir;
  Vertx vertx;
  WorkerExecutor worker;
  ParentCaller caller;
  LocalRegistryStorage storage;
  TransferCounter counter;

  @BeforeAll
  static void startParent() {
    parent = Distribution.start(shared.resolve("parent"));
    layout = shared.resolve("layout");
    webV1 = Images.make(layout, "v1", "-l", "4K", "-l", "300K", "-s", "web1");
    Images.make(layout, "v2", "-l", "4K", "-l", "200K", "-s", "web2");
    Images.make(layout, "v3-rc1", "-l", "8K", "-s", "web3");
    webV1 = Images.push(layout, "v1", parent.hostPort(), "app/web", null);
    webV2 = Images.push(layout, "v2", parent.hostPort(), "app/web", null);
    Images.push(layout, "v3-rc1", parent.hostPort(), "app/web", null);
    Images.push(layout, "v1", parent.hostPort(), "app/api", null); // same blobs as app/web:v1
    Images.push(layout, "v2", parent.hostPort(), "other/x", null);
  }

  @AfterAll
  static void stopParent() {
    if (parent != null) {
      parent.close();
    }
  }

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    worker = vertx.createSharedWorkerExecutor("registry-storage", 4);
    caller = new ParentCaller(vertx, ParentEndpoint.of(parent.url()), ParentPolicy.defaults());
    storage = LocalRegistryStorage.open(dataDir, LocalRegistryStorage.Options.defaults());
    counter = new TransferCounter();
  }

  @AfterEach
  void tearDown() {
    caller.close();
    storage.close();
    Await.result(vertx.close());
  }

  private DownstreamSync.Report cycle(List<String> patterns, TagFilterConfig tags) {
    return cycle(patterns, tags, () -> false);
  }

  private DownstreamSync.Report cycle(List<String> patterns, TagFilterConfig tags,
      java.util.function.BooleanSupplier stop) {
    return cycle(patterns, tags, stop, DownstreamSync.PARALLEL_IMAGES);
  }

  private DownstreamSync.Report cycle(List<String> patterns, TagFilterConfig tags,
      java.util.function.BooleanSupplier stop, int imagesAtOnce) {
    SyncState state = SyncState.load(dataDir, parent.url());
    DownstreamSync sync = new DownstreamSync(caller, storage, worker, state,
        patterns.stream().map(RepositoryPattern::of).toList(), new TagFilter(tags),
        new BlobFetcher(caller, storage, worker, counter), counter, true).imagesAtOnce(imagesAtOnce);
    return Await.result(vertx.getOrCreateContext().<DownstreamSync.Report>executeBlocking(
        () -> Await.result(sync.run(stop)), false));
  }

  @Test
  void aClosingWindowStopsBetweenImagesAndTheNextCycleCarriesOn() {
    Path many = shared.resolve("window-" + System.nanoTime());
    List<String> all = new java.util.ArrayList<>();
    for (int i = 1; i <= 8; i++) {
      Images.make(many, "w" + i, "-l", "1K", "-s", "window-" + i + "-" + System.nanoTime());
      Images.push(many, "w" + i, parent.hostPort(), "window/w", null);
      all.add("w" + i);
    }
    // The window closes once the first image is in: the cycle stops at the next safe point
    // (images already started finish; no new one starts). Three images at once (fewer than the
    // eight, as a cycle's pool is fewer than a large parent's images), so some are yet to start.
    DownstreamSync.Report cut = cycle(List.of("window/w"), TagFilterConfig.ALL,
        () -> storage.tags("window/w", null, 10).map(t -> !t.isEmpty()).orElse(false), 3);
    assertFalse(cut.complete(), "stopped by the window");
    assertTrue(cut.errors().isEmpty(), cut.errors().toString());
    int copied = storage.tags("window/w", null, 10).orElseThrow().size();
    assertTrue(copied >= 1 && copied < 8, "stopped part-way: " + copied + " of 8 tags");
    for (String tag : storage.tags("window/w", null, 10).orElseThrow()) {
      StoredManifest m = local("window/w", tag).orElseThrow();
      ManifestParser.parse(m.bytes(), m.mediaType(), "sha256").blobs()
          .forEach(d -> assertTrue(storage.blobSize("window/w", d.digest()).isPresent(),
              "a visible tag always has its whole image: " + tag));
    }

    DownstreamSync.Report next = cycle(List.of("window/w"), TagFilterConfig.ALL);
    assertTrue(next.succeeded(), next.errors().toString());
    assertEquals(8 - copied, next.tagsCopied(), "the next window copies only the rest");
    assertEquals(all, storage.tags("window/w", null, 10).orElseThrow());
  }

  private Optional<StoredManifest> local(String repository, String reference) {
    return storage.manifest(repository, Reference.parse(reference));
  }

  @Test
  void repositoriesInScopeAreCopiedByteExactAndSharedBlobsFetchedOnce() {
    DownstreamSync.Report first = cycle(List.of("app/*"), TagFilterConfig.ALL);

    assertTrue(first.succeeded(), first.errors().toString());
    assertFalse(first.feed(), "distribution has no change feed");
    assertEquals(4, first.tagsCopied());
    assertEquals(webV1, local("app/web", "v1").orElseThrow().digest());
    assertEquals(webV2, local("app/web", "v2").orElseThrow().digest());
    assertEquals(webV1, local("app/api", "v1").orElseThrow().digest());
    assertTrue(local("app/web", "v3-rc1").isPresent());
    assertEquals(Optional.empty(), storage.tags("other/x", null, 10), "out of scope");
    for (Digest layer : Images.layers(layout, webV1)) {
      assertArrayEquals(Images.bytes(Images.blob(layout, layer)), readBlob("app/api", layer));
    }
    Set<Digest> distinct = new HashSet<>();
    for (String tag : List.of("v1", "v2", "v3-rc1")) {
      StoredManifest m = local("app/web", tag).orElseThrow();
      ManifestParser.parse(m.bytes(), m.mediaType(), "sha256").blobs()
          .forEach(d -> distinct.add(d.digest()));
    }
    assertEquals(distinct.size(), first.blobsFetched(), "each distinct blob downloaded once");

    DownstreamSync.Report second = cycle(List.of("app/*"), TagFilterConfig.ALL);
    assertTrue(second.succeeded(), second.errors().toString());
    assertEquals(0, second.tagsCopied());
    assertEquals(0, second.bytes(), "nothing transferred twice");
  }

  @Test
  void tagFiltersAndExplicitNamesLimitWhatIsCopied() {
    DownstreamSync.Report report = cycle(List.of("app/web"),
        new TagFilterConfig(null, ".*-rc.*", null));
    assertTrue(report.succeeded(), report.errors().toString());
    assertEquals(List.of("v1", "v2"), storage.tags("app/web", null, 10).orElseThrow());
    assertEquals(Optional.empty(), storage.tags("app/api", null, 10));
  }

  @Test
  void tagMovesAndDeletionsAtTheParentAreMirroredButLocalTagsAreKept() throws Exception {
    Path moving = shared.resolve("moving-" + System.nanoTime());
    Images.make(moving, "t1", "-l", "2K", "-s", "m1-" + System.nanoTime());
    Images.make(moving, "t2", "-l", "2K", "-s", "m2-" + System.nanoTime());
    Images.push(moving, "t1", parent.hostPort(), "mirror/m", null);
    Digest t2 = Images.push(moving, "t2", parent.hostPort(), "mirror/m", null);
    assertTrue(cycle(List.of("mirror/m"), TagFilterConfig.ALL).succeeded());
    // A client pushed a tag of its own here: sync must never delete it.
    StoredManifest t1Local = local("mirror/m", "t1").orElseThrow();
    storage.putManifest("mirror/m", ManifestParser.parse(t1Local.bytes(), t1Local.mediaType(), "sha256"), "mine");

    Images.make(moving, "t1", "-l", "3K", "-s", "m3-" + System.nanoTime());
    Digest moved = Images.push(moving, "t1", parent.hostPort(), "mirror/m", null);
    HttpResponse<String> deleted = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create(parent.url() + "/v2/mirror/m/manifests/" + t2)).DELETE().build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(202, deleted.statusCode(), deleted.body());

    DownstreamSync.Report report = cycle(List.of("mirror/m"), TagFilterConfig.ALL);
    assertTrue(report.succeeded(), report.errors().toString());
    assertEquals(moved, local("mirror/m", "t1").orElseThrow().digest(), "tag move copied");
    assertEquals(Optional.empty(), local("mirror/m", "t2"), "tag deletion mirrored");
    assertEquals(1, report.tagsDeleted());
    assertEquals(t1Local.digest(), local("mirror/m", "mine").orElseThrow().digest(), "local tag kept");
  }

  private byte[] readBlob(String repository, Digest digest) {
    try (var blob = storage.openBlob(repository, digest).channel()) {
      java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocate((int) blob.size());
      while (buffer.hasRemaining() && blob.read(buffer) >= 0) {
        // read all
      }
      return buffer.array();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
