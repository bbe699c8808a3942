package io.connectedregistry.iotedgedev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.microsoft.azure.sdk.iot.device.IotHubClientProtocol;
import com.microsoft.azure.sdk.iot.device.ModuleClient;
import com.microsoft.azure.sdk.iot.device.transport.IotHubConnectionStatus;
import com.microsoft.azure.sdk.iot.device.twin.DirectMethodResponse;
import com.microsoft.azure.sdk.iot.device.twin.Twin;
import com.microsoft.azure.sdk.iot.device.twin.TwinCollection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real SDK's ModuleClient.createFromEnvironment: IOTEDGE_* variables (set for this test JVM by
 * the pom), the trust bundle and SAS signing through the stand-in's workload socket.
 */
class WorkloadApiTest {

  @TempDir Path tmp;
  private EdgeHubStandIn hub;
  private SdkClients.Observed module;

  @BeforeEach
  void start() throws Exception {
    String uri = env("IOTEDGE_WORKLOADURI");
    assertTrue(uri.startsWith("unix://"), uri);
    hub = EdgeHubStandIn.builder()
        .hubHostName(env("IOTEDGE_IOTHUBHOSTNAME"))
        .deviceId(env("IOTEDGE_DEVICEID"))
        .moduleId(env("IOTEDGE_MODULEID"))
        .generationId(env("IOTEDGE_MODULEGENERATIONID"))
        .addModule("other-device", env("IOTEDGE_MODULEID"), null) // same module id on another device
        .certDir(tmp.resolve("certs"))
        .workloadSocket(Path.of(uri.substring("unix://".length())))
        .start();
  }

  @AfterEach
  void stop() {
    if (module != null) {
      module.client.close();
    }
    hub.close();
  }

  private static String env(String name) {
    String value = System.getenv(name);
    if (value == null) {
      throw new IllegalStateException(name + " is not set: run this test through Maven (the pom sets it)");
    }
    return value;
  }

  @Test
  void createFromEnvironmentTrustsTheBundleSignsItsTokenAndUsesTheTwinAndMethods() throws Exception {
    hub.patchDesired("{\"mode\":\"ReadOnly\"}");
    module = new SdkClients.Observed(
        ModuleClient.createFromEnvironment(new JdkUnixDomainSocketChannel(), IotHubClientProtocol.MQTT))
        .openAndSubscribe();
    module.awaitState(IotHubConnectionStatus.CONNECTED);

    Twin twin = SdkClients.getTwin(module.client);
    assertEquals("ReadOnly", twin.getDesiredProperties().get("mode"));

    TwinCollection reported = new TwinCollection();
    reported.put("mode", Map.of("value", "ReadOnly", "ac", 200, "av", 2));
    SdkClients.report(module.client, reported);
    assertEquals(200, hub.reported().path("mode").path("ac").asInt());

    hub.patchDesired("{\"mode\":\"ReadWrite\"}");
    assertEquals("ReadWrite", module.nextDesiredPatch().getDesiredProperties().get("mode"));

    module.client.subscribeToMethods((name, payload, ctx) -> new DirectMethodResponse(200, Map.of("ok", true)), null);
    MethodResult r = hub.invokeMethod("getStatus", "{}", SdkClients.WAIT);
    assertEquals(200, r.status());
    assertTrue(r.payload().path("ok").asBoolean());

    assertEquals(1, hub.connectionCount());
    assertTrue(!hub.module("other-device", env("IOTEDGE_MODULEID")).isConnected());
  }

  @Test
  void theSocketAnswersTrustBundleAndSignAsTheSdkReadsThem() throws Exception {
    ObjectMapper json = new ObjectMapper();
    JsonNode bundle = json.readTree(call("GET", "/trust-bundle?api-version=2018-06-28", null).body);
    assertEquals(hub.caPem(), bundle.path("certificate").asText());

    byte[] data = "standin-hub.azure-devices.net%2Fdevices%2Fd%2Fmodules%2Fm\n1700000000".getBytes(StandardCharsets.UTF_8);
    String request = "{\"keyId\":\"primary\",\"algo\":\"HMACSHA256\",\"data\":\""
        + Base64.getEncoder().encodeToString(data) + "\"}";
    String path = "/modules/" + env("IOTEDGE_MODULEID") + "/genid/" + env("IOTEDGE_MODULEGENERATIONID")
        + "/sign?api-version=2018-06-28";
    Reply signed = call("POST", path, request);
    assertEquals(200, signed.status, signed.body);
    byte[] expected = SasTokens.hmac(hub.module().identity().keyBytes(), data);
    assertEquals(Base64.getEncoder().encodeToString(expected), json.readTree(signed.body).path("digest").asText());

    Reply wrongGeneration = call("POST", path.replace(env("IOTEDGE_MODULEGENERATIONID"), "gen-other"), request);
    assertEquals(404, wrongGeneration.status, wrongGeneration.body);
    assertTrue(json.readTree(wrongGeneration.body).has("message"));

    assertEquals(400, call("POST", path, request.replace("primary", "secondary")).status);
    assertEquals(400, call("GET", "/trust-bundle", null).status, "api-version is required");
  }

  @Test
  void anOversizedSignRequestGets413AndTheSocketGoesOnServing() throws Exception {
    String path = "/modules/" + env("IOTEDGE_MODULEID") + "/genid/" + env("IOTEDGE_MODULEGENERATIONID")
        + "/sign?api-version=2018-06-28";
    String huge = "{\"keyId\":\"primary\",\"algo\":\"HMACSHA256\",\"data\":\"" + "A".repeat(200_000) + "\"}";
    assertEquals(413, call("POST", path, huge).status);
    assertEquals(200, call("GET", "/trust-bundle?api-version=2018-06-28", null).status);
  }

  private record Reply(int status, String body) {}

  /** One request written as the SDK's HttpsRequestResponseSerializer writes it; read to EOF as the SDK does. */
  private Reply call(String method, String pathAndQuery, String body) throws Exception {
    JdkUnixDomainSocketChannel channel = new JdkUnixDomainSocketChannel();
    String socket = env("IOTEDGE_WORKLOADURI").substring("unix://".length());
    channel.open(socket);
    try {
      byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
      String head = method + " " + pathAndQuery + " HTTP/1.1\r\nHost: " + socket + "\r\nConnection: close\r\n"
          + "Accept: application/json\r\n"
          + (body == null ? "" : "Content-Type: application/json\r\nContent-Length: " + content.length + "\r\n")
          + "\r\n";
      channel.write(head.getBytes(StandardCharsets.US_ASCII));
      try {
        channel.write(content);
      } catch (java.io.IOException e) {
        // a server that refuses the body answers and closes before reading it all: read its answer
      }
      StringBuilder response = new StringBuilder();
      byte[] buf = new byte[400];
      for (int n = channel.read(buf); n >= 0; n = channel.read(buf)) {
        response.append(new String(buf, 0, n, StandardCharsets.UTF_8));
      }
      String text = response.toString();
      int status = Integer.parseInt(text.substring(9, 12));
      return new Reply(status, text.substring(text.indexOf("\r\n\r\n") + 4));
    } finally {
      channel.close();
    }
  }
}
