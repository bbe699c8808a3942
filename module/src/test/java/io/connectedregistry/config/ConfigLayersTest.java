package io.connectedregistry.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.connectedregistry.config.ConfigLoader.Flags;
import io.connectedregistry.config.RegistryConfig.LogLevel;
import io.connectedregistry.config.RegistryConfig.Mode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ConfigLayersTest {
  private static final JsonMapper JSON = new JsonMapper();

  @TempDir Path dir;

  private static JsonNode json(String text) {
    try {
      return JSON.readTree(text);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private ConfigLayers layers(String yaml, Map<String, String> env, Flags flags) throws IOException {
    Path file = Files.writeString(dir.resolve("registry.yaml"), yaml);
    return new ConfigLayers(new ConfigLoader(env), flags.withConfig(file));
  }

  @Test
  void each_key_reports_the_highest_layer_that_set_it() throws IOException {
    ConfigLayers layers = layers("""
        logLevel: Warning
        sync:
          schedule: "0 2 * * *"
        storage:
          gcGrace: PT2H
        """, Map.of("REGISTRY_LOG_LEVEL", "Error", "REGISTRY_MODE", "ReadOnly"),
        Flags.none().withMode("ReadWrite").withListen("127.0.0.1:7000"))
        .withTwin(json("{\"storage\": {\"gcGrace\": \"PT3H\"}, \"auth\": {\"tokenLifetime\": \"PT10M\"}}"));

    ConfigLayers.Built built = layers.build();

    assertEquals(LogLevel.Error, built.config().logLevel());
    assertEquals(Mode.ReadWrite, built.config().mode());
    assertEquals("0 2 * * *", built.config().sync().schedule());
    assertEquals(java.time.Duration.ofHours(3), built.config().storage().gcGrace());
    Map<String, String> sources = built.sources();
    assertEquals(ConfigLayers.ENVIRONMENT, sources.get("logLevel"));
    assertEquals(ConfigLayers.FLAGS, sources.get("mode"));
    assertEquals(ConfigLayers.FLAGS, sources.get("listen"));
    assertEquals(ConfigLayers.FILE, sources.get("sync.schedule"));
    assertEquals(ConfigLayers.TWIN, sources.get("storage.gcGrace"));
    assertEquals(ConfigLayers.TWIN, sources.get("auth.tokenLifetime"));
    assertEquals(ConfigLayers.DEFAULT, sources.get("data"));
  }

  @Test
  void an_environment_variable_or_flag_restating_the_files_value_is_still_their_source()
      throws IOException {
    ConfigLayers.Built built = layers("logLevel: Warning\nmode: ReadOnly\n",
        Map.of("REGISTRY_LOG_LEVEL", "Warning"), Flags.none().withMode("ReadOnly")).build();

    assertEquals(ConfigLayers.ENVIRONMENT, built.sources().get("logLevel"));
    assertEquals(ConfigLayers.FLAGS, built.sources().get("mode"));
  }

  @Test
  void a_file_value_equal_to_the_default_still_reports_the_file() throws IOException {
    ConfigLayers.Built built = layers("logLevel: Information\n", Map.of(), Flags.none()).build();

    assertEquals(ConfigLayers.FILE, built.sources().get("logLevel"));
  }

  @Test
  void every_bad_key_of_every_layer_is_named_at_once() throws IOException {
    ConfigLayers layers = layers("""
        mode: Sideways
        logLevel: Loud
        bogus: 1
        sync:
          schedule: not-cron
        """, Map.of("REGISTRY_LISTEN", "nowhere"), Flags.none())
        .withTwin(json("{\"storage\": {\"gcInterval\": \"soon\"}}"));

    ConfigException e = assertThrows(ConfigException.class, layers::build);

    String all = String.join("\n", e.problems());
    for (String key : List.of("mode", "logLevel", "'bogus'", "sync.schedule", "REGISTRY_LISTEN",
        "storage.gcInterval")) {
      assertTrue(all.contains(key), () -> key + " should be named in:\n" + all);
    }
    assertEquals(6, e.problems().size(), all);
  }

  @Test
  void the_parents_definition_owns_the_keys_it_sets_and_a_twin_value_for_them_is_refused()
      throws IOException {
    ConfigLayers layers = layers("", Map.of(), Flags.none())
        .withParentDefinition(json("{\"mode\": \"ReadOnly\", \"sync\": {\"repositories\": [\"app/*\"]}}"))
        .withTwin(json("{\"mode\": \"ReadWrite\", \"logLevel\": \"Debug\","
            + " \"sync\": {\"repositories\": [\"other/*\"], \"schedule\": \"0 * * * *\"}}"));

    ConfigLayers.Built built = layers.build();

    assertEquals(Mode.ReadOnly, built.config().mode());
    assertEquals(List.of("app/*"), built.config().sync().repositories());
    assertEquals(ConfigLayers.PARENT_DEFINITION, built.sources().get("mode"));
    assertEquals(List.of("mode", "sync.repositories"), List.copyOf(built.refused().keySet()));
    assertTrue(built.refused().get("mode").contains("parent's definition"), built.refused()::toString);
    // Owned keys the definition does not set, and keys nobody owns, are the twin's.
    assertEquals(LogLevel.Debug, built.config().logLevel());
    assertEquals(ConfigLayers.TWIN, built.sources().get("logLevel"));
    assertEquals("0 * * * *", built.config().sync().schedule());
  }

  @Test
  void the_parents_definition_owns_the_garbage_collection_keys_and_the_twin_sets_them_only_without_it()
      throws IOException {
    String twin = "{\"storage\": {\"gcEnabled\": true, \"gcSchedule\": \"*/5 * * * *\","
        + " \"gcInterval\": \"PT2H\"}}";
    ConfigLayers defined = layers("", Map.of(), Flags.none())
        .withParentDefinition(json("{\"storage\": {\"gcEnabled\": false, \"gcSchedule\": \"0 4 * * *\"}}"))
        .withTwin(json(twin));

    ConfigLayers.Built built = defined.build();

    assertFalse(built.config().storage().gcEnabled());
    assertEquals("0 4 * * *", built.config().storage().gcSchedule());
    assertEquals(ConfigLayers.PARENT_DEFINITION, built.sources().get("storage.gcSchedule"));
    assertEquals(ConfigLayers.PARENT_DEFINITION, built.sources().get("storage.gcEnabled"));
    assertEquals(List.of("storage.gcEnabled", "storage.gcSchedule"),
        List.copyOf(built.refused().keySet()));
    // gcInterval is no parent's: the twin keeps it.
    assertEquals(java.time.Duration.ofHours(2), built.config().storage().gcInterval());

    ConfigLayers.Built undefined = layers("", Map.of(), Flags.none()).withTwin(json(twin)).build();
    assertEquals("*/5 * * * *", undefined.config().storage().gcSchedule());
    assertEquals(ConfigLayers.TWIN, undefined.sources().get("storage.gcSchedule"));
    assertEquals(Map.of(), undefined.refused());
  }

  @Test
  void without_a_parent_definition_the_twin_owns_every_key_it_sets() throws IOException {
    ConfigLayers.Built built = layers("mode: ReadWrite\n", Map.of(), Flags.none())
        .withTwin(json("{\"mode\": \"ReadOnly\"}")).build();

    assertEquals(Mode.ReadOnly, built.config().mode());
    assertEquals(Map.of(), built.refused());
  }

  @Test
  void the_file_is_reread_on_every_build() throws IOException {
    ConfigLayers layers = layers("logLevel: Warning\n", Map.of(), Flags.none());
    assertEquals(LogLevel.Warning, layers.build().config().logLevel());

    Files.writeString(dir.resolve("registry.yaml"), "logLevel: Debug\n");

    assertEquals(LogLevel.Debug, layers.build().config().logLevel());
  }

  @Test
  void secrets_are_shown_masked_and_compared_unmasked() {
    RegistryConfig a = new ConfigLayers(new ConfigLoader(Map.of()), Flags.none())
        .withTwin(json("{\"parent\": {\"endpoint\": \"127.0.0.1:1\", \"protocol\": \"http\","
            + " \"username\": \"sync-token\", \"password\": \"s3cret-one\"}}")).build().config();
    RegistryConfig b = new ConfigLayers(new ConfigLoader(Map.of()), Flags.none())
        .withTwin(json("{\"parent\": {\"endpoint\": \"127.0.0.1:1\", \"protocol\": \"http\","
            + " \"username\": \"sync-token\", \"password\": \"s3cret-two\"}}")).build().config();

    assertEquals("***", ConfigView.display(a).get("parent.password"));
    assertTrue(ConfigView.display(a).values().stream().noneMatch(v -> v.contains("s3cret")));
    assertEquals(List.of("parent.password"), List.copyOf(ConfigView.changed(a, b)));
  }

  @Test
  void a_twin_that_moves_the_parent_keeps_the_sync_token_from_the_connection_string() throws IOException {
    ConfigLayers layers = layers("", Map.of(ConfigLoader.CONNECTION_STRING,
        "ConnectedRegistryName=edge;SyncTokenName=sync-token;SyncTokenPassword=s3cret;"
            + "ParentGatewayEndpoint=parent.example:8443;ParentEndpointProtocol=https"), Flags.none())
        .withTwin(json("{\"parent\": {\"endpoint\": \"other.example:9443\"}}"));

    RegistryConfig.ParentConfig parent = layers.build().config().parent();

    assertEquals("other.example:9443", parent.endpoint());
    assertEquals("sync-token", parent.username());
    assertEquals("s3cret", parent.password());
    assertEquals("edge", parent.registryName());
  }

  @Test
  void an_upstream_parent_resolves_to_the_parent_device_and_trusts_the_edge_ca() throws IOException {
    Path ca = Files.writeString(dir.resolve("edge-ca.pem"), "-----BEGIN CERTIFICATE-----\n");
    ConfigLayers layers = new ConfigLayers(new ConfigLoader(Map.of(ConfigLoader.CONNECTION_STRING,
        "ConnectedRegistryName=edge;SyncTokenName=sync-token;SyncTokenPassword=s3cret;"
            + "ParentGatewayEndpoint=$upstream:8000;ParentEndpointProtocol=https",
        "IOTEDGE_PARENTHOSTNAME", "parent-device.local")).withUpstreamCa(ca), Flags.none());

    RegistryConfig.ParentConfig parent = layers.build().config().parent();

    assertEquals("parent-device.local:8000", parent.endpoint());
    assertEquals(ca, parent.caBundle());
  }

  @Test
  void an_upstream_parent_outside_iot_edge_is_refused_naming_the_variable() throws IOException {
    ConfigLayers layers = layers("parent:\n  endpoint: $upstream\n", Map.of(), Flags.none());

    ConfigException e = assertThrows(ConfigException.class, layers::build);

    assertTrue(e.getMessage().contains("IOTEDGE_PARENTHOSTNAME"), e.getMessage());
  }

  @Test
  void in_the_connection_string_form_an_upstream_parent_trusts_the_edge_ca_file() throws IOException {
    Path ca = Files.writeString(dir.resolve("edge-ca-file.pem"), "-----BEGIN CERTIFICATE-----\n");
    ConfigLayers layers = new ConfigLayers(new ConfigLoader(Map.of(ConfigLoader.CONNECTION_STRING,
        "ConnectedRegistryName=edge;SyncTokenName=sync-token;SyncTokenPassword=s3cret;"
            + "ParentGatewayEndpoint=$upstream:8000;ParentEndpointProtocol=https",
        "IOTEDGE_PARENTHOSTNAME", "10.0.0.5", "EdgeModuleCACertificateFile", ca.toString())), Flags.none());

    RegistryConfig.ParentConfig parent = layers.build().config().parent();

    assertEquals("10.0.0.5:8000", parent.endpoint());
    assertEquals(ca, parent.caBundle());
  }
}
