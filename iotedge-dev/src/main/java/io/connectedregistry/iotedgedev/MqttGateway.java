package io.connectedregistry.iotedgedev;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.mqtt.MqttEndpoint;
import io.vertx.mqtt.MqttServer;
import io.vertx.mqtt.MqttServerOptions;
import io.vertx.mqtt.MqttTopicSubscription;
import io.vertx.mqtt.messages.MqttPublishMessage;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * edgeHub's MQTT side: MQTT 3.1.1 over TLS, modules authenticated by SAS token, the IoT Hub twin
 * and direct-method topics. Telemetry and other topics are accepted and dropped.
 */
final class MqttGateway {

  private static final Logger LOG = LoggerFactory.getLogger(MqttGateway.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final int MAX_MESSAGE = 256 * 1024;
  static final Pattern METHOD_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,128}");

  private final Vertx vertx;
  private final Map<String, StandInModule> modules; // by client id "device/module"
  private final EdgeCa ca;
  private final String host;
  private final int port;
  private final Map<String, Session> sessions = new ConcurrentHashMap<>();
  private final Map<String, CompletableFuture<MethodResult>> pendingMethods = new ConcurrentHashMap<>();
  private final Map<TwinOperation, AtomicInteger> responsesToLose = new EnumMap<>(TwinOperation.class);
  private final AtomicLong methodRids = new AtomicLong();
  private volatile boolean refusing;
  private MqttServer server;

  /** One connected module. Its endpoint is touched only on its own Vert.x context. */
  private record Session(MqttEndpoint endpoint, Context context, StandInModule module, Set<String> filters) {
    boolean subscribed(String topic) {
      return filters.stream().anyMatch(f -> Topics.matches(f, topic));
    }

    void close() {
      context.runOnContext(v -> {
        if (endpoint.isConnected()) {
          endpoint.close();
        }
      });
    }

    void publish(String topic, JsonNode body) {
      Buffer payload = Buffer.buffer(body == null ? "" : body.toString());
      // QoS 0, as IoT Hub sends twin responses and method requests
      context.runOnContext(v -> {
        if (endpoint.isConnected()) {
          endpoint.publish(topic, payload, MqttQoS.AT_MOST_ONCE, false, false);
        }
      });
    }
  }

  MqttGateway(Vertx vertx, Map<String, StandInModule> modules, EdgeCa ca, String host, int port) {
    this.vertx = vertx;
    this.modules = modules;
    this.ca = ca;
    this.host = host;
    this.port = port;
    for (TwinOperation op : TwinOperation.values()) {
      responsesToLose.put(op, new AtomicInteger());
    }
  }

  Future<Void> start() {
    MqttServerOptions options = new MqttServerOptions()
        .setHost(host)
        .setPort(port)
        .setSsl(true)
        // IoT Hub takes messages up to 256 KiB; Vert.x's default (8 KiB) would cut a module's
        // larger reported patches
        .setMaxMessageSize(MAX_MESSAGE)
        .setKeyCertOptions(new PemKeyCertOptions()
            .setCertPath(ca.serverCertChain().toString())
            .setKeyPath(ca.serverKey().toString()));
    server = MqttServer.create(vertx, options).endpointHandler(this::onConnect);
    return server.listen()
        .recover(e -> Future.failedFuture(new IOException(
            "the edgeHub stand-in cannot listen on " + host + ":" + port
                + " (another edgeHub or stand-in running? the SDK's MQTT port is fixed): " + e.getMessage(), e)))
        .mapEmpty();
  }

  Future<Void> close() {
    dropConnections();
    pendingMethods.values().forEach(f -> f.complete(new MethodResult(503, message("stand-in closed"))));
    return server == null ? Future.succeededFuture() : server.close();
  }

  void refuse(boolean refuse) {
    this.refusing = refuse;
  }

  void loseNextResponse(TwinOperation op) {
    responsesToLose.get(op).incrementAndGet();
  }

  int connectionCount() {
    return sessions.size();
  }

  boolean isConnected(String clientId) {
    return sessions.containsKey(clientId);
  }

  void dropConnections() {
    for (Session s : new ArrayList<>(sessions.values())) {
      s.close();
      sessions.remove(s.module.identity().clientId(), s);
    }
  }

  void pushDesired(String clientId, ObjectNode sentPatch) {
    Session s = sessions.get(clientId);
    String topic = Topics.desiredPatch(sentPatch.path("$version").asLong());
    if (s != null && s.subscribed(topic)) {
      s.publish(topic, sentPatch);
    }
  }

  CompletableFuture<MethodResult> invoke(String clientId, String name, JsonNode payload, Duration timeout) {
    if (!METHOD_NAME.matcher(name).matches()) {
      // the name is a topic level: no '/', '+', '#' or '?'
      throw new IllegalArgumentException("a method name is 1..128 of A-Z a-z 0-9 _ . -");
    }
    Session s = sessions.get(clientId);
    String rid = Long.toHexString(methodRids.incrementAndGet());
    String topic = Topics.methodRequest(name, rid);
    if (s == null || !s.subscribed(topic)) {
      return CompletableFuture.completedFuture(
          new MethodResult(404, message("module " + clientId + " is not connected or not subscribed to methods")));
    }
    CompletableFuture<MethodResult> result = new CompletableFuture<>();
    pendingMethods.put(rid, result);
    s.publish(topic, payload);
    return result
        .completeOnTimeout(new MethodResult(504, message("no response within " + timeout)), timeout.toMillis(), TimeUnit.MILLISECONDS)
        .whenComplete((r, e) -> pendingMethods.remove(rid));
  }

