package io.connectedregistry.iotedgedev;

import java.util.Optional;

/**
 * The IoT Hub MQTT topics the Azure IoT device SDK (2.5.0: MqttTwin, MqttDirectMethod) uses, built
 * and parsed in one place.
 */
final class Topics {

  static final String TWIN_GET = "$iothub/twin/GET/";
  static final String TWIN_PATCH_REPORTED = "$iothub/twin/PATCH/properties/reported/";
  static final String TWIN_RESPONSES = "$iothub/twin/res/#";
  static final String DESIRED_PATCHES = "$iothub/twin/PATCH/properties/desired/#";
  static final String METHOD_REQUESTS = "$iothub/methods/POST/#";
  static final String METHOD_RESPONSE = "$iothub/methods/res/";

  private Topics() {}

  /** $iothub/twin/res/{status}/?$rid={rid}[&$version={version}] */
  static String twinResponse(int status, String rid, Long version) {
    return "$iothub/twin/res/" + status + "/?$rid=" + rid
        + (version == null ? "" : "&$version=" + version);
  }

  /** $iothub/twin/PATCH/properties/desired/?$version={version} */
  static String desiredPatch(long version) {
    return "$iothub/twin/PATCH/properties/desired/?$version=" + version;
  }

  /** $iothub/methods/POST/{name}/?$rid={rid} */
  static String methodRequest(String name, String rid) {
    return "$iothub/methods/POST/" + name + "/?$rid=" + rid;
  }

  /** The value of a {@code $name=} parameter in the topic's query part. */
  static Optional<String> param(String topic, String name) {
    int q = topic.indexOf('?');
    if (q < 0) {
      return Optional.empty();
    }
    for (String pair : topic.substring(q + 1).split("&")) {
      if (pair.startsWith(name + "=")) {
        return Optional.of(pair.substring(name.length() + 1));
      }
    }
    return Optional.empty();
  }

  /** The status segment of $iothub/methods/res/{status}/?$rid=..., or -1. */
  static int methodResponseStatus(String topic) {
    String rest = topic.substring(METHOD_RESPONSE.length());
    int slash = rest.indexOf('/');
    try {
      return Integer.parseInt(slash < 0 ? rest : rest.substring(0, slash));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Whether an MQTT topic filter (with + and #) matches a topic. */
  static boolean matches(String filter, String topic) {
    String[] f = filter.split("/", -1);
    String[] t = topic.split("/", -1);
    for (int i = 0; i < f.length; i++) {
      if (f[i].equals("#")) {
        return true;
      }
      if (i >= t.length || !(f[i].equals("+") || f[i].equals(t[i]))) {
        return false;
      }
    }
    return f.length == t.length;
  }
}
