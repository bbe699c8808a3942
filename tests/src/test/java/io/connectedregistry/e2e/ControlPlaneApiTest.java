package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.AuthSupport.createToken;
import static io.connectedregistry.e2e.support.Expect.error;
import static io.connectedregistry.e2e.support.Expect.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import io.connectedregistry.e2e.support.AuthSupport;
import io.connectedregistry.e2e.support.AuthSupport.Credentials;
import io.connectedregistry.e2e.support.Command;
import io.connectedregistry.e2e.support.ConnectedRegistryCli;
import io.connectedregistry.e2e.support.ImageTools;
import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
import io.connectedregistry.e2e.support.Response;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The control plane children call at the root ({@code /_connected/v1/registries/NAME/...}),
 * over a real socket: who may call it for which registry, and what it refuses to take.
 * Tree: factory1 (ReadWrite) → line3 (ReadOnly); factory2 beside factory1.
 */
class ControlPlaneApiTest {

  private static final String API = "/_connected/v1/registries/";
  private RegistryProcess root;

  @AfterEach
  void stop() {
    if (root != null) {
      root.close();
    }
  }

  private Command.Result offline(String... args) {
    return ConnectedRegistryCli.offline(root, args);
  }

  private Credentials syncToken(String name) {
    Command.Result r = offline("get-settings", "--name", name, "--parent-protocol", "http",
        "--parent-endpoint", "root.example:5000", "--generate-password", "1").assertOk();
    String connection = ImageTools.readJson(r.stdout()).path("ACR_REGISTRY_CONNECTION_STRING").asText();
    String password = connection.replaceAll(".*SyncTokenPassword=([^;]+);.*", "$1");
    return new Credentials(name + "-sync-token", password);
  }

  private static byte[] body(String json) {
    return json.getBytes(StandardCharsets.UTF_8);
  }

  private static String[] with(Credentials c) {
    return new String[] {"Authorization", c.basic(), "Content-Type", "application/json"};
  }

  @Test
  void aSyncTokenActsOnlyOnItsOwnRegistryAndItsDescendants() {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "connected registries are this registry's own");
    root = AuthSupport.prepareWithConfig("control-api", "auth: {anonymousPull: false}\n");
    Credentials reader = createToken(root, "reader1", "--repository", "app/*", "content/read");
    offline("create", "--name", "factory1", "--mode", "ReadWrite", "--repository", "app/*").assertOk();
    offline("create", "--name", "line3", "--parent", "factory1", "--repository", "app/web",
        "--client-tokens", "reader1").assertOk();
    offline("create", "--name", "factory2", "--repository", "app/*").assertOk();
    Credentials factory1 = syncToken("factory1");
    Credentials line3 = syncToken("line3");
    Credentials factory2 = syncToken("factory2");
    root.start();
    RegistryClient client = new RegistryClient(root);

    // Its own and its descendants': yes.
    Response own = status(client.get(API + "factory1/definition", with(factory1)), 200);
    assertEquals("factory1", own.json().path("registry").path("name").asText(), own::describe);
    assertEquals("line3", own.json().path("descendants").path(0).path("name").asText(), own::describe);
    String etag = own.headerOrNull("ETag");
    assertEquals(304, client.get(API + "factory1/definition", "Authorization", factory1.basic(),
        "If-None-Match", etag).status());
    status(client.get(API + "line3/definition", with(factory1)), 200);
    Response tokens = status(client.get(API + "factory1/tokens", with(factory1)), 200);
    // Hashes of the descendants' sync tokens and of the client tokens, never a password.
    assertTrue(tokens.text().contains("line3-sync-token") && tokens.text().contains("reader1")
        && tokens.text().contains("pbkdf2-sha256$"), tokens::describe);
    assertFalse(tokens.text().contains(line3.password()), "no password");
    assertFalse(tokens.text().contains(reader.password()), "no password");
    List<String> names = new ArrayList<>();
    tokens.json().path("tokens").forEach(t -> names.add(t.path("name").asText()));
    assertEquals(List.of("line3-sync-token", "reader1"), names.stream().sorted().toList(),
        "line3's client token and sync token, not factory1's own sync token");

