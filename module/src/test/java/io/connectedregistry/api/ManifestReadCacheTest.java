package io.connectedregistry.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.bundle.BundleExporter;
import io.connectedregistry.bundle.BundleImporter;
import io.connectedregistry.bundle.BundleLimits;
import io.connectedregistry.bundle.Compression;
import io.connectedregistry.bundle.TransferListener;
import io.connectedregistry.config.RegistryConfig.HttpConfig;
import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.Manifest;
import io.connectedregistry.oci.ManifestParser;
import io.connectedregistry.oci.Reference;
import io.connectedregistry.storage.ChangeOrigin;
import io.connectedregistry.storage.LocalRegistryStorage;
import io.connectedregistry.storage.UploadHandle;
import io.connectedregistry.storage.UploadStatus;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Manifest GETs answered from {@link ServedManifests} on the event loop: whoever moves or deletes a
 * tag (a client's PUT or DELETE, sync, a bundle import), the very next GET sees it; a repository
 * never finds another's entries; a cached answer is the same as one read from storage.
 */
class ManifestReadCacheTest {
  private static final String OCI = "application/vnd.oci.image.manifest.v1+json";

  @TempDir Path data;
  @TempDir Path source;
  private Vertx vertx;
  private LocalRegistryStorage storage;
  private final ServedManifests served = new ServedManifests(1024 * 1024);
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  private int port;

  @BeforeEach
  void start() throws Exception {
    storage = LocalRegistryStorage.open(data, LocalRegistryStorage.Options.defaults());
    vertx = Vertx.vertx();
    Storage calls = new Storage(storage, vertx.createSharedWorkerExecutor("test-storage", 2));
    ManifestHandler manifests = new ManifestHandler(calls, new PullThrough(null), served);
    HttpLimits limits = new HttpLimits(vertx, HttpConfig.DEFAULTS, BodyBudget.of(0, Runtime.getRuntime().maxMemory()));
    Router router = Router.router(vertx);
    router.route().handler(limits::requestStarted); // BodyReader (the PUT) needs it, as in RegistryVerticle
    router.routeWithRegex("/v2/(?<name>.+)/manifests/(?<reference>[^/]+)").handler(ctx -> {
      HttpMethod method = ctx.request().method();
      if (method == HttpMethod.PUT) {
        manifests.put(ctx);
      } else if (method == HttpMethod.DELETE) {
        manifests.delete(ctx);
      } else {
        manifests.get(ctx);
      }
    });
    router.route().failureHandler(FailureHandler::handle);
    HttpServer server = vertx.createHttpServer().connectionHandler(limits::connected).requestHandler(router).listen(0, "127.0.0.1")
        .await(10, TimeUnit.SECONDS);
    port = server.actualPort();
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
    storage.close();
  }

  @Test
  void aTagMovedByAPushIsSeenByTheNextGet() throws Exception {
    Manifest one = image(storage, "app", "one");
    Manifest two = image(storage, "app", "two");
    storage.putManifest("app", one, "v1");
    assertServes("app", "v1", one);
    assertServes("app", "v1", one); // from the cache
    assertCached("app", "v1");

    HttpResponse<byte[]> put = send("PUT", "app", "v1", two.bytes(), "Content-Type", OCI);
    assertEquals(201, put.statusCode(), () -> new String(put.body(), StandardCharsets.UTF_8));
    assertServes("app", "v1", two);
  }

  @Test
  void aTagMovedOrDeletedBySyncIsSeenByTheNextGet() throws Exception {
    Manifest one = image(storage, "app", "one");
    Manifest two = image(storage, "app", "two");
    storage.putManifest("app", one, "v1");
    assertServes("app", "v1", one);
    assertServes("app", "v1", one);
    assertCached("app", "v1");

    // The calls ImageCopier and DownstreamSync make.
    storage.putManifestTags("app", two, List.of("v1", "v2"), ChangeOrigin.SYNC);
    assertServes("app", "v1", two);
    assertServes("app", "v1", two);
    storage.deleteManifest("app", Reference.parse("v1"), ChangeOrigin.SYNC);
    assertEquals(404, get("app", "v1").statusCode());
  }

  @Test
  void aTagOrManifestDeletedByAClientIsGoneForTheNextGet() throws Exception {
    Manifest one = image(storage, "app", "one");
    storage.putManifest("app", one, "v1");
    String digest = one.digest().toString();
    assertServes("app", "v1", one);
    assertServes("app", digest, one);
    assertServes("app", "v1", one);
    assertServes("app", digest, one);
    assertCached("app", "v1");
    assertCached("app", digest);

    assertEquals(202, send("DELETE", "app", "v1", null).statusCode());
    assertEquals(404, get("app", "v1").statusCode());
    assertServes("app", digest, one); // the manifest itself stays until it is deleted
    assertEquals(202, send("DELETE", "app", digest, null).statusCode());
    assertEquals(404, get("app", digest).statusCode());
  }

  @Test
  void aTagMovedByABundleImportIsSeenByTheNextGet() throws Exception {
    Manifest one = image(storage, "app", "one");
    storage.putManifest("app", one, "v1");
    assertServes("app", "v1", one);
    assertServes("app", "v1", one);
    assertCached("app", "v1");

    Manifest two;
    try (LocalRegistryStorage other = LocalRegistryStorage.open(source, LocalRegistryStorage.Options.defaults())) {
      two = image(other, "app", "two");
      other.putManifest("app", two, "v1");
    }
    ByteArrayOutputStream bundle = new ByteArrayOutputStream();
    new BundleExporter(source, Clock.systemUTC()).exportTo(new BundleExporter.Request(List.of("app"), null),
        bundle, Compression.NONE, TransferListener.NONE);
    BundleImporter importer = new BundleImporter(storage,
        new BundleImporter.Options(null, ChangeOrigin.CLIENT, true, BundleLimits.DEFAULT));
    try (BundleImporter.Staged staged = importer.stage(new ByteArrayInputStream(bundle.toByteArray()))) {
      staged.apply(null);
    }
    assertServes("app", "v1", two);
  }

  @Test
  void aRepositoryNeverGetsAnotherRepositorysManifestFromTheCache() throws Exception {
    Manifest one = image(storage, "a", "one");
    String digest = one.digest().toString();
    storage.putManifest("a", one, "v1");
    assertServes("a", "v1", one);
    assertServes("a", digest, one);
    assertCached("a", "v1");
    assertCached("a", digest);

    assertEquals(404, get("b", "v1").statusCode());
    assertEquals(404, get("b", digest).statusCode());
    Manifest two = image(storage, "b", "two");
    storage.putManifest("b", two, "v1");
    assertServes("b", "v1", two);
    assertServes("b", "v1", two);
    assertServes("a", "v1", one);
  }

  @Test
  void aCachedAnswerIsTheAnswerFromStorageForGetHeadAndAccept() throws Exception {
    Manifest one = image(storage, "app", "one");
    storage.putManifest("app", one, "v1");
    HttpResponse<byte[]> fromStorage = get("app", "v1");
    assertCached("app", "v1");
    HttpResponse<byte[]> fromCache = get("app", "v1");
    for (String h : List.of("Content-Type", "Docker-Content-Digest", "ETag", "Content-Length")) {
      assertEquals(fromStorage.headers().allValues(h), fromCache.headers().allValues(h), h);
    }
    assertEquals(List.of("\"" + one.digest() + "\""), fromCache.headers().allValues("ETag"));
    assertArrayEquals(fromStorage.body(), fromCache.body());

    HttpResponse<byte[]> head = send("HEAD", "app", "v1", null);
    assertEquals(200, head.statusCode());
    assertEquals(0, head.body().length);
    for (String h : List.of("Content-Type", "Docker-Content-Digest", "ETag", "Content-Length")) {
      assertEquals(fromCache.headers().allValues(h), head.headers().allValues(h), h);
    }

    HttpResponse<byte[]> refused = send("GET", "app", "v1", null, "Accept", "application/vnd.oci.image.index.v1+json");
    assertEquals(404, refused.statusCode());
    assertTrue(new String(refused.body(), StandardCharsets.UTF_8).contains("Accept header does not allow"));
  }

  private void assertCached(String repository, String reference) {
    assertNotNull(served.get(repository, reference, storage.manifestGeneration(repository)),
        repository + ":" + reference + " should be cached, or this test proves nothing about the cache");
  }

  private void assertServes(String repository, String reference, Manifest expected) throws Exception {
    HttpResponse<byte[]> r = get(repository, reference);
    assertEquals(200, r.statusCode(), () -> new String(r.body(), StandardCharsets.UTF_8));
    assertEquals(expected.digest().toString(), r.headers().firstValue("Docker-Content-Digest").orElse(null),
        repository + ":" + reference);
    assertArrayEquals(expected.bytes(), r.body());
  }

  private HttpResponse<byte[]> get(String repository, String reference) throws Exception {
    return send("GET", repository, reference, null, "Accept", OCI);
  }

  private HttpResponse<byte[]> send(String method, String repository, String reference, byte[] body,
      String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(
            "http://127.0.0.1:" + port + "/v2/" + repository + "/manifests/" + reference))
        .timeout(Duration.ofSeconds(10))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  /** An image whose config and one layer are pushed to {@code repository} of {@code into}. */
  private static Manifest image(LocalRegistryStorage into, String repository, String seed) {
    Digest config = push(into, repository, ("{\"seed\":\"" + seed + "\"}").getBytes(StandardCharsets.UTF_8));
    Digest layer = push(into, repository, ("layer " + seed).getBytes(StandardCharsets.UTF_8));
    String json = "{\"schemaVersion\":2,\"mediaType\":\"" + OCI + "\",\"config\":{\"mediaType\":"
        + "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + config + "\",\"size\":"
        + ("{\"seed\":\"" + seed + "\"}").length() + "},\"layers\":[{\"mediaType\":"
        + "\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" + layer + "\",\"size\":"
        + ("layer " + seed).length() + "}]}";
    return ManifestParser.parse(json.getBytes(StandardCharsets.UTF_8), OCI, "sha256");
  }

  private static Digest push(LocalRegistryStorage into, String repository, byte[] content) {
    UploadStatus upload = into.startUpload(repository);
    try (UploadHandle h = into.openUpload(repository, upload.id())) {
      h.append(ByteBuffer.wrap(content));
      Digest digest = Digest.sha256(content);
      into.commitUpload(h, digest);
      return digest;
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }
}
