package io.connectedregistry.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.connectedregistry.config.ConfigLayers;
import io.connectedregistry.config.ConfigLoader;
import io.connectedregistry.config.ConfigLoader.Flags;
import io.connectedregistry.config.RegistryConfig.LogLevel;
import io.connectedregistry.config.RegistryConfig.Mode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class TwinConfigurationTest {
  private static final String CONNECTION = "ConnectedRegistryName=edge;SyncTokenName=sync-token;"
      + "SyncTokenPassword=s3cret-password;ParentGatewayEndpoint=parent.example:8443;ParentEndpointProtocol=https";

  private final LayersControl control = new LayersControl(new ConfigLayers(
      new ConfigLoader(Map.of(ConfigLoader.CONNECTION_STRING, CONNECTION)), Flags.none()));
  private final TwinConfiguration twin = new TwinConfiguration(control);

  private static JsonNode json(String text) {
    try {
      return new JsonMapper().readTree(text);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> ack(Map<String, Object> reported, String property) {
    return (Map<String, Object>) reported.get(property);
  }

  @Test
  void the_whole_twin_is_applied_and_each_top_level_property_acknowledged() {
    Map<String, Object> reported = twin.readWhole(json("""
        {"mode": "ReadWrite", "logLevel": "Warning", "sync": {"schedule": "0 2 * * *", "window": "PT2H"},
         "$version": 7, "$metadata": {"$lastUpdated": "2026-11-30T00:00:00Z"}}"""), 7).reported();

    assertEquals(Mode.ReadWrite, control.running().mode());
    assertEquals(LogLevel.Warning, control.running().logLevel());
    assertEquals(Duration.ofHours(2), control.running().sync().window());
    assertEquals(List.of("mode", "logLevel", "sync"), List.copyOf(reported.keySet()));
    assertEquals(Map.of("value", "ReadWrite", "ac", 200, "av", 7L, "ad", "applied"), ack(reported, "mode"));
    assertEquals(Map.of("schedule", "0 2 * * *", "window", "PT2H"), ack(reported, "sync").get("value"));
  }

  @Test
  void one_invalid_key_refuses_the_whole_document_with_400_and_changes_nothing() {
    twin.readWhole(json("{\"logLevel\": \"Warning\"}"), 1);

    Map<String, Object> reported = twin.patch(json(
        "{\"logLevel\": \"Debug\", \"sync\": {\"schedule\": \"not a cron\", \"window\": \"PT10M\"}, \"mode\": \"Sideways\"}"), 2).reported();

    assertEquals(LogLevel.Warning, control.running().logLevel());
    assertEquals(Mode.ReadOnly, control.running().mode());
    assertEquals(400, ack(reported, "sync").get("ac"));
    String sync = (String) ack(reported, "sync").get("ad");
    assertTrue(sync.contains("sync.schedule") && sync.contains("sync.window"), sync);
    assertTrue(((String) ack(reported, "mode").get("ad")).contains("Sideways"), ack(reported, "mode").toString());
    // The valid property is not applied either, and says why; its value is what still runs.
    assertEquals(400, ack(reported, "logLevel").get("ac"));
    assertEquals("Warning", ack(reported, "logLevel").get("value"));
    assertTrue(((String) ack(reported, "logLevel").get("ad")).contains("whole or not at all"));
    assertEquals(2L, ack(reported, "logLevel").get("av"));
  }

  @Test
  void a_secret_in_the_twin_is_refused_and_never_echoed() {
    Map<String, Object> reported = twin.readWhole(json(
        "{\"parent\": {\"endpoint\": \"other.example\", \"password\": \"hunter2-twin\"}}"), 3).reported();

    assertEquals(400, ack(reported, "parent").get("ac"));
    assertTrue(((String) ack(reported, "parent").get("ad")).contains("ACR_REGISTRY_CONNECTION_STRING"));
    assertFalse(reported.toString().contains("hunter2"), reported.toString());
    assertEquals("parent.example:8443", control.running().parent().endpoint());
    assertEquals(0, control.applications);
  }

  @Test
  void a_key_the_twin_may_not_set_is_refused() {
    Map<String, Object> reported = twin.readWhole(json("{\"listen\": \"0.0.0.0:80\"}"), 1).reported();

    assertEquals(400, ack(reported, "listen").get("ac"));
    assertEquals(0, control.applications);
  }

  @Test
  void a_key_set_to_null_returns_to_the_lower_layers_and_a_removed_property_loses_its_ack() {
    twin.readWhole(json("{\"logLevel\": \"Debug\", \"sync\": {\"window\": \"PT3H\", \"schedule\": \"0 * * * *\"}}"), 1);

    Map<String, Object> reported = twin.patch(json("{\"logLevel\": null, \"sync\": {\"window\": null}}"), 2).reported();

    assertEquals(LogLevel.Information, control.running().logLevel());
    assertNull(control.running().sync().window());
    assertEquals("0 * * * *", control.running().sync().schedule());
    assertTrue(reported.containsKey("logLevel"));
    assertNull(reported.get("logLevel"));
    assertEquals(Map.of("schedule", "0 * * * *"), ack(reported, "sync").get("value"));
  }

  @Test
  void moving_the_parent_keeps_the_sync_token_of_the_connection_string() {
    twin.readWhole(json("{\"parent\": {\"endpoint\": \"other.example:9443\"}}"), 1);

    assertEquals("other.example:9443", control.running().parent().endpoint());
    assertEquals("sync-token", control.running().parent().username());
  }

  @Test
  void a_key_the_parents_definition_owns_is_acknowledged_409_and_the_rest_applies() {
    LayersControl owned = new LayersControl(new ConfigLayers(new ConfigLoader(Map.of()), Flags.none())
        .withParentDefinition(json("{\"sync\": {\"schedule\": \"0 3 * * *\"}}")));
    TwinConfiguration owner = new TwinConfiguration(owned);

    Map<String, Object> reported = owner.readWhole(json(
        "{\"sync\": {\"schedule\": \"*/5 * * * *\", \"onDemand\": true}, \"logLevel\": \"Warning\"}"), 4).reported();

    assertEquals(409, ack(reported, "sync").get("ac"));
    assertTrue(((String) ack(reported, "sync").get("ad")).contains("sync.schedule"));
    assertEquals(Map.of("onDemand", true), ack(reported, "sync").get("value"));
    assertEquals(200, ack(reported, "logLevel").get("ac"));
    assertEquals("0 3 * * *", owned.running().sync().schedule());
    assertTrue(owned.running().sync().onDemand());
  }

  @Test
  void a_refused_scalar_reports_no_value_and_no_rest() {
    LayersControl owned = new LayersControl(new ConfigLayers(new ConfigLoader(Map.of()), Flags.none())
        .withParentDefinition(json("{\"logLevel\": \"Information\", \"sync\": {\"schedule\": \"0 3 * * *\"}}")));

    Map<String, Object> reported = new TwinConfiguration(owned).readWhole(json(
        "{\"logLevel\": \"Debug\", \"sync\": {\"schedule\": \"* * * * *\"}}"), 2).reported();

    assertEquals(409, ack(reported, "logLevel").get("ac"));
    assertNull(ack(reported, "logLevel").get("value"), reported.toString());
    assertFalse(((String) ack(reported, "logLevel").get("ad")).contains("the rest"), reported.toString());
    assertNull(ack(reported, "sync").get("value"), reported.toString());
    assertEquals(LogLevel.Information, owned.running().logLevel());
  }

  @Test
  void a_definition_that_comes_or_changes_after_the_twin_is_acknowledged_again() {
    twin.readWhole(json("{\"sync\": {\"schedule\": \"0 2 * * *\", \"window\": \"PT2H\"}, \"storage\": {\"gcGrace\": \"PT2H\"}}"), 3);
    assertEquals(Map.of(), twin.reconsider(), "nothing changed beneath the twin");

    control.setParentDefinition(json("{\"sync\": {\"schedule\": \"*/5 * * * *\"}}"));
    Map<String, Object> reported = twin.reconsider();

    assertEquals(List.of("sync"), List.copyOf(reported.keySet()), "only the acknowledgement that changed");
    assertEquals(409, ack(reported, "sync").get("ac"));
    assertEquals(3L, ack(reported, "sync").get("av"));
    assertTrue(((String) ack(reported, "sync").get("ad")).contains("sync.schedule: owned by the parent's definition"));
    assertEquals(Map.of("window", "PT2H"), ack(reported, "sync").get("value"));
    assertEquals("*/5 * * * *", control.running().sync().schedule());

    control.setParentDefinition(json("{\"sync\": {\"schedule\": \"*/5 * * * *\", \"window\": \"PT3H\"}}"));
    reported = twin.reconsider();
    assertTrue(((String) ack(reported, "sync").get("ad")).contains("sync.window"), reported.toString());
    assertNull(ack(reported, "sync").get("value"), reported.toString());

    control.setParentDefinition(null);
    reported = twin.reconsider();
    assertEquals(200, ack(reported, "sync").get("ac"), "given back to the twin");
    assertEquals("0 2 * * *", control.running().sync().schedule());
  }

  @Test
  void a_definition_change_does_not_overwrite_the_400s_of_a_refused_document() {
    twin.readWhole(json("{\"sync\": {\"schedule\": \"0 2 * * *\"}}"), 1);
    twin.patch(json("{\"sync\": {\"schedule\": \"not a cron\"}}"), 2);

    control.setParentDefinition(json("{\"sync\": {\"schedule\": \"*/5 * * * *\"}}"));

    assertEquals(Map.of(), twin.reconsider());
  }

  @Test
  void a_stale_patch_changes_nothing_and_a_gap_asks_for_a_full_read() {
    twin.readWhole(json("{\"logLevel\": \"Warning\"}"), 5);

    assertEquals(Map.of(), twin.patch(json("{\"logLevel\": \"Debug\"}"), 5).reported());
    assertEquals(LogLevel.Warning, control.running().logLevel());

    TwinConfiguration.Result gap = twin.patch(json("{\"logLevel\": \"Error\"}"), 8);
    assertTrue(gap.readTwinAgain());
    assertEquals(LogLevel.Error, control.running().logLevel());
  }

  @Test
  void reading_the_same_twin_again_acknowledges_again_without_reapplying() {
    twin.readWhole(json("{\"logLevel\": \"Warning\"}"), 5);
    int before = control.applications;

    Map<String, Object> reported = twin.readWhole(json("{\"logLevel\": \"Warning\"}"), 5).reported();

    assertEquals(before, control.applications);
    assertEquals(200, ack(reported, "logLevel").get("ac"));
  }

  @Test
  void a_fault_while_applying_is_acknowledged_500_with_a_correlation_id_not_a_400() {
    LayersControl failing = new LayersControl(new ConfigLayers(new ConfigLoader(Map.of()), Flags.none())) {
      @Override
      public Outcome setManaged(JsonNode document) {
        throw new IllegalStateException("sync context gone");
      }
    };

    Map<String, Object> reported = new TwinConfiguration(failing).readWhole(json("{\"logLevel\": \"Debug\"}"), 2).reported();

    assertEquals(500, ack(reported, "logLevel").get("ac"));
    assertTrue(((String) ack(reported, "logLevel").get("ad")).contains("correlationId"));
    assertFalse(reported.toString().contains("sync context gone"));
  }

  @Test
  void credentials_in_the_parent_endpoint_are_refused() {
    Map<String, Object> reported = twin.readWhole(json(
        "{\"parent\": {\"endpoint\": \"https://sync:hunter3@other.example\"}}"), 1).reported();

    assertEquals(400, ack(reported, "parent").get("ac"));
    assertFalse(reported.toString().contains("hunter3"), reported.toString());
    assertEquals(0, control.applications);
  }
}
