package io.connectedregistry.api;

import io.connectedregistry.config.RegistryConfig.Mode;
import io.connectedregistry.oci.ErrorCode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Every route of the API, in one place. {@code <name>} may contain slashes, so routes are regular
 * expressions; upload routes come before blob routes so {@code .../blobs/uploads/...} is never read
 * as a blob digest.
 */
final class Routes {
  private static final String NAME = "/v2/(?<name>.+)";

  private Routes() {}

  static Router create(Vertx vertx, Storage storage, Mode mode) {
    BlobHandler blobs = new BlobHandler(storage);
    BlobUploadHandler uploads = new BlobUploadHandler(storage);
    ManifestHandler manifests = new ManifestHandler(storage);
    TagsHandler tags = new TagsHandler(storage);
    CatalogHandler catalog = new CatalogHandler(storage);
    ReferrersHandler referrers = new ReferrersHandler(storage);
    HealthHandler health = new HealthHandler(storage);

    Router router = Router.router(vertx);
    router.route().handler(Routes::commonHeaders);
    router.get("/healthz").handler(health::alive);
    router.get("/readyz").handler(health::ready);
    if (mode == Mode.ReadOnly) {
      router.routeWithRegex("/v2/.*").handler(Routes::refuseWritesWhenReadOnly);
    }

    router.routeWithRegex(HttpMethod.GET, "/v2/?").handler(Routes::base);
    router.get("/v2/_catalog").handler(catalog::list);

    router.routeWithRegex(HttpMethod.POST, NAME + "/blobs/uploads/?").handler(uploads::start);
    String upload = NAME + "/blobs/uploads/(?<uuid>[^/]+)";
    router.routeWithRegex(HttpMethod.PATCH, upload).handler(uploads::patch);
    router.routeWithRegex(HttpMethod.PUT, upload).handler(uploads::finish);
    router.routeWithRegex(HttpMethod.GET, upload).handler(uploads::status);
    router.routeWithRegex(HttpMethod.DELETE, upload).handler(uploads::cancel);

    String blob = NAME + "/blobs/(?<digest>[^/]+)";
    router.routeWithRegex(HttpMethod.GET, blob).handler(blobs::get);
    router.routeWithRegex(HttpMethod.HEAD, blob).handler(blobs::get);
    router.routeWithRegex(HttpMethod.DELETE, blob).handler(blobs::delete);

    String manifest = NAME + "/manifests/(?<reference>[^/]+)";
    router.routeWithRegex(HttpMethod.GET, manifest).handler(manifests::get);
    router.routeWithRegex(HttpMethod.HEAD, manifest).handler(manifests::get);
    router.routeWithRegex(HttpMethod.PUT, manifest).handler(manifests::put);
    router.routeWithRegex(HttpMethod.DELETE, manifest).handler(manifests::delete);

    router.routeWithRegex(HttpMethod.GET, NAME + "/tags/list").handler(tags::list);
    router.routeWithRegex(HttpMethod.GET, NAME + "/referrers/(?<digest>[^/]+)").handler(referrers::list);

    router.route().failureHandler(FailureHandler::handle);
    router.route().last().handler(ctx -> ctx.fail(404));
    return router;
  }

  private static void commonHeaders(RoutingContext ctx) {
    ctx.response().putHeader("Docker-Distribution-API-Version", "registry/2.0");
    ctx.next();
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
        "this registry is in ReadOnly mode: push and delete are refused; pull only"));
  }
}
