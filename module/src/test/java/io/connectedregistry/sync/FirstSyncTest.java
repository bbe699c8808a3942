package io.connectedregistry.sync;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.headRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import io.connectedregistry.RegistryApplication;
import io.connectedregistry.auth.RepositoryPattern;
import io.connectedregistry.config.ConfigLoader;
import io.connectedregistry.config.RegistryConfig;
import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.ManifestParser;
import io.connectedregistry.oci.Reference;
import io.connectedregistry.storage.LocalRegistryStorage;
import io.connectedregistry.storage.StoredManifest;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The first cycle against a parent with many tags of few images, counted at the parent (WireMock
 * proxying a real parent): a feed parent (this registry, in-process) is read through its change
 * feed, so no tag needs a HEAD; a plain parent (CNCF distribution) gets one HEAD per tag, the only
 * way it tells a tag's digest. Either way each distinct image is fetched, walked for referrers and
 * stored once, with all of its tags, and every tag arrives whole.
 */
class FirstSyncTest {
  private static final int TAGS = 24;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir static Path shared;
  static RegistryApplication feedParent;
  static int feedPort;
  static Distribution plainParent;
  static Path layout;
  static Digest one;
  static Digest two;
  static Digest signature;

  @TempDir Path dataDir;
  WireMockServer wireMock;
  Vertx vertx;
  WorkerExecutor worker;
  LocalRegistryStorage storage;
  ParentCaller caller;
  TransferCounter counter;

  @BeforeAll
  static void startParents() throws Exception {
    feedPort = Distribution.freePort();
    RegistryConfig config = new ConfigLoader(Map.of()).load(ConfigLoader.Flags.none()
        .withListen("127.0.0.1:" + feedPort).withData(shared.resolve("feed-parent").toString()));
    feedParent = RegistryApplication.start(config);
    plainParent = Distribution.start(shared.resolve("plain-parent"));
    layout = shared.resolve("layout");
    Images.make(layout, "one", "-l", "4K", "-l", "100K", "-s", "first-sync-one");
    Images.make(layout, "two", "-l", "8K", "-s", "first-sync-two");
    String feed = "127.0.0.1:" + feedPort;
    one = Images.push(layout, "one", feed, "app/many", null);
    two = Images.push(layout, "two", feed, "app/many", null);
    // Many tags of image one, two of image two; then a move and a delete the feed must fold in.
    for (int i = 0; i < TAGS; i++) {
      tag(feed, "app/many", one, "t" + i);
    }
    tag(feed, "app/many", two, "u0");
    tag(feed, "app/many", two, "t" + (TAGS - 1)); // moved from one to two
    delete(feed, "app/many", "t" + (TAGS - 2));
    Images.push(layout, "one", feed, "app/gone", null);
    Images.push(layout, "two", feed, "app/signed", null);
    signature = pushReferrer(feed, "app/signed", two);

    Digest plainOne = Images.push(layout, "one", plainParent.hostPort(), "plain/many", null);
    assertEquals(one, plainOne, "the same manifest bytes at both parents");
    for (int i = 0; i < TAGS; i++) {
      tag(plainParent.hostPort(), "plain/many", one, "t" + i);
    }
  }

  @AfterAll
  static void stopParents() {
    if (feedParent != null) {
      feedParent.stop();
    }
    if (plainParent != null) {
      plainParent.close();
    }
  }

