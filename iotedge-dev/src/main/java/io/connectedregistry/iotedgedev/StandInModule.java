package io.connectedregistry.iotedgedev;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.function.Predicate;

/** One module identity on the stand-in, with its twin: what a test or the CLI drives. */
public final class StandInModule {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final ModuleIdentity identity;
  private final ModuleTwin twin = new ModuleTwin();
  private final MqttGateway gateway;

  StandInModule(ModuleIdentity identity, MqttGateway gateway) {
    this.identity = identity;
    this.gateway = gateway;
  }

  public ModuleIdentity identity() {
    return identity;
  }

  ModuleTwin twin() {
    return twin;
  }

  /** The desired properties now, with "$version". */
  public ObjectNode desired() {
    return twin.desired();
  }

  /** The reported properties now, with "$version". */
  public ObjectNode reported() {
    return twin.reported();
  }

  /** The whole twin, as a twin GET answers it. */
  public ObjectNode twinDocument() {
    return twin.document();
  }

  /**
   * Merges a desired patch (JSON merge patch: null deletes), bumps the desired $version and sends
   * the patch to the module if it is connected and subscribed; a module that connects later reads
   * it with its next twin GET. Returns the new desired $version.
   */
  public long patchDesired(String jsonObject) {
    return patchDesired(parseObject(jsonObject));
  }

  public long patchDesired(ObjectNode patch) {
    ObjectNode sent = twin.patchDesired(patch);
    gateway.pushDesired(identity.clientId(), sent);
    return sent.get("$version").asLong();
  }

  /** Calls a direct method and waits for the answer (404 if not connected, 504 after the timeout). */
  public MethodResult invokeMethod(String name, String jsonPayload, Duration timeout)
      throws InterruptedException {
    JsonNode payload;
    try {
      payload = JSON.readTree(jsonPayload);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("the method payload is not JSON: " + e.getMessage(), e);
    }
    try {
      return gateway.invoke(identity.clientId(), name, payload, timeout).get();
    } catch (ExecutionException e) {
      throw new IllegalStateException("direct method " + name + " failed in the stand-in", e.getCause());
    }
  }

  /** Waits until the reported properties satisfy the condition; AssertionError after the timeout. */
  public ObjectNode awaitReported(Predicate<JsonNode> condition, Duration timeout)
      throws InterruptedException {
    return twin.awaitReported(condition, timeout);
  }

  /** Whether this module has an MQTT connection now. */
  public boolean isConnected() {
    return gateway.isConnected(identity.clientId());
  }

  static ObjectNode parseObject(String json) {
    try {
      JsonNode node = JSON.readTree(json);
      if (!(node instanceof ObjectNode object)) {
        throw new IllegalArgumentException("a twin patch must be a JSON object");
      }
      return object;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
    }
  }
}
