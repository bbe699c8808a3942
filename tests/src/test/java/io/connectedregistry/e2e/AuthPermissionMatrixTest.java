package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.AuthSupport.await;
import static io.connectedregistry.e2e.support.AuthSupport.bearer;
import static io.connectedregistry.e2e.support.AuthSupport.challenge;
import static io.connectedregistry.e2e.support.AuthSupport.cli;
import static io.connectedregistry.e2e.support.AuthSupport.concat;
import static io.connectedregistry.e2e.support.AuthSupport.createToken;
import static io.connectedregistry.e2e.support.AuthSupport.jwtPayload;
import static io.connectedregistry.e2e.support.AuthSupport.manifest;
import static io.connectedregistry.e2e.support.AuthSupport.pushBlob;
import static io.connectedregistry.e2e.support.AuthSupport.pushManifest;
import static io.connectedregistry.e2e.support.Expect.error;
import static io.connectedregistry.e2e.support.Expect.status;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import io.connectedregistry.e2e.support.AuthSupport;
import io.connectedregistry.e2e.support.AuthSupport.Credentials;
import io.connectedregistry.e2e.support.Command;
import io.connectedregistry.e2e.support.Digests;
import io.connectedregistry.e2e.support.Oci;
import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
import io.connectedregistry.e2e.support.Response;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Who may do what over HTTP: each endpoint × {a token whose scope map grants exactly the action
 * the endpoint needs, a token with every other action, no credentials} × {ReadWrite, ReadOnly},
 * with {@code auth.anonymousPull: false} so loopback grants nothing. Then the edges: repository
 * patterns, the catalog filter, the mount fallback, expired, disabled and rotated passwords, the
 * Bearer token protocol by hand (GET and POST, refresh, insufficient_scope, survival of a
 * restart), and the two anonymous policies.
 */
@Order(6) // among the longest classes: started first (tests/pom.xml)
class AuthPermissionMatrixTest {

  private static final String REPO = "app/x";
  private static final String OTHER = "other/x";
  /** The four actions the routes check, with short names for the tokens. */
  private static final Map<String, String> ACTIONS = Map.of(
      "content/read", "cr", "content/write", "cw", "content/delete", "cd", "metadata/read", "mr");
  private static final List<String> ALL_ACTIONS =
      List.of("content/read", "content/write", "content/delete", "metadata/read", "metadata/write");

  private static RegistryProcess registry;
  private static RegistryClient client;
  private static Credentials pusher;
  /** "allow-cr" etc.: exactly one action on app/*; "deny-cr" etc.: every other action on app/*. */
  private static final Map<String, Credentials> TOKENS = new java.util.concurrent.ConcurrentHashMap<>();

  private static final Oci.Blob CONFIG = Oci.config("auth-matrix");
  private static final Oci.Blob LAYER = Oci.layer(4711, 2048);
  private static Oci.Manifest image;
  private static String imageDigest;
  private static String referrerDigest;
  private static final AtomicInteger SEQ = new AtomicInteger();

  @BeforeAll
  static void startRegistry() throws Exception {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "token auth is this registry's own");
    registry = AuthSupport.prepareWithConfig("auth-matrix",
        "auth:\n  anonymousPull: false\n  failedLoginsPerMinute: 1000\n  tokenLifetime: PT2M\n");
    registry.start();
    client = new RegistryClient(registry);
    assertTrue(registry.log().contains("anonymous access: off"), () -> registry.logTail(20));

