package io.connectedregistry.iotedgedev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ModuleTwinTest {

  private static ObjectNode json(String s) throws Exception {
    return (ObjectNode) new ObjectMapper().readTree(s);
  }

  @Test
  void desiredPatchesMergeAsRfc7386AndBumpTheVersion() throws Exception {
    ModuleTwin twin = new ModuleTwin();
    twin.patchDesired(json("{\"sync\":{\"schedule\":\"a\",\"window\":\"PT1H\"},\"mode\":\"ReadOnly\"}"));
    ObjectNode sent = twin.patchDesired(json("{\"sync\":{\"window\":null,\"tags\":{\"include\":\"v.*\",\"x\":null}},\"mode\":null,\"$version\":99}"));

    assertEquals(3, sent.get("$version").asInt(), "the stand-in's version, not the patch's");
    assertEquals(json("{\"sync\":{\"schedule\":\"a\",\"tags\":{\"include\":\"v.*\"}},\"$version\":3}"),
        json(twin.desired().toString()));
  }

  @Test
  void reportedPatchesMergeIgnoringMetadataAndWakeWaiters() throws Exception {
    ModuleTwin twin = new ModuleTwin();
    Thread writer = new Thread(() -> twin.patchReported(
        (ObjectNode) new ObjectMapper().createObjectNode().set("status", new ObjectMapper().createObjectNode().put("state", "Online"))));
    writer.start();
    ObjectNode seen = twin.awaitReported(r -> r.path("status").has("state"), Duration.ofSeconds(10));
    assertEquals("Online", seen.path("status").path("state").asText());
    twin.patchReported(json("{\"$metadata\":{\"x\":1},\"status\":{\"state\":null}}"));
    assertEquals(json("{\"status\":{},\"$version\":3}"), json(twin.reported().toString()));
  }

  @Test
  void awaitingAReportedStateThatNeverComesNamesTheLastState() {
    ModuleTwin twin = new ModuleTwin();
    AssertionError e = assertThrows(AssertionError.class,
        () -> twin.awaitReported(r -> r.has("never"), Duration.ofMillis(200)));
    assertEquals(true, e.getMessage().contains("\"$version\":1"), e.getMessage());
  }
}
