package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.AuthSupport.createToken;
import static io.connectedregistry.e2e.support.Expect.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import io.connectedregistry.e2e.support.AuthSupport;
import io.connectedregistry.e2e.support.AuthSupport.Credentials;
import io.connectedregistry.e2e.support.Command;
import io.connectedregistry.e2e.support.ConnectedRegistryCli;
import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The root's definition of a connected registry carries its garbage collection (enabled,
 * schedule); the instance applies it as {@code storage.gcEnabled} and {@code storage.gcSchedule},
 * live, owned by the definition. A root and one instance on 127.0.0.1, the instance contacting it
 * every 2 s ({@code CONNECTED_REGISTRY_CONTACT_INTERVAL}).
 */
class ConnectedRegistryGcDefinitionTest {

  private static final String PASSWORD_VARIABLE = ConnectedRegistryCli.PASSWORD_VARIABLE;
  private static final String CONFIG = "/_connected/v1/config";
  private static final String MANAGED = "managed (parent definition)";
  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private final List<RegistryProcess> started = new ArrayList<>();
  private RegistryProcess root;
  private Credentials rootAdmin;

  @AfterEach
  void stopAll() {
    for (RegistryProcess p : started) {
      p.close();
    }
  }

  @Test
  void theRootsGarbageCollectionSettingsReachTheInstanceLiveAndItsOwnPutCannotOverrideThem() {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "connected registries are this registry's own");
    root = track(RegistryProcess.prepare("gcdef-root"));
    root.withArgs("--config", AuthSupport.writeConfig(root, "loginServer: '" + root.hostPort()
        + "'\nauth: {anonymousPull: false, adminTokens: [root-admin]}\n").toString());
    rootAdmin = createToken(root, "root-admin", "--repository", "*", "content/read",
        "content/write", "metadata/read", "metadata/write");
    json(offline("create", "--name", "factory1", "--repository", "app/*"));
    String connection = json(offline("get-settings", "--name", "factory1", "--parent-protocol",
        "http", "--parent-endpoint", root.hostPort(), "--generate-password", "1"))
        .path("ACR_REGISTRY_CONNECTION_STRING").asText();

    RegistryProcess site = track(RegistryProcess.prepare("gcdef-factory1"));
    site.withArgs("--config", AuthSupport.writeConfig(site, "loginServer: '" + site.hostPort()
        + "'\nauth: {anonymousPull: false, adminTokens: [site-admin]}\n"
        // The instance's own file asks for something else: the definition wins.
        + "storage: {gcSchedule: '*/10 * * * *'}\n").toString());
    site.withEnv(Map.of("ACR_REGISTRY_CONNECTION_STRING", connection,
        "CONNECTED_REGISTRY_CONTACT_INTERVAL", "PT2S"));
    Credentials siteAdmin = createToken(site, "site-admin", "--repository", "*", "content/read",
        "metadata/read");
    root.start();
    site.start();
    RegistryClient client = new RegistryClient(site);

    // The definition's defaults (on, daily at midnight UTC) are in effect at the instance.
    JsonNode keys = await("the definition's garbage collection at the instance",
        () -> status(client.get(CONFIG, siteAdmin.header()), 200).json().path("keys"),
        k -> k.path("storage.gcSchedule").path("value").asText().equals("0 0 * * *"));
    assertEquals(MANAGED, keys.path("storage.gcSchedule").path("source").asText(), keys::toString);
    assertEquals("true", keys.path("storage.gcEnabled").path("value").asText(), keys::toString);
    assertEquals(MANAGED, keys.path("storage.gcEnabled").path("source").asText(), keys::toString);

    // Changed at the root: reaches the instance at its next contact, without a restart.
    json(online("update", "--name", "factory1", "--gc-schedule", "30 2 * * 6", "--gc-enabled",
        "false"));
    keys = await("the new garbage collection at the instance",
        () -> status(client.get(CONFIG, siteAdmin.header()), 200).json().path("keys"),
        k -> k.path("storage.gcSchedule").path("value").asText().equals("30 2 * * 6")
            && k.path("storage.gcEnabled").path("value").asText().equals("false"));
    assertEquals(MANAGED, keys.path("storage.gcSchedule").path("source").asText(), keys::toString);
    assertEquals(MANAGED, keys.path("storage.gcEnabled").path("source").asText(), keys::toString);
    await("the collector turned off in the instance's log", site::log,
        log -> log.contains("garbage collection inside the server: off (storage.gcEnabled is false)"));

    // The instance's config API (the twin's way in) cannot override what the definition sets.
    JsonNode answer = status(client.put(CONFIG,
        "{\"storage\": {\"gcEnabled\": true, \"gcSchedule\": \"* * * * *\"}}"
            .getBytes(StandardCharsets.UTF_8),
        "Authorization", siteAdmin.basic(), "Content-Type", "application/json"), 200).json();
    assertTrue(answer.path("refused").has("storage.gcSchedule"), answer::toString);
    assertTrue(answer.path("refused").has("storage.gcEnabled"), answer::toString);
    keys = status(client.get(CONFIG, siteAdmin.header()), 200).json().path("keys");
    assertEquals("30 2 * * 6", keys.path("storage.gcSchedule").path("value").asText(),
        keys::toString);
    assertEquals("false", keys.path("storage.gcEnabled").path("value").asText(), keys::toString);

    // Restarted while the root is down: the definition kept in the data folder governs the
    // collector, not the file's schedule the instance starts with.
    root.stop();
    site.stop();
    site.start();
    await("the kept definition turning the collector off after the restart", site::log,
        log -> lastCollectorLine(log.substring(log.lastIndexOf("e2e harness: start #")))
            .contains("off (storage.gcEnabled is false)"));
    sleepQuietly(1000); // bounded: an older configuration applied late would log after it
    String restarted = site.log().substring(site.log().lastIndexOf("e2e harness: start #"));
    assertTrue(lastCollectorLine(restarted).contains("off (storage.gcEnabled is false)"),
        restarted);
    keys = status(client.get(CONFIG, siteAdmin.header()), 200).json().path("keys");
    assertEquals("30 2 * * 6", keys.path("storage.gcSchedule").path("value").asText(),
        keys::toString);
    assertEquals(MANAGED, keys.path("storage.gcSchedule").path("source").asText(), keys::toString);
  }

  /** The last line the collector's timer logged about what it does (empty if none). */
  private static String lastCollectorLine(String log) {
    int at = log.lastIndexOf("garbage collection inside the server:");
    if (at < 0) {
      return "";
    }
    int end = log.indexOf('\n', at);
    return log.substring(at, end < 0 ? log.length() : end);
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  // ---- helpers (as ConnectedRegistryTreeTest's) ----

  private RegistryProcess track(RegistryProcess p) {
    started.add(p);
    return p;
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
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    throw new AssertionError(what + ": not within " + PATIENCE + "; last seen: " + last);
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
}
