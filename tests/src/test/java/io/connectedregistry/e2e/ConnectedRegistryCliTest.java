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
import io.connectedregistry.e2e.support.Command;
import io.connectedregistry.e2e.support.ConnectedRegistryCli;
import io.connectedregistry.e2e.support.Oci;
import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
import io.connectedregistry.e2e.support.Response;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * The built jar's {@code cr} commands: offline on a stopped root's data folder and online against
 * the running root through {@code --server} (admin token, password from the environment). Builds
 * root → factory1 (ReadWrite) → line3 (ReadOnly), prints the list, refuses hierarchy violations
 * naming the registries, prints connection strings whose sync tokens log in at the root and read
 * what their scope covers and nothing else, and deletes with and without {@code --cleanup}.
 */
@Order(4) // among the longest classes: started first (tests/pom.xml)
class ConnectedRegistryCliTest {

  private static final String PASSWORD_VARIABLE = ConnectedRegistryCli.PASSWORD_VARIABLE;
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

  private Command.Result online(Credentials admin, String... args) {
    return ConnectedRegistryCli.online(root, admin, args);
  }

  private static JsonNode json(Command.Result r) {
    return ConnectedRegistryCli.json(r);
  }

  private static void assertRefused(Command.Result r, String... parts) {
    assertEquals(2, r.exitCode(), r::describe);
    for (String part : parts) {
      assertTrue(r.stderr().contains(part), () -> "'" + part + "' missing: " + r.describe());
    }
  }

  /** ConnectedRegistryName=..;SyncTokenName=..;... as the instance will parse it. */
  private static Map<String, String> connectionString(Command.Result r) {
    String value = json(r).path("ACR_REGISTRY_CONNECTION_STRING").asText();
    Map<String, String> parts = new LinkedHashMap<>();
    for (String part : value.split(";")) {
      int eq = part.indexOf('=');
      assertTrue(eq > 0, () -> "not KEY=VALUE: " + part + " in " + value);
      parts.put(part.substring(0, eq), part.substring(eq + 1));
    }
    return parts;
  }

  @Test
  void theTreeIsBuiltOfflineAndOnlineAndItsSyncTokensWorkAtTheRoot() throws Exception {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "connected registries are this registry's own");
    root = RegistryProcess.prepare("cr-root");
    AuthSupport.writeConfig(root, "loginServer: '" + root.hostPort() + "'\n"
        + "auth:\n"
        + "  anonymousPull: false\n"
        + "  adminTokens: [root-admin]\n");
    root.withArgs("--config", root.workDir().resolve("config.yml").toString());
    Credentials admin = createToken(root, "root-admin", "--repository", "*", "content/read",
        "content/write", "content/delete", "metadata/read", "metadata/write");
    createToken(root, "reader1", "--repository", "app/*", "content/read", "metadata/read");
    createToken(root, "pusher1", "--repository", "app/*", "content/read", "content/write");

    // Offline, on the stopped root's data folder.
    JsonNode factory1 = json(offline("create", "--name", "factory1", "--mode", "ReadWrite",
        "--repository", "app/*", "--client-tokens", "pusher1"));
    assertEquals("ReadWrite", factory1.path("mode").asText(), factory1::toString);
    assertEquals("factory1-sync-token", factory1.path("syncToken").asText(), factory1::toString);

    root.start();
    RegistryClient client = new RegistryClient(root);

    // Online, through the admin API of the running root.
    JsonNode line3 = json(online(admin, "create", "--name", "line3", "--parent", "factory1",
        "--repository", "app/web", "other/x", "--client-tokens", "reader1"));
    assertEquals("ReadOnly", line3.path("mode").asText(), line3::toString);
    assertEquals("factory1", line3.path("parent").asText(), line3::toString);

    Command.Result table = online(admin, "list").assertOk();
    List<String> lines = table.stdout().lines().toList();
    assertEquals(3, lines.size(), table::describe);
    assertEquals(List.of("NAME", "MODE", "ACTIVATION", "CONNECTION", "STATE", "PARENT", "LAST", "SYNC"),
        List.of(lines.get(0).split("\\s+")), table::describe);
    assertEquals(List.of("factory1", "ReadWrite", "Inactive", "Offline", "-", "-"),
        List.of(lines.get(1).split("\\s+")), table::describe);
    assertEquals(List.of("line3", "ReadOnly", "Inactive", "Offline", "factory1", "-"),
        List.of(lines.get(2).split("\\s+")), table::describe);
    JsonNode children = json(offline("list", "--parent", "factory1", "--output", "json"));
    assertEquals(1, children.size(), children::toString);
    assertEquals("line3", children.path(0).path("name").asText(), children::toString);

