package io.connectedregistry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.json.JsonMapper;
import io.connectedregistry.config.ConfigLayers;
import io.connectedregistry.config.ConfigLoader;
import io.connectedregistry.config.ConfigLoader.Flags;
import io.connectedregistry.config.RegistryConfig;
import io.connectedregistry.config.RegistryConfig.LogLevel;
import io.connectedregistry.config.RegistryConfig.Mode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ReconfigurationTest {

  private static RegistryConfig config(String twin) throws Exception {
    return new ConfigLayers(new ConfigLoader(Map.of()), Flags.none())
        .withTwin(new JsonMapper().readTree(twin)).build().config();
  }

  @Test
  void live_keys_are_applied_and_the_others_wait_for_a_restart() throws Exception {
    RegistryConfig before = config("{}");
    RegistryConfig requested = config("""
        {"mode": "ReadOnly", "logLevel": "Debug", "listen": "127.0.0.1:6000",
         "loginServer": "registry.example.com:443",
         "auth": {"anonymousPull": true, "tokenLifetime": "PT10M", "limits": {"maxTokens": 5}},
         "storage": {"gcInterval": "PT1H", "gcGrace": "PT5M", "gcEnabled": false,
                     "gcSchedule": "0 3 * * *"},
         "http": {"maxConnections": 64}, "sync": {"schedule": "0 * * * *"},
         "configWatchInterval": "PT30S",
         "metrics": {"enabled": false, "listen": "127.0.0.1:9090"}}
        """);

    Reconfiguration change = Reconfiguration.of(before, requested);

    assertEquals(List.of("auth.anonymousPull", "auth.tokenLifetime", "logLevel", "loginServer",
        "mode", "storage.gcEnabled", "storage.gcGrace", "storage.gcInterval", "storage.gcSchedule",
        "sync.schedule"), change.applied());
    assertEquals(List.of("auth.limits.maxTokens", "configWatchInterval", "http.maxConnections", "listen",
        "metrics.enabled", "metrics.listen"), change.restartRequired());
    assertEquals(Mode.ReadOnly, change.running().mode());
    assertEquals(LogLevel.Debug, change.running().logLevel());
    assertEquals(before.listen(), change.running().listen());
    assertEquals(requested.storage().gcGrace(), change.running().storage().gcGrace());
    assertEquals("0 3 * * *", change.running().storage().gcSchedule());
    assertEquals(false, change.running().storage().gcEnabled());
    assertEquals(before.http(), change.running().http());
  }

  @Test
  void a_parent_replaced_by_another_is_live_but_a_parent_added_to_a_root_waits_for_a_restart()
      throws Exception {
    String parentA = "{\"mode\": \"ReadOnly\", \"parent\": {\"endpoint\": \"127.0.0.1:7001\", \"protocol\": \"http\"}";
    String parentB = "{\"mode\": \"ReadOnly\", \"parent\": {\"endpoint\": \"127.0.0.1:7002\", \"protocol\": \"http\"}";
    RegistryConfig connectedToA = config(parentA + ", \"sync\": {\"repositories\": [\"app/*\"]}}");

    Reconfiguration replaced = Reconfiguration.of(connectedToA,
        config(parentB + ", \"sync\": {\"repositories\": [\"lib/*\"]}}"));
    Reconfiguration added = Reconfiguration.of(config("{\"mode\": \"ReadOnly\"}"), connectedToA);

    assertEquals(List.of("parent.endpoint", "sync.repositories"), replaced.applied());
    assertEquals(List.of(), replaced.restartRequired());
    assertEquals(List.of("sync.repositories"), added.applied());
    assertEquals(List.of("parent.endpoint", "parent.protocol", "parent.tokenRealms"),
        added.restartRequired());
  }

  @Test
  void the_same_configuration_changes_nothing() throws Exception {
    RegistryConfig same = config("{\"mode\": \"ReadOnly\"}");

    Reconfiguration change = Reconfiguration.of(same, config("{\"mode\": \"ReadOnly\"}"));

    assertEquals(List.of(), change.applied());
    assertEquals(List.of(), change.restartRequired());
  }

  @Test
  void a_key_still_waiting_for_a_restart_is_reported_again_not_applied() throws Exception {
    RegistryConfig started = config("{}");
    Reconfiguration first = Reconfiguration.of(started, config("{\"listen\": \"127.0.0.1:6000\"}"));

    Reconfiguration second = Reconfiguration.of(first.running(),
        config("{\"listen\": \"127.0.0.1:6000\", \"logLevel\": \"Warning\"}"));

    assertEquals(List.of("logLevel"), second.applied());
    assertEquals(List.of("listen"), second.restartRequired());
  }
}
