package io.connectedregistry.control;

import io.connectedregistry.config.ConfigException;
import io.connectedregistry.config.HostPort;
import io.connectedregistry.control.ConnectedRegistryDefinition.StatusDetail;
import io.connectedregistry.status.Activation;
import io.connectedregistry.status.ConnectionState;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The bodies children send to the instance-facing API ({@code POST .../activation} and {@code
 * .../status}), parsed and bounded: every key known, every string of bounded length and grammar,
 * at most {@link #MAX_DETAILS} status details. A child may be hostile; what it says lands in the
 * root's database and in operators' terminals.
 */
public final class ControlRequests {

  public static final int MAX_BODY_BYTES = 64 * 1024;
  static final int MAX_DETAILS = 20;
  private static final int MAX_TEXT = 1024;
  private static final Pattern INSTANCE_ID = Pattern.compile("[A-Za-z0-9-]{8,64}");
  private static final Pattern VERSION = Pattern.compile("[A-Za-z0-9._+-]{1,64}");
  private static final Pattern WORD = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  private ControlRequests() {}

  /** {@code POST .../activation}. */
  public record Activate(String instanceId, String version, String loginServer) {

    public static Activate fromJson(JsonObject body) {
      known(body, "instanceId", "version", "loginServer");
      String id = required(body, "instanceId");
      if (!INSTANCE_ID.matcher(id).matches()) {
        throw new IllegalArgumentException("'instanceId' must be 8 to 64 letters, digits or '-'");
      }
      return new Activate(id, checkedVersion(body), checkedLoginServer(body));
    }

    public JsonObject toJson() {
      return new JsonObject().put("instanceId", instanceId).put("version", version)
          .put("loginServer", loginServer);
    }
  }

  /** {@code POST .../status}: what the instance says about itself. */
  public record Report(ConnectionState connectionState, Activation activation,
      Instant lastSyncTime, long upstreamPending, long upstreamExpired,
      List<StatusDetail> statusDetails, String version, String loginServer, String instanceId) {

    public static Report fromJson(JsonObject body) {
      known(body, "connectionState", "activation", "lastSyncTime", "upstreamQueue",
          "statusDetails", "version", "loginServer", "instanceId");
      String id = optionalString(body, "instanceId");
      if (id != null && !INSTANCE_ID.matcher(id).matches()) {
        throw new IllegalArgumentException("'instanceId' must be 8 to 64 letters, digits or '-'");
      }
      ConnectionState state = enumValue(body, "connectionState", ConnectionState.class);
      Activation activation = body.getValue("activation") == null ? null
          : enumValue(body, "activation", Activation.class);
      Instant lastSync = instant(body, "lastSyncTime");
      long pending = 0;
      long expired = 0;
      Object queue = body.getValue("upstreamQueue");
      if (queue != null) {
        if (!(queue instanceof JsonObject q)) {
          throw new IllegalArgumentException("'upstreamQueue' must be an object");
        }
        known(q, "pending", "expired");
        pending = count(q, "pending");
        expired = count(q, "expired");
      }
      List<StatusDetail> details = new ArrayList<>();
      Object raw = body.getValue("statusDetails");
      if (raw != null) {
        if (!(raw instanceof JsonArray array) || array.size() > MAX_DETAILS) {
          throw new IllegalArgumentException("'statusDetails' must be a list of at most "
              + MAX_DETAILS + " objects");
        }
        for (Object o : array) {
          if (!(o instanceof JsonObject d)) {
            throw new IllegalArgumentException("'statusDetails' must be a list of objects");
          }
          known(d, "type", "code", "description", "timestamp", "correlationId");
          Instant at = instant(d, "timestamp");
          details.add(new StatusDetail(word(d, "type", true), word(d, "code", true),
              text(d, "description"), at == null ? Instant.EPOCH : at, word(d, "correlationId", false)));
        }
      }
      return new Report(state, activation, lastSync, pending, expired, details,
          checkedVersion(body), checkedLoginServer(body), id);
    }

    public JsonObject toJson() {
      JsonArray details = new JsonArray();
      statusDetails.forEach(d -> details.add(new JsonObject(Views.detail(d))));
      return new JsonObject().put("connectionState", connectionState.name())
          .put("activation", activation == null ? null : activation.name())
          .put("lastSyncTime", lastSyncTime == null ? null : lastSyncTime.toString())
          .put("upstreamQueue", new JsonObject().put("pending", upstreamPending)
              .put("expired", upstreamExpired))
          .put("statusDetails", details).put("version", version).put("loginServer", loginServer)
          .put("instanceId", instanceId);
    }
  }

  private static void known(JsonObject body, String... keys) {
    Set<String> allowed = Set.of(keys);
    for (String key : body.fieldNames()) {
      if (!allowed.contains(key)) {
        throw new IllegalArgumentException("unknown key '" + (key.length() > 64
            ? key.substring(0, 64) + "…" : key) + "'; known: " + String.join(", ", keys));
      }
    }
  }

  private static String required(JsonObject body, String key) {
    Object v = body.getValue(key);
    if (!(v instanceof String s) || s.isEmpty()) {
      throw new IllegalArgumentException("'" + key + "' is required (a string)");
    }
    return s;
  }

  private static String optionalString(JsonObject body, String key) {
    Object v = body.getValue(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof String s)) {
      throw new IllegalArgumentException("'" + key + "' must be a string");
    }
    return s;
  }

  private static String checkedVersion(JsonObject body) {
    String v = optionalString(body, "version");
    if (v != null && !VERSION.matcher(v).matches()) {
      throw new IllegalArgumentException("'version' must be 1 to 64 letters, digits or . _ + -");
    }
    return v;
  }

  private static String checkedLoginServer(JsonObject body) {
    String v = optionalString(body, "loginServer");
    if (v == null) {
      return null;
    }
    try {
      return HostPort.check("loginServer", v);
    } catch (ConfigException e) {
      throw new IllegalArgumentException("'loginServer' must be HOST[:PORT]");
    }
  }

  private static String word(JsonObject body, String key, boolean required) {
    String v = required ? required(body, key) : optionalString(body, key);
    if (v != null && !WORD.matcher(v).matches()) {
      throw new IllegalArgumentException("'" + key + "' must be 1 to 64 letters, digits or . _ -");
    }
    return v;
  }

  /** Free text, bounded, without control characters (it is printed in terminals). */
  private static String text(JsonObject body, String key) {
    String v = optionalString(body, key);
    if (v == null) {
      return null;
    }
    if (v.length() > MAX_TEXT || v.chars().anyMatch(Character::isISOControl)) {
      throw new IllegalArgumentException("'" + key + "' must be at most " + MAX_TEXT
          + " characters without control characters");
    }
    return v;
  }

  private static Instant instant(JsonObject body, String key) {
    String v = optionalString(body, key);
    if (v == null) {
      return null;
    }
    try {
      return Instant.parse(v);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("'" + key + "' must be an ISO-8601 instant");
    }
  }

  private static long count(JsonObject body, String key) {
    Object v = body.getValue(key);
    if (v == null) {
      return 0;
    }
    if (!(v instanceof Number n) || n.longValue() < 0 || n.doubleValue() != n.longValue()) {
      throw new IllegalArgumentException("'" + key + "' must be a whole number ≥ 0");
    }
    return n.longValue();
  }

  private static <E extends Enum<E>> E enumValue(JsonObject body, String key, Class<E> type) {
    String v = required(body, key);
    return Arrays.stream(type.getEnumConstants()).filter(e -> e.name().equals(v)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("'" + key + "' must be one of "
            + Arrays.toString(type.getEnumConstants())));
  }
}