    // Another branch, its parent, or not a sync token: 403; no credentials: 401.
    error(client.get(API + "factory1/definition", with(factory2)), 403, "DENIED");
    error(client.get(API + "line3/tokens", with(factory2)), 403, "DENIED");
    error(client.get(API + "factory1/tokens", with(line3)), 403, "DENIED");
    error(client.post(API + "factory1/activation", body("{\"instanceId\":\"12345678-aaaa\"}"),
        with(line3)), 403, "DENIED");
    error(client.post(API + "factory2/status", body("{\"connectionState\":\"Online\"}"),
        with(factory1)), 403, "DENIED");
    error(client.get(API + "line3/definition", with(reader)), 403, "DENIED");
    error(client.get(API + "factory1/definition"), 401, "UNAUTHORIZED");
    error(client.get(API + "nothere1/definition", with(factory1)), 403, "DENIED");

    // A status report: dated by the root's clock, shown by cr show.
    status(client.post(API + "line3/status", body("{\"connectionState\":\"Online\","
        + "\"activation\":\"Active\",\"lastSyncTime\":\"2026-11-30T10:00:00Z\","
        + "\"upstreamQueue\":{\"pending\":2,\"expired\":0},\"version\":\"1.2.3\","
        + "\"loginServer\":\"line3.local:5000\",\"statusDetails\":[{\"type\":\"Sync\","
        + "\"code\":\"SyncFailed\",\"description\":\"one image failed\","
        + "\"timestamp\":\"2026-11-30T10:00:00Z\"}]}"), with(line3)), 204);
    JsonNode shown = ImageTools.readJson(offline("show", "--name", "line3").assertOk().stdout());
    assertFalse(shown.path("lastActivityTime").isNull(), shown::toString);
    assertEquals("line3.local:5000", shown.path("loginServer").asText(), shown::toString);
    assertEquals("SyncFailed", shown.path("statusDetails").path(0).path("code").asText());
    assertEquals(2, shown.path("upstreamQueue").path("pending").asInt(), shown::toString);
    assertEquals("Inactive", shown.path("activation").asText(), "a report does not activate");
  }

  @Test
  void malformedOrOversizedReportsAreRefusedAndChangeNothing() {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "connected registries are this registry's own");
    root = AuthSupport.prepareWithConfig("control-api-bounds", "auth: {anonymousPull: false}\n");
    offline("create", "--name", "factory1", "--repository", "app/*").assertOk();
    Credentials factory1 = syncToken("factory1");
    root.start();
    RegistryClient client = new RegistryClient(root);
    String details = "{\"type\":\"Sync\",\"code\":\"X\",\"timestamp\":\"2026-11-30T10:00:00Z\"}";
    List<String> bad = List.of(
        "{\"connectionState\":\"Online\",\"extra\":1}",
        "{\"connectionState\":\"Bogus\"}",
        "{}",
        "{\"connectionState\":\"Online\",\"upstreamQueue\":{\"pending\":-1}}",
        "{\"connectionState\":\"Online\",\"loginServer\":\"bad host/path\"}",
        "{\"connectionState\":\"Online\",\"version\":\"" + "9".repeat(65) + "\"}",
        "{\"connectionState\":\"Online\",\"lastSyncTime\":\"yesterday\"}",
        "{\"connectionState\":\"Online\",\"statusDetails\":[" + String.join(",",
            java.util.Collections.nCopies(21, details)) + "]}",
        "{\"connectionState\":\"Online\",\"statusDetails\":[{\"type\":\"Sync\",\"code\":\"X\","
            + "\"description\":\"line\\u001b[31mred\"}]}",
        "[1]",
        "{\"connectionState\":\"Online\",\"statusDetails\":[{\"type\":\"Sync\",\"code\":\"X\","
            + "\"description\":\"" + "x".repeat(70_000) + "\"}]}");
    for (String b : bad) {
      Response r = client.post(API + "factory1/status", body(b), with(factory1));
      assertEquals(400, r.status(), () -> b.substring(0, Math.min(b.length(), 200)) + ": " + r.describe());
    }
    for (String b : List.of("{\"instanceId\":\"short\"}", "{\"instanceId\":\"12345678-abcd\",\"x\":1}",
        "{\"instanceId\":\"../../etc/passwd\"}", "{}")) {
      assertEquals(400, client.post(API + "factory1/activation", body(b), with(factory1)).status(), b);
    }
    JsonNode shown = ImageTools.readJson(offline("show", "--name", "factory1").assertOk().stdout());
    assertTrue(shown.path("lastActivityTime").isNull(), shown::toString);
    assertEquals("Inactive", shown.path("activation").asText(), shown::toString);
    assertEquals(0, shown.path("statusDetails").size(), shown::toString);
  }
}