    // The CLI takes ~1.5 s per run (a JVM and a password hash): two at a time.
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<?>> jobs = new ArrayList<>();
      jobs.add(pool.submit(() -> pusher = createToken(registry, "pusher", rule("*", ALL_ACTIONS))));
      for (Map.Entry<String, String> a : ACTIONS.entrySet()) {
        jobs.add(pool.submit(() -> TOKENS.put("allow-" + a.getValue(),
            createToken(registry, "allow-" + a.getValue(), rule("app/*", List.of(a.getKey()))))));
        List<String> others = new ArrayList<>(ALL_ACTIONS);
        others.remove(a.getKey());
        jobs.add(pool.submit(() -> TOKENS.put("deny-" + a.getValue(),
            createToken(registry, "deny-" + a.getValue(), rule("app/*", others)))));
      }
      for (Future<?> job : jobs) {
        job.get();
      }
    } finally {
      pool.shutdown();
    }

    String[] auth = pusher.header();
    for (String repo : List.of(REPO, OTHER)) {
      pushBlob(client, auth, repo, CONFIG.data());
      pushBlob(client, auth, repo, LAYER.data());
    }
    image = manifest(CONFIG, LAYER, "v1");
    imageDigest = pushManifest(client, auth, REPO, "v1", image);
    pushManifest(client, auth, OTHER, "v1", manifest(CONFIG, LAYER, "other"));
    pushBlob(client, auth, REPO, Oci.EMPTY_JSON_BLOB);
    Oci.Manifest referrer = Oci.manifest(Oci.IMAGE_MANIFEST,
        Oci.artifact("application/vnd.e2e.sbom", image, Map.of()));
    referrerDigest = pushManifest(client, auth, REPO, referrer.digest(), referrer);
  }

  @AfterAll
  static void stopRegistry() {
    if (registry != null) {
      registry.close();
    }
  }

  /** {@code --repository PATTERN ACTION...} as CLI arguments. */
  private static String[] rule(String pattern, List<String> actions) {
    List<String> args = new ArrayList<>(List.of("--repository", pattern));
    args.addAll(actions);
    return args.toArray(String[]::new);
  }

  // ------------------------------------------------------------------------------------------
  // the matrix

  /**
   * One endpoint: the action it needs, whether it writes, what it answers when allowed, the call
   * (given the auth header pair, and whether the registry is ReadOnly), and a check of an allowed
   * answer's content (null when fine, else what is wrong). Calls that change state check afterwards
   * that the change happened exactly when the request was accepted.
   */
  private record Endpoint(String name, String action, boolean write, int ok,
      java.util.function.BiFunction<String[], Boolean, Response> call, Function<Response, String> okCheck) {}

  private static List<Endpoint> endpoints() {
    List<Endpoint> list = new ArrayList<>();
    String accept = Oci.IMAGE_MANIFEST;
    list.add(new Endpoint("manifest GET", "content/read", false, 200,
        (h, ro) -> client.get("/v2/" + REPO + "/manifests/v1", concat(h, "Accept", accept)),
        r -> java.util.Arrays.equals(image.bytes(), r.body()) ? null : "body is not the manifest"));
    list.add(new Endpoint("manifest HEAD", "content/read", false, 200,
        (h, ro) -> client.head("/v2/" + REPO + "/manifests/v1", concat(h, "Accept", accept)),
        r -> imageDigest.equals(r.headerOrNull("Docker-Content-Digest")) ? null : "wrong digest"));
    list.add(new Endpoint("blob GET", "content/read", false, 200,
        (h, ro) -> client.get("/v2/" + REPO + "/blobs/" + LAYER.digest(), h),
        r -> java.util.Arrays.equals(LAYER.data(), r.body()) ? null : "body is not the blob"));
    list.add(new Endpoint("blob HEAD", "content/read", false, 200,
        (h, ro) -> client.head("/v2/" + REPO + "/blobs/" + LAYER.digest(), h),
        r -> String.valueOf(LAYER.size()).equals(r.headerOrNull("Content-Length")) ? null : "wrong length"));
    list.add(new Endpoint("upload POST", "content/write", true, 202,
        (h, ro) -> client.post("/v2/" + REPO + "/blobs/uploads/", new byte[0], h),
        r -> r.header("Location").isPresent() ? null : "no Location"));
    // The later requests of an upload that pusher started: each needs content/write as well.
    list.add(new Endpoint("upload GET", "content/write", false, 204,
        (h, ro) -> client.get(session(ro), h),
        r -> r.header("Range").isPresent() ? null : "no Range"));
    list.add(new Endpoint("upload PATCH", "content/write", true, 202,
        (h, ro) -> client.patch(session(ro), "chunk".getBytes(StandardCharsets.UTF_8),
            concat(h, "Content-Type", "application/octet-stream")),
        r -> "0-4".equals(r.headerOrNull("Range")) ? null : "Range should be 0-4"));
    list.add(new Endpoint("upload PUT", "content/write", true, 201,
        (h, ro) -> {
          byte[] data = ("finished " + SEQ.incrementAndGet()).getBytes(StandardCharsets.UTF_8);
          String digest = Digests.sha256(data);
          Response r = client.put(RegistryClient.withQuery(client.uri(session(ro)), "digest", digest), data,
              concat(h, "Content-Type", "application/octet-stream"));
          assertEquals(r.status() == 201 ? 200 : 404, pusherStatus("/v2/" + REPO + "/blobs/" + digest),
              () -> "blob " + digest + " after " + r);
          return r;
        }, r -> null));
    list.add(new Endpoint("upload DELETE", "content/write", true, 204,
        (h, ro) -> {
          String session = session(ro);
          Response r = client.delete(session, h);
          if (!ro) {
            assertEquals(r.status() == 204 ? 404 : 204, client.get(session, pusher.header()).status(),
                () -> "upload session after " + r);
          }
          return r;
        }, r -> null));
    list.add(new Endpoint("manifest PUT", "content/write", true, 201,
        (h, ro) -> {
          String tag = "put-" + SEQ.incrementAndGet();
          Response r = client.put("/v2/" + REPO + "/manifests/" + tag, manifest(CONFIG, LAYER, tag).bytes(),
              concat(h, "Content-Type", Oci.IMAGE_MANIFEST));
          assertEquals(r.status() == 201 ? 200 : 404, pusherStatus("/v2/" + REPO + "/manifests/" + tag),
              () -> "tag " + tag + " after " + r);
          return r;
        }, r -> null));
    list.add(new Endpoint("manifest DELETE", "content/delete", true, 202,
        (h, ro) -> {
          String seed = "del-" + SEQ.incrementAndGet();
          // A ReadOnly registry takes no pushes: there the request targets the v1 image.
          String digest = ro ? imageDigest
              : pushManifest(client, pusher.header(), REPO, seed, manifest(CONFIG, LAYER, seed));
          Response r = client.delete("/v2/" + REPO + "/manifests/" + digest, h);
          assertEquals(r.status() == 202 ? 404 : 200, pusherStatus("/v2/" + REPO + "/manifests/" + digest),
              () -> "manifest " + digest + " after " + r);
          return r;
        }, r -> null));
    list.add(new Endpoint("blob DELETE", "content/delete", true, 202,
        (h, ro) -> {
          byte[] data = ("blob " + SEQ.incrementAndGet()).getBytes(StandardCharsets.UTF_8);
          String digest = ro ? LAYER.digest() : pushBlob(client, pusher.header(), REPO, data);
          Response r = client.delete("/v2/" + REPO + "/blobs/" + digest, h);
          assertEquals(r.status() == 202 ? 404 : 200, pusherStatus("/v2/" + REPO + "/blobs/" + digest),
              () -> "blob " + digest + " after " + r);
          return r;
        }, r -> null));
    list.add(new Endpoint("tags list", "metadata/read", false, 200,
        (h, ro) -> client.get("/v2/" + REPO + "/tags/list", h),
        r -> r.json().path("tags").toString().contains("\"v1\"") ? null : "v1 not listed"));
    list.add(new Endpoint("referrers", "metadata/read", false, 200,
        (h, ro) -> client.get("/v2/" + REPO + "/referrers/" + imageDigest, h),
        r -> r.text().contains(referrerDigest) ? null : "referrer not listed"));
    return list;
  }

  /** A new upload session in app/x started by pusher (a ReadOnly registry has none: a made-up one). */
  private static String session(boolean readOnly) {
    if (readOnly) {
      return "/v2/" + REPO + "/blobs/uploads/0b4c6a2e-5d7f-4e0a-9b1c-2d3e4f5a6b7c";
    }
    return status(client.post("/v2/" + REPO + "/blobs/uploads/", new byte[0], pusher.header()), 202)
        .location().toString();
  }

  private static int pusherStatus(String path) {
    return client.head(path, concat(pusher.header(), "Accept", Oci.IMAGE_MANIFEST)).status();
  }

  private static List<Executable> matrix(boolean readOnly) {
    List<Executable> checks = new ArrayList<>();
    String mode = readOnly ? "ReadOnly" : "ReadWrite";
    for (Endpoint e : endpoints()) {
      if (readOnly && e.name().equals("upload GET")) {
        continue;
      }
      String shortName = ACTIONS.get(e.action());
      Credentials allowed = TOKENS.get("allow-" + shortName);
      Credentials denied = TOKENS.get("deny-" + shortName);
      if (readOnly && e.write()) {
        Map<String, String[]> callers = Map.of(allowed.name(), allowed.header(), denied.name(), denied.header(),
            "no credentials", new String[0]);
        callers.forEach((who, h) -> checks.add(() -> {
          Response r = e.call().apply(h, true);
          assertEquals(405, r.status(), () -> mode + " " + e.name() + " as " + who + ": " + r);
          error(r, 405, "UNSUPPORTED");
          JsonNode err = r.json().path("errors").path(0);
          String message = err.path("message").asText() + " " + err.path("detail").asText();
          assertTrue(message.contains("ReadOnly"), () -> mode + " " + e.name() + " as " + who
              + ": the message should name ReadOnly mode: " + r);
        }));
        continue;
      }
      checks.add(() -> {
        Response r = e.call().apply(allowed.header(), readOnly);
        assertEquals(e.ok(), r.status(), () -> mode + " " + e.name() + " as " + allowed.name() + ": " + r);
        String problem = e.okCheck().apply(r);
        assertEquals(null, problem, () -> mode + " " + e.name() + " as " + allowed.name() + ": " + r);
      });
      checks.add(() -> {
        Response r = e.call().apply(denied.header(), readOnly);
        assertEquals(403, r.status(), () -> mode + " " + e.name() + " as " + denied.name() + ": " + r);
        if (!r.method().equals("HEAD")) {
          error(r, 403, "DENIED");
        }
      });
      checks.add(() -> {
        Response r = e.call().apply(new String[0], readOnly);
        assertEquals(401, r.status(), () -> mode + " " + e.name() + " without credentials: " + r);
        if (!r.method().equals("HEAD")) {
          error(r, 401, "UNAUTHORIZED");
        }
        String scope = e.action().equals("content/write") ? "pull,push"
            : e.action().equals("content/delete") ? "pull,delete" : "pull";
        assertEquals(challenge(registry, "repository:" + REPO + ":" + scope), r.headerOrNull("WWW-Authenticate"),
            () -> mode + " " + e.name() + " challenge: " + r);
      });
    }
    // The catalog: open to any token, filtered to repositories it may read; 401 without one.
    checks.add(() -> {
      for (String reader : List.of("allow-cr", "allow-mr")) {
        Response r = status(client.get("/v2/_catalog", TOKENS.get(reader).header()), 200);
        assertTrue(repositories(r).contains(REPO) && !repositories(r).contains(OTHER),
            () -> mode + " catalog for " + reader + " (app/*): " + r);
      }
      Response r = status(client.get("/v2/_catalog", TOKENS.get("allow-cw").header()), 200);
      assertEquals(List.of(), repositories(r), () -> mode + " catalog for a write-only token: " + r);
      Response all = status(client.get("/v2/_catalog", pusher.header()), 200);
      assertTrue(repositories(all).containsAll(List.of(OTHER, REPO)), () -> mode + " catalog for pusher (*): " + all);
      Response none = error(client.get("/v2/_catalog"), 401, "UNAUTHORIZED");
      assertEquals(challenge(registry, "registry:catalog:*"), none.headerOrNull("WWW-Authenticate"));
    });
    return checks;
  }

  private static List<String> repositories(Response r) {
    List<String> out = new ArrayList<>();
    r.json().path("repositories").forEach(n -> out.add(n.asText()));
    return out;
  }

  @Test
  void readWriteMatrix() {
    assertAll(matrix(false));
  }

  @Test
  void readOnlyMatrixRefusesEveryWriteWith405AndChecksReadsAsBefore() {
    Path config = registry.workDir().resolve("config.yml");
    registry.stop();
    registry.withArgs("--config", config.toString(), "--mode", "ReadOnly").start();
    try {
      assertAll(matrix(true));
      // Mount is a POST: refused as well, before auth.
      Response mount = client.post("/v2/app/y/blobs/uploads/?mount=" + LAYER.digest() + "&from=" + REPO,
          new byte[0], pusher.header());
      error(mount, 405, "UNSUPPORTED");

      // The CLI refuses write actions for a ReadOnly registry (exit 2), accepts read actions.
      Command.Result refused = cli(registry, "token", "create", "--mode", "ReadOnly", "--name", "ro-writer",
          "--repository", "app/*", "content/read", "content/write");
      assertEquals(2, refused.exitCode(), refused::describe);
      assertTrue(refused.stderr().contains("ReadOnly"), refused::describe);
      Credentials reader = createToken(registry, "ro-reader", "--mode", "ReadOnly",
          "--repository", "app/*", "content/read");
      Response get = await(() -> client.get("/v2/" + REPO + "/blobs/" + LAYER.digest(), reader.header()), 200,
          Duration.ofSeconds(5));
      assertArrayEquals(LAYER.data(), status(get, 200).body());
      // A token defined with writes before the switch holds its read actions only now: the token
      // endpoint grants it pull, not push.
      status(client.get("/v2/" + REPO + "/blobs/" + LAYER.digest(), pusher.header()), 200);
      Response issued = status(client.get(tokenUrl("repository:" + REPO + ":pull,push,delete"), pusher.header()), 200);
      Set<String> granted = actions(accessFor(issued.json().path("token").asText(), REPO));
      assertTrue(granted.contains("pull") && !granted.contains("push") && !granted.contains("delete"),
          () -> "a ReadOnly registry grants no write: " + granted);
    } finally {
      registry.stop();
      registry.withArgs("--config", config.toString()).start();
    }
  }

  // ------------------------------------------------------------------------------------------
  // repository patterns, catalog, mount

  @Test
  void aTokenForAppStarCannotReadOtherRepositoriesNorSeeThemInTheCatalog() {
    Credentials reader = TOKENS.get("allow-cr");
    status(client.get("/v2/" + REPO + "/blobs/" + LAYER.digest(), reader.header()), 200);
    error(client.get("/v2/" + OTHER + "/manifests/v1", concat(reader.header(), "Accept", Oci.IMAGE_MANIFEST)),
        403, "DENIED");
    error(client.get("/v2/" + OTHER + "/blobs/" + LAYER.digest(), reader.header()), 403, "DENIED");
    // app/* covers nested names below app/ but not "app" itself nor "apps/...".
    status(client.get("/v2/app/deeper/nested/blobs/" + LAYER.digest(), reader.header()), 404);
    error(client.get("/v2/apps/x/blobs/" + LAYER.digest(), reader.header()), 403, "DENIED");
    Response catalog = status(client.get("/v2/_catalog", reader.header()), 200);
    assertFalse(repositories(catalog).contains(OTHER), catalog::describe);
    assertTrue(repositories(catalog).contains(REPO), catalog::describe);

    // Page by page (n=1), following Link: the same filter, and no Link names a hidden repository.
    for (String repo : List.of("app/a", "zzz/y", "other/z")) {
      pushBlob(client, pusher.header(), repo, CONFIG.data());
      pushBlob(client, pusher.header(), repo, LAYER.data());
      pushManifest(client, pusher.header(), repo, "v1", manifest(CONFIG, LAYER, repo));
    }
    List<String> paged = new ArrayList<>();
    String next = "/v2/_catalog?n=1";
    for (int pages = 0; next != null; pages++) {
      assertTrue(pages < 50, "pagination does not end");
      Response page = status(client.get(next, reader.header()), 200);
      paged.addAll(repositories(page));
      String link = page.headerOrNull("Link");
      assertTrue(link == null || !(link.contains("other") || link.contains("zzz")),
          () -> "a Link must not name a repository the caller may not read: " + page);
      next = link == null ? null : link.substring(link.indexOf('<') + 1, link.indexOf('>'));
    }
    assertTrue(paged.containsAll(List.of("app/a", REPO)), () -> "paged catalog: " + paged);
    assertTrue(paged.stream().allMatch(n -> n.startsWith("app/")), () -> "paged catalog: " + paged);
    assertEquals(paged.size(), new TreeSet<>(paged).size(), () -> "no repository twice: " + paged);
  }

  @Test
  void aMountFromARepositoryTheCallerMayNotReadFallsBackToAPlainUpload() {
    Credentials writer = createToken(registry, "mounter", "--repository", "app/*", "content/read", "content/write");
    String target = "app/mount-" + SEQ.incrementAndGet();
    // other/x holds LAYER, but the token may not read other/x: 202 upload, nothing mounted.
    Response fallback = client.post("/v2/" + target + "/blobs/uploads/?mount=" + LAYER.digest() + "&from=" + OTHER,
        new byte[0], writer.header());
    status(fallback, 202);
    assertTrue(fallback.header("Location").isPresent(), fallback::describe);
    assertEquals(404, pusherStatus("/v2/" + target + "/blobs/" + LAYER.digest()),
        "the blob of a repository the caller may not read must not be mounted");
    // From app/x, which it may read: mounted (201).
    Response mounted = client.post("/v2/" + target + "/blobs/uploads/?mount=" + LAYER.digest() + "&from=" + REPO,
        new byte[0], writer.header());
    status(mounted, 201);
    assertEquals(200, pusherStatus("/v2/" + target + "/blobs/" + LAYER.digest()));
  }

  // ------------------------------------------------------------------------------------------
  // password lifecycle through the CLI of the running registry

  @Test
  void anExpiredPasswordIsRefused() {
    // A password that could never be used is refused when defined, naming the option.
    Command.Result past = cli(registry, "token", "create", "--name", "expired-past", "--repository",
        "app/*", "content/read", "--expiry", "2020-01-01T00:00:00Z");
    assertEquals(2, past.exitCode(), past::describe);
    assertTrue(past.stderr().contains("--expiry: 2020-01-01T00:00:00Z is in the past"), past::describe);

    Credentials soon = createToken(registry, "expires-soon", "--repository", "app/*", "content/read",
        "--expiry", "PT6S");
    Instant expires = Instant.now().plusSeconds(6);
    status(client.get("/v2/" + REPO + "/blobs/" + LAYER.digest(), soon.header()), 200);
    long wait = Duration.between(Instant.now(), expires).toMillis() + 700;
    sleep(Math.max(0, wait));
    // The login was cached while valid; the cache must not outlive the password.
    error(client.get("/v2/" + REPO + "/blobs/" + LAYER.digest(), soon.header()), 401, "UNAUTHORIZED");
  }

  @Test
  void aDisabledTokenIsRefusedWithinASecondAndWorksAgainWhenEnabled() {
    Credentials t = createToken(registry, "toggled", "--repository", "app/*", "content/read");
    String path = "/v2/" + REPO + "/blobs/" + LAYER.digest();
    status(client.get(path, t.header()), 200);

    cli(registry, "token", "update", "toggled", "--status", "disabled").assertOk();
    Instant changed = Instant.now();
    Response refused = await(() -> client.get(path, t.header()), 401, Duration.ofSeconds(5));
    error(refused, 401, "UNAUTHORIZED");
    assertTrue(Duration.between(changed, Instant.now()).toMillis() < 4000,
        "the running registry should notice the CLI's change within about a second");

    cli(registry, "token", "update", "toggled", "--status", "enabled").assertOk();
    status(await(() -> client.get(path, t.header()), 200, Duration.ofSeconds(5)), 200);
  }

  @Test
  void rotationTheSecondPasswordWorksWhileTheFirstIsDeleted() {
    Credentials first = createToken(registry, "rotated", "--repository", "app/*", "content/read");
    String path = "/v2/" + REPO + "/blobs/" + LAYER.digest();
    status(client.get(path, first.header()), 200);

    Command.Result generated = cli(registry, "token", "password", "rotated", "--slot", "2").assertOk();
    JsonNode json = io.connectedregistry.e2e.support.ImageTools.readJson(generated.stdout());
    assertEquals("rotated", json.path("name").asText());
    assertEquals(2, json.path("slot").asInt());
    Credentials second = first.withPassword(json.path("password").asText());
    assertNotEquals(first.password(), second.password());
    status(await(() -> client.get(path, second.header()), 200, Duration.ofSeconds(5)), 200);
    status(client.get(path, first.header()), 200);

    cli(registry, "token", "password", "rotated", "--slot", "1", "--delete").assertOk();
    error(await(() -> client.get(path, first.header()), 401, Duration.ofSeconds(5)), 401, "UNAUTHORIZED");
    status(client.get(path, second.header()), 200);
  }

  @Test
  void aWrongPasswordOrUnknownTokenIsRefusedWith401AndAChallenge() {
    String path = "/v2/" + REPO + "/blobs/" + LAYER.digest();
    Response wrong = error(client.get(path, pusher.withPassword(pusher.password() + "x").header()), 401,
        "UNAUTHORIZED");
    assertTrue(wrong.headerOrNull("WWW-Authenticate").startsWith("Bearer realm=\"http://" + registry.hostPort()),
        wrong::describe);
    error(client.get(path, new Credentials("nobody-here", "whatever-password").header()), 401, "UNAUTHORIZED");
    error(client.get(path, "Authorization", "Basic !!!notbase64"), 401, "UNAUTHORIZED");
    error(client.get(path, "Authorization", "Bearer not.a.jwt"), 401, "UNAUTHORIZED");

    // The base endpoint: a challenge without credentials or with bad ones, 200 with good ones.
    Response base = error(client.get("/v2/"), 401, "UNAUTHORIZED");
    assertEquals(challenge(registry, null), base.headerOrNull("WWW-Authenticate"));
    error(client.get("/v2/", pusher.withPassword("nope-nope-nope").header()), 401, "UNAUTHORIZED");
    status(client.get("/v2/", TOKENS.get("allow-cw").header()), 200);
  }

  // ------------------------------------------------------------------------------------------
  // the Bearer token protocol by hand

  private static String tokenUrl(String... scopes) {
    StringBuilder sb = new StringBuilder("/oauth2/token?service=" + RegistryClient.encode(registry.hostPort()));
    for (String s : scopes) {
      sb.append("&scope=").append(RegistryClient.encode(s));
    }
    return sb.toString();
  }

  private static JsonNode accessFor(String jwt, String repository) {
    for (JsonNode a : jwtPayload(jwt).path("access")) {
      if (a.path("type").asText().equals("repository") && a.path("name").asText().equals(repository)) {
        return a.path("actions");
      }
    }
    return null;
  }

  private static Set<String> actions(JsonNode array) {
    Set<String> out = new TreeSet<>();
    if (array != null) {
      array.forEach(n -> out.add(n.asText()));
    }
    return out;
  }

  @Test
  void theTokenEndpointGrantsTheIntersectionOfRequestedAndAllowedActions() {
    Credentials reader = TOKENS.get("allow-cr");
    Response r = status(client.get(tokenUrl("repository:" + REPO + ":pull,push"), reader.header()), 200);
    JsonNode body = r.json();
    String token = body.path("token").asText();
    assertEquals(token, body.path("access_token").asText(), r::describe);
    assertEquals(120, body.path("expires_in").asLong(), "auth.tokenLifetime: PT2M: " + r);
    JsonNode claims = jwtPayload(token);
    assertEquals(120, claims.path("exp").asLong() - claims.path("iat").asLong(), claims::toString);
    assertTrue(body.path("issued_at").isTextual(), r::describe);
    assertFalse(body.has("refresh_token"), r::describe);
    assertEquals(Set.of("pull"), actions(accessFor(token, REPO)), () -> jwtPayload(token).toString());

    // The Bearer token reads; it cannot write (the token's scope map has no write: 403).
    String path = "/v2/" + REPO + "/blobs/" + LAYER.digest();
    assertArrayEquals(LAYER.data(), status(client.get(path, bearer(token)), 200).body());
    error(client.post("/v2/" + REPO + "/blobs/uploads/", new byte[0], bearer(token)), 403, "DENIED");
    // Nor another repository it was not issued for (its scope map lacks other/x: 403).
    error(client.get("/v2/" + OTHER + "/blobs/" + LAYER.digest(), bearer(token)), 403, "DENIED");

    // pusher may do everything; asking for pull only gives pull (+ metadata_read), and a push then
    // needs a wider token: 401 insufficient_scope naming the scope to ask for.
    Response narrow = status(client.get(tokenUrl("repository:" + REPO + ":pull"), pusher.header()), 200);
    String pullOnly = narrow.json().path("token").asText();
    assertEquals(Set.of("pull", "metadata_read"), actions(accessFor(pullOnly, REPO)));
    Response insufficient = error(client.post("/v2/" + REPO + "/blobs/uploads/", new byte[0], bearer(pullOnly)),
        401, "UNAUTHORIZED");
    String header = insufficient.headerOrNull("WWW-Authenticate");
    assertEquals(challenge(registry, "repository:" + REPO + ":pull,push") + ",error=\"insufficient_scope\"",
        header, insufficient::describe);
    // Same for a repository the Bearer token does not name although pusher's map covers it.
    Response other = error(client.get("/v2/" + OTHER + "/blobs/" + LAYER.digest(), bearer(pullOnly)), 401,
        "UNAUTHORIZED");
    assertTrue(other.headerOrNull("WWW-Authenticate").contains("error=\"insufficient_scope\""), other::describe);

    Response wide = status(client.get(tokenUrl("repository:" + REPO + ":pull,push"), pusher.header()), 200);
    String pushToken = wide.json().path("token").asText();
    assertEquals(Set.of("pull", "push", "metadata_read"), actions(accessFor(pushToken, REPO)));
    status(client.post("/v2/" + REPO + "/blobs/uploads/", new byte[0], bearer(pushToken)), 202);

    // Bad credentials at the token endpoint: 401; none at all (anonymous is off): 401.
    error(client.get(tokenUrl("repository:" + REPO + ":pull"), reader.withPassword("wrong-password").header()),
        401, "UNAUTHORIZED");
    error(client.get(tokenUrl("repository:" + REPO + ":pull")), 401, "UNAUTHORIZED");
  }

  @Test
  void theCatalogNeedsTheCatalogScopeInABearerToken() {
    Credentials reader = TOKENS.get("allow-cr");
    String without = status(client.get(tokenUrl("repository:" + REPO + ":pull"), reader.header()), 200)
        .json().path("token").asText();
    Response refused = error(client.get("/v2/_catalog", bearer(without)), 401, "UNAUTHORIZED");
    assertTrue(refused.headerOrNull("WWW-Authenticate").contains("scope=\"registry:catalog:*\""), refused::describe);
    String with = status(client.get(tokenUrl("registry:catalog:*"), reader.header()), 200)
        .json().path("token").asText();
    Response listed = status(client.get("/v2/_catalog", bearer(with)), 200);
    assertTrue(repositories(listed).contains(REPO) && !repositories(listed).contains(OTHER), listed::describe);
  }

  @Test
  void aBearerTokenStaysValidAcrossARestart() {
    Response r = status(client.get(tokenUrl("repository:" + REPO + ":pull"), TOKENS.get("allow-cr").header()), 200);
    String token = r.json().path("token").asText();
    String path = "/v2/" + REPO + "/blobs/" + LAYER.digest();
    status(client.get(path, bearer(token)), 200);
    assertTrue(Files.isRegularFile(registry.dataDir().resolve("token-signing.key")));

    registry.restart();

    assertArrayEquals(LAYER.data(), status(client.get(path, bearer(token)), 200).body(),
        "a Bearer token issued before the restart should still be accepted");
    // A forged signature is not.
    String forged = token.substring(0, token.lastIndexOf('.') + 1) + "AAAA" + token.substring(token.lastIndexOf('.') + 5);
    error(client.get(path, bearer(forged)), 401, "UNAUTHORIZED");
  }

  @Test
  void thePostGrantTypesPasswordAndRefreshToken() {
    Credentials reader = TOKENS.get("allow-cr");
    String service = registry.hostPort();
    Response password = status(form("grant_type=password&username=" + reader.name() + "&password="
        + RegistryClient.encode(reader.password()) + "&service=" + RegistryClient.encode(service)
        + "&scope=" + RegistryClient.encode("repository:" + REPO + ":pull") + "&access_type=offline"), 200);
    JsonNode body = password.json();
    String access = body.path("access_token").asText();
    String refresh = body.path("refresh_token").asText();
    assertFalse(access.isEmpty(), password::describe);
    assertFalse(refresh.isEmpty(), "access_type=offline asks for a refresh token: " + password);
    assertNotEquals(access, refresh);
    String path = "/v2/" + REPO + "/blobs/" + LAYER.digest();
    status(client.get(path, bearer(access)), 200);
    // A refresh token is not an access token.
    error(client.get(path, bearer(refresh)), 401, "UNAUTHORIZED");

    Response refreshed = status(form("grant_type=refresh_token&refresh_token=" + refresh + "&service="
        + RegistryClient.encode(service) + "&scope=" + RegistryClient.encode("repository:" + REPO + ":pull")), 200);
    String access2 = refreshed.json().path("access_token").asText();
    assertEquals(Set.of("pull"), actions(accessFor(access2, REPO)));
    status(client.get(path, bearer(access2)), 200);

    // Without access_type=offline: no refresh token.
    Response online = status(form("grant_type=password&username=" + reader.name() + "&password="
        + RegistryClient.encode(reader.password()) + "&service=" + RegistryClient.encode(service)), 200);
    assertFalse(online.json().has("refresh_token"), online::describe);

    error(form("grant_type=password&username=" + reader.name() + "&password=wrong-one&service=x"), 401,
        "UNAUTHORIZED");
    error(form("grant_type=refresh_token&refresh_token=" + access + "&service=x"), 401, "UNAUTHORIZED");
    error(form("grant_type=refresh_token&refresh_token=garbage&service=x"), 401, "UNAUTHORIZED");
    error(form("grant_type=client_credentials&service=x"), 400, "REQUEST_INVALID");
  }

  private static Response form(String body) {
    return client.post("/oauth2/token", body.getBytes(StandardCharsets.UTF_8),
        "Content-Type", "application/x-www-form-urlencoded");
  }

  @Test
  void aBearerTokenOfATokenDisabledLaterIsRefused() {
    Credentials t = createToken(registry, "bearer-off", "--repository", "app/*", "content/read");
    JsonNode issued = status(client.get(tokenUrl("repository:" + REPO + ":pull") + "&offline_token=true",
        t.header()), 200).json();
    String token = issued.path("token").asText();
    String refresh = issued.path("refresh_token").asText();
    assertFalse(refresh.isEmpty(), "offline_token=true asks for a refresh token: " + issued);
    String path = "/v2/" + REPO + "/blobs/" + LAYER.digest();
    status(client.get(path, bearer(token)), 200);
    status(form("grant_type=refresh_token&refresh_token=" + refresh + "&service=x"), 200);
    cli(registry, "token", "update", "bearer-off", "--status", "disabled").assertOk();
    Response refused = await(() -> client.get(path, bearer(token)), 401, Duration.ofSeconds(5));
    error(refused, 401, "UNAUTHORIZED");
    // Nor can its refresh token (issued while enabled) get a new one.
    error(form("grant_type=refresh_token&refresh_token=" + refresh + "&service=x"), 401, "UNAUTHORIZED");

    // Deleted: its password is refused too.
    Credentials gone = createToken(registry, "deleted-later", "--repository", "app/*", "content/read");
    status(client.get(path, gone.header()), 200);
    cli(registry, "token", "delete", "deleted-later").assertOk();
    error(await(() -> client.get(path, gone.header()), 401, Duration.ofSeconds(5)), 401, "UNAUTHORIZED");
  }

  // ------------------------------------------------------------------------------------------
  // the anonymous policies

  @Test
  void withAnonymousPullTrueAnonymousClientsPullButDoNotPush() {
    RegistryProcess r = AuthSupport.prepareWithConfig("auth-anon-pull", "auth:\n  anonymousPull: true\n");
    try {
      r.start();
      assertTrue(r.log().contains("anonymous access: pull only"), () -> r.logTail(20));
      RegistryClient c = new RegistryClient(r);
      Credentials p = createToken(r, "pusher", "--repository", "*", "content/read", "content/write");
      pushBlob(c, p.header(), "pub/img", CONFIG.data());
      pushBlob(c, p.header(), "pub/img", LAYER.data());
      Oci.Manifest m = manifest(CONFIG, LAYER, "anon");
      pushManifest(c, p.header(), "pub/img", "v1", m);

      assertArrayEquals(m.bytes(), status(c.get("/v2/pub/img/manifests/v1", "Accept", Oci.IMAGE_MANIFEST), 200).body());
      assertArrayEquals(LAYER.data(), status(c.get("/v2/pub/img/blobs/" + LAYER.digest()), 200).body());
      status(c.get("/v2/pub/img/tags/list"), 200);
      status(c.get("/v2/_catalog"), 200);
      // GET /v2/ still challenges anonymous callers (so docker login knows to log in).
      Response base = error(c.get("/v2/"), 401, "UNAUTHORIZED");
      assertEquals(challenge(r, null), base.headerOrNull("WWW-Authenticate"));
      status(c.get("/v2/", p.header()), 200);
      Response push = error(c.post("/v2/pub/img/blobs/uploads/", new byte[0]), 401, "UNAUTHORIZED");
      assertEquals(challenge(r, "repository:pub/img:pull,push"), push.headerOrNull("WWW-Authenticate"));
      Response put = error(c.put("/v2/pub/img/manifests/v2", m.bytes(), "Content-Type", Oci.IMAGE_MANIFEST), 401,
          "UNAUTHORIZED");
      assertEquals(404, c.head("/v2/pub/img/manifests/v2", "Accept", Oci.IMAGE_MANIFEST).status(), put::describe);
      error(c.delete("/v2/pub/img/manifests/" + m.digest()), 401, "UNAUTHORIZED");
      // An anonymous Bearer token from the token endpoint carries pull only.
      String anon = status(c.get("/oauth2/token?service=" + r.hostPort() + "&scope="
          + RegistryClient.encode("repository:pub/img:pull,push")), 200).json().path("token").asText();
      JsonNode payload = jwtPayload(anon);
      assertTrue(payload.toString().contains("pull") && !payload.toString().contains("\"push\""), payload::toString);
    } finally {
      r.close();
    }
  }

  @Test
  void withoutAnAuthSectionAnonymousClientsMayPushOnLoopback() {
    RegistryProcess r = RegistryProcess.startFresh("auth-default");
    try {
      assertTrue(r.log().contains("anonymous access: on, every action (listening on loopback"), () -> r.logTail(20));
      RegistryClient c = new RegistryClient(r);
      String[] none = new String[0];
      pushBlob(c, none, "free/img", CONFIG.data());
      pushBlob(c, none, "free/img", LAYER.data());
      Oci.Manifest m = manifest(CONFIG, LAYER, "free");
      pushManifest(c, none, "free/img", "v1", m);
      assertArrayEquals(m.bytes(), status(c.get("/v2/free/img/manifests/v1", "Accept", Oci.IMAGE_MANIFEST), 200).body());
      assertEquals(List.of("free/img"), repositories(status(c.get("/v2/_catalog"), 200)));
      status(c.get("/v2/"), 200);
      status(c.delete("/v2/free/img/manifests/" + m.digest()), 202);
      status(c.head("/v2/free/img/manifests/" + m.digest(), "Accept", Oci.IMAGE_MANIFEST), 404);
    } finally {
      r.close();
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
