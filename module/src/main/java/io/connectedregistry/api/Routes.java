package io.connectedregistry.api;

import io.connectedregistry.auth.Action;
import io.connectedregistry.config.RegistryConfig.ListenAddress;
import io.connectedregistry.config.RegistryConfig.Mode;
import io.connectedregistry.oci.ErrorCode;
import io.netty.util.AsciiString;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Supplier;

/**
 * Every route of the API, in one place, each behind the {@link AuthHandler} check it needs:
 * {@code /v2/}, {@code /oauth2/token}, {@code /_connected/v1/} (change feed, status, sync trigger,
 * admin) and the health probes. {@code <name>} may contain slashes, so {@code /v2/} routes are
 * regular expressions, one per path shape with its handlers by method ({@link ByMethod}).
 */
final class Routes {
  private static final String NAME = "/v2/(?<name>.+)";
  private static final String CONNECTED = "/_connected/v1";
  private static final String ADMIN = CONNECTED + "/admin";
  // Route names: the HTTP metrics' route label (a template, never the path: names are unbounded).
  // Never a '>' in a name: Vert.x joins the names of the routes a request passed with it.
  private static final String T_UPLOADS = "/v2/{name}/blobs/uploads/";
  private static final String T_UPLOAD = "/v2/{name}/blobs/uploads/{uuid}";
  private static final String T_BLOB = "/v2/{name}/blobs/{digest}";
  private static final String T_MANIFEST = "/v2/{name}/manifests/{reference}";
  // On every answer: AsciiStrings, which Vert.x copies whole into the response (a String is
  // written a character at a time, which a JVM that is still warming up runs interpreted).
  private static final AsciiString API_VERSION = AsciiString.cached("Docker-Distribution-API-Version");
  private static final AsciiString API_VERSION_VALUE = AsciiString.cached("registry/2.0");
  private static final AsciiString NOSNIFF = AsciiString.cached("X-Content-Type-Options");
  private static final AsciiString NOSNIFF_VALUE = AsciiString.cached("nosniff");
  private static final AsciiString CSP = AsciiString.cached("Content-Security-Policy");
  private static final AsciiString CSP_VALUE = AsciiString.cached("default-src 'none'; sandbox");

  private Routes() {}

