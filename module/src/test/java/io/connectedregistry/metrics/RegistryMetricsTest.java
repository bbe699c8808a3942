package io.connectedregistry.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.RegistryApplication;
import io.connectedregistry.auth.Action;
import io.connectedregistry.auth.AuthStore;
import io.connectedregistry.auth.Limits;
import io.connectedregistry.auth.PasswordHasher;
import io.connectedregistry.auth.PasswordSlot;
import io.connectedregistry.auth.ScopeMap;
import io.connectedregistry.auth.ScopeMapRule;
import io.connectedregistry.auth.TokenStatus;
import io.connectedregistry.config.ConfigLayers;
import io.connectedregistry.config.ConfigLoader;
import io.connectedregistry.config.RegistryConfig.Mode;
import io.connectedregistry.oci.Digest;
import io.connectedregistry.sync.Images;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /metrics} after real traffic: skopeo pushes and pulls against an in-process registry, a
 * connected registry syncs from it, and the scrapes' values move by what was done. One parent and
 * one child for the class; each test compares a scrape before and after its own traffic.
 */
class RegistryMetricsTest {
  private static final String MANIFEST = "/v2/{name}/manifests/{reference}";
  private static final String BLOB = "/v2/{name}/blobs/{digest}";
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @TempDir static Path parentData;
  @TempDir static Path childData;
  @TempDir static Path images;
  static RegistryApplication parent;
  static RegistryApplication child;
  static int parentPort;
  static int parentMetricsPort;
  static int childPort;
  static int childMetricsPort;
  static String adminPassword;
  static String pullerPassword;

  @BeforeAll
  static void start() throws Exception {
    try (AuthStore store = AuthStore.open(parentData, Mode.ReadWrite, Limits.DEFAULTS, new PasswordHasher(1_000),
        Clock.systemUTC())) {
      store.createScopeMap(new ScopeMap("pull-app", "", List.of(
          ScopeMapRule.of("app/*", Action.CONTENT_READ, Action.METADATA_READ))));
      store.createToken("ops-admin", "pull-app", TokenStatus.ENABLED);
      store.createToken("puller", "pull-app", TokenStatus.ENABLED);
      adminPassword = store.generatePassword("ops-admin", PasswordSlot.PASSWORD1, Optional.empty()).password();
      pullerPassword = store.generatePassword("puller", PasswordSlot.PASSWORD1, Optional.empty()).password();
    }
    parentPort = freePort();
    parentMetricsPort = freePort();
    Path parentFile = Files.writeString(parentData.resolve("parent.yaml"), """
        auth: {adminTokens: [ops-admin]}
        metrics: {listen: "127.0.0.1:%d"}
        """.formatted(parentMetricsPort));
    parent = RegistryApplication.start(new ConfigLoader(Map.of()).load(ConfigLoader.Flags.none()
        .withConfig(parentFile).withListen("127.0.0.1:" + parentPort).withData(parentData.toString())));
    childPort = freePort();
    childMetricsPort = freePort();
    Path childFile = Files.writeString(childData.resolve("child.yaml"), """
        parent: {endpoint: "127.0.0.1:%d", protocol: http}
        sync: {repositories: ["mirror/*"], schedule: "0 0 1 1 *"}
        metrics: {listen: "127.0.0.1:%d"}
        """.formatted(parentPort, childMetricsPort));
    child = RegistryApplication.start(new ConfigLoader(Map.of()).load(ConfigLoader.Flags.none()
        .withConfig(childFile).withListen("127.0.0.1:" + childPort).withData(childData.toString())));
    // The first cycle runs at start: over before a test counts its own.
    awaitScrape(childMetricsPort, s -> s.value("connected_registry_sync_cycles_total") >= 1);
  }

  @AfterAll
  static void stop() {
    if (child != null) {
      child.stop();
    }
    if (parent != null) {
      parent.stop();
    }
  }

