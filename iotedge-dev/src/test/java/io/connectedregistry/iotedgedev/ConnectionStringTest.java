package io.connectedregistry.iotedgedev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.microsoft.azure.sdk.iot.device.IotHubStatusCode;
import com.microsoft.azure.sdk.iot.device.exceptions.IotHubClientException;
import com.microsoft.azure.sdk.iot.device.transport.IotHubConnectionStatus;
import com.microsoft.azure.sdk.iot.device.twin.DirectMethodResponse;
import com.microsoft.azure.sdk.iot.device.twin.ReportedPropertiesUpdateResponse;
import com.microsoft.azure.sdk.iot.device.twin.Twin;
import com.microsoft.azure.sdk.iot.device.twin.TwinCollection;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real SDK (2.5.0) connects to the stand-in with a module connection string (GatewayHostName 127.0.0.1). */
class ConnectionStringTest {

  @TempDir Path tmp;
  private EdgeHubStandIn hub;
  private SdkClients.Observed module;

  @BeforeEach
  void start() throws Exception {
    hub = EdgeHubStandIn.builder()
        .deviceId("edge-device").moduleId("registry")
        .certDir(tmp.resolve("certs"))
        .start();
  }

  @AfterEach
  void stop() {
    if (module != null) {
      module.client.close();
    }
    hub.close();
  }

  private SdkClients.Observed connect() throws Exception {
    module = new SdkClients.Observed(SdkClients.byConnectionString(hub.connectionString(), hub.caCertificate()))
        .openAndSubscribe();
    return module;
  }

  @Test
  void theTwinIsReadReportedPatchesMergeAndDesiredPatchesArrive() throws Exception {
    hub.patchDesired("{\"logLevel\":\"Debug\",\"sync\":{\"schedule\":\"*/5 * * * *\"}}");
    connect();

    Twin twin = SdkClients.getTwin(module.client);
    assertEquals("Debug", twin.getDesiredProperties().get("logLevel"));
    assertEquals(2, twin.getDesiredProperties().getVersion());

    TwinCollection reported = new TwinCollection();
    reported.put("status", Map.of("state", "Online", "mode", "ReadOnly"));
    ReportedPropertiesUpdateResponse r = SdkClients.report(module.client, reported);
    assertEquals(hub.reported().path("$version").asInt(), r.getVersion(), "the version the stand-in answered");
    assertEquals("Online", hub.reported().path("status").path("state").asText());

    TwinCollection clearMode = new TwinCollection();
    java.util.HashMap<String, Object> status = new java.util.HashMap<>();
    status.put("mode", null);
    clearMode.put("status", status);
    SdkClients.report(module.client, clearMode);
    hub.awaitReported(rep -> !rep.path("status").has("mode"), SdkClients.WAIT);
    assertEquals("Online", hub.reported().path("status").path("state").asText(), "merge keeps siblings");

    long v = hub.patchDesired("{\"logLevel\":null,\"sync\":{\"window\":\"PT2H\"}}");
    Twin patch = module.nextDesiredPatch();
    assertEquals((int) v, patch.getDesiredProperties().getVersion());
    assertEquals(null, patch.getDesiredProperties().get("logLevel"));
    assertTrue(patch.getDesiredProperties().containsKey("logLevel"), "null travels as null");
    assertEquals("PT2H", hub.desired().path("sync").path("window").asText());
    assertEquals("*/5 * * * *", hub.desired().path("sync").path("schedule").asText());
    assertTrue(hub.desired().path("logLevel").isMissingNode());
  }

  @Test
  void aReportedPatchOfAHundredKilobytesIsApplied() throws Exception {
    connect();
    TwinCollection reported = new TwinCollection();
    reported.put("statusDetails", "x".repeat(100 * 1024));
    SdkClients.report(module.client, reported);
    assertEquals(100 * 1024, hub.reported().path("statusDetails").asText().length());
  }

  @Test
  void aDirectMethodIsInvokedAndAnswered() throws Exception {
    connect();
    module.client.subscribeToMethods((name, payload, ctx) ->
        new DirectMethodResponse(name.equals("syncNow") ? 200 : 404,
            Map.of("method", name, "got", payload.getPayloadAsJsonString())), null);

    MethodResult ok = hub.invokeMethod("syncNow", "{\"repository\":\"library/alpine\"}", SdkClients.WAIT);
    assertEquals(200, ok.status());
    assertEquals("syncNow", ok.payload().path("method").asText());
    assertTrue(ok.payload().path("got").asText().contains("library/alpine"));

    assertEquals(404, hub.invokeMethod("noSuchMethod", "{}", SdkClients.WAIT).status());
  }

