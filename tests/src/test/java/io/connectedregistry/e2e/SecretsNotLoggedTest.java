package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.AuthSupport.bearer;
import static io.connectedregistry.e2e.support.AuthSupport.cli;
import static io.connectedregistry.e2e.support.AuthSupport.createToken;
import static io.connectedregistry.e2e.support.AuthSupport.pushBlob;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.connectedregistry.e2e.support.AuthSupport;
import io.connectedregistry.e2e.support.AuthSupport.Credentials;
import io.connectedregistry.e2e.support.ImageTools;
import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
import io.connectedregistry.e2e.support.Response;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest.BodyPublishers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * At {@code --log-level Debug}, after logins with good and bad passwords (Basic on the API, GET
 * and POST on the token endpoint, refresh grants, Bearer use) and admin calls that generate
 * passwords: no password, no guessed password, no Basic header, and no issued access or refresh
 * token appears in the registry's log, nor in any error body it answered, nor in the clear in any
 * file of the data folder.
 */
class SecretsNotLoggedTest {

  private static RegistryProcess registry;
  private static RegistryClient client;
  /** What must never be written: a label for the failure message → the secret. */
  private static final Map<String, String> SECRETS = new LinkedHashMap<>();
  private static final List<Response> ERRORS = new ArrayList<>();