    // Adding other/x under factory1 added it to factory1 as well.
    JsonNode permissions = json(online(admin, "permissions", "show", "--name", "factory1"));
    assertEquals("[\"app/*\",\"other/x\"]", permissions.path("repositories").toString(),
        permissions::toString);

    // Violations, each named.
    assertRefused(online(admin, "create", "--name", "line4", "--mode", "ReadWrite", "--parent",
        "line3", "--repository", "app/web"), "'line4'", "'line3'", "ReadOnly");
    assertRefused(online(admin, "update", "--name", "line3", "--add-client-tokens", "pusher1"),
        "'pusher1'", "'line3'", "content/write");
    assertRefused(offline("delete", "--name", "factory1"), "'factory1'", "line3");
    assertRefused(online(admin, "create", "--name", "line3", "--repository", "app/web"),
        "'line3'", "already exists");
    assertRefused(online(admin.withPassword("wrong-password"), "list"), "auth.adminTokens");
    // --password-stdin: the password arrives on standard input (here from a variable, never argv).
    String java = ProcessHandle.current().info().command().orElse("java");
    Command.Result stdin = Command.run(List.of("bash", "-c", "printf '%s\\n' \"$ADMIN_PASSWORD\" | '"
        + java + "' -jar '" + RegistryProcess.jar() + "' cr list --output json --server http://"
        + root.hostPort() + " --username " + admin.name() + " --password-stdin"),
        Map.of("ADMIN_PASSWORD", admin.password()), 60);
    assertEquals(2, json(stdin).size(), stdin::describe);
    assertTrue(json(online(admin, "show", "--name", "factory1")).path("clientTokens").toString()
        .contains("pusher1"));

    // get-settings: the endpoint defaults to the root's loginServer; the password only when asked.
    Command.Result noPassword = online(admin, "get-settings", "--name", "factory1",
        "--parent-protocol", "http");
    assertFalse(connectionString(noPassword).containsKey("SyncTokenPassword"), noPassword::describe);
    assertTrue(json(noPassword).path("note").asText().contains("--generate-password"));
    Map<String, String> factory1Settings = connectionString(online(admin, "get-settings", "--name",
        "factory1", "--parent-protocol", "http", "--generate-password", "1"));
    assertEquals("factory1", factory1Settings.get("ConnectedRegistryName"));
    assertEquals("factory1-sync-token", factory1Settings.get("SyncTokenName"));
    assertEquals(root.hostPort(), factory1Settings.get("ParentGatewayEndpoint"));
    assertEquals("http", factory1Settings.get("ParentEndpointProtocol"));
    Map<String, String> line3Settings = connectionString(offline("get-settings", "--name",
        "line3", "--parent-protocol", "https", "--parent-endpoint", "factory1.local:5000",
        "--generate-password", "2"));
    assertEquals("factory1.local:5000", line3Settings.get("ParentGatewayEndpoint"));
    assertRefused(offline("get-settings", "--name", "line3", "--parent-protocol", "https"),
        "'line3'", "'factory1'", "--parent-endpoint");

    // The sync tokens log in at the root and read what their scope covers, nothing else.
    byte[] data = "connected registry cli".getBytes(StandardCharsets.UTF_8);
    String digest = pushBlob(client, admin.header(), "app/web", data);
    pushBlob(client, admin.header(), "private/x", data);
    Credentials factory1Sync = new Credentials("factory1-sync-token",
        factory1Settings.get("SyncTokenPassword"));
    Credentials line3Sync = new Credentials("line3-sync-token", line3Settings.get("SyncTokenPassword"));
    AuthSupport.awaitAuthChangesSeen(); // line3's password was generated by another process
    for (Credentials sync : List.of(factory1Sync, line3Sync)) {
      status(client.get("/v2/", sync.header()), 200);
      status(client.get("/v2/app/web/blobs/" + digest, sync.header()), 200);
      status(client.get("/v2/private/x/blobs/" + digest, sync.header()), 403);
    }
    // ReadWrite's sync token may push up; ReadOnly's may not.
    status(client.post("/v2/app/web/blobs/uploads/", new byte[0], factory1Sync.header()), 202);
    status(client.post("/v2/app/web/blobs/uploads/", new byte[0], line3Sync.header()), 403);

