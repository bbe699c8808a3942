package io.connectedregistry.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.Manifest;
import io.connectedregistry.storage.LocalRegistryStorage;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A manifest stored with a media type that is no valid header value (pushed before media types were
 * checked at push time) must not hang its pulls or answer 500 for ever: it is answered 404 with a
 * detail, never echoed as Content-Type.
 */
class ManifestMediaTypeServingTest {
  @TempDir Path data;

  @Test
  void aStoredMediaTypeThatIsNoValidHeaderIsAnswered404NotEchoed() throws Exception {
    byte[] bytes = "{\"schemaVersion\":2,\"mediaType\":\"x\",\"layers\":[]}".getBytes(StandardCharsets.UTF_8);
    Digest digest = Digest.sha256(bytes);
    Vertx vertx = Vertx.vertx();
    try (LocalRegistryStorage storage = LocalRegistryStorage.open(data, LocalRegistryStorage.Options.defaults())) {
      // As an older version stored it: the parser no longer lets such a manifest in.
      storage.putManifest("app", new Manifest("application/vnd.oci.image.manifest.v1+json\u0007", digest, bytes,
          List.of(), List.of(), null, null, Map.of()), "bad");
      Storage calls = new Storage(storage, vertx.createSharedWorkerExecutor("test-storage", 2));
      ManifestHandler manifests = new ManifestHandler(calls, new PullThrough(null));
      Router router = Router.router(vertx);
      router.routeWithRegex("/v2/(?<name>.+)/manifests/(?<reference>[^/]+)").handler(manifests::get);
      router.route().failureHandler(FailureHandler::handle);
      HttpServer server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1")
          .await(10, TimeUnit.SECONDS);
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

      // The first pull reads storage, the second is answered from the manifest cache.
      for (String ref : List.of("bad", "bad", digest.toString())) {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.actualPort() + "/v2/app/manifests/" + ref))
            .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(404, r.statusCode(), () -> ref + ": " + r.body());
        assertTrue(r.body().contains("\"MANIFEST_UNKNOWN\"") && r.body().contains("invalid media type"), r.body());
      }
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
