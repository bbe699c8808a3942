package io.connectedregistry.iotedgedev;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The running stand-in's local control API, what the CLI's client commands call: HTTP on
 * 127.0.0.1 (an ephemeral port by default), every request with {@code Authorization: Bearer
 * <token>}; the URL and token are in the control file that only the user can read.
 *
 * <pre>
 *   GET   /modules                                          [{"deviceId","moduleId","connected"}]
 *   GET   /twin?device=D&amp;module=M                           the twin document
 *   PATCH /twin/desired?device=D&amp;module=M   {patch}          {"$version": V}
 *   POST  /methods/{name}?device=D&amp;module=M&amp;timeout=S {payload}  {"status": S, "payload": ...}
 *   POST  /connections/drop                                 {"dropped": N}
 *   POST  /connections/refuse?on=true|false                 {"refusing": bool}
 * </pre>
 *
 * Without device and module the request is for the first module.
 */
final class ControlApi {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern METHOD = Pattern.compile("/methods/([A-Za-z0-9_.-]{1,128})");
  private static final int MAX_BODY = 1024 * 1024;
  private static final Duration MAX_METHOD_TIMEOUT = Duration.ofMinutes(5);

  private final EdgeHubStandIn hub;
  private final String token;
  private HttpServer server;

  ControlApi(EdgeHubStandIn hub) {
    this.hub = hub;
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    this.token = HexFormat.of().formatHex(secret);
  }

  String token() {
    return token;
  }

  /** Listens on 127.0.0.1:port (0: any free port); the future holds the port. */
  Future<Integer> start(int port) {
    server = hub.vertx().createHttpServer().requestHandler(this::handle);
    return server.listen(port, "127.0.0.1").map(HttpServer::actualPort);
  }

  Future<Void> close() {
    return server == null ? Future.succeededFuture() : server.close();
  }

  private void handle(HttpServerRequest req) {
    String auth = req.getHeader("Authorization");
    byte[] given = (auth == null ? "" : auth).getBytes(StandardCharsets.UTF_8);
    if (!MessageDigest.isEqual(given, ("Bearer " + token).getBytes(StandardCharsets.UTF_8))) {
      answer(req, 401, message("Bearer token of the control file required"));
      return;
    }
    Bodies.read(req, MAX_BODY).onComplete(body -> {
      if (body.failed()) {
        answer(req, body.cause() instanceof Bodies.TooLarge ? 413 : 400, message(body.cause().getMessage()));
        return;
      }
      try {
        route(req, body.result().getBytes());
      } catch (IllegalArgumentException e) {
        answer(req, 400, message(e.getMessage()));
      }
    });
  }

  private void route(HttpServerRequest req, byte[] body) {
    String path = req.path();
    HttpMethod m = req.method();
    if (m == HttpMethod.GET && path.equals("/modules")) {
      ArrayNode list = JsonNodeFactory.instance.arrayNode();
      for (StandInModule mod : hub.modules()) {
        list.addObject()
            .put("deviceId", mod.identity().deviceId())
            .put("moduleId", mod.identity().moduleId())
            .put("connected", mod.isConnected());
      }
      answer(req, 200, list);
    } else if (m == HttpMethod.GET && path.equals("/twin")) {
      answer(req, 200, module(req).twinDocument());
    } else if (m == HttpMethod.PATCH && path.equals("/twin/desired")) {
      long version = module(req).patchDesired(StandInModule.parseObject(new String(body, StandardCharsets.UTF_8)));
      answer(req, 200, JsonNodeFactory.instance.objectNode().put("$version", version));
    } else if (m == HttpMethod.POST && METHOD.matcher(path).matches()) {
      Matcher name = METHOD.matcher(path);
      name.matches();
      JsonNode payload = parse(body);
      Duration timeout = timeout(req.getParam("timeout"));
      hub.gateway().invoke(module(req).identity().clientId(), name.group(1), payload, timeout)
          .whenComplete((r, e) -> hub.vertx().runOnContext(v -> {
            if (e != null) {
              answer(req, 500, message(e.toString()));
            } else {
              ObjectNode out = JsonNodeFactory.instance.objectNode().put("status", r.status());
              out.set("payload", r.payload());
              answer(req, 200, out);
            }
          }));
    } else if (m == HttpMethod.POST && path.equals("/connections/drop")) {
      int before = hub.connectionCount();
      hub.dropConnections();
      answer(req, 200, JsonNodeFactory.instance.objectNode().put("dropped", before));
    } else if (m == HttpMethod.POST && path.equals("/connections/refuse")) {
      boolean on = Boolean.parseBoolean(req.getParam("on", "true"));
      hub.refuseConnections(on);
      answer(req, 200, JsonNodeFactory.instance.objectNode().put("refusing", on));
    } else {
      answer(req, 404, message("no such control resource: " + m + " " + path));
    }
  }

  private StandInModule module(HttpServerRequest req) {
    String device = req.getParam("device");
    String module = req.getParam("module");
    if (device == null && module == null) {
      return hub.module();
    }
    if (device == null || module == null) {
      throw new IllegalArgumentException("give both device and module, or neither");
    }
    return hub.module(device, module);
  }

  private static Duration timeout(String seconds) {
    if (seconds == null) {
      return Duration.ofSeconds(30);
    }
    try {
      Duration d = Duration.ofSeconds(Long.parseLong(seconds));
      if (d.isNegative() || d.isZero() || d.compareTo(MAX_METHOD_TIMEOUT) > 0) {
        throw new IllegalArgumentException("timeout must be 1.." + MAX_METHOD_TIMEOUT.toSeconds() + " seconds");
      }
      return d;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("timeout must be a number of seconds");
    }
  }

  private static JsonNode parse(byte[] body) {
    if (body.length == 0) {
      return JsonNodeFactory.instance.nullNode();
    }
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      throw new IllegalArgumentException("the body is not JSON");
    }
  }

  private static void answer(HttpServerRequest req, int status, JsonNode body) {
    req.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.toString())
        .onComplete(v -> {
          if (status == 413) {
            Bodies.closeOnceRead(req); // the rest of the body is not wanted: this connection ends
          }
        });
  }

  private static ObjectNode message(String text) {
    return MqttGateway.message(text);
  }
}
