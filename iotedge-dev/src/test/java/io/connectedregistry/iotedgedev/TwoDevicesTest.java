package io.connectedregistry.iotedgedev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.microsoft.azure.sdk.iot.device.twin.DirectMethodResponse;
import com.microsoft.azure.sdk.iot.device.twin.TwinCollection;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One stand-in, the same module id on two devices (a top-layer and a nested device on one machine). */
class TwoDevicesTest {

  @TempDir Path tmp;
  private EdgeHubStandIn hub;
  private SdkClients.Observed top;
  private SdkClients.Observed nested;

  @BeforeEach
  void start() throws Exception {
    hub = EdgeHubStandIn.builder().deviceId("top-device").moduleId("registry")
        .addModule("nested-device", "registry", null)
        .certDir(tmp.resolve("certs")).start();
    top = connect(hub.module("top-device", "registry"));
    nested = connect(hub.module("nested-device", "registry"));
  }

  private SdkClients.Observed connect(StandInModule m) throws Exception {
    SdkClients.Observed o = new SdkClients.Observed(SdkClients.byConnectionString(
        m.identity().connectionString("127.0.0.1"), hub.caCertificate())).openAndSubscribe();
    String device = m.identity().deviceId();
    o.client.subscribeToMethods((name, payload, ctx) -> new DirectMethodResponse(200, Map.of("device", device)), null);
    return o;
  }

  @AfterEach
  void stop() {
    top.client.close();
    nested.client.close();
    hub.close();
  }

  @Test
  void eachModuleGetsOnlyItsOwnPatchesMethodsAndReportedProperties() throws Exception {
    assertEquals(2, hub.connectionCount());

    hub.module("nested-device", "registry").patchDesired("{\"mode\":\"ReadOnly\"}");
    assertEquals("ReadOnly", nested.nextDesiredPatch().getDesiredProperties().get("mode"));
    assertTrue(top.desiredPatches.isEmpty(), "the top device got the nested device's patch");

    assertEquals("top-device",
        hub.module("top-device", "registry").invokeMethod("getStatus", "{}", SdkClients.WAIT).payload().path("device").asText());
    assertEquals("nested-device",
        hub.module("nested-device", "registry").invokeMethod("getStatus", "{}", SdkClients.WAIT).payload().path("device").asText());

    TwinCollection reported = new TwinCollection();
    reported.put("layer", "top");
    SdkClients.report(top.client, reported);
    assertEquals("top", hub.module("top-device", "registry").reported().path("layer").asText());
    assertTrue(hub.module("nested-device", "registry").reported().path("layer").isMissingNode());
  }
}
