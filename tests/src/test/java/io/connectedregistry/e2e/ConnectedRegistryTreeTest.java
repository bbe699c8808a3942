package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.AuthSupport.createToken;
import static io.connectedregistry.e2e.support.AuthSupport.pushBlob;
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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * A tree of real instances, each a process on 127.0.0.1, started from the connection strings
 * {@code cr get-settings} printed: the root, {@code factory1} (ReadWrite) and {@code line3}
 * (ReadOnly, under factory1). Instances contact their parent every 2 s
 * ({@code CONNECTED_REGISTRY_CONTACT_INTERVAL}) and the root calls a registry Offline after 8 s of
 * silence ({@code CONNECTED_REGISTRY_OFFLINE_AFTER}), so nothing waits for the one-minute defaults.
 */
@Order(2) // among the longest classes: started first (tests/pom.xml)
class ConnectedRegistryTreeTest {

  private static final String PASSWORD_VARIABLE = ConnectedRegistryCli.PASSWORD_VARIABLE;
  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private final List<RegistryProcess> started = new ArrayList<>();
  private RegistryProcess root;
  private Credentials rootAdmin;
  private Credentials reader;

  @AfterEach
  void stopAll() {
    for (RegistryProcess p : started) {
      p.close();
    }
  }

  private RegistryProcess track(RegistryProcess p) {
    started.add(p);
    return p;
  }

  // ---- the tree ----

  /** The root with factory1 (ReadWrite, app/*) and line3 (ReadOnly, under factory1), not started. */
  private void defineTree() {
    root = track(RegistryProcess.prepare("tree-root"));
    root.withArgs("--config", AuthSupport.writeConfig(root, "loginServer: '" + root.hostPort()
        + "'\nauth: {anonymousPull: false, adminTokens: [root-admin]}\n").toString());
    root.withEnv(Map.of("CONNECTED_REGISTRY_OFFLINE_AFTER", "PT8S"));
    rootAdmin = createToken(root, "root-admin", "--repository", "*", "content/read",
        "content/write", "content/delete", "metadata/read", "metadata/write");
    reader = createToken(root, "reader1", "--repository", "app/*", "content/read",
        "metadata/read");
    json(offline("create", "--name", "factory1", "--mode", "ReadWrite", "--repository", "app/*"));
    json(offline("create", "--name", "line3", "--parent", "factory1", "--repository", "app/*",
        "--client-tokens", "reader1"));
  }

  /** An instance, not started, with a config file of its own. */
  private RegistryProcess instance(String label) {
    RegistryProcess p = track(RegistryProcess.prepare(label));
    p.withArgs("--config", AuthSupport.writeConfig(p, "loginServer: '" + p.hostPort()
        + "'\nauth: {anonymousPull: false, adminTokens: [site-admin]}\n").toString());
    return p;
  }

  /** Its connection string, and its own admin token (made before activation, so it is kept). */
  private static Credentials connect(RegistryProcess p, String connectionString) {
    p.withEnv(Map.of("ACR_REGISTRY_CONNECTION_STRING", connectionString,
        "CONNECTED_REGISTRY_CONTACT_INTERVAL", "PT2S"));
    return createToken(p, "site-admin", "--repository", "*", "content/read", "metadata/read");
  }

  private String settings(String name, String endpoint) {
    return json(offline("get-settings", "--name", name, "--parent-protocol", "http",
        "--parent-endpoint", endpoint, "--generate-password", "1"))
        .path("ACR_REGISTRY_CONNECTION_STRING").asText();
  }

  // ---- tests ----

  @Test
  void anInstanceActivatesOnceASecondWithTheSameStringIsRefusedAndTheFirstComesBack() {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "connected registries are this registry's own");
    defineTree();
    String connection = settings("factory1", root.hostPort());
    root.start();
    RegistryProcess factory1 = instance("tree-factory1");
    Credentials siteAdmin = connect(factory1, connection);
    factory1.start();
    JsonNode shown = await("factory1 Active at the root", () -> show("factory1"),
        d -> d.path("activation").asText().equals("Active")
            && !d.path("lastActivityTime").isNull());
    assertFalse(shown.path("loginServer").isNull(), shown::toString);
    awaitStatus(factory1, siteAdmin, "Active");

