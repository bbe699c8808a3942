package io.connectedregistry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.connectedregistry.auth.AccessControl;
import io.connectedregistry.auth.AuthStore;
import io.connectedregistry.auth.Authenticator;
import io.connectedregistry.auth.Limits;
import io.connectedregistry.auth.LoginThrottle;
import io.connectedregistry.auth.PasswordHasher;
import io.connectedregistry.auth.TokenService;
import io.connectedregistry.config.ConfigControl;
import io.connectedregistry.config.ConfigException;
import io.connectedregistry.config.ConfigLayers;
import io.connectedregistry.config.ConfigLoader;
import io.connectedregistry.config.ConfigLoader.Flags;
import io.connectedregistry.config.RegistryConfig;
import io.connectedregistry.config.RegistryConfig.AuthConfig.Anonymous;
import io.connectedregistry.config.RegistryConfig.Mode;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The applier over real parts (SQLite auth store, access control, token service): what it
 * applies reaches them, a bad document changes nothing, and a twin value for a key the parent's
 * definition owns is refused through the test hook.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class LiveConfigurationTest {
  @TempDir Path data;
  private AuthStore store;
  private AccessControl access;
  private LiveConfiguration live;
  private final List<RegistryConfig> storageChanges = new ArrayList<>();

  private static JsonNode json(String text) throws Exception {
    return new JsonMapper().readTree(text);
  }

  @BeforeEach
  void setUp() {
    ConfigLayers layers = new ConfigLayers(new ConfigLoader(Map.of()),
        Flags.none().withData(data.toString()).withListen("127.0.0.1:5000"));
    ConfigLayers.Built built = layers.build();
    store = AuthStore.open(data, Mode.ReadWrite, Limits.DEFAULTS, new PasswordHasher(1_000), Clock.systemUTC());
    access = new AccessControl(store, new Authenticator(store, new PasswordHasher(1_000)),
        TokenService.open(data, Duration.ofMinutes(5)), new LoginThrottle(10), Anonymous.FULL,
        List.of(), Clock.systemUTC());
    live = new LiveConfiguration(layers, built, access, null, storageChanges::add);
  }

  @AfterEach
  void tearDown() {
    store.close();
  }

  @Test
  void applied_keys_reach_the_parts() throws Exception {
    ConfigControl.Outcome outcome = live.setManaged(json("""
        {"mode": "ReadOnly", "auth": {"anonymousPull": true, "adminTokens": ["ops-admin"],
         "tokenLifetime": "PT10M", "failedLoginsPerMinute": 3}, "storage": {"gcInterval": "PT1H"}}
        """));

    assertEquals(List.of("auth.adminTokens", "auth.anonymousPull", "auth.failedLoginsPerMinute",
        "auth.tokenLifetime", "mode", "storage.gcInterval"), outcome.applied());
    assertEquals(Mode.ReadOnly, store.mode());
    assertEquals(Anonymous.PULL, access.anonymousPolicy());
    assertEquals(Duration.ofMinutes(10), access.tokens().lifetime());
    assertEquals(3, access.throttle().failuresPerMinute());
    assertEquals(1, storageChanges.size());
    assertEquals(ConfigLayers.TWIN, live.effective().get("mode").source());
  }

  @Test
  void the_parents_garbage_collection_reaches_the_storage_part_live_and_a_bad_one_changes_nothing()
      throws Exception {
    // As InstanceAgent.configDocument writes a definition (InstanceAgentFilesTest).
    JsonNode definition = json("""
        {"mode": "ReadOnly", "logLevel": "Information", "sync": {"repositories": ["app/*"],
         "schedule": "* * * * *", "messageTtl": "P2D"},
         "storage": {"gcEnabled": false, "gcSchedule": "0 5 * * *"}}
        """);

    ConfigControl.Outcome outcome = live.setParentDefinition(definition);

    assertTrue(outcome.applied().containsAll(List.of("storage.gcEnabled", "storage.gcSchedule")),
        outcome::toString);
    assertEquals(1, storageChanges.size());
    assertEquals(false, storageChanges.get(0).storage().gcEnabled());
    assertEquals("0 5 * * *", storageChanges.get(0).storage().gcSchedule());
    assertEquals(ConfigLayers.PARENT_DEFINITION, live.effective().get("storage.gcSchedule").source());

    // A parent that sends something else than a boolean: refused, naming the key; nothing changes.
    JsonNode bad = json("""
        {"mode": "ReadOnly", "logLevel": "Information", "sync": {"repositories": ["app/*"],
         "schedule": "* * * * *", "messageTtl": "P2D"},
         "storage": {"gcEnabled": "yes", "gcSchedule": "@reboot"}}
        """);
    ConfigException e = assertThrows(ConfigException.class, () -> live.setParentDefinition(bad));
    assertTrue(e.getMessage().contains("storage.gcEnabled: 'yes'"), e.getMessage());
    assertTrue(e.getMessage().contains("storage.gcSchedule: '@reboot'"), e.getMessage());
    assertEquals("0 5 * * *", live.running().storage().gcSchedule());
    assertEquals(1, storageChanges.size());
  }

  @Test
  void a_bad_document_changes_nothing() throws Exception {
    live.setManaged(json("{\"mode\": \"ReadOnly\"}"));

    ConfigException e = assertThrows(ConfigException.class,
        () -> live.setManaged(json("{\"mode\": \"ReadWrite\", \"logLevel\": \"Loud\", \"auth\": {\"tokenLifetime\": \"P9D\"}}")));

    assertEquals(2, e.problems().size(), e.getMessage());
    assertEquals(Mode.ReadOnly, store.mode());
    assertEquals(Mode.ReadOnly, live.running().mode());
    assertEquals(Duration.ofMinutes(5), access.tokens().lifetime());
  }

  @Test
  void a_twin_value_for_a_key_the_parents_definition_sets_is_refused_and_names_the_owner()
      throws Exception {
    live.setParentDefinition(json("{\"mode\": \"ReadOnly\"}"));

    ConfigControl.Outcome outcome = live.setManaged(json("{\"mode\": \"ReadWrite\", \"logLevel\": \"Warning\"}"));

    assertEquals(List.of("logLevel"), outcome.applied());
    assertEquals(List.of("mode"), List.copyOf(outcome.refused().keySet()));
    assertTrue(outcome.refused().get("mode").contains("parent's definition"), outcome.refused()::toString);
    assertEquals(Mode.ReadOnly, store.mode());
    assertEquals(ConfigLayers.PARENT_DEFINITION, live.effective().get("mode").source());
  }

  @Test
  void a_restart_required_key_is_shown_as_pending_and_not_applied() throws Exception {
    ConfigControl.Outcome outcome = live.setManaged(json("{\"http\": {\"maxConnections\": 64}}"));

    assertEquals(List.of(), outcome.applied());
    assertEquals(List.of("http.maxConnections"), outcome.restartRequired());
    assertEquals("256", live.effective().get("http.maxConnections").value());
    assertEquals("64", live.effective().get("http.maxConnections").pending());
  }
}
