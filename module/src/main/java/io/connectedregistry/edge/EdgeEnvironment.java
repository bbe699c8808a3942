package io.connectedregistry.edge;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the IoT Edge runtime tells a module through its environment. Two forms: the workload API
 * ({@code IOTEDGE_WORKLOADURI} and the identity variables; the module signs its tokens there) or a
 * module connection string ({@code EdgeHubConnectionString}, with the edge CA in {@code
 * EdgeModuleCACertificateFile}). The SDK reads the same variables itself
 * ({@code ModuleClient.createFromEnvironment}); this record decides whether to start at all and
 * names what is missing. Holds no secret: the connection string is only noted as present.
 *
 * @param workloadUri {@code unix:///var/run/iotedge/workload.sock} or an http(s) URL; null in
 *     the connection-string form
 * @param parentHostname the parent device of a nested edge device ({@code $upstream}); null at the top
 */
record EdgeEnvironment(String workloadUri, String deviceId, String moduleId, String gatewayHostname,
    boolean connectionString, String caCertificateFile, String parentHostname) {

  static final String WORKLOAD_URI = "IOTEDGE_WORKLOADURI";
  static final String CONNECTION_STRING = "EdgeHubConnectionString";
  static final String CA_FILE = "EdgeModuleCACertificateFile";
  static final List<String> WORKLOAD_VARIABLES = List.of(WORKLOAD_URI, "IOTEDGE_DEVICEID",
      "IOTEDGE_MODULEID", "IOTEDGE_IOTHUBHOSTNAME", "IOTEDGE_AUTHSCHEME", "IOTEDGE_MODULEGENERATIONID");

  /**
   * The module's environment, or why there is none: empty with {@code missing} filled when some
   * but not all workload variables are set (a broken deployment, worth a warning), empty and
   * nothing missing outside IoT Edge.
   */
  static Optional<EdgeEnvironment> detect(Map<String, String> env, List<String> missing) {
    String parent = blankToNull(env.get("IOTEDGE_PARENTHOSTNAME"));
    if (blankToNull(env.get(CONNECTION_STRING)) != null) {
      return Optional.of(new EdgeEnvironment(null, null, null, null, true,
          blankToNull(env.get(CA_FILE)), parent));
    }
    List<String> absent = new ArrayList<>();
    for (String name : WORKLOAD_VARIABLES) {
      if (blankToNull(env.get(name)) == null) {
        absent.add(name);
      }
    }
    if (absent.size() == WORKLOAD_VARIABLES.size()) {
      return Optional.empty();
    }
    if (!absent.isEmpty()) {
      missing.addAll(absent);
      return Optional.empty();
    }
    return Optional.of(new EdgeEnvironment(env.get(WORKLOAD_URI), env.get("IOTEDGE_DEVICEID"),
        env.get("IOTEDGE_MODULEID"), blankToNull(env.get("IOTEDGE_GATEWAYHOSTNAME")), false,
        blankToNull(env.get(CA_FILE)), parent));
  }

  boolean unixSocket() {
    return workloadUri != null && workloadUri.startsWith("unix://");
  }

  /** For the log: which form, which module. */
  String describe() {
    return connectionString ? "module connection string (" + CONNECTION_STRING + ")"
        : "workload API " + workloadUri + ", module " + deviceId + "/" + moduleId;
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value;
  }
}