  @BeforeAll
  static void startRegistry() {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "token auth is this registry's own");
    registry = AuthSupport.prepareWithConfig("secrets", "auth:\n"
        + "  anonymousPull: false\n"
        + "  adminTokens: [root-admin]\n", "--log-level", "Debug");
    registry.start();
    client = new RegistryClient(registry);
  }

  @AfterAll
  static void stopRegistry() {
    if (registry != null) {
      registry.close();
    }
  }

  private static void secret(String label, String value) {
    assertTrue(value != null && value.length() >= 8, () -> label + " is no usable secret: " + value);
    SECRETS.put(label, value);
  }

  private static void secretCredentials(String label, Credentials c) {
    secret(label + " password", c.password());
    secret(label + " Basic header", c.basic().substring("Basic ".length()));
  }

  /** Sends, remembers error answers, and returns the response. */
  private static Response call(Response r) {
    if (r.status() >= 400) {
      ERRORS.add(r);
    }
    return r;
  }

  private static void secretToken(String label, String jwt) {
    secret(label, jwt);
    secret(label + " signature", jwt.substring(jwt.lastIndexOf('.') + 1));
  }

  private static Response form(String body) {
    return call(client.post("/oauth2/token", body.getBytes(StandardCharsets.UTF_8),
        "Content-Type", "application/x-www-form-urlencoded"));
  }

  @Test
  void noPasswordOrTokenReachesTheLogOrAnErrorBody() {
    Credentials root = createToken(registry, "root-admin", "--repository", "*", "content/read",
        "content/write", "metadata/read");
    Credentials user = createToken(registry, "app-user", "--repository", "app/*", "content/read");
    secretCredentials("root", root);
    secretCredentials("user", user);
    String rotatedPassword = ImageTools.readJson(
        cli(registry, "token", "password", "app-user", "--slot", "2").assertOk().stdout()).path("password").asText();
    Credentials rotated = user.withPassword(rotatedPassword);
    secretCredentials("user slot 2", rotated);
    Credentials guess = user.withPassword("Guessed-Secret-Passw0rd-1234");
    secretCredentials("guessed", guess);
    Credentials unknown = new Credentials("no-such-token", "Unknown-Token-Secret-5678");
    secretCredentials("unknown token", unknown);

    // Basic on the API: good, wrong, unknown, and a push.
    byte[] data = "secrets test".getBytes(StandardCharsets.UTF_8);
    String digest = pushBlob(client, root.header(), "app/x", data);
    String path = "/v2/app/x/blobs/" + digest;
    assertEquals(200, call(client.get(path, user.header())).status());
    assertEquals(200, call(client.get(path, rotated.header())).status());
    assertEquals(401, call(client.get(path, guess.header())).status());
    assertEquals(401, call(client.get(path, unknown.header())).status());
    assertEquals(403, call(client.post("/v2/app/x/blobs/uploads/", new byte[0], user.header())).status());
    assertEquals(403, call(client.get("/v2/other/x/blobs/" + digest, user.header())).status());

    // The token endpoint, GET with a refresh token, and POST with both grants.
    String scope = RegistryClient.encode("repository:app/x:pull");
    Response get = call(client.get("/oauth2/token?service=s&offline_token=true&scope=" + scope, user.header()));
    assertEquals(200, get.status(), get::describe);
    String access = get.json().path("token").asText();
    String refresh = get.json().path("refresh_token").asText();
    secretToken("GET access token", access);
    secretToken("GET refresh token", refresh);
    assertEquals(401, call(client.get("/oauth2/token?service=s&scope=" + scope, guess.header())).status());
    assertEquals(200, call(client.get(path, bearer(access))).status());
    String forged = access.substring(0, access.length() - 6) + "AAAAAA";
    assertEquals(401, call(client.get(path, bearer(forged))).status());
    assertEquals(401, call(client.get(path, bearer(refresh))).status());

    Response post = form("grant_type=password&username=" + user.name() + "&password="
        + RegistryClient.encode(user.password()) + "&service=s&access_type=offline&scope=" + scope);
    assertEquals(200, post.status(), post::describe);
    secretToken("POST access token", post.json().path("access_token").asText());
    secretToken("POST refresh token", post.json().path("refresh_token").asText());
    assertEquals(401, form("grant_type=password&username=" + user.name() + "&password="
        + RegistryClient.encode(guess.password()) + "&service=s").status());
    Response refreshed = form("grant_type=refresh_token&refresh_token=" + refresh + "&service=s&scope=" + scope);
    assertEquals(200, refreshed.status(), refreshed::describe);
    secretToken("refreshed access token", refreshed.json().path("access_token").asText());
    assertEquals(401, form("grant_type=refresh_token&refresh_token=" + forged + "&service=s").status());

    // Admin calls that generate passwords, and ones that fail.
    Response created = call(client.post("/_connected/v1/admin/tokens", ("{\"name\":\"made-by-admin\","
        + "\"repositories\":[{\"repository\":\"app/*\",\"actions\":[\"content/read\"]}]}")
        .getBytes(StandardCharsets.UTF_8), AuthSupport.concat(root.header(), "Content-Type", "application/json")));
    assertEquals(201, created.status(), created::describe);
    Credentials made = new Credentials("made-by-admin", created.json().path("password").asText());
    secretCredentials("admin-made", made);
    Response slot2 = call(client.send("POST", "/_connected/v1/admin/tokens/made-by-admin/passwords/2",
        BodyPublishers.ofString("{}"), AuthSupport.concat(root.header(), "Content-Type", "application/json")));
    assertEquals(200, slot2.status(), slot2::describe);
    secretCredentials("admin-made slot 2", made.withPassword(slot2.json().path("password").asText()));
    assertEquals(200, call(client.get(path, made.header())).status());
    assertEquals(403, call(client.get("/_connected/v1/admin/tokens", user.header())).status());
    assertEquals(401, call(client.get("/_connected/v1/admin/tokens", guess.header())).status());
    assertEquals(400, call(client.send("PATCH", "/_connected/v1/admin/tokens/made-by-admin",
        BodyPublishers.ofString("{\"status\":\"sometimes\"}"),
        AuthSupport.concat(root.header(), "Content-Type", "application/json"))).status());
    assertEquals(200, call(client.get("/_connected/v1/admin/tokens/made-by-admin", root.header())).status());

    // Stop, so everything is flushed; the log must hold debug lines for this to mean anything.
    registry.stop();
    String log = registry.log();
    assertTrue(log.contains("DEBUG"), "the registry should have logged at debug level:\n" + registry.logTail(30));
    assertTrue(log.contains("401"), "the failed logins should be in the debug log:\n" + registry.logTail(30));

    List<String> leaks = new ArrayList<>();
    SECRETS.forEach((label, value) -> {
      if (log.contains(value)) {
        leaks.add(label + " in " + registry.logFile() + ": " + lineWith(log, value));
      }
      for (Response r : ERRORS) {
        if (r.text().contains(value) || r.headers().map().toString().contains(value)) {
          leaks.add(label + " in the answer " + r.describe());
        }
      }
    });
    // Nor is any stored in the clear in the data folder (auth.db and its WAL hold hashes only).
    List<Path> files;
    try (Stream<Path> walk = Files.walk(registry.dataDir())) {
      files = walk.filter(Files::isRegularFile).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    assertTrue(files.stream().anyMatch(f -> f.getFileName().toString().equals("auth.db")), files::toString);
    for (Path f : files) {
      String content;
      try {
        content = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      SECRETS.forEach((label, value) -> {
        if (content.contains(value)) {
          leaks.add(label + " stored in the clear in " + f);
        }
      });
    }
    assertTrue(leaks.isEmpty(), () -> "secrets leaked:\n" + String.join("\n", leaks));
    assertFalse(ERRORS.isEmpty());
  }

  private static String lineWith(String log, String value) {
    for (String line : log.split("\n")) {
      if (line.contains(value)) {
        return line;
      }
    }
    return "";
  }
}
