package io.connectedregistry.iotedgedev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.microsoft.azure.sdk.iot.device.transport.IotHubConnectionStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code iotedge-dev hub} as its own process (this module's classpath): the environment files it
 * writes get a real SDK module connected; SIGTERM stops it cleanly; a restart on the same folder
 * keeps the module's key, so the same environment connects again.
 */
class HubCommandTest {

  @TempDir Path tmp;
  private Process hub;
  private SdkClients.Observed module;

  @AfterEach
  void stop() throws InterruptedException {
    if (module != null) {
      module.client.close();
    }
    if (hub != null && hub.isAlive()) {
      hub.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
  }

  private Process startHub() throws Exception {
    Path control = tmp.resolve("control.json");
    Process p = new ProcessBuilder(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), IotEdgeDevCommand.class.getName(),
        "hub", "--certs", tmp.resolve("certs").toString(), "--workload-socket", tmp.resolve("w.sock").toString(),
        "--module", "edge-device/registry", "--env-dir", tmp.resolve("env").toString(),
        "--control-file", control.toString()))
        .redirectErrorStream(true).redirectOutput(tmp.resolve("hub.log").toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!Files.exists(control)) {
      assertTrue(p.isAlive(), () -> "hub exited: " + log());
      assertTrue(System.nanoTime() < deadline, () -> "hub not up in 60 s: " + log());
      Thread.sleep(200);
    }
    return p;
  }

  private String log() {
    try {
      return Files.readString(tmp.resolve("hub.log"));
    } catch (IOException e) {
      return e.toString();
    }
  }

  /** KEY='value' lines of an env file the hub wrote. */
  private Map<String, String> envFile(String name) throws IOException {
    Map<String, String> env = new HashMap<>();
    for (String line : Files.readAllLines(tmp.resolve("env").resolve(name))) {
      String kv = line.substring("export ".length());
      int eq = kv.indexOf('=');
      env.put(kv.substring(0, eq), kv.substring(eq + 2, kv.length() - 1));
    }
    return env;
  }

  @Test
  void theEnvironmentItWritesConnectsAModuleAndSigtermStopsItCleanly() throws Exception {
    hub = startHub();
    Map<String, String> workload = envFile("edge-device.registry.env");
    assertEquals("unix://" + tmp.resolve("w.sock").toAbsolutePath(), workload.get("IOTEDGE_WORKLOADURI"));
    assertEquals("sasToken", workload.get("IOTEDGE_AUTHSCHEME"));
    assertEquals("127.0.0.1", workload.get("IOTEDGE_GATEWAYHOSTNAME"));
    Map<String, String> cs = envFile("edge-device.registry.connection-string.env");
    assertTrue(log().contains("export IOTEDGE_MODULEGENERATIONID='" + workload.get("IOTEDGE_MODULEGENERATIONID") + "'"));

    module = new SdkClients.Observed(SdkClients.byConnectionString(
        cs.get("EdgeHubConnectionString"), Path.of(cs.get("EdgeModuleCACertificateFile")))).openAndSubscribe();
    module.awaitState(IotHubConnectionStatus.CONNECTED);

    hub.destroy(); // SIGTERM
    assertTrue(hub.waitFor(30, TimeUnit.SECONDS), "hub did not stop on SIGTERM");
    assertFalse(Files.exists(tmp.resolve("control.json")), "control file removed");
    assertFalse(Files.exists(tmp.resolve("w.sock")), "workload socket removed");
    module.awaitState(IotHubConnectionStatus.DISCONNECTED_RETRYING);

    // same folder, same key: the module's own retries get it back without a new environment
    hub = startHub();
    assertEquals(cs, envFile("edge-device.registry.connection-string.env"));
    module.awaitState(IotHubConnectionStatus.CONNECTED);
    assertEquals(1, SdkClients.getTwin(module.client).getDesiredProperties().getVersion());
  }
}