    // A second instance (another data folder) with the same connection string.
    RegistryProcess second = instance("tree-factory1-copy");
    Credentials secondAdmin = connect(second, connection);
    second.start();
    await("the refusal in the second instance's log", () -> second.log(),
        log -> log.contains("activation refused") && log.contains("already active"));
    awaitStatus(second, secondAdmin, "Inactive");
    // The API's answer itself: 409, naming the registry.
    Map<String, String> parts = parse(connection);
    Response refused = new RegistryClient(root).post("/_connected/v1/registries/factory1/activation",
        "{\"instanceId\":\"00000000-0000-0000-0000-000000000001\"}".getBytes(StandardCharsets.UTF_8),
        "Authorization", AuthSupport.basic(parts.get("SyncTokenName"), parts.get("SyncTokenPassword")),
        "Content-Type", "application/json");
    assertEquals(409, refused.status(), refused::describe);
    assertTrue(refused.text().contains("activation refused: connected registry 'factory1' is"
        + " already active with another instance"), refused::describe);
    second.stop();

    // The first, restarted, is the same instance: accepted again.
    factory1.stop();
    factory1.start();
    await("a second acceptance in the first instance's log", () -> factory1.log(),
        log -> log.split("activation accepted", -1).length - 1 == 2);
    awaitStatus(factory1, siteAdmin, "Active");

