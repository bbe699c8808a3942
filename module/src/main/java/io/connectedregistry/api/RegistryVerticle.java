package io.connectedregistry.api;

import io.connectedregistry.config.RegistryConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;

/** One HTTP server on one event loop; several instances share the port (Vert.x balances connections). */
final class RegistryVerticle extends VerticleBase {
  private final RegistryConfig config;
  private final Storage storage;
  private HttpServer server;

  RegistryVerticle(RegistryConfig config, Storage storage) {
    this.config = config;
    this.storage = storage;
  }

  @Override
  public Future<?> start() {
    HttpServerOptions options = new HttpServerOptions()
        .setHost(config.listen().host())
        .setPort(config.listen().port())
        .setHandle100ContinueAutomatically(true)
        .setCompressionSupported(false)
        .setIdleTimeout(300);
    server = vertx.createHttpServer(options).requestHandler(Routes.create(vertx, storage, config.mode()));
    return server.listen();
  }

  @Override
  public Future<?> stop() {
    // Graceful: stop accepting, let in-flight requests finish (bounded), then close.
    return server == null ? Future.succeededFuture() : server.shutdown(30, java.util.concurrent.TimeUnit.SECONDS);
  }
}