  @Test
  void aMethodToAModuleThatIsNotConnectedAnswers404() throws Exception {
    assertEquals(404, hub.invokeMethod("syncNow", "{}", Duration.ofSeconds(1)).status());
  }

  @Test
  void aConnectionStringWithAnotherKeyIsRefused() throws Exception {
    String wrongKey = ModuleIdentity.randomKey();
    String bad = hub.connectionString().replaceFirst("SharedAccessKey=[^;]*", "SharedAccessKey=" + wrongKey);
    module = new SdkClients.Observed(SdkClients.byConnectionString(bad, hub.caCertificate()));
    IotHubClientException e = assertThrows(IotHubClientException.class, () -> module.client.open(false));
    assertEquals(IotHubStatusCode.UNAUTHORIZED, e.getStatusCode(), e.toString());
    assertEquals(0, hub.connectionCount());
  }

  @Test
  void anUnknownModuleIsRefused() throws Exception {
    String other = hub.connectionString().replace("ModuleId=registry", "ModuleId=intruder");
    module = new SdkClients.Observed(SdkClients.byConnectionString(other, hub.caCertificate()));
    assertThrows(IotHubClientException.class, () -> module.client.open(false));
    assertEquals(0, hub.connectionCount());
  }

  @Test
  void theCertificateAlsoNamesLocalhost() throws Exception {
    String viaLocalhost = hub.connectionString().replace("GatewayHostName=127.0.0.1", "GatewayHostName=localhost");
    module = new SdkClients.Observed(SdkClients.byConnectionString(viaLocalhost, hub.caCertificate()))
        .openAndSubscribe();
    assertEquals(1, SdkClients.getTwin(module.client).getDesiredProperties().getVersion());
  }

  @Test
  void afterADropTheSdkReconnectsAndReadsAPatchItMissed() throws Exception {
    connect();
    module.awaitState(IotHubConnectionStatus.CONNECTED);
    assertEquals(1, hub.connectionCount());

    hub.refuseConnections(true);
    hub.dropConnections();
    module.awaitState(IotHubConnectionStatus.DISCONNECTED_RETRYING);
    long v = hub.patchDesired("{\"mode\":\"ReadWrite\"}"); // sent while the module is away
    hub.refuseConnections(false);
    module.awaitState(IotHubConnectionStatus.CONNECTED);

    Twin twin = SdkClients.getTwin(module.client);
    assertEquals("ReadWrite", twin.getDesiredProperties().get("mode"));
    assertEquals((int) v, twin.getDesiredProperties().getVersion());
    assertEquals(1, hub.connectionCount());
  }

  @Test
  void aSecondStandInOnThePortFailsWithAMessageNamingIt() {
    java.io.IOException e = assertThrows(java.io.IOException.class,
        () -> EdgeHubStandIn.builder().certDir(tmp.resolve("certs2")).start().close());
    assertTrue(e.getMessage().contains("127.0.0.1:8883"), e.getMessage());
    assertEquals(0, hub.connectionCount());
  }

  @Test
  void aLostTwinResponseMakesTheSdkTimeOutOnceAndTheNextAttemptIsAnswered() throws Exception {
    connect();
    hub.loseNextResponse(TwinOperation.GET);
    assertThrows(IotHubClientException.class, () -> module.client.getTwin(2_000));
    assertEquals(1, SdkClients.getTwin(module.client).getDesiredProperties().getVersion());

    hub.loseNextResponse(TwinOperation.PATCH_REPORTED);
    TwinCollection reported = new TwinCollection();
    reported.put("attempt", 1);
    assertThrows(IotHubClientException.class, () -> module.client.updateReportedProperties(reported, 2_000));
    assertEquals(1, hub.reported().path("attempt").asInt(), "the patch was applied, only its answer lost");
    reported.put("attempt", 2);
    SdkClients.report(module.client, reported);
    assertEquals(2, hub.reported().path("attempt").asInt());
  }

}
