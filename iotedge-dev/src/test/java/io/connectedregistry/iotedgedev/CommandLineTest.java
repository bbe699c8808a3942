package io.connectedregistry.iotedgedev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.microsoft.azure.sdk.iot.device.twin.DirectMethodResponse;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The CLI's client commands against a running stand-in's control API, a real SDK module on the other side. */
class CommandLineTest {

  @TempDir Path tmp;
  private EdgeHubStandIn hub;
  private ControlApi control;
  private Path controlFile;
  private SdkClients.Observed module;

  @BeforeEach
  void start() throws Exception {
    List<ModuleIdentity> ids = ModuleRegistry.load(
        java.nio.file.Files.createDirectories(tmp.resolve("certs")), EdgeHubStandIn.DEFAULT_HUB,
        List.of("top-device/registry", "nested-device/registry"));
    hub = EdgeHubStandIn.builder().modules(ids).certDir(tmp.resolve("certs")).start();
    control = new ControlApi(hub);
    int port = control.start(0).toCompletionStage().toCompletableFuture().get();
    controlFile = tmp.resolve("control.json");
    new ControlFile("http://127.0.0.1:" + port, control.token()).write(controlFile);
  }

  @AfterEach
  void stop() {
    if (module != null) {
      module.client.close();
    }
    hub.close();
  }

  private record Run(int exit, String out, String err) {
    JsonNode json() throws Exception {
      return new ObjectMapper().readTree(out);
    }
  }

  private Run run(String... args) {
    PrintStream stdout = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    StringWriter err = new StringWriter();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      CommandLine cl = IotEdgeDevCommand.commandLine();
      cl.setErr(new PrintWriter(err, true));
      int exit = cl.execute(args);
      return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString());
    } finally {
      System.setOut(stdout);
    }
  }

  @Test
  void desiredTwinAndModulesReachTheNamedModule() throws Exception {
    Run patched = run("desired", "--control-file", controlFile.toString(),
        "--device", "nested-device", "--module", "registry", "--patch", "{\"sync\":{\"schedule\":\"0 2 * * *\"}}");
    assertEquals(0, patched.exit, patched.err);
    assertEquals(2, patched.json().path("$version").asInt());
    assertEquals("0 2 * * *", hub.module("nested-device", "registry").desired().path("sync").path("schedule").asText());
    assertTrue(hub.module("top-device", "registry").desired().path("sync").isMissingNode(), "only the named module");

    Run twin = run("twin", "--control-file", controlFile.toString(), "--device", "nested-device");
    assertEquals(0, twin.exit, twin.err);
    assertEquals("0 2 * * *", twin.json().path("desired").path("sync").path("schedule").asText());

    Run modules = run("modules", "--control-file", controlFile.toString());
    assertEquals("top-device", modules.json().get(0).path("deviceId").asText());
    assertEquals(false, modules.json().get(0).path("connected").asBoolean());
  }

  @Test
  void invokeCallsTheConnectedModulesMethodAndExitsByItsStatus() throws Exception {
    StandInModule top = hub.module("top-device", "registry");
    module = new SdkClients.Observed(SdkClients.byConnectionString(
        top.identity().connectionString("127.0.0.1"), hub.caCertificate())).openAndSubscribe();
    module.client.subscribeToMethods((name, payload, ctx) -> name.equals("getStatus")
        ? new DirectMethodResponse(200, Map.of("mode", "ReadOnly"))
        : new DirectMethodResponse(400, Map.of("error", "unknown method " + name)), null);

    Run ok = run("invoke", "--control-file", controlFile.toString(), "--method", "getStatus", "--timeout", "20");
    assertEquals(0, ok.exit, ok.err);
    assertEquals(200, ok.json().path("status").asInt());
    assertEquals("ReadOnly", ok.json().path("payload").path("mode").asText());

    Run bad = run("invoke", "--control-file", controlFile.toString(), "--method", "nope", "--payload", "{\"x\":1}");
    assertEquals(1, bad.exit);
    assertEquals(400, bad.json().path("status").asInt());
  }

  @Test
  void aBadPatchOrAWrongTokenChangesNothing() throws Exception {
    Run notJson = run("desired", "--control-file", controlFile.toString(), "--patch", "{not json");
    assertEquals(1, notJson.exit);
    assertTrue(notJson.err.contains("400"), notJson.err);

    new ControlFile(ControlFile.read(controlFile).url(), "wrong").write(tmp.resolve("forged.json"));
    Run forged = run("desired", "--control-file", tmp.resolve("forged.json").toString(), "--patch", "{\"mode\":\"ReadWrite\"}");
    assertEquals(1, forged.exit);
    assertTrue(forged.err.contains("401"), forged.err);
    assertEquals(1, hub.desired().path("$version").asInt());

    Run missing = run("twin", "--control-file", tmp.resolve("absent.json").toString());
    assertEquals(1, missing.exit);
    assertTrue(missing.err.contains("no stand-in is running"), missing.err);
  }

  /**
   * A body over the control API's 1 MiB: 413 read whole by a client that sends all it announced
   * before reading (closing with the body unread would reset the socket under the answer), the
   * connection closed after it, the twin unchanged. Five times: the loss was a race.
   */
  @Test
  void anOversizedPatchGets413ThenTheConnectionClosesAndNothingChanges() throws Exception {
    ControlFile file = ControlFile.read(controlFile);
    java.net.URI url = java.net.URI.create(file.url());
    byte[] body = ("{\"mode\":\"" + "R".repeat(1024 * 1024 + 1024) + "\"}").getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i < 5; i++) {
      try (java.net.Socket socket = new java.net.Socket("127.0.0.1", url.getPort())) {
        socket.setSoTimeout(10_000);
        java.io.OutputStream out = socket.getOutputStream();
        out.write(("PATCH /twin/desired HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + file.token()
            + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
        // Read to the end: the stand-in closes the connection after a 413 (a timeout fails here).
        String reply = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        assertTrue(reply.startsWith("HTTP/1.1 413"), "try " + i + ": " + reply);
        assertTrue(reply.contains("over 1048576 bytes"), reply);
      }
    }
    assertEquals(1, hub.desired().path("$version").asInt());
    assertEquals(0, run("modules", "--control-file", controlFile.toString()).exit, "still serving");
  }

  @Test
  void moduleKeysAndGenerationIdsSurviveARestart() throws Exception {
    List<ModuleIdentity> again = ModuleRegistry.load(tmp.resolve("certs"), EdgeHubStandIn.DEFAULT_HUB,
        List.of("top-device/registry", "nested-device/registry"));
    assertEquals(hub.module("top-device", "registry").identity(), again.get(0));
    assertEquals(hub.module("nested-device", "registry").identity(), again.get(1));
  }
}
