package io.connectedregistry.api;

import io.connectedregistry.control.ControlPlane;
import io.connectedregistry.control.ControlRequests;
import io.connectedregistry.oci.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.json.Json;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The API children call on their parent, under {@code /_connected/v1/registries/NAME/} (routes in
 * {@link Routes}, each behind {@link AuthHandler#gateway}: the caller's sync token must hold the
 * gateway action on NAME, which a sync token holds on itself and its descendants only).
 *
 * <pre>
 * POST registries/NAME/activation   {instanceId, version?, loginServer?}   → 200 | 409
 * GET  registries/NAME/definition   If-None-Match                           → 200 + ETag | 304
 * GET  registries/NAME/tokens       If-None-Match                           → 200 + ETag | 304
 * POST registries/NAME/status       {connectionState, activation, ...}      → 204
 * </pre>
 *
 * A registry that serves no control plane (a connected registry before it has its parent's
 * definition) answers 404, as a plain OCI registry would: the child then works as before.
 */
final class ControlPlaneHandler {
  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9]{4,49}");

  private final ControlPlane plane;

  /** @param plane null: no control plane here (every route answers 404) */
  ControlPlaneHandler(ControlPlane plane) {
    this.plane = plane;
  }

  /** The NAME of the route, when it is a valid connected-registry name. */
  static String name(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    return name != null && NAME.matcher(name).matches() ? name : null;
  }

  void activate(RoutingContext ctx) {
    withBody(ctx, body -> plane.activate(name(ctx), ControlRequests.Activate.fromJson(body)));
  }

  void report(RoutingContext ctx) {
    withBody(ctx, body -> plane.report(name(ctx), ControlRequests.Report.fromJson(body)));
  }

  void definition(RoutingContext ctx) {
    if (available(ctx)) {
      answer(ctx, plane.definition(name(ctx), ctx.request().getHeader("If-None-Match")));
    }
  }

  void tokens(RoutingContext ctx) {
    if (available(ctx)) {
      answer(ctx, plane.tokens(name(ctx), ctx.request().getHeader("If-None-Match")));
    }
  }

  private boolean available(RoutingContext ctx) {
    if (plane == null || name(ctx) == null) {
      ctx.fail(ErrorCode.RESOURCE_UNKNOWN.exception("no connected-registry control plane here"));
      return false;
    }
    return true;
  }

  private void withBody(RoutingContext ctx,
      Function<io.vertx.core.json.JsonObject, Future<ControlPlane.Answer>> work) {
    if (available(ctx)) {
      AdminHandler.withBody(ctx, ControlRequests.MAX_BODY_BYTES, body -> answer(ctx, work.apply(body)));
    }
  }

  private static void answer(RoutingContext ctx, Future<ControlPlane.Answer> answer) {
    answer.onSuccess(a -> {
      ctx.response().setStatusCode(a.status()).putHeader("Cache-Control", "no-store");
      if (a.etag() != null) {
        ctx.response().putHeader("ETag", a.etag());
      }
      if (a.body() == null) {
        ctx.response().end();
      } else {
        ctx.response().putHeader("Content-Type", "application/json").end(Json.encode(a.body()));
      }
    }).onFailure(e -> ctx.fail(AdminHandler.translate(e)));
  }
}