  private void onConnect(MqttEndpoint endpoint) {
    String clientId = endpoint.clientIdentifier();
    if (refusing) {
      LOG.info("refused {}: told to refuse connections", clientId);
      endpoint.reject(MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE);
      return;
    }
    StandInModule module = modules.get(clientId);
    Optional<String> refusal = module == null ? Optional.of("unknown device/module") : checkCredentials(endpoint, module.identity());
    if (refusal.isPresent()) {
      LOG.warn("refused MQTT client {}: {}", clientId, refusal.get());
      endpoint.reject(module == null
          ? MqttConnectReturnCode.CONNECTION_REFUSED_IDENTIFIER_REJECTED
          : MqttConnectReturnCode.CONNECTION_REFUSED_BAD_USER_NAME_OR_PASSWORD);
      return;
    }
    Session session = new Session(endpoint, vertx.getOrCreateContext(), module, ConcurrentHashMap.newKeySet());
    Session previous = sessions.put(clientId, session);
    if (previous != null) {
      // MQTT 3.1.1: a second connection with the same client id takes over; the first is closed
      previous.close();
    }
    endpoint.publishAutoAck(true);
    endpoint.subscribeHandler(sub -> {
      List<MqttQoS> granted = new ArrayList<>();
      for (MqttTopicSubscription t : sub.topicSubscriptions()) {
        session.filters.add(t.topicName());
        granted.add(t.qualityOfService() == MqttQoS.AT_MOST_ONCE ? MqttQoS.AT_MOST_ONCE : MqttQoS.AT_LEAST_ONCE);
      }
      endpoint.subscribeAcknowledge(sub.messageId(), granted);
    });
    endpoint.unsubscribeHandler(unsub -> {
      unsub.topics().forEach(session.filters::remove);
      endpoint.unsubscribeAcknowledge(unsub.messageId());
    });
    endpoint.publishHandler(msg -> onPublish(session, msg));
    endpoint.closeHandler(v -> {
      sessions.remove(clientId, session);
      LOG.info("module {} disconnected", clientId);
    });
    endpoint.exceptionHandler(e -> LOG.debug("MQTT connection of {}: {}", clientId, e.toString()));
    endpoint.accept(false);
    LOG.info("module {} connected", clientId);
  }

  /** The username is {hub}/{device}/{module}/?api-version=...; the password a SAS token for that module. */
  private static Optional<String> checkCredentials(MqttEndpoint endpoint, ModuleIdentity id) {
    if (endpoint.auth() == null || endpoint.auth().getUsername() == null || endpoint.auth().getPassword() == null) {
      return Optional.of("no username or password (only SAS token authentication is supported)");
    }
    String username = endpoint.auth().getUsername();
    String expectedPrefix = id.clientId() + "/?api-version=";
    int slash = username.indexOf('/');
    if (slash < 0 || !username.substring(slash + 1).startsWith(expectedPrefix)) {
      return Optional.of("username is not {hub}/" + id.clientId() + "/?api-version=...");
    }
    return SasTokens.refusal(endpoint.auth().getPassword(), id, Instant.now());
  }

  private void onPublish(Session session, MqttPublishMessage msg) {
    String topic = msg.topicName();
    LOG.debug("{} published {} ({} bytes)", session.module.identity().clientId(), topic, msg.payload().length());
    if (topic.startsWith(Topics.TWIN_GET)) {
      String rid = Topics.param(topic, "$rid").orElse("");
      if (loseThisResponse(TwinOperation.GET)) {
        LOG.info("losing the response to twin GET rid={} of {} (as told)", rid, session.module.identity().clientId());
        return;
      }
      session.publish(Topics.twinResponse(200, rid, null), session.module.twin().document());
    } else if (topic.startsWith(Topics.TWIN_PATCH_REPORTED)) {
      String rid = Topics.param(topic, "$rid").orElse("");
      JsonNode patch = parse(msg.payload());
      if (!(patch instanceof ObjectNode object)) {
        session.publish(Topics.twinResponse(400, rid, null), message("the reported patch must be a JSON object"));
        return;
      }
      long version = session.module.twin().patchReported(object);
      if (loseThisResponse(TwinOperation.PATCH_REPORTED)) {
        LOG.info("applied, then lost the response to reported PATCH rid={} (as told)", rid);
        return;
      }
      session.publish(Topics.twinResponse(204, rid, version), null);
    } else if (topic.startsWith(Topics.METHOD_RESPONSE)) {
      String rid = Topics.param(topic, "$rid").orElse("");
      CompletableFuture<MethodResult> pending = pendingMethods.get(rid);
      if (pending != null) {
        JsonNode body = msg.payload().length() == 0 ? JsonNodeFactory.instance.nullNode() : parse(msg.payload());
        pending.complete(new MethodResult(Topics.methodResponseStatus(topic), body));
      }
    } else {
      LOG.debug("ignored a publish on {} from {}", topic, session.module.identity().clientId());
    }
  }

  private boolean loseThisResponse(TwinOperation op) {
    return responsesToLose.get(op).getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0;
  }

  private static JsonNode parse(Buffer payload) {
    try {
      return JSON.readTree(payload.getBytes());
    } catch (IOException e) {
      return null;
    }
  }

  static ObjectNode message(String text) {
    return JsonNodeFactory.instance.objectNode().put("message", text);
  }
}
