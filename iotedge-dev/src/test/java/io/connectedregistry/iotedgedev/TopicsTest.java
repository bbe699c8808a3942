package io.connectedregistry.iotedgedev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class TopicsTest {

  @Test
  void topicsAreThoseTheSdkParses() {
    // MqttTwin reads the status from token 3 and rid/version from token 4
    assertEquals("$iothub/twin/res/204/?$rid=7&$version=12", Topics.twinResponse(204, "7", 12L));
    assertEquals("$iothub/twin/res/200/?$rid=7", Topics.twinResponse(200, "7", null));
    // MqttTwin reads the version from token 5
    assertEquals("$iothub/twin/PATCH/properties/desired/?$version=3", Topics.desiredPatch(3));
    // MqttDirectMethod reads the name from token 3 and the rid from token 4
    assertEquals("$iothub/methods/POST/syncNow/?$rid=a1", Topics.methodRequest("syncNow", "a1"));
  }

  @Test
  void parametersAndStatusesAreReadFromWhatTheSdkSends() {
    assertEquals(Optional.of("5"), Topics.param("$iothub/twin/PATCH/properties/reported/?$rid=5&$version=1", "$rid"));
    assertEquals(Optional.of("1"), Topics.param("$iothub/twin/PATCH/properties/reported/?$rid=5&$version=1", "$version"));
    assertEquals(Optional.empty(), Topics.param("$iothub/twin/GET/", "$rid"));
    assertEquals(500, Topics.methodResponseStatus("$iothub/methods/res/500/?$rid=ff"));
    assertEquals(-1, Topics.methodResponseStatus("$iothub/methods/res/x/?$rid=ff"));
  }

  @Test
  void filtersMatchAsMqttSays() {
    assertTrue(Topics.matches(Topics.METHOD_REQUESTS, "$iothub/methods/POST/syncNow/?$rid=1"));
    assertTrue(Topics.matches(Topics.DESIRED_PATCHES, Topics.desiredPatch(2)));
    assertTrue(Topics.matches("a/+/c", "a/b/c"));
    assertFalse(Topics.matches("a/+/c", "a/b/d"));
    assertFalse(Topics.matches(Topics.TWIN_RESPONSES, "$iothub/methods/POST/x/?$rid=1"));
    assertFalse(Topics.matches("a/b", "a/b/c"));
  }
}