    // deactivate, then delete without and with --cleanup.
    assertEquals("Inactive", json(online(admin, "deactivate", "--name", "line3"))
        .path("activation").asText());
    JsonNode kept = json(online(admin, "delete", "--name", "line3"));
    assertEquals("line3-sync-token", kept.path("kept").path("syncToken").asText(), kept::toString);
    assertEquals("gateway/line3", kept.path("kept").path("grantsInAncestors").path(0).path("rule")
        .asText(), kept::toString);
    status(client.get("/v2/", line3Sync.header()), 200); // it stays, as the output said
    JsonNode removed = json(online(admin, "delete", "--name", "factory1", "--cleanup"));
    assertEquals("factory1-sync-token", removed.path("removed").path("syncToken").asText(),
        removed::toString);
    Response gone = client.get("/v2/", factory1Sync.header());
    status(gone, 401);
    assertEquals(0, json(online(admin, "list", "--output", "json")).size());
  }

  private static final String API = "/_connected/v1/admin/connected-registries";

  private static byte[] body(String json) {
    return json.getBytes(StandardCharsets.UTF_8);
  }

  private static void assertDetail(Response r, String... parts) {
    String detail = r.json().path("errors").path(0).path("detail").asText();
    for (String part : parts) {
      assertTrue(detail.contains(part), () -> "'" + part + "' missing: " + r.describe());
    }
  }

  @Test
  void theAdminApiAnswersOnlyAdminsAndRefusesWithTheStatusOfEachRule() {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "connected registries are this registry's own");
    root = AuthSupport.prepareWithConfig("cr-api", "auth:\n"
        + "  anonymousPull: false\n"
        + "  adminTokens: [root-admin]\n");
    Credentials admin = createToken(root, "root-admin", "--repository", "*", "content/read");
    Credentials plain = createToken(root, "plain-user", "--repository", "app/*", "content/read");
    root.start();
    RegistryClient client = new RegistryClient(root);
    String[] json = {"Content-Type", "application/json"};

    status(client.get(API), 401);
    error(client.get(API, plain.header()), 403, "DENIED");
    assertEquals(0, status(client.get(API, admin.header()), 200).json().size());

    status(client.post(API, body("{\"name\":\"factory1\",\"mode\":\"ReadWrite\","
        + "\"repositories\":[\"app/*\"]}"), AuthSupport.concat(admin.header(), json)), 201);
    status(client.post(API, body("{\"name\":\"line3\",\"parent\":\"factory1\","
        + "\"repositories\":[\"app/web\"]}"), AuthSupport.concat(admin.header(), json)), 201);
    error(client.post(API, body("{\"name\":\"factory2\",\"repositories\":[\"x\"]}"),
        AuthSupport.concat(plain.header(), json)), 403, "DENIED");

    Response duplicate = error(client.post(API, body("{\"name\":\"factory1\",\"repositories\":[\"x\"]}"),
        AuthSupport.concat(admin.header(), json)), 409, "RESOURCE_CONFLICT");
    assertDetail(duplicate, "'factory1'", "already exists");
    Response readOnlyParent = error(client.post(API, body("{\"name\":\"line4\",\"mode\":\"ReadWrite\","
        + "\"parent\":\"line3\",\"repositories\":[\"app/web\"]}"),
        AuthSupport.concat(admin.header(), json)), 400, "REQUEST_INVALID");
    assertDetail(readOnlyParent, "'line4'", "'line3'");
    Response adminAsClient = error(client.post(API, body("{\"name\":\"line5\",\"parent\":\"factory1\","
        + "\"repositories\":[\"app/web\"],\"clientTokens\":[\"root-admin\"]}"),
        AuthSupport.concat(admin.header(), json)), 400, "REQUEST_INVALID");
    assertDetail(adminAsClient, "'root-admin'", "auth.adminTokens");
    assertDetail(error(client.post(API, body("{\"nmae\":\"x\"}"), AuthSupport.concat(admin.header(), json)),
        400, "REQUEST_INVALID"), "'nmae'");
    assertDetail(error(client.get(API + "/nothere1", admin.header()), 404, "RESOURCE_UNKNOWN"), "'nothere1'");
    assertDetail(error(client.delete(API + "/factory1?cleanup=true", admin.header()), 409,
        "RESOURCE_CONFLICT"), "'factory1'", "line3");
    assertDetail(error(client.post(API + "/line3/settings", body("{\"parentProtocol\":\"https\"}"),
        AuthSupport.concat(admin.header(), json)), 400, "REQUEST_INVALID"), "'line3'", "--parent-endpoint");

    Response repos = status(client.patch(API + "/line3/repositories", body("{\"add\":[\"new/one\"]}"),
        AuthSupport.concat(admin.header(), json)), 200);
    assertEquals("[\"app/*\",\"new/one\"]", repos.json().path("changed").path("factory1").toString(),
        repos::describe);
    status(client.get(API + "/line3/permissions", admin.header()), 200);
    status(client.get(API + "/line3/client-tokens", admin.header()), 200);
  }

  /**
   * The connection string {@code get-settings} printed starts a real instance: it parses it, and
   * its sync token (through the sync scope map the definition made) pulls what the scope covers
   * from the root, and nothing else. The definition itself is not fetched yet (a later step), so
   * the child names its repositories in its own file.
   */
  @Test
  void anInstanceStartedFromThePrintedConnectionStringSyncsItsScopeFromTheRoot() {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "connected registries are this registry's own");
    root = RegistryProcess.prepare("cr-child-root");
    root.withArgs("--config", AuthSupport.writeConfig(root, "loginServer: '" + root.hostPort()
        + "'\nauth: {anonymousPull: false}\n").toString());
    Credentials admin = createToken(root, "root-admin", "--repository", "*", "content/read",
        "content/write", "metadata/read");
    json(offline("create", "--name", "factory1", "--mode", "ReadWrite", "--repository", "app/*"));
    // With --config the offline command knows the root's loginServer: the endpoint's default.
    String connection = json(RegistryProcess.runJar(60, "cr", "get-settings", "--name", "factory1",
        "--parent-protocol", "http", "--generate-password", "1", "--config",
        root.workDir().resolve("config.yml").toString(), "--data", root.dataDir().toString()))
        .path("ACR_REGISTRY_CONNECTION_STRING").asText();
    assertTrue(connection.contains(";ParentGatewayEndpoint=" + root.hostPort() + ";"), connection);
    root.start();
    RegistryClient rootClient = new RegistryClient(root);
    Oci.Blob config = Oci.config("cr");
    Oci.Blob layer = Oci.layer(7, 1024);
    for (String repository : List.of("app/web", "private/x")) {
      pushBlob(rootClient, admin.header(), repository, config.data());
      pushBlob(rootClient, admin.header(), repository, layer.data());
      AuthSupport.pushManifest(rootClient, admin.header(), repository, "v1",
          AuthSupport.manifest(config, layer, "cr"));
    }

    RegistryProcess child = AuthSupport.prepareWithConfig("cr-child",
        "sync:\n  repositories: [\"app/*\", \"private/*\"]\n  schedule: \"0 0 1 1 *\"\n");
    try {
      child.withEnv(Map.of("ACR_REGISTRY_CONNECTION_STRING", connection)).start();
      JsonNode cycle = SyncChainTest.syncNow(child);
      RegistryClient childClient = new RegistryClient(child);
      status(childClient.get("/v2/app/web/manifests/v1", "Accept",
          Oci.IMAGE_MANIFEST), 200);
      assertEquals(404, childClient.get("/v2/private/x/manifests/v1", "Accept",
          Oci.IMAGE_MANIFEST).status(), cycle::toString);
      assertFalse(child.log().contains(connection.substring(connection.indexOf("SyncTokenPassword="))),
          "the password is never logged");
    } finally {
      child.close();
    }
  }

  /** The first command on an older auth.db upgrades it: that log line must not spoil the JSON. */
  @Test
  void onADataFolderOfRelease010TheOutputIsStillJsonAndTheUpgradeIsLoggedToStderr() throws Exception {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "the fixture is this registry's own data folder");
    root = RegistryProcess.prepare("cr-upgrade");
    java.nio.file.Path archive = java.nio.file.Path.of(ConnectedRegistryCliTest.class
        .getResource("/fixtures/data-0.1.0/data.tar.gz").toURI());
    java.nio.file.Files.createDirectories(root.dataDir());
    Command.run(List.of("tar", "-xzf", archive.toString(), "-C", root.dataDir().toString()))
        .assertOk();
    Command.Result list = offline("list", "--output", "json");
    assertEquals(0, json(list).size(), list::describe);
    assertTrue(list.stderr().contains("schema upgraded from version 1 to 2"), list::describe);
    assertTrue(list.stderr().contains("schema upgraded from version 2 to 3"), list::describe);
    JsonNode created = json(offline("create", "--name", "line3", "--repository", "fixture/*",
        "--client-tokens", "fixture-reader"));
    assertEquals("[\"fixture-reader\"]", created.path("clientTokens").toString(), created::toString);
  }

  @Test
  void aConnectedRegistryRefusesDefinitionsNamingItsParent() {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "connected registries are this registry's own");
    root = AuthSupport.prepareWithConfig("cr-not-root",
        "parent: {endpoint: 'parent.example:5000', protocol: http}\n");
    Command.Result r = RegistryProcess.runJar(60, "cr", "list", "--config",
        root.workDir().resolve("config.yml").toString(), "--data", root.dataDir().toString());
    assertRefused(r, "http://parent.example:5000", "root");
  }
}