  static Router create(Vertx vertx, Storage storage, Supplier<Mode> mode, ListenAddress listen, AuthHandler auth,
      TokenHandler token, AdminHandler admin, SyncStatusHandler sync, PullThrough pullThrough,
      ConfigHandler config, ConnectedRegistryHandler connected, ControlPlaneHandler control, StatusPage page,
      Handler<RoutingContext> metrics, BundleHandler bundles) {
    BlobHandler blobs = new BlobHandler(storage, pullThrough);
    BlobUploadHandler uploads = new BlobUploadHandler(storage);
    ManifestHandler manifests = new ManifestHandler(storage, pullThrough);
    TagsHandler tags = new TagsHandler(storage);
    CatalogHandler catalog = new CatalogHandler(storage);
    ReferrersHandler referrers = new ReferrersHandler(storage);
    HealthHandler health = new HealthHandler(storage);

    Router router = Router.router(vertx);
    router.route().handler(Routes::commonHeaders);
    router.route().handler(new CrossSiteGuard(listen.isLoopback())::handle);
    router.get("/healthz").handler(health::alive);
    router.get("/readyz").handler(health::ready);
    // A browser's GET / (Accept prefers HTML): the status page; anything else there: 404 as before.
    router.get("/").handler(page::negotiate).handler(auth.viewer()).handler(page::render);
    // The mode is live (it can change without a restart): read once per request, here, so a
    // request past this point finishes under the mode it started in.
    router.routeWithRegex("/v2/.*").setName("/v2/*").handler(ctx -> {
      if (mode.get() == Mode.ReadOnly) {
        refuseWritesWhenReadOnly(ctx);
      } else {
        ctx.next();
      }
    });

    // The registry API, right after the mode check: the router tries routes in order, so the
    // busiest requests pass as few as possible (the /_connected and /oauth2 paths below are disjoint).
    // Each route names the action it needs; AuthHandler checks it before the handler runs.
    Handler<RoutingContext> read = auth.require(Action.CONTENT_READ);
    Handler<RoutingContext> write = auth.require(Action.CONTENT_WRITE);
    Handler<RoutingContext> delete = auth.require(Action.CONTENT_DELETE);
    Handler<RoutingContext> metadata = auth.require(Action.METADATA_READ);

    router.routeWithRegex(HttpMethod.GET, "/v2/?").setName("/v2/").handler(auth.base()).handler(Routes::base);
    router.get("/v2/_catalog").handler(auth.catalog()).handler(catalog::list);

    // One regex route per path shape (ByMethod), the busiest first: a manifest GET matches the
    // first shape it meets. The shapes differ in their last segments, except .../blobs/uploads (an
    // upload start, or a "blob" named uploads): the upload start comes before the blob shape, since
    // a shape that matches the path but not the method passes the request on with its path
    // parameters set (a digest "uploads" would make the POST a monolithic upload).
    String manifest = NAME + "/manifests/(?<reference>[^/]+)";
    new ByMethod()
        .on(HttpMethod.GET, read, manifests::get)
        .on(HttpMethod.HEAD, read, manifests::get)
        .on(HttpMethod.PUT, write, manifests::put)
        .on(HttpMethod.DELETE, delete, manifests::delete)
        .attachTo(router.routeWithRegex(manifest).setName(T_MANIFEST));

    router.routeWithRegex(HttpMethod.POST, NAME + "/blobs/uploads/?").setName(T_UPLOADS).handler(write)
        .handler(uploads::start);

    String blob = NAME + "/blobs/(?<digest>[^/]+)";
    new ByMethod()
        .on(HttpMethod.GET, read, blobs::get)
        .on(HttpMethod.HEAD, read, blobs::get)
        .on(HttpMethod.DELETE, delete, blobs::delete)
        .attachTo(router.routeWithRegex(blob).setName(T_BLOB));

    String upload = NAME + "/blobs/uploads/(?<uuid>[^/]+)";
    new ByMethod()
        .on(HttpMethod.PATCH, write, uploads::patch)
        .on(HttpMethod.PUT, write, uploads::finish)
        .on(HttpMethod.GET, write, uploads::status)
        .on(HttpMethod.DELETE, write, uploads::cancel)
        .attachTo(router.routeWithRegex(upload).setName(T_UPLOAD));

    router.routeWithRegex(HttpMethod.GET, NAME + "/tags/list").setName("/v2/{name}/tags/list")
        .handler(metadata).handler(tags::list);
    router.routeWithRegex(HttpMethod.GET, NAME + "/referrers/(?<digest>[^/]+)")
        .setName("/v2/{name}/referrers/{digest}").handler(metadata).handler(referrers::list);

    router.get("/oauth2/token").handler(token::get);
    router.post("/oauth2/token").handler(token::post);

    // The API of connected registries, outside /v2/: children, operators, the control plane.
    ChangeFeedHandler changes = new ChangeFeedHandler(storage);
    router.get(CONNECTED + "/changes").handler(auth.reader()).handler(changes::list);
    router.get(CONNECTED + "/status").handler(auth.reader()).handler(sync::status);
    router.post(CONNECTED + "/sync").handler(auth.operator()).handler(sync::trigger);

    // The control plane children call on their parent, each route behind its gateway action.
    String registry = CONNECTED + "/registries/:name";
    router.post(registry + "/activation").handler(auth.gateway(Action.CONFIG_WRITE))
        .handler(control::activate);
    router.get(registry + "/definition").handler(auth.gateway(Action.CONFIG_READ))
        .handler(control::definition);
    router.get(registry + "/tokens").handler(auth.gateway(Action.CONFIG_READ))
        .handler(control::tokens);
    router.post(registry + "/status").handler(auth.gateway(Action.MESSAGE_WRITE,
        Action.CONFIG_WRITE)).handler(control::report);

    // One check in front of the whole prefix, known operation or not, so a route added below can
    // never be open by omission: Basic credentials of an admin token (auth.adminTokens).
    router.route(ADMIN + "/*").handler(auth.admin());
    router.get(ADMIN + "/tokens").handler(admin::listTokens);
    router.post(ADMIN + "/tokens").handler(admin::createToken);
    router.get(ADMIN + "/tokens/:name").handler(admin::showToken);
    router.patch(ADMIN + "/tokens/:name").handler(admin::updateToken);
    router.delete(ADMIN + "/tokens/:name").handler(admin::deleteToken);
    router.post(ADMIN + "/tokens/:name/passwords/:slot").handler(admin::generatePassword);
    router.delete(ADMIN + "/tokens/:name/passwords/:slot").handler(admin::deletePassword);
    router.get(ADMIN + "/scope-maps").handler(admin::listScopeMaps);
    router.post(ADMIN + "/scope-maps").handler(admin::createScopeMap);
    router.get(ADMIN + "/scope-maps/:name").handler(admin::showScopeMap);
    router.patch(ADMIN + "/scope-maps/:name").handler(admin::updateScopeMap);
    router.delete(ADMIN + "/scope-maps/:name").handler(admin::deleteScopeMap);
    String registries = ADMIN + "/connected-registries";
    router.get(registries).handler(connected::list);
    router.post(registries).handler(connected::create);
    router.get(registries + "/:name").handler(connected::show);
    router.patch(registries + "/:name").handler(connected::update);
    router.delete(registries + "/:name").handler(connected::delete);
    router.post(registries + "/:name/deactivate").handler(connected::deactivate);
    router.get(registries + "/:name/client-tokens").handler(connected::clientTokens);
    router.post(registries + "/:name/settings").handler(connected::settings);
    router.get(registries + "/:name/permissions").handler(connected::permissions);
    router.patch(registries + "/:name/repositories").handler(connected::repositories);
    router.post(ADMIN + "/bundles").handler(bundles::importBundle);
    router.route(ADMIN + "/*").handler(AdminHandler::unknown);

    // Prometheus metrics: admin only here (metrics.listen serves them without credentials).
    if (metrics != null) {
      router.get("/metrics").handler(auth.admin()).handler(metrics);
    }

    // The running configuration: admin only, like the admin API.
    router.route(CONNECTED + "/config").handler(auth.admin());
    router.get(CONNECTED + "/config").handler(config::show);
    router.put(CONNECTED + "/config").handler(config::replace);

    router.route().failureHandler(FailureHandler.recordingIn(page.failures()));
    router.route().last().handler(ctx -> ctx.fail(404));
    return router;
  }

