package io.connectedregistry.control;

import io.connectedregistry.control.ControlException.Kind;
import io.connectedregistry.sync.ParentUnavailableException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The control plane a connected registry serves its own children (nested relay). Reads come from
 * its replica of its subtree: the definition and tokens documents its parent gave it, which hold
 * its descendants' too. Writes go up through its own parent client (its sync token holds the
 * gateway actions on its descendants at the root): an activation or a status report that cannot
 * go up now (parent unreachable) is accepted here and relayed at the next contact. When the root
 * then refuses that activation, its answer wins: the child's definition says Inactive here, and
 * the child stops syncing at its next contact.
 */
final class RelayControlPlane implements ControlPlane {
  private final InstanceAgent agent;
  private final ParentControl parent;
  private final Map<String, ControlRequests.Activate> pendingActivations = new ConcurrentHashMap<>();
  private final Map<String, ControlRequests.Report> pendingReports = new ConcurrentHashMap<>();
  /** Relayed activations the root refused, with its words. */
  private final Map<String, String> refused = new ConcurrentHashMap<>();
  /**
   * Activations the root accepted when relayed, each with the replica it was accepted against:
   * until a newer replica arrives (which says Active itself), the child must not read the old
   * one's Inactive as a deactivation.
   */
  private final Map<String, Object> confirmed = new ConcurrentHashMap<>();

  RelayControlPlane(InstanceAgent agent, ParentControl parent) {
    this.agent = agent;
    this.parent = parent;
  }

  @Override
  public Future<Answer> activate(String name, ControlRequests.Activate request) {
    requireDescendant(name);
    return parent.activate(name, request).transform(result -> {
      if (result.succeeded()) {
        refused.remove(name);
        pendingActivations.remove(name);
        ParentControl.Fetched replica = agent.definition;
        confirmed.put(name, replica == null ? new Object() : replica.document());
        return Future.succeededFuture(new Answer(200, null, result.result().getMap()));
      }
      if (result.cause() instanceof ParentUnavailableException) {
        pendingActivations.put(name, request);
        return Future.succeededFuture(new Answer(200, null, new JsonObject().put("name", name)
            .put("activation", "Active").put("instanceId", request.instanceId())
            .put("relayed", false).getMap()));
      }
      return Future.failedFuture(result.cause());
    });
  }

  @Override
  public Future<Answer> report(String name, ControlRequests.Report report) {
    requireDescendant(name);
    return parent.report(name, report).transform(result -> {
      if (result.failed() && !(result.cause() instanceof ParentUnavailableException)) {
        return Future.failedFuture(result.cause());
      }
      if (result.failed()) {
        pendingReports.put(name, report); // the latest wins: only the newest state matters
      } else {
        pendingReports.remove(name);
      }
      return Future.succeededFuture(new Answer(204, null, null));
    });
  }

  @Override
  public Future<Answer> definition(String name, String ifNoneMatch) {
    try {
      JsonObject document = subDefinition(name);
      String etag = "\"" + document.getValue("definitionVersion") + "-"
          + document.getJsonObject("registry").getString("activation") + "\"";
      return Future.succeededFuture(ControlPlane.conditional(etag, ifNoneMatch, document.getMap()));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  @Override
  public Future<Answer> tokens(String name, String ifNoneMatch) {
    ParentControl.Fetched kept = agent.tokens;
    JsonObject document = kept == null ? null : TokenDocument.subtree(kept.document(), name);
    if (document == null || name.equals(agent.name())) {
      return Future.failedFuture(new ControlException(Kind.NOT_FOUND, "connected registry '"
          + name + "' is not a descendant of this registry (as its parent last said)"));
    }
    return Future.succeededFuture(ControlPlane.conditional(TokenDocument.etag(document),
        ifNoneMatch, document.getMap()));
  }

  /** What waits to go up, sent now; stops at the first failure (the parent is down again). */
  Future<Void> flush() {
    Future<Void> chain = Future.succeededFuture();
    for (Map.Entry<String, ControlRequests.Activate> e : List.copyOf(pendingActivations.entrySet())) {
      chain = chain.compose(v -> parent.activate(e.getKey(), e.getValue()).transform(result -> {
        if (result.succeeded() || result.cause() instanceof ControlException) {
          pendingActivations.remove(e.getKey(), e.getValue());
          if (result.failed()) {
            refused.put(e.getKey(), result.cause().getMessage()); // the root's answer wins
          } else {
            ParentControl.Fetched replica = agent.definition;
            confirmed.put(e.getKey(), replica == null ? new Object() : replica.document());
          }
          return Future.succeededFuture();
        }
        return Future.failedFuture(result.cause());
      }));
    }
    for (Map.Entry<String, ControlRequests.Report> e : List.copyOf(pendingReports.entrySet())) {
      chain = chain.compose(v -> parent.report(e.getKey(), e.getValue()).transform(result -> {
        if (result.succeeded() || result.cause() instanceof ControlException) {
          pendingReports.remove(e.getKey(), e.getValue()); // sent, or refused for good
          return Future.succeededFuture();
        }
        return Future.failedFuture(result.cause());
      }));
    }
    return chain;
  }

  private void requireDescendant(String name) {
    subDefinition(name);
  }

  /** The child's definition document, cut from this registry's own: the child and its subtree. */
  JsonObject subDefinition(String name) {
    ParentControl.Fetched kept = agent.definition;
    if (kept == null || name.equals(agent.name())) {
      throw new ControlException(Kind.NOT_FOUND, "connected registry '" + name + "' is not a"
          + " descendant of this registry (as its parent last said)");
    }
    JsonArray descendants = kept.document().getJsonArray("descendants", new JsonArray());
    JsonObject self = null;
    List<JsonObject> all = new ArrayList<>();
    for (Object o : descendants) {
      JsonObject d = (JsonObject) o;
      all.add(d);
      if (name.equals(d.getString("name"))) {
        self = d.copy();
      }
    }
    if (self == null) {
      throw new ControlException(Kind.NOT_FOUND, "connected registry '" + name + "' is not a"
          + " descendant of this registry (as its parent last said)");
    }
    if (refused.containsKey(name)) {
      self.put("activation", "Inactive").put("activationRefused", refused.get(name));
    } else if (pendingActivations.containsKey(name)
        || confirmed.get(name) == kept.document()) {
      // Accepted here until the root answers; accepted by the root, but this replica predates it.
      self.put("activation", "Active");
    }
    List<String> members = new ArrayList<>(List.of(name));
    JsonArray below = new JsonArray();
    boolean grew = true;
    while (grew) {
      grew = false;
      for (JsonObject d : all) {
        if (!members.contains(d.getString("name")) && members.contains(d.getString("parent"))) {
          members.add(d.getString("name"));
          below.add(d);
          grew = true;
        }
      }
    }
    return new JsonObject().put("definitionVersion", self.getValue("definitionVersion"))
        .put("registry", self).put("descendants", below);
  }
}
