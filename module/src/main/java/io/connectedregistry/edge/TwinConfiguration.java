package io.connectedregistry.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.connectedregistry.config.ConfigControl;
import io.connectedregistry.config.ConfigControl.Outcome;
import io.connectedregistry.config.ConfigException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The module twin's desired properties as the managed layer of the configuration, and their
 * acknowledgements in the IoT Plug and Play shape: each top-level property of the desired
 * document is answered by a reported property of the same name, {@code {"value": <in effect from
 * the twin>, "ac": 200|400|409, "av": <desired $version>, "ad": "<why>"}}.
 *
 * <p>The whole document is applied or none of it: one invalid key (a bad cron, a window outside
 * PT1H..P7D, an unknown mode, a secret) leaves everything that runs as it was, that property is
 * acknowledged 400 with its problem and the others 400 naming it. A key the parent's definition
 * owns is refused with 409 while the rest applies, also when the definition arrives or changes
 * after the twin ({@link #reconsider}); a key that needs a restart says so. Not thread safe: the
 * module calls it from its one thread.
 */
final class TwinConfiguration {
  private static final Logger LOG = LoggerFactory.getLogger(TwinConfiguration.class);
  /**
   * Made on first use: a first {@code ObjectMapper} loads ~370 Jackson classes, which stay loaded
   * for good in a registry that may never need them (bench/README.md, issue #13).
   */
  private static final class Mapper {
    static final ObjectMapper JSON = new ObjectMapper();
  }
  private static final Pattern OWNER = Pattern.compile("^(?:unknown configuration key ')?([A-Za-z]+)\\b");
  private static final int MAX_DESCRIPTION = 1000;
  /** The reported property the module's status is written to; never an acknowledgement. */
  static final String STATUS = "status";

  private final ConfigControl control;
  private final DesiredDocument desired = new DesiredDocument();
  /** The document last applied: what the twin contributes to the running configuration. */
  private ObjectNode accepted = JsonNodeFactory.instance.objectNode();
  private Outcome lastOutcome = new Outcome(List.of(), List.of(), Map.of());
  /** Properties acknowledged so far, so one that leaves the desired document loses its ack too. */
  private final Set<String> acknowledged = new LinkedHashSet<>();
  /** Whether the acknowledgements last sent were of an applied document (not a 400 or a 500). */
  private boolean appliedAcks;

  TwinConfiguration(ConfigControl control) {
    this.control = control;
  }

  /** What applying a desired document asks the module to do next. */
  record Result(Map<String, Object> reported, boolean readTwinAgain) {}

  /** A full twin read (start, reconnect): applies the whole desired document. */
  Result readWhole(JsonNode desiredProperties, long version) {
    desired.replace(desiredProperties, version);
    return new Result(apply(), false);
  }

  /** A desired-properties patch; a stale one changes nothing, a gap asks for a full read. */
  Result patch(JsonNode patch, long version) {
    DesiredDocument.Patched patched = desired.patch(patch, version);
    if (patched == DesiredDocument.Patched.STALE) {
      return new Result(Map.of(), false);
    }
    return new Result(apply(), patched == DesiredDocument.Patched.GAP);
  }

  /**
   * The configuration changed beneath the twin (the parent's definition came, changed or went):
   * the acknowledgements whose refusals changed are sent again, for the desired version they
   * answer. Nothing while the last desired document stands refused (its 400s stay).
   */
  Map<String, Object> reconsider() {
    Map<String, String> now = control.refused();
    Map<String, String> before = lastOutcome.refused();
    if (!appliedAcks || now.equals(before)) {
      return Map.of();
    }
    lastOutcome = new Outcome(lastOutcome.applied(), lastOutcome.restartRequired(), now);
    Map<String, Object> reported = new LinkedHashMap<>();
    for (String property : acknowledged) {
      if (mentions(before, property) || mentions(now, property)) {
        reported.put(property, applied(property, desired.version(), lastOutcome));
      }
    }
    return reported;
  }

  private static boolean mentions(Map<String, String> refused, String property) {
    return refused.keySet().stream().anyMatch(key -> belongs(key, property));
  }

  private Map<String, Object> apply() {
    ObjectNode document = desired.document();
    long version = desired.version();
    Map<String, List<String>> problems = TwinKeys.problems(document);
    List<String> unattributed = new ArrayList<>();
    if (problems.isEmpty() && !document.equals(accepted)) {
      try {
        lastOutcome = control.setManaged(document);
        accepted = document;
      } catch (ConfigException e) {
        for (String problem : e.problems()) {
          String owner = owner(problem, document);
          if (owner == null) {
            unattributed.add(problem);
          } else {
            problems.computeIfAbsent(owner, k -> new ArrayList<>()).add(problem);
          }
        }
      } catch (RuntimeException e) {
        return failed(document, version, e);
      }
    } else if (problems.isEmpty()) {
      // The same document again (a reconnect): its refusals are those of the definition now.
      lastOutcome = new Outcome(lastOutcome.applied(), lastOutcome.restartRequired(), control.refused());
    }
    boolean refusedWhole = !problems.isEmpty() || !unattributed.isEmpty();
    appliedAcks = !refusedWhole;
    if (refusedWhole) {
      LOG.warn("module twin desired properties version {} not applied, nothing changed: {}", version,
          problems.values().stream().flatMap(List::stream).collect(Collectors.joining("; "))
              + (unattributed.isEmpty() ? "" : "; " + String.join("; ", unattributed)));
    }
    Map<String, Object> reported = new LinkedHashMap<>();
    Set<String> properties = new LinkedHashSet<>();
    document.fieldNames().forEachRemaining(properties::add);
    for (String gone : acknowledged) {
      if (!properties.contains(gone)) {
        reported.put(gone, null); // left the desired document: so does its acknowledgement
      }
    }
    acknowledged.retainAll(properties);
    properties.remove(STATUS);
    for (String property : properties) {
      reported.put(property, refusedWhole ? refused(property, version, problems, unattributed)
          : applied(property, version, lastOutcome));
      acknowledged.add(property);
    }
    return reported;
  }

  /** Not a bad value but a fault here: 500 with a correlation id that is also in the log. */
  private Map<String, Object> failed(ObjectNode document, long version, RuntimeException e) {
    String correlationId = java.util.UUID.randomUUID().toString();
    appliedAcks = false;
    LOG.error("applying module twin desired properties version {} failed [correlationId={}]", version,
        correlationId, e);
    Map<String, Object> reported = new LinkedHashMap<>();
    document.fieldNames().forEachRemaining(property -> {
      if (!property.equals(STATUS)) {
        reported.put(property, ack(accepted.get(property), 500, version,
            "failed; see the module's log, correlationId " + correlationId));
        acknowledged.add(property);
      }
    });
    return reported;
  }

  private Map<String, Object> applied(String property, long version, Outcome outcome) {
    Map<String, String> refused = new LinkedHashMap<>();
    outcome.refused().forEach((key, why) -> {
      if (belongs(key, property)) {
        refused.put(key, why);
      }
    });
    List<String> restart = outcome.restartRequired().stream().filter(k -> belongs(k, property)).toList();
    JsonNode value = accepted.get(property);
    if (value != null && !refused.isEmpty()) {
      value = value.deepCopy();
      for (String key : refused.keySet()) {
        value = key.equals(property) ? null
            : without(value, key.substring(Math.min(key.length(), property.length() + 1)));
        if (value == null || value.isObject() && value.isEmpty()) {
          value = null; // nothing of it is in effect from the twin
          break;
        }
      }
    }
    String description;
    int code;
    if (!refused.isEmpty()) {
      code = 409;
      description = "refused: " + refused.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue())
          .collect(Collectors.joining("; ")) + (value == null ? "" : "; the rest is applied");
    } else {
      code = 200;
      description = "applied";
    }
    if (!restart.isEmpty()) {
      description += "; takes effect at the next restart: " + String.join(", ", restart);
    }
    return ack(value, code, version, description);
  }

  private Map<String, Object> refused(String property, long version, Map<String, List<String>> problems,
      List<String> unattributed) {
    List<String> own = problems.get(property);
    String description;
    if (own != null) {
      description = "invalid, nothing changed: " + String.join("; ", own);
    } else {
      List<String> others = new ArrayList<>(problems.keySet());
      description = "not applied: desired properties apply whole or not at all, and "
          + (others.isEmpty() ? "the configuration has problems: " + String.join("; ", unattributed)
              : String.join(", ", others) + (others.size() == 1 ? " is" : " are") + " invalid");
    }
    return ack(accepted.get(property), 400, version, description);
  }

  private static Map<String, Object> ack(JsonNode value, int code, long version, String description) {
    Map<String, Object> ack = new LinkedHashMap<>();
    ack.put("value", value == null ? null : Mapper.JSON.convertValue(value, Object.class));
    ack.put("ac", code);
    ack.put("av", version);
    ack.put("ad", description.length() > MAX_DESCRIPTION
        ? description.substring(0, MAX_DESCRIPTION - 3) + "..." : description);
    return ack;
  }

  /** The top-level property a configuration problem is about, if it is one the twin set. */
  private static String owner(String problem, ObjectNode document) {
    Matcher m = OWNER.matcher(problem);
    return m.find() && document.has(m.group(1)) && !problem.contains(" (in ") ? m.group(1) : null;
  }

  private static boolean belongs(String key, String property) {
    return key.equals(property) || key.startsWith(property + ".");
  }

  /** {@code node} without the dotted {@code path}. */
  private static JsonNode without(JsonNode node, String path) {
    if (!node.isObject() || path.isEmpty()) {
      return node;
    }
    int dot = path.indexOf('.');
    ObjectNode object = (ObjectNode) node;
    if (dot < 0) {
      object.remove(path);
    } else if (object.has(path.substring(0, dot))) {
      object.set(path.substring(0, dot), without(object.get(path.substring(0, dot)), path.substring(dot + 1)));
    }
    return object;
  }
}
