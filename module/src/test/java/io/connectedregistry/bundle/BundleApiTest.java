package io.connectedregistry.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.RegistryApplication;
import io.connectedregistry.auth.AuthAdministration;
import io.connectedregistry.auth.AuthStore;
import io.connectedregistry.auth.Limits;
import io.connectedregistry.auth.PasswordHasher;
import io.connectedregistry.bundle.TestBundles.Bundle;
import io.connectedregistry.bundle.TestBundles.Compression;
import io.connectedregistry.bundle.TestBundles.Image;
import io.connectedregistry.config.ConfigLoader;
import io.connectedregistry.config.RegistryConfig.Mode;
import io.connectedregistry.storage.StoragePaths;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /_connected/v1/admin/bundles} on a running registry: admin only, the body streamed,
 * one import at a time, and a client that goes away mid-body leaves nothing behind.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BundleApiTest {
  @TempDir static Path data;
  RegistryApplication registry;
  int port;
  String adminPassword;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  final Image one = TestBundles.image("api-one", 2, 400_000);

  @BeforeAll
  void start() throws Exception {
    try (AuthStore store = AuthStore.open(data, Mode.ReadWrite, Limits.DEFAULTS, new PasswordHasher(1_000),
        Clock.systemUTC())) {
      adminPassword = (String) new AuthAdministration(store, Clock.systemUTC()).createToken("ops-admin",
          List.of(AuthAdministration.rule("*", List.of("content/read"))), null, Optional.empty()).get("password");
    }
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Path config = Files.writeString(data.resolve("config.yaml"), "auth: {adminTokens: [ops-admin]}\n");
    registry = RegistryApplication.start(new ConfigLoader(Map.of()).load(ConfigLoader.Flags.none()
        .withConfig(config).withListen("127.0.0.1:" + port).withData(data.toString())));
  }

  @AfterAll
  void stop() {
    registry.stop();
  }

  HttpResponse<String> post(byte[] body, String query, String authorization) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
        + "/_connected/v1/admin/bundles" + query)).timeout(Duration.ofSeconds(30))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  String admin() {
    return "Basic " + Base64.getEncoder().encodeToString(("ops-admin:" + adminPassword).getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void withoutTheAdminTokenTheImportIs401AndChangesNothing() throws Exception {
    byte[] bundle = new Bundle().tag("noauth/app", "v1", one).write(Compression.TAR);
    assertEquals(401, post(bundle, "", null).statusCode());
    assertEquals(401, post(bundle, "", "Basic " + Base64.getEncoder().encodeToString("ops-admin:wrong".getBytes())).statusCode());
    assertEquals(404, get("/v2/noauth/app/manifests/v1").statusCode());
  }

  @Test
  void anAdminImportAnswersTheReportAndTheImageIsServed() throws Exception {
    byte[] bundle = new Bundle().tag("api/app", "v1", one).write(Compression.GZIP);
    HttpResponse<String> response = post(bundle, "", admin());
    assertEquals(200, response.statusCode(), response.body());
    JsonObject report = new JsonObject(response.body());
    assertEquals("bundle", report.getString("format"));
    assertEquals(1, report.getInteger("images"));
    assertEquals(3, report.getInteger("blobsWritten"));
    assertEquals(null, report.getValue("cursor"), "a registry without a parent has no sync cursor");
    HttpResponse<String> pulled = get("/v2/api/app/manifests/v1");
    assertEquals(200, pulled.statusCode());
    assertEquals(one.manifest().digest().toString(), pulled.headers().firstValue("Docker-Content-Digest").orElseThrow());
  }

  @Test
  void aBadBundleIsRefusedWithItsProblemAndChangesNothing() throws Exception {
    var entries = new Bundle().tag("api/bad", "v1", one).entries();
    String layer = TestBundles.path(one.layers().get(0).digest());
    byte[] flipped = entries.get(layer).clone();
    flipped[10] ^= 1;
    entries.put(layer, flipped);
    HttpResponse<String> response = post(TestBundles.tar(entries, Compression.TAR), "", admin());
    assertEquals(400, response.statusCode());
    assertTrue(response.body().contains("DIGEST_INVALID") && response.body().contains(layer), response.body());
    assertEquals(404, get("/v2/api/bad/manifests/v1").statusCode());
    assertEquals(List.of(), uploads());
  }

  @Test
  void aSecondImportWhileOneRunsIs409AndAClientThatGoesAwayMidBodyLeavesNothing() throws Exception {
    byte[] bundle = new Bundle().tag("api/slow", "v1", one).write(Compression.TAR);
    try (Socket first = new Socket(InetAddress.getLoopbackAddress(), port)) {
      OutputStream out = first.getOutputStream();
      out.write(("POST /_connected/v1/admin/bundles HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + admin()
          + "\r\nContent-Length: " + bundle.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(bundle, 0, bundle.length / 2); // into the first layer, and no further
      out.flush();
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (uploads().isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(20); // the first import is under way once it stages its first blob
      }
      assertTrue(!uploads().isEmpty(), "the first import began staging while its body still arrives");

      HttpResponse<String> second = post(new Bundle().tag("api/other", "v1", one).write(Compression.TAR), "", admin());
      assertEquals(409, second.statusCode(), second.body());
      assertTrue(second.body().contains("already running"), second.body());
    } // the first client goes away with half its body sent

    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!uploads().isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(List.of(), uploads(), "the staged uploads of the abandoned import are gone");
    assertEquals(404, get("/v2/api/slow/manifests/v1").statusCode());
    // And the next import runs.
    assertEquals(200, post(new Bundle().tag("api/after", "v1", one).write(Compression.TAR), "", admin()).statusCode());
  }

  @Test
  void anOciArchiveWithOnlyATagNeedsTheRepositoryQuery() throws Exception {
    Bundle foreign = new Bundle().tag("ignored", "v9", one);
    foreign.metadata = false;
    var entries = foreign.entries();
    // As skopeo writes it: ref.name is the tag alone, no repository annotation.
    entries.put("index.json", new JsonObject().put("schemaVersion", 2).put("manifests", new io.vertx.core.json.JsonArray()
        .add(one.manifest().descriptor().put("annotations", new JsonObject().put("org.opencontainers.image.ref.name", "v9"))))
        .encode().getBytes(StandardCharsets.UTF_8));
    byte[] archive = TestBundles.tar(entries, Compression.TAR);
    HttpResponse<String> without = post(archive, "", admin());
    assertEquals(400, without.statusCode());
    assertTrue(without.body().contains("repository=R"), without.body());
    HttpResponse<String> with = post(archive, "?repository=site/app", admin());
    assertEquals(200, with.statusCode(), with.body());
    assertEquals(200, get("/v2/site/app/manifests/v9").statusCode());
  }

  @Test
  void theCommandWithServerStreamsTheFileToTheApiAndPrintsTheReport() throws Exception {
    Path file = Files.write(data.resolve("cli.tar.zst"), new Bundle().tag("api/cli", "v1", one).write(Compression.ZSTD));
    io.connectedregistry.CommandLineRun run = io.connectedregistry.CommandLineRun.withInput(
        (adminPassword + "\n").getBytes(StandardCharsets.UTF_8), "bundle", "import", "--server",
        "http://127.0.0.1:" + port, "--username", "ops-admin", "--password-stdin", "--no-progress", file.toString());
    assertEquals(0, run.exit(), run.out() + run.err());
    assertEquals(1, new JsonObject(run.out()).getInteger("images"));
    assertEquals(200, get("/v2/api/cli/manifests/v1").statusCode());
  }

  HttpResponse<String> get(String path) throws Exception {
    // anonymous pull is off: the admin token reads everything through its content/read rule
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("Authorization", admin())
        .header("Accept", "application/vnd.oci.image.manifest.v1+json").GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The upload folders (each a staged file while an import runs); taken while they may change. */
  List<String> uploads() throws IOException {
    try (var list = Files.list(new StoragePaths(data).uploadsRoot())) {
      return list.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  static void drain(InputStream in) throws IOException {
    in.readAllBytes();
  }
}
