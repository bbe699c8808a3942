package io.connectedregistry.api;

import io.connectedregistry.config.RegistryConfig;
import io.connectedregistry.config.RegistryConfig.TlsConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;

/** One HTTP server on one event loop; several instances share the port (Vert.x balances connections). */
final class RegistryVerticle extends VerticleBase {
  private final RegistryConfig config;
  private final Storage storage;
  private final AuthHandler auth;
  private final TokenHandler token;
  private final AdminHandler admin;
  private final SyncStatusHandler sync;
  private final PullThrough pullThrough;
  private HttpServer server;
  private CertificateReloader reloader;

  RegistryVerticle(RegistryConfig config, Storage storage, AuthHandler auth, TokenHandler token,
      AdminHandler admin, SyncStatusHandler sync, PullThrough pullThrough) {
    this.admin = admin;
    this.pullThrough = pullThrough;
    this.sync = sync;
    this.config = config;
    this.storage = storage;
    this.auth = auth;
    this.token = token;
  }

  @Override
  public Future<?> start() {
    HttpServerOptions options = new HttpServerOptions()
        .setHost(config.listen().host())
        .setPort(config.listen().port())
        .setHandle100ContinueAutomatically(true)
        .setCompressionSupported(false)
        .setIdleTimeout(300);
    TlsConfig tls = config.tls();
    if (tls != null) {
      options.setSsl(true).setKeyCertOptions(CertificateReloader.keyCert(tls));
      if (tls.clientCa() != null) {
        options.setTrustOptions(CertificateReloader.trust(tls)).setClientAuth(ClientAuth.REQUIRED);
      }
    }
    server = vertx.createHttpServer(options).invalidRequestHandler(Routes::invalidRequest).requestHandler(
        Routes.create(vertx, storage, config.mode(), config.listen(), auth, token, admin, sync, pullThrough));
    return server.listen().compose(listening -> tls == null || !ownsReload() ? Future.succeededFuture()
        : (reloader = new CertificateReloader(vertx, server, tls)).start());
  }

  /**
   * The servers of one deployment share one listening socket, and an SSL update through any of
   * them applies to that socket; so one instance per deployment watches the files.
   */
  private boolean ownsReload() {
    return vertx.sharedData().<String, Boolean>getLocalMap("registry.tls.reload")
        .putIfAbsent(deploymentID(), Boolean.TRUE) == null;
  }

  @Override
  public Future<?> stop() {
    if (reloader != null) {
      reloader.stop();
      vertx.sharedData().getLocalMap("registry.tls.reload").remove(deploymentID());
    }
    // Graceful: stop accepting, let in-flight requests finish (bounded), then close.
    return server == null ? Future.succeededFuture() : server.shutdown(30, java.util.concurrent.TimeUnit.SECONDS);
  }
}
