package io.connectedregistry.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.auth.AccessControl;
import io.connectedregistry.auth.Action;
import io.connectedregistry.auth.AuthStore;
import io.connectedregistry.auth.Authenticator;
import io.connectedregistry.auth.Limits;
import io.connectedregistry.auth.LoginThrottle;
import io.connectedregistry.auth.PasswordHasher;
import io.connectedregistry.auth.PasswordSlot;
import io.connectedregistry.auth.ScopeMap;
import io.connectedregistry.auth.ScopeMapRule;
import io.connectedregistry.auth.TokenService;
import io.connectedregistry.auth.TokenStatus;
import io.connectedregistry.config.RegistryConfig.AuthConfig.Anonymous;
import io.connectedregistry.config.RegistryConfig.Mode;
import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.ManifestParser;
import io.connectedregistry.oci.MediaTypes;
import io.connectedregistry.status.Activation;
import io.connectedregistry.status.ConnectionState;
import io.connectedregistry.status.RegistryStatus;
import io.connectedregistry.status.StatusBoard;
import io.connectedregistry.status.SyncPhase;
import io.connectedregistry.status.SyncTrigger;
import io.connectedregistry.storage.LocalRegistryStorage;
import io.connectedregistry.storage.UploadHandle;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status page over real HTTP on 127.0.0.1, with the real auth store, storage and status board
 * (a connected registry's status, put on the board by hand), routed as {@code Routes} routes it.
 */
class StatusPageTest {
  private static final String BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,"
      + "image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7";
  private static final String EVIL = "<script>alert(1)</script>";
  private static final String SYNC_CORRELATION = "7d1c4a52-0000-4000-8000-00000000abcd";

  @TempDir Path data;
  private Vertx vertx;
  private LocalRegistryStorage storage;
  private AuthStore auth;
  private HttpServer server;
  private StatusPage page;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private String reader;
  private String admin;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    storage = LocalRegistryStorage.open(data.resolve("store"), LocalRegistryStorage.Options.defaults());
    // The storage's callers validate names; the page must escape whatever the store holds.
    for (String repository : List.of("app/one", "secret/two", "app/evil" + EVIL)) {
      image(repository);
    }
    auth = AuthStore.open(data, Mode.ReadWrite, Limits.DEFAULTS, new PasswordHasher(1_000),
        Clock.systemUTC());
    auth.createScopeMap(new ScopeMap("read-app", "", List.of(
        ScopeMapRule.of("app/*", Action.CONTENT_READ, Action.METADATA_READ))));
    auth.createToken("reader", "read-app", TokenStatus.ENABLED);
    auth.createToken("admin", "read-app", TokenStatus.ENABLED);
    reader = basic("reader", auth.generatePassword("reader", PasswordSlot.PASSWORD1, Optional.empty()).password());
    admin = basic("admin", auth.generatePassword("admin", PasswordSlot.PASSWORD1, Optional.empty()).password());
    AccessControl access = new AccessControl(auth, new Authenticator(auth, new PasswordHasher(1_000)),
        TokenService.open(data, Duration.ofMinutes(5)), new LoginThrottle(100), Anonymous.NONE,
        List.of("admin"), Clock.systemUTC());

    RegistryStatus.Sync sync = new RegistryStatus.Sync(SyncPhase.Syncing, SyncTrigger.Schedule,
        "https://parent.example:443 as sync-token", "feed", "2026-11-30T10:00:00Z", null, null, null, 12L, 0,
        Map.of("app/one", 1), null, new RegistryStatus.StatusDetails("SyncError", "PARENT_UNREACHABLE",
            "GET https://parent.example/v2/ failed: " + EVIL, "2026-11-30T09:59:00Z", SYNC_CORRELATION), null);
    StatusBoard board = new StatusBoard(new RegistryStatus(Activation.Active, ConnectionState.Syncing,
        Mode.ReadOnly, "9.8.7", sync, new RegistryStatus.Storage(5 << 20, 3, 4, 7L << 30),
        new RegistryStatus.UpstreamQueue(2, 1), null), Runnable::run);

    Storage calls = new Storage(storage, vertx.createSharedWorkerExecutor("status-page-test", 2));
    page = new StatusPage(calls, null, board, access, new RecentFailures(), Clock.systemUTC());
    AuthHandler authHandler = new AuthHandler(access,
        new LoginQueue(vertx.createSharedWorkerExecutor("status-page-auth", 2), LoginQueue.CAPACITY),
        new ClientAddress(List.of()));
    Router router = Router.router(vertx);
    router.get("/").handler(page::negotiate).handler(authHandler.viewer()).handler(page::render);
    router.get("/boom").handler(ctx -> {
      throw new IllegalStateException("internal detail " + EVIL);
    });
    router.route().failureHandler(FailureHandler.recordingIn(page.failures()));
    router.route().last().handler(ctx -> ctx.fail(404));
    server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
    storage.close();
    auth.close();
  }

  @Test
  void onlyABrowserGetsThePageOthersGetTheSame404AsBefore() throws Exception {
    for (String accept : new String[] {null, "*/*", "application/json", "application/json, text/html;q=0.5"}) {
      HttpResponse<String> r = get("/", accept, null);
      assertEquals(404, r.statusCode(), accept + ": " + r.body());
      assertTrue(r.body().contains("NAME_UNKNOWN"), r.body());
    }
    HttpResponse<String> page = get("/", BROWSER, null);
    assertEquals(200, page.statusCode(), page.body());
    assertEquals("text/html; charset=utf-8", page.headers().firstValue("Content-Type").orElse(""));
    assertEquals("10", page.headers().firstValue("Refresh").orElse(""), "reloads itself");
    String csp = page.headers().firstValue("Content-Security-Policy").orElse("");
    assertTrue(csp.startsWith("default-src 'none'; style-src 'sha256-") && csp.endsWith("; sandbox"), csp);
    assertTrue(page.body().contains("name=\"viewport\""), "phone layout");
  }

  @Test
  void anAnonymousViewerWithoutReadAccessSeesStatesButNoRepositoryAndNoAdminDetail() throws Exception {
    HttpResponse<String> r = get("/", BROWSER, null);

    assertEquals(200, r.statusCode(), r.body());
    String html = r.body();
    assertTrue(html.contains("Syncing") && html.contains("ReadOnly") && html.contains("Active"), html);
    assertTrue(html.contains("Sync running since 2026-11-30 10:00:00 UTC"), html);
    for (String hidden : List.of("app/one", "secret/two", "app/evil", "parent.example", "sync-token", "9.8.7",
        SYNC_CORRELATION, "PARENT_UNREACHABLE", "Queue pending", "7.0 GiB", "Last errors")) {
      assertFalse(html.contains(hidden), hidden + " is for readers or admins:\n" + html);
    }
    assertTrue(html.contains("href=\"/?admin\""), "a way to sign in");
  }

  @Test
  void aReaderSeesTheRepositoriesItMayReadAndNoAdminDetail() throws Exception {
    HttpResponse<String> r = get("/", BROWSER, reader);

    String html = r.body();
    assertEquals(200, r.statusCode(), html);
    assertTrue(html.contains("<td>app/one</td>"), html);
    assertTrue(html.contains("app/evil&lt;script&gt;alert(1)&lt;/script&gt;"), html);
    for (String hidden : List.of("secret/two", "parent.example", SYNC_CORRELATION, "Queue pending", "9.8.7")) {
      assertFalse(html.contains(hidden), hidden + " is not the reader's:\n" + html);
    }
    assertTrue(html.contains("Signed in as token reader."), html);
  }

  @Test
  void anAdminSeesEverythingEscapedWithCorrelationIds() throws Exception {
    HttpResponse<String> boom = get("/boom", null, null);
    assertEquals(500, boom.statusCode());
    String failureId = boom.body().replaceAll(".*correlationId ([0-9a-f-]{36}).*", "$1");

    HttpResponse<String> r = get("/?admin", BROWSER, admin);

    String html = r.body();
    assertEquals(200, r.statusCode(), html);
    for (String shown : List.of("<td>app/one</td>", "<td>secret/two</td>", "https://parent.example:443",
        "9.8.7", "5.0 MiB in 3 repositories", "7.0 GiB", SYNC_CORRELATION, failureId,
        "IllegalStateException) on GET /boom", "Queue pending</dt><dd>2", "Queue expired</dt><dd class=\"bad\">1")) {
      assertTrue(html.contains(shown), shown + "\n" + html);
    }
    assertFalse(html.contains("sync-token"), "the parent's endpoint, without whom we log in as");
    assertFalse(html.contains("<script>"), "no markup from outside:\n" + html);
    assertTrue(html.contains("failed: &lt;script&gt;alert(1)&lt;/script&gt;"), html);
    assertFalse(html.contains("internal detail"), "a 500's message stays in the log");
  }

  @Test
  void theAdminLinkChallengesAnyoneButAnAdmin() throws Exception {
    for (String who : new String[] {null, reader, basic("admin", "wrong-password")}) {
      HttpResponse<String> r = get("/?admin", BROWSER, who);
      assertEquals(401, r.statusCode(), r.body());
      assertEquals("Basic realm=\"connected-registry admin\"", r.headers().firstValue("WWW-Authenticate").orElse(""));
    }
    assertEquals(200, get("/?admin", BROWSER, admin).statusCode());
  }

  @Test
  void aRootRegistrysPageHasNoSyncPartAndSaysItIsTheRoot() {
    RegistryStatus root = RegistryStatus.starting(Mode.ReadWrite, "1.2.3", false).withActivation(Activation.Active);
    String html = page.html(StatusPageView.of(root, new io.connectedregistry.storage.RegistryStorage.RepositoryPage(
        List.of(), 0), List.of(), new io.connectedregistry.auth.Principal.Anonymous(java.util.Set.of()), false,
        java.time.Instant.parse("2026-11-30T12:00:00Z")));
    assertTrue(html.contains("A root registry") && html.contains("Healthy"), html);
    assertFalse(html.contains("id=\"sync\""), html);
    assertTrue(html.contains("Sign in to see repositories."), html);
  }

  @Test
  void onlyTheNewestFailuresAreKeptNewestFirst() {
    RecentFailures ring = new RecentFailures();
    for (int i = 0; i < RecentFailures.CAPACITY + 2; i++) {
      ring.add(new RecentFailures.Failure(java.time.Instant.EPOCH.plusSeconds(i), "id-" + i, "GET /", "X"));
    }
    List<RecentFailures.Failure> kept = ring.newestFirst();
    assertEquals(RecentFailures.CAPACITY, kept.size());
    assertEquals("id-" + (RecentFailures.CAPACITY + 1), kept.get(0).correlationId());
    assertEquals("id-2", kept.get(kept.size() - 1).correlationId());
  }

  @Test
  void acceptPreferenceIsReadWithQualities() {
    assertTrue(StatusPage.prefersHtml(List.of(BROWSER)));
    assertTrue(StatusPage.prefersHtml(List.of("text/html")));
    assertFalse(StatusPage.prefersHtml(List.of()));
    assertFalse(StatusPage.prefersHtml(List.of("*/*")));
    assertFalse(StatusPage.prefersHtml(List.of("text/html;q=0")));
    assertFalse(StatusPage.prefersHtml(List.of("application/json, text/html;q=0.9")));
    assertEquals("https://h:5000", StatusPageView.endpoint("https://user:pw@h:5000 as user"));
  }

  private HttpResponse<String> get(String path, String accept, String authorization) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort() + path))
        .timeout(Duration.ofSeconds(10)).GET();
    if (accept != null) {
      request.header("Accept", accept);
    }
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String basic(String name, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((name + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  private void image(String repository) throws Exception {
    byte[] config = ("{\"r\":\"" + repository.replace("\"", "") + "\"}").getBytes(StandardCharsets.UTF_8);
    var upload = storage.startUpload(repository);
    Digest digest = Digest.sha256(config);
    try (UploadHandle h = storage.openUpload(repository, upload.id())) {
      h.append(ByteBuffer.wrap(config));
      storage.commitUpload(h, digest);
    }
    String manifest = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{"
        + "\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + digest + "\",\"size\":"
        + config.length + "},\"layers\":[]}";
    storage.putManifest(repository, ManifestParser.parse(manifest.getBytes(StandardCharsets.UTF_8), null, "sha256"),
        "v1");
  }
}
