package io.connectedregistry.sync;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.PemKeyCertOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A parent (or token service) that misbehaves as the test scripts it: Vert.x HTTP(S) on 127.0.0.1
 * and a free port, one handler per path, every request recorded. {@link #stream} answers with a
 * body of any size, chunked, as fast as the client reads it, and counts the bytes it managed to
 * hand over: a client that stops reading at its cap closes the connection, and the count stays
 * near the cap (plus socket buffers) instead of reaching the whole body.
 */
final class ScriptedServer implements AutoCloseable {
  /** A request as it arrived. */
  record Request(String method, String path, String query, String authorization) {}

  private static final Buffer CHUNK = Buffer.buffer(" ".repeat(64 * 1024));

  private final Vertx vertx = Vertx.vertx();
  private final Map<String, Handler<HttpServerRequest>> routes = new ConcurrentHashMap<>();
  private final List<Request> requests = Collections.synchronizedList(new ArrayList<>());
  private final AtomicLong streamed = new AtomicLong();
  private final HttpServer server;
  private final boolean tls;

  private ScriptedServer(PemKeyCertOptions tls) {
    this.tls = tls != null;
    HttpServerOptions options = new HttpServerOptions().setHost("127.0.0.1").setPort(0);
    if (tls != null) {
      options.setSsl(true).setKeyCertOptions(tls);
    }
    server = vertx.createHttpServer(options).requestHandler(request -> {
      requests.add(new Request(request.method().name(), request.path(), request.query(),
          request.getHeader("Authorization")));
      Handler<HttpServerRequest> route = routes.get(request.path());
      if (route == null) {
        request.response().setStatusCode(404).end();
      } else {
        route.handle(request);
      }
    });
    Await.result(server.listen());
  }

  static ScriptedServer http() {
    return new ScriptedServer(null);
  }

  static ScriptedServer https(Path certificate, Path key) {
    return new ScriptedServer(new PemKeyCertOptions().setCertPath(certificate.toString()).setKeyPath(key.toString()));
  }

  int port() {
    return server.actualPort();
  }

  /** {@code http://127.0.0.1:PORT} (or https). */
  String url() {
    return (tls ? "https" : "http") + "://127.0.0.1:" + port();
  }

  ScriptedServer on(String path, Handler<HttpServerRequest> handler) {
    routes.put(path, handler);
    return this;
  }

  List<Request> requests() {
    return List.copyOf(requests);
  }

  List<Request> requests(String path) {
    return requests().stream().filter(r -> r.path().equals(path)).toList();
  }

  /** Bytes {@link #stream} handlers have handed to the connection so far. */
  long streamed() {
    return streamed.get();
  }

  /** A fixed answer. */
  static Handler<HttpServerRequest> answer(int status, Map<String, String> headers, String body) {
    return request -> {
      HttpServerResponse response = request.response().setStatusCode(status);
      headers.forEach(response::putHeader);
      response.end(body);
    };
  }

  /** {@code status} and {@code headers}, then {@code total} bytes of spaces, chunked, with back-pressure. */
  Handler<HttpServerRequest> stream(int status, Map<String, String> headers, long total) {
    return request -> {
      HttpServerResponse response = request.response().setStatusCode(status).setChunked(true);
      headers.forEach(response::putHeader);
      boolean[] closed = new boolean[1];
      response.closeHandler(v -> closed[0] = true);
      response.exceptionHandler(e -> closed[0] = true);
      pump(response, total, closed);
    };
  }

  private void pump(HttpServerResponse response, long remaining, boolean[] closed) {
    long left = remaining;
    while (left > 0 && !closed[0] && !response.writeQueueFull()) {
      Buffer chunk = left >= CHUNK.length() ? CHUNK : CHUNK.getBuffer(0, (int) left);
      response.write(chunk);
      streamed.addAndGet(chunk.length());
      left -= chunk.length();
    }
    if (closed[0]) {
      return;
    }
    if (left == 0) {
      response.end();
      return;
    }
    long rest = left;
    response.drainHandler(v -> pump(response, rest, closed));
  }

  @Override
  public void close() {
    Await.result(vertx.close());
  }
}
