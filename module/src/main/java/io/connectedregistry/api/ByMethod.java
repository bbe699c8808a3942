package io.connectedregistry.api;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;

/**
 * The handlers of one path shape ({@code /v2/<name>/manifests/<reference>}, ...), by method: an
 * auth check, then the resource's handler. Vert.x matches every route's path before its method,
 * so with one regex route per method a request ran each shape's regex once per method before
 * reaching its own; one route per shape runs it once. A method the shape does not serve goes on to
 * the next routes, as a route of another method did (the router's last route answers 404), but
 * unlike it with the shape's path parameters set: a shape must not precede another that can match
 * the same path ({@link Routes} orders them).
 */
final class ByMethod {
  private record Chain(HttpMethod method, Handler<RoutingContext> auth, Handler<RoutingContext> handler) {}

  private final List<Chain> chains = new ArrayList<>();

  ByMethod on(HttpMethod method, Handler<RoutingContext> auth, Handler<RoutingContext> handler) {
    chains.add(new Chain(method, auth, handler));
    return this;
  }

  void attachTo(Route route) {
    route.handler(ctx -> {
      Chain chain = chainOf(ctx);
      if (chain == null) {
        ctx.next();
      } else {
        chain.auth().handle(ctx); // calls ctx.next() once the caller may: the handler below
      }
    }).handler(ctx -> {
      Chain chain = chainOf(ctx);
      if (chain == null) {
        ctx.next();
      } else {
        chain.handler().handle(ctx);
      }
    });
  }

  private Chain chainOf(RoutingContext ctx) {
    HttpMethod method = ctx.request().method();
    for (Chain chain : chains) {
      if (chain.method().equals(method)) {
        return chain;
      }
    }
    return null;
  }
}
