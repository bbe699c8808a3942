package io.connectedregistry.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.json.JsonMapper;
import io.connectedregistry.config.ConfigLayers;
import io.connectedregistry.config.ConfigLoader;
import io.connectedregistry.config.ConfigLoader.Flags;
import io.connectedregistry.config.RegistryConfig.Mode;
import io.connectedregistry.status.RegistryStatus;
import io.connectedregistry.status.StatusBoard;
import io.connectedregistry.storage.GcReport;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class DirectMethodsTest {
  private static final String CONNECTION = "ConnectedRegistryName=edge;SyncTokenName=sync-token;"
      + "SyncTokenPassword=s3cret-password;ParentGatewayEndpoint=parent.example:8443";
  private final LayersControl control = new LayersControl(new ConfigLayers(
      new ConfigLoader(Map.of(ConfigLoader.CONNECTION_STRING, CONNECTION)), Flags.none()));
  private final StatusBoard board = new StatusBoard(RegistryStatus.starting(Mode.ReadOnly, "dev", true), Runnable::run);
  private final AtomicInteger syncs = new AtomicInteger();

  private DirectMethods methods(boolean hasParent, java.util.concurrent.Callable<GcReport> gc) {
    return new DirectMethods(new EdgeModule.Parts(control, board, board::current,
        hasParent ? syncs::incrementAndGet : null, gc));
  }

  private DirectMethods methods() {
    return methods(true, () -> new GcReport(1, 2, 300, 0, 4));
  }

  @Test
  void sync_now_starts_a_cycle_and_answers_202() {
    DirectMethods.Answer answer = methods().invoke("syncNow", null);

    assertEquals(202, answer.status());
    assertEquals(1, syncs.get());
  }

  @Test
  void sync_now_on_a_registry_without_a_parent_is_409() {
    DirectMethods.Answer answer = methods(false, null).invoke("syncNow", null);

    assertEquals(409, answer.status());
    assertEquals("NotApplicable", answer.payload().get("code"));
  }

  @Test
  void a_payload_a_method_does_not_take_is_400_and_does_nothing() throws Exception {
    DirectMethods.Answer answer = methods().invoke("syncNow", new JsonMapper().readTree("{\"force\": true}"));

    assertEquals(400, answer.status());
    assertEquals(0, syncs.get());
  }

  @Test
  void get_status_answers_the_twin_shape() {
    DirectMethods.Answer answer = methods().invoke("getStatus", new JsonMapper().nullNode());

    assertEquals(200, answer.status());
    assertEquals("Offline", answer.payload().get("connectionState"));
    assertTrue(answer.payload().containsKey("upstreamQueue"));
  }

  @Test
  void garbage_collect_returns_the_report() {
    DirectMethods.Answer answer = methods().invoke("garbageCollect", null);

    assertEquals(200, answer.status());
    assertEquals(2, answer.payload().get("blobsRemoved"));
    assertEquals(300L, answer.payload().get("bytesFreed"));
  }

  @Test
  void a_failure_is_500_with_a_correlation_id_and_no_detail() {
    DirectMethods.Answer answer = methods(true, () -> {
      throw new IllegalStateException("disk on fire at /secret/path");
    }).invoke("garbageCollect", null);

    assertEquals(500, answer.status());
    assertNotNull(answer.payload().get("correlationId"));
    assertFalse(answer.payload().toString().contains("/secret/path"));
  }

  @Test
  @SuppressWarnings("unchecked")
  void get_configuration_gives_values_and_sources_without_secrets() {
    DirectMethods.Answer answer = methods().invoke("getConfiguration", null);

    assertEquals(200, answer.status());
    Map<String, Map<String, Object>> keys = (Map<String, Map<String, Object>>) answer.payload().get("configuration");
    assertEquals("***", keys.get("parent.password").get("value"));
    assertEquals(ConfigLayers.ENVIRONMENT, keys.get("parent.endpoint").get("source"));
    assertFalse(answer.payload().toString().contains("s3cret-password"));
  }

  @Test
  void an_unknown_method_is_404() {
    assertEquals(404, methods().invoke("reboot", null).status());
  }
}