  /**
   * Requests Vert.x cannot parse (headers or URI too long, not HTTP) never reach the router: their
   * empty 400/414/431 answers get the same protective headers.
   */
  static void invalidRequest(HttpServerRequest request) {
    protect(request.response());
    HttpServerRequest.DEFAULT_INVALID_REQUEST_HANDLER.handle(request);
  }

  /**
   * On every answer, errors included. A manifest is served with the media type its pusher chose:
   * a browser must neither guess another type (nosniff) nor run what it renders (a sandbox without
   * sources), since the registry's origin may hold the browser's credentials for it.
   */
  private static void commonHeaders(RoutingContext ctx) {
    protect(ctx.response()).putHeader(API_VERSION, API_VERSION_VALUE);
    ctx.next();
  }

  private static HttpServerResponse protect(HttpServerResponse response) {
    return response.putHeader(NOSNIFF, NOSNIFF_VALUE).putHeader(CSP, CSP_VALUE);
  }


  private static void base(RoutingContext ctx) {
    ctx.response().putHeader("Content-Type", "application/json").end("{}");
  }

  private static void refuseWritesWhenReadOnly(RoutingContext ctx) {
    HttpMethod method = ctx.request().method();
    if (method == HttpMethod.GET || method == HttpMethod.HEAD) {
      ctx.next();
      return;
    }
    ctx.fail(ErrorCode.UNSUPPORTED.exception(
        "this registry is in ReadOnly mode: push, delete and mount are refused; pull only"));
  }
}