  @Test
  void pushesAndPullsCountByRouteTemplateAndStatusClassAndNoRepositoryNameIsALabel() throws Exception {
    Path layout = images.resolve("http");
    Digest one = Images.make(layout, "v1", "-l", "96K", "-s", "metrics-http-1");
    long imageBytes = blobBytes(layout, one);
    Scrape before = scrape(parentMetricsPort);

    Images.push(layout, "v1", "127.0.0.1:" + parentPort, "app/first-repo", null);
    Images.push(layout, "v1", "127.0.0.1:" + parentPort, "app/second-repo", null);
    Images.pull("127.0.0.1:" + parentPort, "app/first-repo", "v1", images.resolve("pulled"));
    Scrape after = scrape(parentMetricsPort);

    Map<String, String> manifestPut = Map.of("route", MANIFEST, "method", "PUT", "code", "2xx");
    assertEquals(2, delta(before, after, "vertx_http_server_requests_total", manifestPut),
        "one manifest PUT per push, under the route template:\n" + routeLines(after));
    assertTrue(delta(before, after, "vertx_http_server_requests_total",
        Map.of("route", MANIFEST, "method", "GET", "code", "2xx")) >= 1, "the pull's manifest GET");
    double blobBytesSent = delta(before, after, "vertx_http_server_response_bytes_sum",
        Map.of("route", BLOB, "method", "GET", "code", "2xx"));
    assertTrue(blobBytesSent >= imageBytes - sizeOf(layout, one),
        "the pull's blob GETs sent the layers and config: " + blobBytesSent + " of " + imageBytes);
    double received = delta(before, after, "vertx_http_server_request_bytes_sum", Map.of());
    // The second push mounts the first one's blobs: their bytes arrive once.
    assertTrue(received >= imageBytes - sizeOf(layout, one),
        "the pushed blobs' bytes arrived: " + received + ", image " + imageBytes);
    assertEquals(2, delta(before, after, "vertx_http_server_response_time_seconds_count", manifestPut));
    Map<String, String> slowest = new java.util.HashMap<>(manifestPut);
    slowest.put("le", "60.0");
    assertEquals(2, delta(before, after, "vertx_http_server_response_time_seconds_bucket", slowest),
        "latency buckets per route: both PUTs within a minute");

    assertFalse(after.text().contains("first-repo") || after.text().contains("second-repo"),
        "a repository name in the scrape:\n" + routeLines(after));
    assertFalse(after.text().contains("sha256:"), "a digest in the scrape");
    assertFalse(after.text().contains("path=\""), "raw paths are never a label");
    assertTrue(after.text().lines().filter(l -> l.startsWith("vertx_http_server_requests_total"))
            .allMatch(l -> l.matches(".*code=\"[1-5]xx\".*")), "status codes as classes:\n" + routeLines(after));
  }

  /** Vert.x takes any token as a method: a client inventing methods must not invent labels. */
  @Test
  void methodsOutsideTheHttpVerbsShareOneLabel() throws Exception {
    Scrape before = scrape(parentMetricsPort);
    for (String method : List.of("INVENTED-ONE", "INVENTED-TWO", "INVENTED-THREE")) {
      String status = rawStatusLine(parentPort, method, "/v2/", "127.0.0.1:" + parentPort);
      assertTrue(status.startsWith("HTTP/1.1 4"), status);
    }
    Scrape after = scrape(parentMetricsPort);
    assertEquals(3, delta(before, after, "vertx_http_server_requests_total", Map.of("method", "OTHER")),
        routeLines(after));
    assertFalse(after.text().contains("INVENTED"), routeLines(after));
  }

