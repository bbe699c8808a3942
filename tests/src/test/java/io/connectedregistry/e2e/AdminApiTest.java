package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.AuthSupport.bearer;
import static io.connectedregistry.e2e.support.AuthSupport.createToken;
import static io.connectedregistry.e2e.support.AuthSupport.pushBlob;
import static io.connectedregistry.e2e.support.Expect.error;
import static io.connectedregistry.e2e.support.Expect.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import io.connectedregistry.e2e.support.AuthSupport;
import io.connectedregistry.e2e.support.AuthSupport.Credentials;
import io.connectedregistry.e2e.support.Digests;
import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
import io.connectedregistry.e2e.support.Response;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The admin API {@code /_connected/v1/admin/} over HTTP: tokens and scope maps created, listed,
 * shown, updated and deleted by an admin token ({@code auth.adminTokens}); what it creates takes
 * effect at once; non-admins get 403, no credentials 401; conflicts 409, unknown names 404,
 * invalid input 400, and {@code auth.limits.maxTokens} 409 LIMIT_EXCEEDED.
 *
 * <p>The registry holds two tokens between tests (root-admin, plain-user); {@code maxTokens: 3}.
 * Each test deletes what it created.
 */
class AdminApiTest {

  private static final String ADMIN = "/_connected/v1/admin";
  private static RegistryProcess registry;
  private static RegistryClient client;
  private static Credentials root;
  private static Credentials plain;
  private static final byte[] BLOB = "admin api blob".getBytes(StandardCharsets.UTF_8);
  private static final String BLOB_PATH = "/v2/app/x/blobs/" + Digests.sha256(BLOB);

