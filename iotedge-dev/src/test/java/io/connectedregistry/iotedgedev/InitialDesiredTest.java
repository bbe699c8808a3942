package io.connectedregistry.iotedgedev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InitialDesiredTest {

  @TempDir Path tmp;

  @Test
  void aPlainObjectIsTheDesiredProperties() throws Exception {
    Path f = Files.writeString(tmp.resolve("d.json"), "{\"mode\":\"ReadOnly\"}");
    assertEquals("ReadOnly", InitialDesired.read(f, "connectedRegistry").path("mode").asText());
  }

  @Test
  void aDeploymentManifestGivesTheNamedModulesDesiredProperties() throws Exception {
    Path f = Files.writeString(tmp.resolve("m.json"), """
        {"modulesContent": {
          "$edgeAgent": {"properties.desired": {"schemaVersion": "1.1"}},
          "connectedRegistry": {"properties.desired": {"sync": {"schedule": "*/5 * * * *"}}}}}""");
    assertEquals("*/5 * * * *", InitialDesired.read(f, "connectedRegistry").path("sync").path("schedule").asText());
    IOException e = assertThrows(IOException.class, () -> InitialDesired.read(f, "registry"));
    assertTrue(e.getMessage().contains("$edgeAgent, connectedRegistry"), e.getMessage());
  }
}