  /** Points {@code tag} at the manifest {@code digest} the repository already holds. */
  private static void tag(String hostPort, String repository, Digest digest, String tag) throws Exception {
    String base = "http://" + hostPort + "/v2/" + repository + "/manifests/";
    HttpResponse<byte[]> manifest = HTTP.send(HttpRequest.newBuilder(URI.create(base + digest))
        .header("Accept", "application/vnd.oci.image.manifest.v1+json").build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, manifest.statusCode());
    HttpResponse<String> put = HTTP.send(HttpRequest.newBuilder(URI.create(base + tag))
        .header("Content-Type", manifest.headers().firstValue("Content-Type").orElseThrow())
        .PUT(HttpRequest.BodyPublishers.ofByteArray(manifest.body())).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(201, put.statusCode(), put.body());
  }

  /** Pushes an untagged signature-like manifest whose subject is {@code repository@subject}. */
  private static Digest pushReferrer(String hostPort, String repository, Digest subject) throws Exception {
    String base = "http://" + hostPort + "/v2/" + repository;
    byte[] empty = "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    Digest emptyDigest = Digest.sha256(empty);
    HttpResponse<String> blob = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/blobs/uploads/?digest=" + emptyDigest))
        .header("Content-Type", "application/octet-stream").POST(HttpRequest.BodyPublishers.ofByteArray(empty)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(201, blob.statusCode(), blob.body());
    HttpResponse<byte[]> image = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/manifests/" + subject))
        .header("Accept", "application/vnd.oci.image.manifest.v1+json").build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, image.statusCode());
    String empties = "{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"digest\":\"" + emptyDigest + "\",\"size\":2}";
    byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
        + "\"artifactType\":\"application/vnd.example.signature\",\"config\":" + empties + ",\"layers\":[" + empties
        + "],\"subject\":{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" + subject
        + "\",\"size\":" + image.body().length + "}}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    Digest digest = Digest.sha256(manifest);
    HttpResponse<String> put = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/manifests/" + digest))
        .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
        .PUT(HttpRequest.BodyPublishers.ofByteArray(manifest)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(201, put.statusCode(), put.body());
    return digest;
  }

  private static void delete(String hostPort, String repository, String tag) throws Exception {
    HttpResponse<String> deleted = HTTP.send(HttpRequest.newBuilder(
        URI.create("http://" + hostPort + "/v2/" + repository + "/manifests/" + tag)).DELETE().build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(202, deleted.statusCode(), deleted.body());
  }

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    worker = vertx.createSharedWorkerExecutor("registry-storage", 4);
    storage = LocalRegistryStorage.open(dataDir, LocalRegistryStorage.Options.defaults());
    counter = new TransferCounter();
  }

  @AfterEach
  void tearDown() {
    if (caller != null) {
      caller.close();
    }
    storage.close();
    vertx.close().toCompletionStage().toCompletableFuture().join();
    if (wireMock != null) {
      wireMock.stop();
    }
  }

  /** WireMock in front of {@code parentUrl}, proxying whatever no other stub answers. */
  private String proxy(String parentUrl) {
    wireMock = new WireMockServer(WireMockConfiguration.options().bindAddress("127.0.0.1").dynamicPort());
    wireMock.start();
    wireMock.stubFor(any(anyUrl()).atPriority(10).willReturn(aResponse().proxiedFrom(parentUrl)));
    String url = "http://127.0.0.1:" + wireMock.port();
    caller = new ParentCaller(vertx, ParentEndpoint.of(url), ParentPolicy.defaults());
    return url;
  }

  private DownstreamSync.Report cycle(String parentUrl, String scope) {
    SyncState state = SyncState.load(dataDir, parentUrl);
    DownstreamSync sync = new DownstreamSync(caller, storage, worker, state, List.of(RepositoryPattern.of(scope)),
        TagFilter.ALL, new BlobFetcher(caller, storage, worker, counter), counter, true);
    DownstreamSync.Report report = vertx.getOrCreateContext().<DownstreamSync.Report>executeBlocking(
        () -> Await.result(sync.run(() -> false)), false).toCompletionStage().toCompletableFuture().join();
    assertTrue(report.succeeded(), report.toString());
    return report;
  }

  private int requests(com.github.tomakehurst.wiremock.matching.RequestPatternBuilder pattern) {
    return wireMock.countRequestsMatching(pattern.build()).getCount();
  }

  private Optional<Digest> local(String repository, String tag) {
    return storage.manifest(repository, Reference.parse(tag)).map(StoredManifest::digest);
  }

  /** The image is here whole: its manifest byte-exact and every blob byte-exact. */
  private void assertWhole(String repository, Digest image) {
    StoredManifest manifest = storage.manifest(repository, Reference.parse(image.toString())).orElseThrow();
    assertArrayEquals(Images.bytes(Images.blob(layout, image)), manifest.bytes(), "manifest " + image);
    for (Digest blob : blobs(repository, image)) {
      assertArrayEquals(Images.bytes(Images.blob(layout, blob)), Images.stored(storage, repository, blob), "blob " + blob);
    }
  }

  /** The config and layers of a local manifest. */
  private List<Digest> blobs(String repository, Digest image) {
    StoredManifest manifest = storage.manifest(repository, Reference.parse(image.toString())).orElseThrow();
    return ManifestParser.parse(manifest.bytes(), manifest.mediaType(), "sha256").blobs().stream()
        .map(d -> d.digest()).toList();
  }

  @Test
  void aFirstSyncFromAFeedParentTakesTagDigestsFromTheFeedAndFetchesEachImageOnce() {
    String url = proxy("http://127.0.0.1:" + feedPort);
    DownstreamSync.Report report = cycle(url, "app/many");

    Map<String, Digest> expected = new HashMap<>();
    for (int i = 0; i < TAGS - 2; i++) {
      expected.put("t" + i, one);
    }
    expected.put("t" + (TAGS - 1), two); // the move, as the feed's last word says
    expected.put("u0", two);
    expected.put("one", one); // as skopeo pushed them
    expected.put("two", two);
    assertTrue(report.feed());
    assertEquals(expected.size(), report.tagsCopied(), report.toString());
    assertEquals(expected.size(), storage.tags("app/many", null, 100).orElseThrow().size());
    expected.forEach((tag, digest) -> assertEquals(Optional.of(digest), local("app/many", tag), tag));
    assertEquals(Optional.empty(), local("app/many", "t" + (TAGS - 2)), "deleted at the parent");
    assertWhole("app/many", one);
    assertWhole("app/many", two);

    assertEquals(0, requests(headRequestedFor(urlPathMatching("/v2/app/many/manifests/.*"))),
        "the feed named every tag's digest: no HEAD per tag");
    assertEquals(2, requests(getRequestedFor(urlPathMatching("/v2/app/many/manifests/.*"))),
        "each distinct manifest fetched once");
    assertEquals(0, requests(getRequestedFor(urlPathMatching("/v2/app/many/referrers/.*"))),
        "the whole feed names every manifest of app/many, each an image a tag brings: no referrer to ask for");
    Set<Digest> blobs = new LinkedHashSet<>(blobs("app/many", one));
    blobs.addAll(blobs("app/many", two));
    assertEquals(blobs.size(), requests(getRequestedFor(urlPathMatching("/v2/app/many/blobs/.*"))),
        "each distinct blob fetched once");

    wireMock.resetRequests();
    DownstreamSync.Report next = cycle(url, "app/many");
    assertEquals(0, next.tagsCopied());
    assertEquals(1, next.requests(), "then the feed is followed: nothing new is one request");
  }

  @Test
  void aFirstSyncFromAFeedParentAsksForReferrersWhereTheFeedNamesAManifestNoTagBrings() {
    String url = proxy("http://127.0.0.1:" + feedPort);
    DownstreamSync.Report report = cycle(url, "app/*");

    assertEquals(Optional.of(two), local("app/signed", "two"));
    assertWhole("app/signed", two);
    assertTrue(storage.manifest("app/signed", Reference.parse(signature.toString())).isPresent(),
        "the untagged signature came down with its subject");
    assertEquals(1, report.referrers(), report.toString());
    assertEquals(1, requests(getRequestedFor(urlPathEqualTo("/v2/app/signed/referrers/" + two))),
        "app/signed holds a manifest no tag brings: its image is asked for referrers");
    assertEquals(0, requests(getRequestedFor(urlPathMatching("/v2/app/(many|gone)/referrers/.*"))),
        "repositories whose every manifest a tag brings are not");
  }

  @Test
  void aTagWhoseFeedDigestIsGoneAtTheParentIsAskedForByTag() {
    String url = proxy("http://127.0.0.1:" + feedPort);
    // A feed that names a manifest the parent no longer has for app/gone:one (deleted since).
    wireMock.stubFor(WireMock.get(urlPathEqualTo("/_connected/v1/changes")).atPriority(1).willReturn(okJson(
        "{\"changes\":[{\"sequence\":1,\"repository\":\"app/gone\",\"action\":\"tag_set\",\"tag\":\"one\","
            + "\"digest\":\"sha256:" + "0".repeat(64) + "\"}],\"last\":1,\"more\":false,\"head\":1}")));

    DownstreamSync.Report report = cycle(url, "app/gone");

    assertEquals(1, report.tagsCopied());
    assertEquals(Optional.of(one), local("app/gone", "one"), "the parent's digest now, by HEAD");
    assertWhole("app/gone", one);
    assertEquals(1, requests(headRequestedFor(urlPathEqualTo("/v2/app/gone/manifests/one"))));
  }

  @Test
  void aStoreChangeBetweenFeedPagesDropsWhatWasFoldedAndTheFeedIsNotFollowed() {
    String url = proxy("http://127.0.0.1:" + feedPort);
    // Page 1 (store a...a) names a digest for app/gone:one; page 2 comes from another store.
    wireMock.stubFor(WireMock.get(urlPathEqualTo("/_connected/v1/changes")).atPriority(1)
        .withQueryParam("after", WireMock.equalTo("0")).willReturn(okJson(
        "{\"changes\":[{\"sequence\":1,\"repository\":\"app/gone\",\"action\":\"tag_set\",\"tag\":\"one\","
            + "\"digest\":\"sha256:" + "0".repeat(64) + "\"}],\"last\":1,\"more\":true,\"head\":2,"
            + "\"store\":\"" + "a".repeat(32) + "\"}")));
    wireMock.stubFor(WireMock.get(urlPathEqualTo("/_connected/v1/changes")).atPriority(1)
        .withQueryParam("after", WireMock.equalTo("1")).willReturn(okJson(
        "{\"changes\":[],\"last\":2,\"more\":false,\"head\":2,\"store\":\"" + "b".repeat(32) + "\"}")));

    DownstreamSync.Report report = cycle(url, "app/gone");

    assertEquals(Optional.of(one), local("app/gone", "one"), "HEADed, not the first store's digest");
    assertEquals(0, requests(getRequestedFor(urlPathEqualTo("/v2/app/gone/manifests/sha256:" + "0".repeat(64)))));
    assertEquals(1, report.tagsCopied());
    SyncState state = SyncState.load(dataDir, url);
    assertFalse(state.following(), "the copy is not followed from the other store's sequence");
  }

  @Test
  void aFirstSyncFromAPlainParentHeadsEachTagButFetchesAndStoresEachImageOnce() {
    String url = proxy(plainParent.url());
    DownstreamSync.Report report = cycle(url, "plain/many");

    assertFalse(report.feed());
    assertEquals(TAGS + 1, report.tagsCopied());
    assertEquals(Optional.of(one), local("plain/many", "one"));
    for (int i = 0; i < TAGS; i++) {
      assertEquals(Optional.of(one), local("plain/many", "t" + i));
    }
    assertWhole("plain/many", one);
    assertEquals(TAGS + 1, requests(headRequestedFor(urlPathMatching("/v2/plain/many/manifests/.*"))),
        "one HEAD per tag (t0..t" + (TAGS - 1) + " and one): the only way a plain parent tells a digest");
    assertEquals(1, requests(getRequestedFor(urlPathMatching("/v2/plain/many/manifests/.*"))),
        "the identical manifest fetched once");
    assertEquals(1, requests(getRequestedFor(urlPathMatching("/v2/plain/many/referrers/.*"))),
        "and walked for referrers once");
  }
}