    // Restarted while the root is down: the definition kept in the data folder applies.
    root.stop();
    factory1.stop();
    factory1.start();
    awaitStatus(factory1, siteAdmin, "Active");
    JsonNode mode = new RegistryClient(factory1).get("/_connected/v1/config", "Authorization",
        siteAdmin.basic()).json().path("keys").path("mode");
    assertEquals("ReadWrite", mode.path("value").asText(), mode::toString);
    assertEquals("managed (parent definition)", mode.path("source").asText(), mode::toString);
  }

  @Test
  void theTreeSyncsRelaysActivatesWhileTheRootIsDownAppliesDefinitionsReportsAndDeactivates() {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "connected registries are this registry's own");
    defineTree();
    RegistryProcess factory1 = instance("tree-factory1");
    RegistryProcess line3 = instance("tree-line3");
    // Both passwords made before the root starts: factory1 takes line3's sync token with it.
    Credentials factory1Admin = connect(factory1, settings("factory1", root.hostPort()));
    Credentials line3Admin = connect(line3, settings("line3", factory1.hostPort()));
    root.start();
    RegistryClient rootClient = new RegistryClient(root);
    pushImage(rootClient, "v1", 1);
    factory1.start();
    await("factory1 Active at the root", () -> show("factory1"),
        d -> d.path("activation").asText().equals("Active"));
    awaitStatus(factory1, factory1Admin, "Active");
    syncNow(factory1, factory1Admin);
    status(new RegistryClient(factory1).get("/v2/app/web/manifests/v1", "Accept",
        Oci.IMAGE_MANIFEST, "Authorization", factory1Admin.basic()), 200);

    // The root goes down; line3 starts for the first time and activates through factory1.
    root.stop();
    line3.start();
    awaitStatus(line3, line3Admin, "Active");
    RegistryClient line3Client = new RegistryClient(line3);
    // The client token defined at the root logs in at line3 while the root is down.
    await("reader1 accepted at line3", () -> line3Client.get("/v2/", "Authorization",
        reader.basic()).status(), s -> s == 200);
    syncNow(line3, line3Admin);
    status(line3Client.get("/v2/app/web/manifests/v1", "Accept", Oci.IMAGE_MANIFEST,
        "Authorization", reader.basic()), 200);
    // Local token commands refuse there, naming who owns the tokens.
    Command.Result local = AuthSupport.cli(line3, "token", "create", "--name", "local1",
        "--repository", "app/*", "content/read");
    assertTrue(local.exitCode() != 0 && local.stderr().contains("managed at the root"),
        local::describe);
    Response viaApi = line3Client.post("/_connected/v1/admin/tokens",
        "{\"name\":\"local2\",\"scopeMap\":\"reader1-scope-map\"}".getBytes(StandardCharsets.UTF_8),
        "Authorization", line3Admin.basic(), "Content-Type", "application/json");
    assertEquals(409, viaApi.status(), viaApi::describe);
    assertTrue(viaApi.text().contains("managed at the root"), viaApi::describe);

    // The root comes back: the relayed activation and the status reach it.
    root.start();
    await("line3 Active and heard of at the root", () -> show("line3"),
        d -> d.path("activation").asText().equals("Active")
            && !d.path("lastActivityTime").isNull());

    // A change of definition at the root reaches line3 without a restart.
    json(online("update", "--name", "line3", "--sync-schedule", "0 0 1 1 *"));
    JsonNode schedule = await("the new schedule applied at line3", () -> new RegistryClient(line3)
        .get("/_connected/v1/config", "Authorization", line3Admin.basic()).json()
        .path("keys").path("sync.schedule"), k -> k.path("value").asText().equals("0 0 1 1 *"));
    assertEquals("managed (parent definition)", schedule.path("source").asText(),
        schedule::toString);

    // Status up the tree: both listed with lastActivityTime; line3 killed becomes Offline.
    JsonNode list = json(online("list", "--output", "json"));
    assertEquals(2, list.size(), list::toString);
    for (JsonNode d : list) {
      assertFalse(d.path("lastActivityTime").isNull(), list::toString);
      assertFalse(d.path("connectionState").asText().equals("Offline"), list::toString);
    }
    line3.kill9();
    await("line3 Offline at the root", () -> show("line3"),
        d -> d.path("connectionState").asText().equals("Offline"));
    assertFalse(show("factory1").path("connectionState").asText().equals("Offline"));

    // Deactivated: line3 says Inactive, stops syncing, still serves what it has.
    line3.start();
    awaitStatus(line3, line3Admin, "Active");
    json(online("deactivate", "--name", "line3"));
    awaitStatus(line3, line3Admin, "Inactive");
    await("the deactivation in line3's log", () -> line3.log(),
        log -> log.contains("deactivated at the root"));
    pushImage(rootClient, "v2", 2);
    syncNow(factory1, factory1Admin);
    status(new RegistryClient(factory1).get("/v2/app/web/manifests/v2", "Accept",
        Oci.IMAGE_MANIFEST, "Authorization", factory1Admin.basic()), 200);
    String before = line3Status(line3, line3Admin).path("lastSyncStartTime").asText("");
    status(line3Client.post("/_connected/v1/sync", new byte[0], "Authorization",
        line3Admin.basic()), 202);
    sleep(6000); // a held cycle must not start: bounded wait, then look
    assertEquals(before, line3Status(line3, line3Admin).path("lastSyncStartTime").asText(""));
    assertEquals(404, line3Client.get("/v2/app/web/manifests/v2", "Accept", Oci.IMAGE_MANIFEST,
        "Authorization", reader.basic()).status());
    status(line3Client.get("/v2/app/web/manifests/v1", "Accept", Oci.IMAGE_MANIFEST,
        "Authorization", reader.basic()), 200);
  }

  /**
   * line3 is Active at the root; while the root is down a second line3 instance activates through
   * factory1, which accepts it. Once the root is back, its refusal wins: the second instance
   * stops syncing and says why; the first stays Active.
   */
  @Test
  void anActivationAcceptedByTheParentWhileTheRootIsDownYieldsToTheRootsRefusal() {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "connected registries are this registry's own");
    defineTree();
    RegistryProcess factory1 = instance("tree-factory1");
    RegistryProcess line3 = instance("tree-line3");
    RegistryProcess copy = instance("tree-line3-copy");
    Credentials factory1Admin = connect(factory1, settings("factory1", root.hostPort()));
    String line3Settings = settings("line3", factory1.hostPort());
    Credentials line3Admin = connect(line3, line3Settings);
    Credentials copyAdmin = connect(copy, line3Settings);
    root.start();
    factory1.start();
    line3.start();
    await("line3 Active at the root", () -> show("line3"),
        d -> d.path("activation").asText().equals("Active"));
    String firstInstance = line3Status(line3, line3Admin).path("activation").asText();
    assertEquals("Active", firstInstance);

    root.stop();
    copy.start();
    awaitStatus(copy, copyAdmin, "Active"); // accepted by factory1 alone
    root.start();
    awaitStatus(copy, copyAdmin, "Inactive");
    await("the root's refusal in the copy's log", () -> copy.log(),
        log -> log.contains("was refused by the root") && log.contains("already active"));
    awaitStatus(line3, line3Admin, "Active");
    assertEquals("Active", show("line3").path("activation").asText());
    awaitStatus(factory1, factory1Admin, "Active");
  }

  /**
   * A push at ReadWrite factory1 with a client token defined at the root (mirrored to factory1 as
   * a hash) goes up to the root; once factory1 is deactivated, its upstream queue stops too.
   */
  @Test
  void aPushAtAReadWriteSiteWithARootTokenGoesUpUntilTheSiteIsDeactivated() {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "connected registries are this registry's own");
    defineTree();
    Credentials pusher = createToken(root, "pusher1", "--repository", "app/*", "content/read",
        "content/write", "metadata/read", "metadata/write");
    json(offline("update", "--name", "factory1", "--add-client-tokens", "pusher1"));
    RegistryProcess factory1 = instance("tree-factory1");
    Credentials factory1Admin = connect(factory1, settings("factory1", root.hostPort()));
    root.start();
    factory1.start();
    awaitStatus(factory1, factory1Admin, "Active");
    RegistryClient site = new RegistryClient(factory1);
    await("pusher1 accepted at factory1", () -> site.get("/v2/", "Authorization",
        pusher.basic()).status(), s -> s == 200);
    pushImage(site, pusher, "up1", 3);
    RegistryClient rootClient = new RegistryClient(root);
    await("up1 at the root", () -> rootClient.get("/v2/app/web/manifests/up1", "Accept",
        Oci.IMAGE_MANIFEST, "Authorization", rootAdmin.basic()).status(), s -> s == 200);

    json(online("deactivate", "--name", "factory1"));
    awaitStatus(factory1, factory1Admin, "Inactive");
    pushImage(site, pusher, "up2", 4); // still accepted locally
    status(site.post("/_connected/v1/sync", new byte[0], "Authorization", factory1Admin.basic()),
        202); // would kick the queue
    sleep(6000); // bounded: long enough for the queue to send one image to a local root
    assertEquals(404, rootClient.get("/v2/app/web/manifests/up2", "Accept", Oci.IMAGE_MANIFEST,
        "Authorization", rootAdmin.basic()).status());
    status(site.get("/v2/app/web/manifests/up2", "Accept", Oci.IMAGE_MANIFEST, "Authorization",
        pusher.basic()), 200);
  }

  // ---- helpers ----

  private void pushImage(RegistryClient client, String tag, int seed) {
    pushImage(client, rootAdmin, tag, seed);
  }

  private static void pushImage(RegistryClient client, Credentials as, String tag, int seed) {
    Oci.Blob config = Oci.config("tree-" + tag);
    Oci.Blob layer = Oci.layer(seed, 1024);
    pushBlob(client, as.header(), "app/web", config.data());
    pushBlob(client, as.header(), "app/web", layer.data());
    AuthSupport.pushManifest(client, as.header(), "app/web", tag,
        AuthSupport.manifest(config, layer, "tree-" + tag));
  }

  private JsonNode show(String name) {
    return json(online("show", "--name", name));
  }

  private static JsonNode line3Status(RegistryProcess p, Credentials admin) {
    return new RegistryClient(p).get("/_connected/v1/status", "Authorization", admin.basic()).json();
  }

  private static void awaitStatus(RegistryProcess p, Credentials admin, String activation) {
    await(p + " " + activation, () -> line3Status(p, admin).path("activation").asText(),
        a -> a.equals(activation));
  }

  /** Starts a cycle (operator call) and waits until one started after the call has ended. */
  private static JsonNode syncNow(RegistryProcess p, Credentials admin) {
    RegistryClient client = new RegistryClient(p);
    Instant asked = Instant.now();
    status(client.post("/_connected/v1/sync", new byte[0], "Authorization", admin.basic()), 202);
    return await(p + " sync after " + asked, () -> line3Status(p, admin), s -> {
      String start = s.path("lastSyncStartTime").asText("");
      String end = s.path("lastSyncEndTime").asText("");
      return !start.isEmpty() && !end.isEmpty() && !s.path("syncState").asText().equals("Syncing")
          && !Instant.parse(start).isBefore(asked.minusSeconds(1))
          && !Instant.parse(end).isBefore(Instant.parse(start));
    });
  }

  private static <T> T await(String what, Supplier<T> probe, Predicate<T> done) {
    Instant deadline = Instant.now().plus(PATIENCE);
    T last = null;
    while (Instant.now().isBefore(deadline)) {
      try {
        last = probe.get();
        if (done.test(last)) {
          return last;
        }
      } catch (RuntimeException | AssertionError e) {
        last = null; // not up yet
      }
      sleep(250);
    }
    throw new AssertionError(what + ": not within " + PATIENCE + "; last seen: " + last);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private Command.Result offline(String... args) {
    return ConnectedRegistryCli.offline(root, args);
  }

  private Command.Result online(String... args) {
    return ConnectedRegistryCli.online(root, rootAdmin, args);
  }

  private static JsonNode json(Command.Result r) {
    return ConnectedRegistryCli.json(r);
  }

  private static Map<String, String> parse(String connection) {
    Map<String, String> parts = new java.util.LinkedHashMap<>();
    for (String part : connection.split(";")) {
      int eq = part.indexOf('=');
      parts.put(part.substring(0, eq), part.substring(eq + 1));
    }
    return parts;
  }
}