  @BeforeAll
  static void startRegistry() {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "token auth is this registry's own");
    registry = AuthSupport.prepareWithConfig("admin-api", "auth:\n"
        + "  anonymousPull: false\n"
        + "  adminTokens: [root-admin]\n"
        + "  limits:\n"
        + "    maxTokens: 3\n");
    // Tokens made with the CLI before the first start (a stopped registry's data folder).
    root = createToken(registry, "root-admin", "--repository", "*", "content/read", "content/write",
        "content/delete", "metadata/read", "metadata/write");
    plain = createToken(registry, "plain-user", "--repository", "app/*", "content/read");
    registry.start();
    assertFalse(registry.log().contains("which does not exist"), () -> registry.logTail(20));
    client = new RegistryClient(registry);
    pushBlob(client, root.header(), "app/x", BLOB);
  }

  @AfterAll
  static void stopRegistry() {
    if (registry != null) {
      registry.close();
    }
  }

  /** Leaves the two base tokens only, whatever a failed test left behind. */
  @AfterEach
  void cleanUp() {
    for (String name : tokenNames()) {
      if (!name.equals(root.name()) && !name.equals(plain.name())) {
        client.delete(ADMIN + "/tokens/" + name, root.header());
      }
    }
  }

  private static Response adminGet(String path) {
    return client.get(ADMIN + path, root.header());
  }

  private static Response adminSend(String method, String path, String json) {
    return client.send(method, ADMIN + path,
        java.net.http.HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8),
        AuthSupport.concat(root.header(), "Content-Type", "application/json"));
  }

  private static List<String> tokenNames() {
    List<String> names = new ArrayList<>();
    status(adminGet("/tokens"), 200).json().forEach(t -> names.add(t.path("name").asText()));
    return names;
  }

  private static void assertNoSecrets(Response r) {
    String text = r.text();
    assertFalse(text.contains("\"password\"") || text.contains("hash") || text.contains("pbkdf2"),
        () -> "a listing must not show passwords or hashes: " + r);
  }

  @Test
  void onlyAdminTokensMayCallTheAdminApi() {
    Response none = error(client.get(ADMIN + "/tokens"), 401, "UNAUTHORIZED");
    assertTrue(none.header("WWW-Authenticate").isPresent(), none::describe);
    error(client.get(ADMIN + "/scope-maps"), 401, "UNAUTHORIZED");
    error(client.get(ADMIN + "/tokens", root.withPassword("wrong-password").header()), 401, "UNAUTHORIZED");
    error(client.get(ADMIN + "/tokens", plain.header()), 403, "DENIED");
    error(client.post(ADMIN + "/tokens", ("{\"name\":\"sneaky-one\",\"repositories\":[{\"repository\":\"*\","
        + "\"actions\":[\"content/write\"]}]}").getBytes(StandardCharsets.UTF_8),
        AuthSupport.concat(plain.header(), "Content-Type", "application/json")), 403, "DENIED");
    assertFalse(tokenNames().contains("sneaky-one"), "a refused call must not create anything");

    Response list = status(adminGet("/tokens"), 200);
    assertEquals(List.of("plain-user", "root-admin"), tokenNames().stream().sorted().toList(), list::describe);
    assertNoSecrets(list);
  }

  /**
   * A Bearer token carries repository scopes for registry clients; whatever token it came from, it
   * does not open the admin API, which takes the admin token's own credentials (Basic).
   */
  @Test
  void aBearerTokenNeverOpensTheAdminApi() {
    for (String scope : List.of("repository:app/x:pull", "repository:*:*", "registry:catalog:*")) {
      String adminBearer = status(client.get("/oauth2/token?service=x&scope=" + RegistryClient.encode(scope),
          root.header()), 200).json().path("token").asText();
      Response refused = error(client.get(ADMIN + "/tokens", bearer(adminBearer)), 401, "UNAUTHORIZED");
      assertEquals("Basic realm=\"connected-registry admin\"", refused.headerOrNull("WWW-Authenticate"),
          refused::describe);
      error(client.post(ADMIN + "/tokens",
          "{\"name\":\"bearer-made\",\"repositories\":[{\"repository\":\"*\",\"actions\":[\"content/read\"]}]}"
              .getBytes(StandardCharsets.UTF_8), AuthSupport.concat(bearer(adminBearer), "Content-Type",
              "application/json")), 401, "UNAUTHORIZED");
    }
    assertFalse(tokenNames().contains("bearer-made"), "a refused call must not create anything");
    String plainBearer = status(client.get("/oauth2/token?service=x&scope="
        + RegistryClient.encode("repository:app/x:pull"), plain.header()), 200).json().path("token").asText();
    error(client.get(ADMIN + "/tokens", bearer(plainBearer)), 401, "UNAUTHORIZED");
    // Basic credentials of the admin token still work.
    status(adminGet("/tokens"), 200);
  }

  /** A refresh token stops working when the password it was issued for is regenerated or deleted. */
  @Test
  void aRefreshTokenIsRevokedWithThePasswordSlotItCameFrom() {
    Response created = status(adminSend("POST", "/tokens", "{\"name\":\"refresh-user\",\"repositories\":"
        + "[{\"repository\":\"app/*\",\"actions\":[\"content/read\"]}]}"), 201);
    Credentials first = new Credentials("refresh-user", created.json().path("password").asText());
    Credentials second = first.withPassword(status(adminSend("POST", "/tokens/refresh-user/passwords/2", "{}"), 200)
        .json().path("password").asText());
    String fromFirst = refreshToken(first);
    String fromSecond = refreshToken(second);
    status(refresh(fromFirst), 200);
    status(refresh(fromSecond), 200);

    // Password 1 regenerated (e.g. it leaked): its refresh tokens die with it; password 2's live on.
    status(adminSend("POST", "/tokens/refresh-user/passwords/1", "{}"), 200);
    error(refresh(fromFirst), 401, "UNAUTHORIZED");
    status(refresh(fromSecond), 200);

    // Password 2 deleted: the same.
    status(client.delete(ADMIN + "/tokens/refresh-user/passwords/2", root.header()), 204);
    error(refresh(fromSecond), 401, "UNAUTHORIZED");
  }

  private static String refreshToken(Credentials c) {
    Response r = status(client.post("/oauth2/token", ("grant_type=password&username=" + c.name() + "&password="
        + RegistryClient.encode(c.password()) + "&service=x&access_type=offline").getBytes(StandardCharsets.UTF_8),
        "Content-Type", "application/x-www-form-urlencoded"), 200);
    String token = r.json().path("refresh_token").asText();
    assertFalse(token.isEmpty(), r::describe);
    return token;
  }

  private static Response refresh(String refreshToken) {
    return client.post("/oauth2/token", ("grant_type=refresh_token&service=x&refresh_token=" + refreshToken)
        .getBytes(StandardCharsets.UTF_8), "Content-Type", "application/x-www-form-urlencoded");
  }

  @Test
  void aTokenCreatedOverHttpLogsInAndFollowsItsLifecycle() {
    Response created = adminSend("POST", "/tokens", "{\"name\":\"ci-token\",\"repositories\":"
        + "[{\"repository\":\"app/*\",\"actions\":[\"content/read\",\"content/write\"]}]}");
    status(created, 201);
    JsonNode body = created.json();
    assertEquals("ci-token", body.path("name").asText(), created::describe);
    Credentials ci = new Credentials("ci-token", body.path("password").asText());
    assertTrue(ci.password().length() >= 16, created::describe);

    // It logs in at once, with exactly its rules.
    status(client.get(BLOB_PATH, ci.header()), 200);
    status(client.post("/v2/app/x/blobs/uploads/", new byte[0], ci.header()), 202);
    error(client.get("/v2/other/x/blobs/" + Digests.sha256(BLOB), ci.header()), 403, "DENIED");
    error(client.delete(BLOB_PATH, ci.header()), 403, "DENIED");

    Response list = status(adminGet("/tokens"), 200);
    assertTrue(tokenNames().contains("ci-token"), list::describe);
    assertNoSecrets(list);

    Response shown = status(adminGet("/tokens/ci-token"), 200);
    assertNoSecrets(shown);
    JsonNode token = shown.json();
    assertEquals("enabled", token.path("status").asText(), shown::describe);
    assertEquals("app/*", token.path("rules").path(0).path("repository").asText(), shown::describe);
    assertEquals("[\"content/read\",\"content/write\"]", token.path("rules").path(0).path("actions").toString(),
        shown::describe);
    assertEquals(1, token.path("passwords").size(), shown::describe);

    // Disabled: refused at once (the admin API drops cached logins itself).
    Response disabled = status(adminSend("PATCH", "/tokens/ci-token", "{\"status\":\"disabled\"}"), 200);
    assertEquals("disabled", disabled.json().path("status").asText(), disabled::describe);
    error(client.get(BLOB_PATH, ci.header()), 401, "UNAUTHORIZED");

    // A second password while disabled, then enabled again: both passwords work.
    Response second = status(adminSend("POST", "/tokens/ci-token/passwords/2", "{}"), 200);
    assertEquals(2, second.json().path("slot").asInt(), second::describe);
    Credentials ci2 = ci.withPassword(second.json().path("password").asText());
    assertNotEquals(ci.password(), ci2.password());
    error(client.get(BLOB_PATH, ci2.header()), 401, "UNAUTHORIZED");
    status(adminSend("PATCH", "/tokens/ci-token", "{\"status\":\"enabled\"}"), 200);
    status(client.get(BLOB_PATH, ci.header()), 200);
    status(client.get(BLOB_PATH, ci2.header()), 200);
    assertEquals(2, status(adminGet("/tokens/ci-token"), 200).json().path("passwords").size());

    // Rotation: password 1 deleted, password 2 keeps working.
    status(client.delete(ADMIN + "/tokens/ci-token/passwords/1", root.header()), 204);
    error(client.get(BLOB_PATH, ci.header()), 401, "UNAUTHORIZED");
    status(client.get(BLOB_PATH, ci2.header()), 200);

    // A name taken: 409.
    error(adminSend("POST", "/tokens", "{\"name\":\"ci-token\",\"repositories\":"
        + "[{\"repository\":\"app/*\",\"actions\":[\"content/read\"]}]}"), 409, "RESOURCE_CONFLICT");
    status(client.get(BLOB_PATH, ci2.header()), 200);

    status(client.delete(ADMIN + "/tokens/ci-token", root.header()), 204);
    error(adminGet("/tokens/ci-token"), 404, "RESOURCE_UNKNOWN");
    error(client.delete(ADMIN + "/tokens/ci-token", root.header()), 404, "RESOURCE_UNKNOWN");
    error(client.get(BLOB_PATH, ci2.header()), 401, "UNAUTHORIZED");
    assertFalse(tokenNames().contains("ci-token"));
  }

  @Test
  void scopeMapsAreCreatedSharedUpdatedAndProtectedWhileInUse() {
    Response created = adminSend("POST", "/scope-maps", "{\"name\":\"readers-map\",\"description\":\"readers\","
        + "\"rules\":[{\"repository\":\"app/*\",\"actions\":[\"content/read\",\"metadata/read\"]}]}");
    status(created, 201);
    assertEquals("readers-map", created.json().path("name").asText(), created::describe);
    try {
      Response list = status(adminGet("/scope-maps"), 200);
      assertTrue(list.text().contains("\"readers-map\""), list::describe);
      Response shown = status(adminGet("/scope-maps/readers-map"), 200);
      assertEquals("readers", shown.json().path("description").asText(), shown::describe);
      assertEquals("[\"content/read\",\"metadata/read\"]", shown.json().path("rules").path(0).path("actions").toString());
      error(adminSend("POST", "/scope-maps", "{\"name\":\"readers-map\",\"rules\":[{\"repository\":\"x\","
          + "\"actions\":[\"content/read\"]}]}"), 409, "RESOURCE_CONFLICT");

      Response token = status(adminSend("POST", "/tokens", "{\"name\":\"map-user\",\"scopeMap\":\"readers-map\"}"), 201);
      Credentials user = new Credentials("map-user", token.json().path("password").asText());
      status(client.get(BLOB_PATH, user.header()), 200);
      error(client.post("/v2/app/x/blobs/uploads/", new byte[0], user.header()), 403, "DENIED");

      // New rules apply to the token at once.
      Response updated = status(adminSend("PATCH", "/scope-maps/readers-map", "{\"rules\":[{\"repository\":\"app/*\","
          + "\"actions\":[\"content/read\",\"content/write\"]}]}"), 200);
      assertEquals("readers", updated.json().path("description").asText(), "description unchanged: " + updated);
      status(client.post("/v2/app/x/blobs/uploads/", new byte[0], user.header()), 202);

      error(client.delete(ADMIN + "/scope-maps/readers-map", root.header()), 409, "RESOURCE_CONFLICT");
      status(adminGet("/scope-maps/readers-map"), 200);

      status(client.delete(ADMIN + "/tokens/map-user", root.header()), 204);
      status(client.delete(ADMIN + "/scope-maps/readers-map", root.header()), 204);
      error(adminGet("/scope-maps/readers-map"), 404, "RESOURCE_UNKNOWN");
      error(adminSend("PATCH", "/scope-maps/readers-map", "{\"description\":\"x\"}"), 404, "RESOURCE_UNKNOWN");
    } finally {
      client.delete(ADMIN + "/tokens/map-user", root.header());
      client.delete(ADMIN + "/scope-maps/readers-map", root.header());
    }
  }

  @Test
  void unknownNamesAre404() {
    error(adminGet("/tokens/no-such-token"), 404, "RESOURCE_UNKNOWN");
    error(adminSend("PATCH", "/tokens/no-such-token", "{\"status\":\"disabled\"}"), 404, "RESOURCE_UNKNOWN");
    error(client.delete(ADMIN + "/tokens/no-such-token", root.header()), 404, "RESOURCE_UNKNOWN");
    error(adminSend("POST", "/tokens/no-such-token/passwords/2", "{}"), 404, "RESOURCE_UNKNOWN");
    error(adminGet("/scope-maps/no-such-map"), 404, "RESOURCE_UNKNOWN");
    error(client.delete(ADMIN + "/scope-maps/no-such-map", root.header()), 404, "RESOURCE_UNKNOWN");
  }

  @Test
  void invalidInputIs400AndChangesNothing() {
    List<String[]> bad = List.of(
        new String[] {"POST", "/tokens", "{\"repositories\":[{\"repository\":\"app/*\",\"actions\":[\"content/read\"]}]}"},
        new String[] {"POST", "/tokens", "{\"name\":\"bad-action\",\"repositories\":[{\"repository\":\"app/*\","
            + "\"actions\":[\"content/fly\"]}]}"},
        new String[] {"POST", "/tokens", "{\"name\":\"bad-pattern\",\"repositories\":[{\"repository\":\"Ap*p\","
            + "\"actions\":[\"content/read\"]}]}"},
        new String[] {"POST", "/tokens", "{\"name\":\"no-rules\"}"},
        new String[] {"POST", "/tokens", "{\"name\":\"ab\",\"repositories\":[{\"repository\":\"app/*\","
            + "\"actions\":[\"content/read\"]}]}"},
        new String[] {"POST", "/tokens", "{\"name\":\"bad-expiry\",\"expiry\":\"tomorrow\",\"repositories\":"
            + "[{\"repository\":\"app/*\",\"actions\":[\"content/read\"]}]}"},
        new String[] {"POST", "/tokens", "{\"name\":\"past-expiry\",\"expiry\":\"2001-01-01T00:00:00Z\","
            + "\"repositories\":[{\"repository\":\"app/*\",\"actions\":[\"content/read\"]}]}"},
        new String[] {"POST", "/tokens", "{\"name\":7,\"repositories\":[{\"repository\":\"app/*\","
            + "\"actions\":[\"content/read\"]}]}"},
        new String[] {"POST", "/tokens", "this is not json"},
        new String[] {"POST", "/tokens", "[1,2,3]"},
        new String[] {"PATCH", "/tokens/plain-user", "{\"status\":\"maybe\"}"},
        new String[] {"PATCH", "/tokens/plain-user", "{}"},
        new String[] {"POST", "/tokens/plain-user/passwords/3", "{}"},
        new String[] {"POST", "/tokens/plain-user/passwords/one", "{}"},
        new String[] {"POST", "/scope-maps", "{\"name\":\"empty-map\",\"rules\":[]}"},
        new String[] {"POST", "/scope-maps", "{\"name\":\"bad-map\",\"rules\":[{\"repository\":\"app/*\"}]}"},
        new String[] {"POST", "/scope-maps", "{\"name\":\"bad-map\",\"rules\":\"all\"}"},
        new String[] {"POST", "/scope-maps", "{\"name\":\"bad-map\",\"rules\":[{\"repository\":\"app/*\","
            + "\"actions\":[\"content/read\"]},{\"repository\":\"app/*\",\"actions\":\"content/read\"}]}"});
    List<String> before = tokenNames();
    String mapsBefore = status(adminGet("/scope-maps"), 200).text();
    for (String[] b : bad) {
      Response r = adminSend(b[0], b[1], b[2]);
      assertEquals(400, r.status(), () -> b[0] + " " + b[1] + " " + b[2] + ": " + r);
      error(r, 400, "REQUEST_INVALID");
    }
    assertEquals(before, tokenNames(), "refused requests must not create tokens");
    assertEquals(mapsBefore, status(adminGet("/scope-maps"), 200).text(), "nor scope maps");
    Response user = status(adminGet("/tokens/plain-user"), 200);
    assertEquals("enabled", user.json().path("status").asText());
    assertEquals(1, user.json().path("passwords").size(), user::describe);
    status(client.get(BLOB_PATH, plain.header()), 200);
  }

  @Test
  void errorDetailsSpeakJsonNotJava() {
    Response unknown = error(adminSend("PUT", "/tokens", "{}"), 404, "RESOURCE_UNKNOWN");
    assertTrue(unknown.text().contains("no admin operation PUT"), unknown::describe);
    for (String body : List.of("{\"name\":\"typed-map\",\"rules\":\"all\"}",
        "{\"name\":\"typed-map\",\"rules\":[\"app/*\"]}",
        "{\"name\":\"typed-map\",\"rules\":[{\"repository\":\"app/*\",\"actions\":\"content/read\"}]}")) {
      Response r = error(adminSend("POST", "/scope-maps", body), 400, "REQUEST_INVALID");
      assertFalse(r.text().contains("java.") || r.text().contains("io.vertx") || r.text().contains("cannot be cast"),
          () -> "the detail should say which field is wrong, not show a Java exception: " + r);
    }
  }

  @Test
  void maxTokensIsEnforcedWith409LimitExceeded() {
    String rules = ",\"repositories\":[{\"repository\":\"app/*\",\"actions\":[\"content/read\"]}]}";
    status(adminSend("POST", "/tokens", "{\"name\":\"limit-one\"" + rules), 201);
    Response over = adminSend("POST", "/tokens", "{\"name\":\"limit-two\"" + rules);
    error(over, 409, "LIMIT_EXCEEDED");
    assertFalse(tokenNames().contains("limit-two"), over::describe);
    // The refused token's own scope map is not left behind.
    error(adminGet("/scope-maps/limit-two-scope-map"), 404, "RESOURCE_UNKNOWN");

    status(client.delete(ADMIN + "/tokens/limit-one", root.header()), 204);
    status(adminSend("POST", "/tokens", "{\"name\":\"limit-two\"" + rules), 201);
  }
}
