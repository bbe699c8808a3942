package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.AuthSupport.createToken;
import static io.connectedregistry.e2e.support.AuthSupport.pushBlob;
import static io.connectedregistry.e2e.support.Expect.error;
import static io.connectedregistry.e2e.support.Expect.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import io.connectedregistry.e2e.support.AuthSupport;
import io.connectedregistry.e2e.support.AuthSupport.Credentials;
import io.connectedregistry.e2e.support.Digests;
import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
import io.connectedregistry.e2e.support.Response;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Changing the configuration of a running registry: {@code PUT /_connected/v1/config} (the managed
 * layer) and an edited file + SIGHUP, while pulls and pushes are in flight; {@code GET
 * /_connected/v1/config} shows each key's value and source, admin only, secrets masked.
 *
 * <p>One root registry for all tests; after each, the file is written back and the managed layer
 * emptied, so every test starts from {@link #FILE}.
 */
class LiveConfigTest {
  private static final String CONFIG = "/_connected/v1/config";
  private static final String FILE = "auth:\n  anonymousPull: false\n  adminTokens: [root-admin]\n";
  private static final byte[] BLOB = "live config blob".getBytes(StandardCharsets.UTF_8);
  private static final String BLOB_PATH = "/v2/app/x/blobs/" + Digests.sha256(BLOB);

  private static RegistryProcess registry;
  private static RegistryClient client;
  private static Credentials admin;
  private static Credentials reader;

  @BeforeAll
  static void startRegistry() {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "live configuration is this registry's own");
    registry = AuthSupport.prepareWithConfig("live-config", FILE);
    admin = createToken(registry, "root-admin", "--repository", "*", "content/read", "content/write",
        "content/delete", "metadata/read", "metadata/write");
    reader = createToken(registry, "plain-reader", "--repository", "*", "content/read", "metadata/read");
    registry.start();
    client = new RegistryClient(registry);
    pushBlob(client, admin.header(), "app/x", BLOB);
  }

  @AfterAll
  static void stopRegistry() {
    if (registry != null) {
      registry.close();
    }
  }

  @AfterEach
  void backToTheFile() {
    AuthSupport.writeConfig(registry, FILE);
    status(put("{}"), 200);
  }

  private static Response put(String json) {
    return client.put(CONFIG, json.getBytes(StandardCharsets.UTF_8),
        concat(admin.header(), "Content-Type", "application/json"));
  }

  private static JsonNode keys() {
    return status(client.get(CONFIG, admin.header()), 200).json().path("keys");
  }

  private static URI startUpload(String repo) {
    return status(client.post("/v2/" + repo + "/blobs/uploads/", new byte[0], admin.header()), 202)
        .location();
  }

  private static String[] concat(String[] a, String... b) {
    return AuthSupport.concat(a, b);
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  /** GETs the blob with the reader's token until stopped (at most 2,000 times); counts failures. */
  private static final class PullLoop implements AutoCloseable {
    final AtomicBoolean stop = new AtomicBoolean();
    final AtomicInteger pulls = new AtomicInteger();
    final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    final Thread thread = new Thread(() -> {
      Instant deadline = Instant.now().plusSeconds(60);
      while (!stop.get() && pulls.get() < 2000 && Instant.now().isBefore(deadline)) {
        Response r = client.get(BLOB_PATH, reader.header());
        pulls.incrementAndGet();
        if (r.status() != 200) {
          failures.add(r.describe());
        }
      }
    }, "pull-loop");

    PullLoop() {
      thread.start();
    }

    @Override
    public void close() throws InterruptedException {
      stop.set(true);
      thread.join(30_000);
      assertTrue(pulls.get() > 0, "the pull loop should have pulled");
      assertEquals(List.of(), failures, "no pull may fail because of a reload");
    }
  }

  @Test
  void config_is_admin_only_and_shows_each_value_with_its_source() {
    error(client.get(CONFIG), 401, "UNAUTHORIZED");
    error(client.get(CONFIG, reader.header()), 403, "DENIED");
    error(client.put(CONFIG, "{}".getBytes(StandardCharsets.UTF_8), reader.header()), 403, "DENIED");

    JsonNode keys = keys();

    assertEquals(registry.hostPort(), keys.path("listen").path("value").asText());
    assertEquals("flags", keys.path("listen").path("source").asText());
    assertEquals("[root-admin]", keys.path("auth.adminTokens").path("value").asText());
    assertEquals("file", keys.path("auth.adminTokens").path("source").asText());
    assertEquals("ReadWrite", keys.path("mode").path("value").asText());
    assertEquals("default", keys.path("mode").path("source").asText());
  }

  @Test
  void secrets_are_shown_as_stars_and_never_logged() {
    String secret = "do-not-show-this-9f3a";
    Response r = status(put("{\"mode\": \"ReadWrite\", \"parent\": {\"endpoint\": \"127.0.0.1:9\","
        + " \"protocol\": \"http\", \"username\": \"sync-token\", \"password\": \"" + secret + "\"}}"), 200);

    assertTrue(texts(r.json().path("restartRequired")).contains("parent.password"), r::describe);
    Response shown = status(client.get(CONFIG, admin.header()), 200);
    assertFalse(shown.text().contains(secret), shown::describe);
    assertEquals("***", shown.json().path("keys").path("parent.password").path("pendingRestart").asText(),
        shown::describe);
    assertFalse(registry.log().contains(secret), "the parent's password must never be logged");
  }

  @Test
  void a_mode_switch_during_a_push_fails_that_push_cleanly_and_refuses_the_next_ones() throws Exception {
    try (PullLoop pulls = new PullLoop()) {
      URI upload = startUpload("app/y");
      byte[] part = "first part of an upload".getBytes(StandardCharsets.UTF_8);
      status(client.patch(upload.toString(), part, concat(admin.header(),
          "Content-Type", "application/octet-stream")), 202);

      Response switched = status(put("{\"mode\": \"ReadOnly\"}"), 200);
      assertEquals(List.of("mode"), texts(switched.json().path("applied")), switched::describe);

      // The push in flight: its next request is refused whole, nothing half-written is served.
      error(client.put(RegistryClient.withQuery(upload, "digest", Digests.sha256(part)), new byte[0],
          concat(admin.header(), "Content-Type", "application/octet-stream")), 405, "UNSUPPORTED");
      error(client.get("/v2/app/y/blobs/" + Digests.sha256(part), admin.header()), 404, "BLOB_UNKNOWN");
      // New pushes: 405 UNSUPPORTED, whoever asks.
      error(client.post("/v2/app/y/blobs/uploads/", new byte[0], admin.header()), 405, "UNSUPPORTED");
      assertEquals("ReadOnly", keys().path("mode").path("value").asText());
      assertEquals("managed (twin / config API)", keys().path("mode").path("source").asText());

      status(put("{\"mode\": \"ReadWrite\"}"), 200);
      pushBlob(client, admin.header(), "app/y", "after the switch back".getBytes(StandardCharsets.UTF_8));
    }
  }

  @Test
  void a_push_in_flight_completes_across_a_reload_of_live_keys() throws Exception {
    try (PullLoop pulls = new PullLoop()) {
      byte[] data = "pushed across a reload".getBytes(StandardCharsets.UTF_8);
      URI upload = startUpload("app/z");
      status(client.patch(upload.toString(), data, concat(admin.header(),
          "Content-Type", "application/octet-stream")), 202);

      Response r = status(put("{\"logLevel\": \"Debug\", \"auth\": {\"tokenLifetime\": \"PT10M\","
          + " \"failedLoginsPerMinute\": 20, \"anonymousPull\": true,"
          + " \"adminTokens\": [\"root-admin\", \"second-admin\"]}, \"storage\": {\"gcInterval\": \"PT6H\","
          + " \"gcGrace\": \"PT2H\", \"uploadExpiry\": \"PT12H\", \"uploadMaxAge\": \"P3D\"}}"), 200);
      assertEquals(List.of("auth.adminTokens", "auth.anonymousPull", "auth.failedLoginsPerMinute", "auth.tokenLifetime",
          "logLevel", "storage.gcGrace", "storage.gcInterval", "storage.uploadExpiry",
          "storage.uploadMaxAge"), texts(r.json().path("applied")), r::describe);

      status(client.put(RegistryClient.withQuery(upload, "digest", Digests.sha256(data)), new byte[0],
          concat(admin.header(), "Content-Type", "application/octet-stream")), 201);
      status(client.get("/v2/app/z/blobs/" + Digests.sha256(data), reader.header()), 200);
      assertEquals("Debug", keys().path("logLevel").path("value").asText());
    }
  }

  @Test
  void a_new_upload_expiry_applies_without_a_restart() {
    URI upload = startUpload("app/stale");
    status(client.get(upload.toString(), admin.header()), 204);

    Response r = status(put("{\"storage\": {\"uploadExpiry\": \"PT1S\"}}"), 200);
    assertEquals(List.of("storage.uploadExpiry"), texts(r.json().path("applied")), r::describe);

    // The sweep now runs every second and deletes uploads untouched for a second.
    error(AuthSupport.await(() -> client.get(upload.toString(), admin.header()), 404, Duration.ofSeconds(15)),
        404, "BLOB_UPLOAD_UNKNOWN");
  }

  @Test
  void an_invalid_document_changes_nothing_and_names_every_bad_key() {
    JsonNode before = keys();

    Response r = error(put("{\"mode\": \"Sideways\", \"logLevel\": \"Loud\", \"sync\": {\"schedule\": \"x\"},"
        + " \"storage\": {\"gcInterval\": \"soon\"}, \"bogus\": 1}"), 400, "REQUEST_INVALID");

    String detail = r.json().path("errors").path(0).path("detail").asText();
    for (String key : List.of("mode", "logLevel", "sync.schedule", "storage.gcInterval", "'bogus'")) {
      assertTrue(detail.contains(key), () -> key + " should be named: " + detail);
    }
    assertEquals(before, keys());
    pushBlob(client, admin.header(), "app/x", "still ReadWrite".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void listen_is_reported_as_restart_required_and_not_applied() {
    Response r = status(put("{\"listen\": \"127.0.0.1:1\", \"logLevel\": \"Warning\"}"), 200);

    assertEquals(List.of("logLevel"), texts(r.json().path("applied")), r::describe);
    assertEquals(List.of("listen"), texts(r.json().path("restartRequired")), r::describe);
    JsonNode listen = keys().path("listen");
    assertEquals(registry.hostPort(), listen.path("value").asText());
    assertEquals("127.0.0.1:1", listen.path("pendingRestart").asText());
    status(client.get(BLOB_PATH, reader.header()), 200);
  }

  @Test
  void sighup_rereads_the_file_and_a_bad_file_changes_nothing() throws Exception {
    error(client.get(BLOB_PATH), 401, "UNAUTHORIZED");
    try (PullLoop pulls = new PullLoop()) {
      AuthSupport.writeConfig(registry, "auth:\n  anonymousPull: true\n  adminTokens: [root-admin]\n");
      registry.sighup();

      status(AuthSupport.await(() -> client.get(BLOB_PATH), 200, Duration.ofSeconds(10)), 200);
      assertEquals("file", keys().path("auth.anonymousPull").path("source").asText());

      AuthSupport.writeConfig(registry, "mode: Sideways\nlogLevel: Loud\n"
          + "auth:\n  anonymousPull: false\n  adminTokens: [root-admin]\n");
      registry.sighup();
      awaitLog("configuration file not applied", Duration.ofSeconds(10));

      assertTrue(registry.isAlive());
      String refused = registry.log().lines().filter(l -> l.contains("configuration file not applied"))
          .reduce((a, b) -> b).orElseThrow();
      assertTrue(refused.contains("mode") && refused.contains("logLevel"), refused);
      status(client.get(BLOB_PATH), 200);
      assertEquals("true", keys().path("auth.anonymousPull").path("value").asText());
    }
  }

  private static void awaitLog(String text, Duration timeout) {
    Instant deadline = Instant.now().plus(timeout);
    while (!registry.log().contains(text) && Instant.now().isBefore(deadline)) {
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    assertTrue(registry.log().contains(text), () -> "log should contain '" + text + "': "
        + registry.logTail(20));
  }
}
