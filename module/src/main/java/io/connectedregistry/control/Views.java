package io.connectedregistry.control;

import io.connectedregistry.auth.RepositoryPattern;
import io.connectedregistry.control.ConnectedRegistryDefinition.Reported;
import io.connectedregistry.control.ConnectedRegistryDefinition.StatusDetail;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The JSON shapes of definitions, the same for the CLI and the admin API. */
final class Views {

  private Views() {}

  /**
   * A definition as {@code show} prints it and an instance will fetch it. {@code parent} is null
   * for a child of the root; {@code definitionVersion} moves with every change of the definition
   * or of a descendant's (not of the reported fields) and is what an instance compares.
   */
  static Map<String, Object> definition(ConnectedRegistryDefinition d) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("name", d.name());
    out.put("mode", d.mode().name());
    out.put("parent", d.parent());
    out.put("repositories", d.repositories().stream().map(RepositoryPattern::value).toList());
    out.put("clientTokens", d.clientTokens());
    out.put("syncToken", d.syncTokenName());
    out.put("syncScopeMap", d.syncScopeMapName());
    Map<String, Object> sync = new LinkedHashMap<>();
    sync.put("schedule", d.sync().schedule());
    sync.put("window", d.sync().window() == null ? null : d.sync().window().toString());
    sync.put("messageTtl", d.sync().messageTtl().toString());
    out.put("sync", sync);
    out.put("logLevel", d.logLevel().name());
    Map<String, Object> gc = new LinkedHashMap<>();
    gc.put("enabled", d.garbageCollection().enabled());
    gc.put("schedule", d.garbageCollection().schedule());
    out.put("garbageCollection", gc);
    Reported r = d.reported();
    out.put("activation", r.activation().name());
    out.put("connectionState", r.connectionState().name());
    out.put("lastActivityTime", text(r.lastActivityTime()));
    out.put("lastSyncTime", text(r.lastSyncTime()));
    out.put("version", r.version());
    List<Map<String, Object>> details = new ArrayList<>();
    r.statusDetails().forEach(s -> details.add(detail(s)));
    out.put("statusDetails", details);
    out.put("loginServer", r.loginServer());
    out.put("upstreamQueue", Map.of("pending", r.upstreamPending(),
        "expired", r.upstreamExpired()));
    out.put("created", d.created().toString());
    out.put("definitionVersion", d.generation());
    return out;
  }

  static Map<String, Object> detail(StatusDetail s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", s.type());
    m.put("code", s.code());
    m.put("description", s.description());
    m.put("timestamp", s.timestamp().toString());
    m.put("correlationId", s.correlationId());
    return m;
  }

  private static String text(Instant instant) {
    return instant == null ? null : instant.toString();
  }
}
