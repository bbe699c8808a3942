package io.connectedregistry.iotedgedev;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The desired properties the stand-in starts with, from a file: either a JSON object of desired
 * properties, or an IoT Edge deployment manifest, whose
 * {@code modulesContent.<module>["properties.desired"]} is taken (what IoT Hub would put in that
 * module's twin).
 */
final class InitialDesired {

  private InitialDesired() {}

  static ObjectNode read(Path file, String manifestModule) throws IOException {
    JsonNode root = new ObjectMapper().readTree(Files.readString(file));
    if (!(root instanceof ObjectNode object)) {
      throw new IOException(file + " is not a JSON object");
    }
    JsonNode modules = object.get("modulesContent");
    if (modules == null) {
      return object;
    }
    JsonNode desired = modules.path(manifestModule).get("properties.desired");
    if (!(desired instanceof ObjectNode found)) {
      throw new IOException(file + " is a deployment manifest without modulesContent." + manifestModule
          + "[\"properties.desired\"] (modules there: " + iterable(modules.fieldNames()) + ")");
    }
    return found;
  }

  private static String iterable(java.util.Iterator<String> names) {
    StringBuilder sb = new StringBuilder();
    names.forEachRemaining(n -> sb.append(sb.length() == 0 ? "" : ", ").append(n));
    return sb.toString();
  }
}
