package io.connectedregistry.api;

import io.connectedregistry.config.RegistryConfig;
import io.connectedregistry.config.RegistryConfig.TlsConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.util.concurrent.TimeUnit;

/** One HTTP server on one event loop; several instances share the port (Vert.x balances connections). */
final class RegistryVerticle extends VerticleBase {
  private final ConfigHandler configHandler;
  private final RegistryConfig config;
  private final Storage storage;
  private final AuthHandler auth;
  private final TokenHandler token;
  private final AdminHandler admin;
  private final SyncStatusHandler sync;
  private final PullThrough pullThrough;
  private final HttpLimits limits;
  private HttpServer server;
  private CertificateReloader reloader;
  private final ConnectedRegistryHandler connected;
  private final ControlPlaneHandler control;
  private final BundleHandler bundles;
  private final StatusPage page;
  private final io.vertx.core.Handler<io.vertx.ext.web.RoutingContext> metrics;

  RegistryVerticle(RegistryConfig config, Storage storage, AuthHandler auth, TokenHandler token,
      AdminHandler admin, SyncStatusHandler sync, PullThrough pullThrough, HttpLimits limits,
      ConfigHandler configHandler, ConnectedRegistryHandler connected, ControlPlaneHandler control,
      StatusPage page, io.vertx.core.Handler<io.vertx.ext.web.RoutingContext> metrics, BundleHandler bundles) {
    this.control = control;
    this.page = page;
    this.metrics = metrics;
    this.bundles = bundles;
    this.configHandler = configHandler;
    this.connected = connected;
    this.admin = admin;
    this.limits = limits;
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
        // HTTP/1.1 only (registry clients speak it over plain HTTP). With h2c on, Vert.x creates
        // the connection only once the first bytes tell HTTP/1.1 from an HTTP/2 preface, so a
        // client sending nothing would escape HttpLimits' header timer and connection count.
        .setHttp2ClearTextEnabled(false)
        // No byte either way for this long, even within a request: closed. Limits between
        // requests, and for clients without a token, are HttpLimits' timers.
        .setIdleTimeout((int) config.http().idleTimeout().toMillis())
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
        // The TLS handshake comes before the connection handler, so before HttpLimits' header timer.
        .setSslHandshakeTimeout(config.http().headerTimeout().toMillis())
        .setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS);
    TlsConfig tls = config.tls();
    if (tls != null) {
      options.setSsl(true).setKeyCertOptions(CertificateReloader.keyCert(tls));
      if (tls.clientCa() != null) {
        options.setTrustOptions(CertificateReloader.trust(tls)).setClientAuth(ClientAuth.REQUIRED);
      }
    }
    Router router = Routes.create(vertx, storage, auth::mode, config.listen(), auth, token, admin, sync,
        pullThrough, configHandler, connected, control, page, metrics, bundles);
    // Before every other route: the connection's timers and the body budget see each request.
    router.route().order(-1).handler(limits::requestStarted);
    server = vertx.createHttpServer(options).invalidRequestHandler(Routes::invalidRequest)
        .connectionHandler(limits::connected).requestHandler(router);
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
    return server == null ? Future.succeededFuture() : server.shutdown(30, TimeUnit.SECONDS);
  }
}
