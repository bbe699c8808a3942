package io.connectedregistry.edge;

import com.fasterxml.jackson.databind.JsonNode;
import io.connectedregistry.config.ConfigControl;
import io.connectedregistry.storage.GcReport;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The module's direct methods. Each answers a JSON object with a real status: 200 (202 for a sync
 * started), 400 for a payload it does not take, 404 for an unknown method, 409 when it does not
 * apply (a sync on a registry without a parent), 500 with a correlation id that is also in the
 * log. Answers are maps, never JSON text: the SDK would send text as one JSON string.
 *
 * <ul>
 *   <li>{@code syncNow}: starts a sync cycle now, ignoring schedule and window;
 *   <li>{@code getStatus}: the status, as in the reported {@code status} property;
 *   <li>{@code garbageCollect}: runs the garbage collector, returns its report;
 *   <li>{@code getConfiguration}: every key's effective value (secrets as {@code ***}) and source.
 * </ul>
 */
final class DirectMethods {
  private static final Logger LOG = LoggerFactory.getLogger(DirectMethods.class);

  private final EdgeModule.Parts parts;

  DirectMethods(EdgeModule.Parts parts) {
    this.parts = parts;
  }

  record Answer(int status, Map<String, Object> payload) {}

  /** @param payload the request's JSON payload; null or JSON null when none was sent */
  Answer invoke(String method, JsonNode payload) {
    try {
      if (!emptyPayload(payload)) {
        return error(400, "BadPayload", method + " takes no parameters: send no payload, null or {}");
      }
      return switch (method) {
        case "syncNow" -> syncNow();
        case "getStatus" -> new Answer(200, StatusReport.of(parts.freshStatus().get()));
        case "garbageCollect" -> garbageCollect();
        case "getConfiguration" -> configuration();
        default -> error(404, "UnknownMethod", "no method '" + method
            + "'; this module has syncNow, getStatus, garbageCollect, getConfiguration");
      };
    } catch (Exception e) {
      String correlationId = UUID.randomUUID().toString();
      LOG.error("direct method {} failed [correlationId={}]", method, correlationId, e);
      Map<String, Object> body = body("InternalError", "the method failed; see the module's log");
      body.put("correlationId", correlationId);
      return new Answer(500, body);
    }
  }

  private Answer syncNow() {
    if (parts.syncNow() == null) {
      return error(409, "NotApplicable", "this registry has no parent: there is nothing to sync from");
    }
    parts.syncNow().run();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("started", true);
    return new Answer(202, body);
  }

  private Answer garbageCollect() throws Exception {
    GcReport report = parts.garbageCollect().call();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("linksRemoved", report.linksRemoved());
    body.put("blobsRemoved", report.blobsRemoved());
    body.put("bytesFreed", report.bytesFreed());
    body.put("orphanFilesRemoved", report.orphanFilesRemoved());
    body.put("uploadsExpired", report.uploadsExpired());
    return new Answer(200, body);
  }

  private Answer configuration() {
    Map<String, Object> keys = new LinkedHashMap<>();
    for (Map.Entry<String, ConfigControl.Entry> e : parts.config().effective().entrySet()) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("value", e.getValue().value());
      entry.put("source", e.getValue().source());
      if (e.getValue().pending() != null) {
        entry.put("pendingRestart", e.getValue().pending());
      }
      keys.put(e.getKey(), entry);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("configuration", keys);
    return new Answer(200, body);
  }

  private static boolean emptyPayload(JsonNode payload) {
    return payload == null || payload.isNull() || payload.isMissingNode()
        || (payload.isObject() && payload.isEmpty());
  }

  private static Answer error(int status, String code, String message) {
    return new Answer(status, body(code, message));
  }

  private static Map<String, Object> body(String code, String message) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("code", code);
    body.put("message", message);
    return body;
  }
}
