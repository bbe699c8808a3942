package io.connectedregistry.iotedgedev;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Collection;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The IoT Edge workload API as the SDK's HttpsHsmClient calls it, HTTP/1.1 on a unix domain
 * socket:
 *
 * <pre>
 *   GET  /trust-bundle?api-version=V                  → {"certificate": "&lt;edge CA PEM&gt;"}
 *   POST /modules/{m}/genid/{g}/sign?api-version=V
 *        {"keyId":"primary","algo":"HMACSHA256","data":"&lt;base64&gt;"} → {"digest": "&lt;base64 HMAC-SHA256&gt;"}
 * </pre>
 *
 * Errors answer {"message": "..."} (the SDK's ErrorResponse). The module is found by module id and
 * generation id, so one socket serves several devices whose modules have the same id.
 */
final class WorkloadApi {

  private static final Logger LOG = LoggerFactory.getLogger(WorkloadApi.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern SIGN = Pattern.compile("/modules/([^/]+)/genid/([^/]+)/sign");
  private static final int MAX_BODY = 64 * 1024;

  private final Vertx vertx;
  private final Path socket;
  private final Collection<StandInModule> modules;
  private final String caPem;
  private HttpServer server;

  WorkloadApi(Vertx vertx, Path socket, Collection<StandInModule> modules, String caPem) {
    this.vertx = vertx;
    this.socket = socket;
    this.modules = modules;
    this.caPem = caPem;
  }

  Future<Void> start() {
    try {
      Files.createDirectories(socket.toAbsolutePath().getParent());
      if (Files.isRegularFile(socket) || Files.isDirectory(socket)) {
        return Future.failedFuture(new IOException(socket + " exists and is not a socket"));
      }
      Files.deleteIfExists(socket); // a socket left by a stand-in that did not close
    } catch (IOException e) {
      return Future.failedFuture(e);
    }
    if (!vertx.isNativeTransportEnabled()) {
      return Future.failedFuture(new IOException(
          "the workload API needs Netty's native epoll transport (Linux x86_64 or aarch64) to listen on "
              + socket + ": " + vertx.unavailableNativeTransportCause()));
    }
    server = vertx.createHttpServer().requestHandler(this::handle);
    return server.listen(SocketAddress.domainSocketAddress(socket.toAbsolutePath().toString())).mapEmpty();
  }

  Future<Void> close() {
    Future<Void> closed = server == null ? Future.succeededFuture() : server.close();
    return closed.andThen(r -> {
      try {
        Files.deleteIfExists(socket);
      } catch (IOException e) {
        LOG.debug("cannot remove {}: {}", socket, e.toString());
      }
    });
  }

  private void handle(HttpServerRequest req) {
    if (req.getParam("api-version") == null) {
      answer(req, 400, message("api-version is required"));
      return;
    }
    String path = req.path();
    if (req.method() == HttpMethod.GET && path.equals("/trust-bundle")) {
      answer(req, 200, JsonNodeFactory.instance.objectNode().put("certificate", caPem));
      return;
    }
    Matcher sign = SIGN.matcher(path);
    if (req.method() == HttpMethod.POST && sign.matches()) {
      String moduleId = URLDecoder.decode(sign.group(1), StandardCharsets.UTF_8);
      String generationId = URLDecoder.decode(sign.group(2), StandardCharsets.UTF_8);
      Bodies.read(req, MAX_BODY).onComplete(body -> {
        if (body.failed()) {
          answer(req, body.cause() instanceof Bodies.TooLarge ? 413 : 400, message(body.cause().getMessage()));
          return;
        }
        sign(req, moduleId, generationId, body.result().getBytes());
      });
      return;
    }
    answer(req, 404, message("no such workload API resource: " + req.method() + " " + path));
  }

  private void sign(HttpServerRequest req, String moduleId, String generationId, byte[] body) {
    StandInModule module = modules.stream()
        .filter(m -> m.identity().moduleId().equals(moduleId) && m.identity().generationId().equals(generationId))
        .findFirst()
        .orElse(null);
    if (module == null) {
      answer(req, 404, message("module " + moduleId + " with generation id " + generationId + " not found"));
      return;
    }
    JsonNode request;
    try {
      request = JSON.readTree(body);
    } catch (IOException e) {
      answer(req, 400, message("the sign request is not JSON"));
      return;
    }
    if (request == null || !"primary".equals(request.path("keyId").asText())) {
      answer(req, 400, message("keyId must be \"primary\""));
      return;
    }
    if (!"HMACSHA256".equals(request.path("algo").asText())) {
      answer(req, 400, message("algo must be \"HMACSHA256\""));
      return;
    }
    byte[] data;
    try {
      data = Base64.getDecoder().decode(request.path("data").asText());
    } catch (IllegalArgumentException e) {
      answer(req, 400, message("data is not base64"));
      return;
    }
    byte[] digest = SasTokens.hmac(module.identity().keyBytes(), data);
    answer(req, 200, JsonNodeFactory.instance.objectNode().put("digest", Base64.getEncoder().encodeToString(digest)));
  }

  private static void answer(HttpServerRequest req, int status, ObjectNode body) {
    // The SDK reads the response until the socket closes: close after every answer.
    req.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .putHeader("Connection", "close")
        .end(body.toString())
        .onComplete(v -> Bodies.closeOnceRead(req));
  }

  private static ObjectNode message(String text) {
    return MqttGateway.message(text);
  }
}