  @Test
  void mainListenerServesMetricsOnlyToAdminTokensAndCountsRefusedLogins() throws Exception {
    Scrape before = scrape(parentMetricsPort);
    assertEquals(401, get(parentPort, "/metrics", null).statusCode(), "no credentials");
    assertEquals(401, get(parentPort, "/metrics", basic("ops-admin", "wrong-password")).statusCode(),
        "a wrong admin password");
    assertEquals(403, get(parentPort, "/metrics", basic("puller", pullerPassword)).statusCode(),
        "a token that is not an admin token");
    HttpResponse<String> admin = get(parentPort, "/metrics", basic("ops-admin", adminPassword));
    assertEquals(200, admin.statusCode());
    assertTrue(admin.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
    Scrape after = new Scrape(admin.body());

    assertEquals(1, delta(before, after, "connected_registry_auth_failed_logins_total", Map.of()),
        "the wrong password is one failed login");
    assertTrue(after.has("jvm_memory_used_bytes") && after.has("process_uptime_seconds")
        && after.has("jvm_threads_live_threads") && after.has("process_files_open_files"), "JVM and process");
    assertTrue(after.value("connected_registry_storage_free_bytes") > 0, "free space measured");
    assertTrue(after.has("connected_registry_auth_throttled_addresses"));
    assertFalse(after.has("connected_registry_sync_cycles_total"), "a root has no sync");
  }

  @Test
  void withMetricsDisabledThereIsNoMetricsRoute(@TempDir Path data) throws Exception {
    int port = freePort();
    Path file = Files.writeString(data.resolve("off.yaml"), "metrics: {enabled: false}\n");
    RegistryApplication off = RegistryApplication.start(new ConfigLoader(Map.of()).load(ConfigLoader.Flags.none()
        .withConfig(file).withListen("127.0.0.1:" + port).withData(data.resolve("store").toString())));
    try {
      assertEquals(404, get(port, "/metrics", basic("ops-admin", "any")).statusCode());
      assertEquals(200, get(port, "/v2/", null).statusCode(), "the registry itself serves");
    } finally {
      off.stop();
    }
  }

  /** Its own registry: throttling 127.0.0.1 on the shared parent would refuse the other tests' logins. */
  @Test
  void refusedLoginsPastTheBudgetAreThrottledAndTheAddressCounted(@TempDir Path data) throws Exception {
    int port = freePort();
    int metricsPort = freePort();
    Path file = Files.writeString(data.resolve("throttle.yaml"), """
        auth: {failedLoginsPerMinute: 2}
        metrics: {listen: "127.0.0.1:%d"}
        """.formatted(metricsPort));
    RegistryApplication throttling = RegistryApplication.start(new ConfigLoader(Map.of()).load(
        ConfigLoader.Flags.none().withConfig(file).withListen("127.0.0.1:" + port)
            .withData(data.resolve("store").toString())));
    try {
      Scrape before = scrape(metricsPort);
      assertTrue(before.has("connected_registry_auth_throttled_addresses"));
      assertEquals(0, before.value("connected_registry_auth_throttled_addresses"));
      assertEquals(401, get(port, "/v2/", basic("guessed-token", "guess-1")).statusCode());
      assertEquals(401, get(port, "/v2/", basic("guessed-token", "guess-2")).statusCode());
      assertEquals(429, get(port, "/v2/", basic("guessed-token", "guess-3")).statusCode(), "budget spent");
      Scrape after = scrape(metricsPort);
      assertEquals(2, delta(before, after, "connected_registry_auth_failed_logins_total", Map.of()));
      assertEquals(1, delta(before, after, "connected_registry_auth_throttled_logins_total", Map.of()));
      assertEquals(1, after.value("connected_registry_auth_throttled_addresses"), "127.0.0.1");
    } finally {
      throttling.stop();
    }
  }

  @Test
  void theMetricsListenerServesOnlyMetricsWithoutCredentialsAndOnlyToItsOwnHostName() throws Exception {
    HttpResponse<String> open = get(parentMetricsPort, "/metrics", null);
    assertEquals(200, open.statusCode());
    assertTrue(open.body().contains("connected_registry_gc_runs_total"), open.body());
    assertEquals(404, get(parentMetricsPort, "/v2/", null).statusCode(), "nothing but /metrics there");
    assertEquals(404, get(parentMetricsPort, "/_connected/v1/status", null).statusCode());
    assertTrue(rawStatusLine(parentMetricsPort, "evil.example").contains(" 403 "),
        "a foreign Host on a loopback listener (DNS rebinding)");
    assertTrue(rawStatusLine(parentMetricsPort, "localhost:" + parentMetricsPort).contains(" 200 "));
  }

  @Test
  void syncCyclesBytesTagsAndFeedLagMoveByWhatACycleDid() throws Exception {
    Path layout = images.resolve("sync");
    Digest v1 = Images.make(layout, "v1", "-l", "64K", "-s", "metrics-sync-1");
    Digest v2 = Images.make(layout, "v2", "-l", "80K", "-s", "metrics-sync-2");
    Images.push(layout, "v1", "127.0.0.1:" + parentPort, "mirror/app", null);
    Images.push(layout, "v2", "127.0.0.1:" + parentPort, "mirror/app", null);
    Scrape before = scrape(childMetricsPort);

    Scrape first = syncOnce(before);
    assertEquals(1, delta(before, first, "connected_registry_sync_cycles_total", Map.of("result", "succeeded")));
    assertEquals(0, delta(before, first, "connected_registry_sync_cycles_total", Map.of("result", "failed")));
    assertEquals(2, delta(before, first, "connected_registry_sync_tags_copied_total", Map.of()));
    assertEquals(0, delta(before, first, "connected_registry_sync_tags_deleted_total", Map.of()));
    double layers = blobBytes(layout, v1) - sizeOf(layout, v1) + blobBytes(layout, v2) - sizeOf(layout, v2);
    assertTrue(delta(before, first, "connected_registry_sync_received_bytes_total", Map.of()) >= layers,
        "received " + delta(before, first, "connected_registry_sync_received_bytes_total", Map.of())
            + ", the images' blobs " + layers);
    assertEquals(1, delta(before, first, "connected_registry_sync_cycle_duration_seconds_count", Map.of()));
    assertTrue(first.has("connected_registry_sync_feed_lag_changes"));
    assertEquals(0, first.value("connected_registry_sync_feed_lag_changes"), "caught up with the feed");
    assertTrue(first.value("connected_registry_sync_last_success_timestamp_seconds") > 0);

    HttpResponse<String> deleted = HTTP.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + parentPort + "/v2/mirror/app/manifests/v2")).DELETE().build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(202, deleted.statusCode(), deleted.body());
    Scrape second = syncOnce(first);
    assertEquals(1, delta(first, second, "connected_registry_sync_cycles_total", Map.of("result", "succeeded")));
    assertEquals(1, delta(first, second, "connected_registry_sync_tags_deleted_total", Map.of()));
    assertEquals(0, delta(first, second, "connected_registry_sync_tags_copied_total", Map.of()));
    assertEquals(0, delta(first, second, "connected_registry_sync_received_bytes_total", Map.of()),
        "nothing fetched twice");
    assertTrue(second.has("connected_registry_sync_on_demand_fetches_total"));
    assertEquals(0, second.value("connected_registry_sync_on_demand_fetches_total"), "sync.onDemand is off");
    assertTrue(second.has("vertx_http_client_requests_total"), "the parent client's requests");
  }

  @Test
  void aPullOfAnImageOnlyTheParentHoldsCountsOnDemandFetches(@TempDir Path data) throws Exception {
    Path layout = images.resolve("on-demand");
    Images.make(layout, "v1", "-l", "48K", "-s", "metrics-on-demand");
    Images.push(layout, "v1", "127.0.0.1:" + parentPort, "lazy/app", null);
    int port = freePort();
    int metricsPort = freePort();
    Path file = Files.writeString(data.resolve("on-demand.yaml"), """
        parent: {endpoint: "127.0.0.1:%d", protocol: http}
        sync: {repositories: ["lazy/*"], schedule: "0 0 1 1 *", window: PT1H, onDemand: true}
        metrics: {listen: "127.0.0.1:%d"}
        """.formatted(parentPort, metricsPort));
    RegistryApplication onDemand = RegistryApplication.start(new ConfigLoader(Map.of()).load(ConfigLoader.Flags.none()
        .withConfig(file).withListen("127.0.0.1:" + port).withData(data.resolve("store").toString())));
    try {
      // Its window is closed (it opens on 1 January): no cycle copies the image, pulls fetch it.
      Scrape before = scrape(metricsPort);
      Images.pull("127.0.0.1:" + port, "lazy/app", "v1", images.resolve("pulled-on-demand"));
      Scrape after = scrape(metricsPort);
      assertTrue(after.has("connected_registry_sync_cycles_total"));
      assertEquals(0, after.value("connected_registry_sync_cycles_total"), "no cycle ran");
      assertTrue(delta(before, after, "connected_registry_sync_on_demand_fetches_total", Map.of()) >= 1,
          "the pull was served by fetches from the parent");
      assertTrue(delta(before, after, "connected_registry_sync_received_bytes_total", Map.of()) >= 48 * 1024,
          "the layer came from the parent");
    } finally {
      onDemand.stop();
    }
  }

  /**
   * GC is off while the image is pushed (a zero grace would race the push), then switched on
   * through the configuration file (SIGHUP's path): every second, no grace.
   */
  @Test
  void garbageCollectionRunsAndFreedBytesAreCounted(@TempDir Path data) throws Exception {
    int port = freePort();
    int metricsPort = freePort();
    Path file = data.resolve("gc.yaml");
    Files.writeString(file, """
        storage: {gcEnabled: false}
        metrics: {listen: "127.0.0.1:%d"}
        """.formatted(metricsPort));
    ConfigLayers layers = new ConfigLayers(new ConfigLoader(Map.of()), ConfigLoader.Flags.none()
        .withConfig(file).withListen("127.0.0.1:" + port).withData(data.resolve("store").toString()));
    RegistryApplication gc = RegistryApplication.start(layers, layers.build());
    try {
      Path layout = images.resolve("gc");
      Digest image = Images.make(layout, "v1", "-l", "128K", "-s", "metrics-gc");
      long layerBytes = blobBytes(layout, image) - sizeOf(layout, image);
      Images.push(layout, "v1", "127.0.0.1:" + port, "gc/app", null);
      HttpResponse<String> deleted = HTTP.send(HttpRequest.newBuilder(URI.create(
          "http://127.0.0.1:" + port + "/v2/gc/app/manifests/" + image)).DELETE().build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(202, deleted.statusCode(), deleted.body());
      Scrape before = scrape(metricsPort);
      assertTrue(before.has("connected_registry_gc_runs_total"));
      assertEquals(0, before.value("connected_registry_gc_runs_total"), "no run while GC is off");

      Files.writeString(file, """
          storage: {gcInterval: PT1S, gcGrace: PT0S}
          metrics: {listen: "127.0.0.1:%d"}
          """.formatted(metricsPort));
      gc.reloadConfigurationFile();
      Scrape after = awaitScrape(metricsPort, s -> s.value("connected_registry_gc_runs_total") >= 1
          && s.value("connected_registry_gc_freed_bytes_total") >= layerBytes);
      assertTrue(after.value("connected_registry_gc_freed_bytes_total") >= layerBytes,
          "the deleted image's layers and config were freed");
    } finally {
      gc.stop();
    }
  }

  // ---- helpers ----

  /** Triggers one cycle on the child and returns the scrape once it has ended (bounded: 60 s). */
  private static Scrape syncOnce(Scrape before) throws Exception {
    double cycles = before.value("connected_registry_sync_cycles_total");
    HttpResponse<String> triggered = HTTP.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + childPort + "/_connected/v1/sync"))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(202, triggered.statusCode(), triggered.body());
    return awaitScrape(childMetricsPort, s -> s.value("connected_registry_sync_cycles_total") > cycles);
  }

  private interface Condition {
    boolean holds(Scrape scrape);
  }

  private static Scrape awaitScrape(int port, Condition condition) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    Scrape last = null;
    while (System.nanoTime() < deadline) {
      last = scrape(port);
      if (condition.holds(last)) {
        return last;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("not within 60 s; last scrape:\n" + last.text());
  }

  private static Scrape scrape(int metricsPort) throws Exception {
    HttpResponse<String> response = get(metricsPort, "/metrics", null);
    assertEquals(200, response.statusCode(), response.body());
    return new Scrape(response.body());
  }

  private static double delta(Scrape before, Scrape after, String name, Map<String, String> labels) {
    return after.value(name, labels) - before.value(name, labels);
  }

  private static HttpResponse<String> get(int port, String path, String authorization) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(30));
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  /** The status line of {@code GET /metrics} with {@code host} as the Host header (java.net.http refuses to set it). */
  private static String rawStatusLine(int port, String host) throws IOException {
    return rawStatusLine(port, "GET", "/metrics", host);
  }

  private static String rawStatusLine(int port, String method, String path, String host) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write((method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      StringBuilder line = new StringBuilder();
      int c;
      while ((c = in.read()) >= 0 && c != '\n') {
        line.append((char) c);
      }
      return line.toString();
    }
  }

  /** Bytes of the manifest, its config and its layers in the layout. */
  private static long blobBytes(Path layout, Digest manifest) throws IOException {
    String json = Files.readString(Images.blob(layout, manifest));
    long total = Files.size(Images.blob(layout, manifest));
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"size\"\\s*:\\s*(\\d+)").matcher(json);
    while (m.find()) {
      total += Long.parseLong(m.group(1));
    }
    return total;
  }

  private static long sizeOf(Path layout, Digest manifest) throws IOException {
    return Files.size(Images.blob(layout, manifest));
  }

  private static String routeLines(Scrape scrape) {
    return String.join("\n", scrape.text().lines().filter(l -> l.startsWith("vertx_http_server_requests_total"))
        .toList());
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      return socket.getLocalPort();
    }
  }

}
