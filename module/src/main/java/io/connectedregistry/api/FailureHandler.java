package io.connectedregistry.api;

import io.connectedregistry.oci.ErrorCode;
import io.connectedregistry.oci.InvalidReferenceException;
import io.connectedregistry.oci.RegistryException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place errors become responses: {@code {"errors":[{"code","message","detail"}]}} with the
 * status from {@link ErrorCode}. Anything that is not a {@link RegistryException} is our fault: it is
 * logged with a correlation id and answered 500 with that id only, never internals.
 */
final class FailureHandler {
  private static final Logger LOG = LoggerFactory.getLogger(FailureHandler.class);

  private FailureHandler() {}

  static void handle(RoutingContext ctx) {
    handle(ctx, null);
  }

  /** As {@link #handle(RoutingContext)}, keeping the 500s in {@code recent} for the status page. */
  static io.vertx.core.Handler<RoutingContext> recordingIn(RecentFailures recent) {
    return ctx -> handle(ctx, recent);
  }

  private static void handle(RoutingContext ctx, RecentFailures recent) {
    Throwable failure = ctx.failure();
    RegistryException error = toRegistryException(failure, ctx);
    if (error == null) {
      // Vert.x routing failures without an exception (e.g. 404 for an unknown route, 405).
      int status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
      error = status == 404
          ? ErrorCode.NAME_UNKNOWN.exception("no such endpoint: " + ctx.request().path())
          : status == 405
              ? ErrorCode.UNSUPPORTED.exception(ctx.request().method() + " is not supported on " + ctx.request().path())
              : ErrorCode.UNKNOWN.exception(null);
    }
    if (error.code() == ErrorCode.UNKNOWN && failure != null) {
      String correlationId = UUID.randomUUID().toString();
      LOG.error("{} {} failed [correlationId={}]", ctx.request().method(), ctx.request().path(), correlationId, failure);
      error = ErrorCode.UNKNOWN.exception("internal error; correlationId " + correlationId);
      if (recent != null) {
        recent.add(new RecentFailures.Failure(java.time.Instant.now(), correlationId,
            ctx.request().method() + " " + ctx.request().path(), failure.getClass().getSimpleName()));
      }
    }
    write(ctx, error);
  }

  static RegistryException toRegistryException(Throwable failure, RoutingContext ctx) {
    if (failure instanceof RegistryException r) {
      return r;
    }
    if (failure instanceof InvalidReferenceException e) {
      ErrorCode code = switch (e.kind()) {
        case "name" -> ErrorCode.NAME_INVALID;
        case "tag" -> ErrorCode.TAG_INVALID;
        default -> ErrorCode.DIGEST_INVALID;
      };
      return code.exception(e.getMessage());
    }
    if (failure != null) {
      return ErrorCode.UNKNOWN.exception(null);
    }
    return null;
  }

  static void write(RoutingContext ctx, RegistryException error) {
    HttpServerResponse response = ctx.response();
    if (response.headWritten()) {
      // Streaming already started: the only honest signal left is to cut the connection.
      ctx.request().connection().close();
      return;
    }
    ErrorCode code = error.code();
    JsonObject entry = new JsonObject().put("code", code.code()).put("message", code.message());
    if (error.detail() != null) {
      entry.put("detail", error.detail());
    }
    if (code.status() >= 500 || LOG.isDebugEnabled()) {
      LOG.debug("{} {} -> {} {}", ctx.request().method(), ctx.request().path(), code.status(), error.getMessage());
    }
    String body = new JsonObject().put("errors", new JsonArray().add(entry)).encode();
    response.setStatusCode(code.status()).putHeader("Content-Type", "application/json");
    if (!ctx.request().isEnded()) {
      if (hasBody(ctx.request())) {
        // A body the client is still sending (e.g. a refused upload) is not read: close afterwards.
        response.putHeader("Connection", "close");
      }
      ctx.request().resume();
    }
    if (ctx.request().method() == HttpMethod.HEAD) {
      response.putHeader("Content-Length", String.valueOf(body.length())).end();
    } else {
      response.end(body);
    }
  }

  /** A refused request without a body (a 401 before the token flow, say) keeps its connection. */
  private static boolean hasBody(io.vertx.core.http.HttpServerRequest request) {
    String length = request.getHeader("Content-Length");
    return request.getHeader("Transfer-Encoding") != null
        || (length != null && !length.equals("0"));
  }
}
