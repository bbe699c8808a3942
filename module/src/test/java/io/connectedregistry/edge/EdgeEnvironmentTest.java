package io.connectedregistry.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class EdgeEnvironmentTest {
  private static final Map<String, String> WORKLOAD = Map.of(
      "IOTEDGE_WORKLOADURI", "unix:///var/run/iotedge/workload.sock", "IOTEDGE_DEVICEID", "device",
      "IOTEDGE_MODULEID", "registry", "IOTEDGE_IOTHUBHOSTNAME", "hub.azure-devices.net",
      "IOTEDGE_AUTHSCHEME", "sasToken", "IOTEDGE_MODULEGENERATIONID", "gen1",
      "IOTEDGE_GATEWAYHOSTNAME", "edgehub");

  @Test
  void outside_iot_edge_nothing_starts_and_nothing_is_missing() {
    List<String> missing = new ArrayList<>();

    assertTrue(EdgeEnvironment.detect(Map.of("PATH", "/bin"), missing).isEmpty());
    assertEquals(List.of(), missing);
  }

  @Test
  void the_workload_api_form_needs_every_identity_variable() {
    EdgeEnvironment edge = EdgeEnvironment.detect(WORKLOAD, new ArrayList<>()).orElseThrow();
    assertTrue(edge.unixSocket());
    assertFalse(edge.connectionString());

    java.util.HashMap<String, String> partial = new java.util.HashMap<>(WORKLOAD);
    partial.remove("IOTEDGE_MODULEGENERATIONID");
    List<String> missing = new ArrayList<>();
    assertTrue(EdgeEnvironment.detect(partial, missing).isEmpty());
    assertEquals(List.of("IOTEDGE_MODULEGENERATIONID"), missing);
  }

  @Test
  void the_connection_string_form_is_noted_but_never_kept() {
    EdgeEnvironment edge = EdgeEnvironment.detect(Map.of("EdgeHubConnectionString",
        "HostName=h;DeviceId=d;ModuleId=m;SharedAccessKey=c2VjcmV0", "EdgeModuleCACertificateFile", "/ca.pem"),
        new ArrayList<>()).orElseThrow();

    assertTrue(edge.connectionString());
    assertFalse(edge.toString().contains("c2VjcmV0"));
    assertEquals("/ca.pem", edge.caCertificateFile());
  }

  @Test
  void without_the_environment_the_module_does_not_start_and_touches_nothing() {
    // Parts of nulls: anything that ran would fail.
    EdgeModule.Parts nothing = new EdgeModule.Parts(null, null, null, null, null);

    assertTrue(EdgeModule.startIfPresent(Map.of("HOME", "/root"), nothing).isEmpty());
    assertTrue(EdgeModule.startIfPresent(Map.of("IOTEDGE_WORKLOADURI", "unix:///x.sock"), nothing).isEmpty());
    assertTrue(EdgeModule.upstreamTrustBundle(Map.of("IOTEDGE_PARENTHOSTNAME", "parent")).isEmpty());
  }
}
