package io.connectedregistry.edge;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Which configuration keys the module twin may set: those an operator tunes from the portal
 * ({@code mode}, {@code parent.endpoint}, {@code parent.protocol}, {@code sync.*}, {@code
 * logLevel}, {@code storage.*}, {@code auth.anonymousPull}). Secrets never travel in the twin
 * (anyone who may read the twin would learn them, and the twin keeps its history): the sync token
 * comes from {@code ACR_REGISTRY_CONNECTION_STRING}, so a password, key or token in the twin is
 * refused, as is a key the twin cannot set (listen address, data folder, TLS files: deployment
 * settings that live in the manifest's environment and binds).
 */
final class TwinKeys {
  /** The top-level writable properties, each acknowledged under its own name. */
  static final List<String> WRITABLE = List.of("mode", "parent", "sync", "logLevel", "storage", "auth");

  private static final Pattern SECRET = Pattern.compile(
      "(?i)key|token|credentials?|.*(password|secret|accesskey|connectionstring).*");

  private TwinKeys() {}

  /**
   * Every problem of the document, by top-level property (in document order); empty when the twin
   * may set all of it. Values themselves are checked by the configuration.
   */
  static Map<String, List<String>> problems(JsonNode document) {
    Map<String, List<String>> problems = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> fields = document.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      check(field.getKey(), field.getValue(), problems.computeIfAbsent(field.getKey(), k -> new ArrayList<>()));
    }
    problems.values().removeIf(List::isEmpty);
    return problems;
  }

  private static void check(String path, JsonNode value, List<String> problems) {
    if (value.isObject() && !allowedLeaf(path)) {
      Iterator<Map.Entry<String, JsonNode>> fields = value.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> field = fields.next();
        check(path + "." + field.getKey(), field.getValue(), problems);
      }
      return;
    }
    String name = path.substring(path.lastIndexOf('.') + 1);
    if (SECRET.matcher(name).matches()) {
      problems.add(path + ": secrets are never set through the module twin (everyone who reads the"
          + " twin would see it); the sync token comes from ACR_REGISTRY_CONNECTION_STRING");
    } else if (!allowed(path)) {
      problems.add(path + ": cannot be set from the module twin; it may set mode, logLevel,"
          + " parent.endpoint, parent.protocol, sync.*, storage.* and auth.anonymousPull");
    } else if (path.equals("parent.endpoint") && value.asText().contains("@")) {
      problems.add(path + ": credentials in the endpoint are refused; the sync token comes from"
          + " ACR_REGISTRY_CONNECTION_STRING");
    }
  }

  private static boolean allowed(String path) {
    return path.equals("mode") || path.equals("logLevel") || path.equals("parent.endpoint")
        || path.equals("parent.protocol") || path.startsWith("sync.") || path.startsWith("storage.")
        || path.equals("auth.anonymousPull");
  }

  /** A key whose whole value is one setting (even an object: nothing to look into). */
  private static boolean allowedLeaf(String path) {
    return allowed(path) && !path.equals("sync.tags");
  }
}
